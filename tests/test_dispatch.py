"""The one dispatcher: per-mode tables from intent name to one small named function."""

from __future__ import annotations

import pytest

from skill.content import load_content
from skill.core import menu_turns, stretch_turns
from skill.core.dialogue import (
    ANSWERS,
    ANYWHERE,
    IN_STRETCH,
    KNOWN_INTENTS,
    DialogueState,
    Event,
    UserFacts,
    decide,
    handler_for,
)
from skill.core.effects import SavePlace, SaveSpeech
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.parts import Say
from skill.core.speech import render
from skill.nlu import Resolver


def keys(parts) -> list[str]:
    return [p.key for p in parts if isinstance(p, Say)]


def stretching() -> DialogueState:
    return decide(DialogueState(), Event("StartStretchIntent")).state


def test_pause_in_a_stretch_session_is_found_by_name() -> None:
    assert IN_STRETCH["AMAZON.PauseIntent"] is stretch_turns.pause_stretch
    assert handler_for(stretching(), "AMAZON.PauseIntent") is stretch_turns.pause_stretch
    assert handler_for(DialogueState(), "AMAZON.PauseIntent") is menu_turns.not_understood
    assert ANSWERS["checkin"]["AMAZON.NoIntent"] is menu_turns.heel_not_better


def test_every_table_entry_is_a_small_documented_named_function() -> None:
    tables = [IN_STRETCH, ANYWHERE, *ANSWERS.values()]
    for table in tables:
        for name, handler in table.items():
            assert handler.__name__ != "<lambda>", name
            assert handler.__module__ in ("skill.core.menu_turns", "skill.core.stretch_turns")


#: In the interaction models (branch nlu) but not yet given behaviour by any issue: the
#: Alexa layer answers them as AMAZON.FallbackIntent (logged). Remove a name once wired.
NOT_WIRED_YET: set[str] = set()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_intent_of_the_interaction_model_has_a_function(locale) -> None:
    model = set(Resolver.for_locale(locale).intents())
    assert model - NOT_WIRED_YET <= KNOWN_INTENTS, model - KNOWN_INTENTS - NOT_WIRED_YET
    assert not NOT_WIRED_YET & KNOWN_INTENTS, "wired now: drop it from NOT_WIRED_YET"


@pytest.mark.parametrize("name", ["NoSuchIntent", "", "AMAZON.SendToPhoneIntent"])
def test_an_unknown_intent_never_errors(name) -> None:
    for state in (DialogueState(), stretching(), DialogueState(mode="info", section=2)):
        d = decide(state, Event(name))
        assert d.speech and not d.ends_session


def test_greeting_is_a_short_welcome_never_goodbye() -> None:
    for state in (DialogueState(), DialogueState(mode="clinic", pending="repeat_number")):
        d = decide(state, Event("GreetingIntent"))
        assert keys(d.speech) == ["small_talk.hello", "menu.prompt"]
        assert not d.ends_session and "goodbye" not in keys(d.speech)


def test_thanks_is_acknowledged_then_a_question() -> None:
    d = decide(DialogueState(), Event("ThanksIntent"))
    assert keys(d.speech) == ["small_talk.thanks", "menu.prompt"] and not d.ends_session
    for locale in SUPPORTED_LOCALES:
        assert render(d.speech, load_content(locale)).text.endswith("?")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_medical_question_gets_where_to_turn_not_advice(locale) -> None:
    d = decide(DialogueState(), Event("MedicalQuestionIntent"))
    assert keys(d.speech) == ["small_talk.not_covered", "menu.prompt"]
    words = load_content(locale)
    said = render(d.speech, words).text
    assert words.text("clinic.phone") in said
    assert ("elva sjuttiosju" in said) is (locale == "sv-SE"), "1177 is the Swedish line"
    assert said.endswith("?") and not d.ends_session


def test_fallback_outside_a_stretch_says_what_the_skill_does_and_asks() -> None:
    d = decide(DialogueState(), Event("AMAZON.FallbackIntent"))
    assert keys(d.speech) == ["fallback.scope", "welcome.reprompt"]
    assert keys(d.reprompt) == ["fallback.reprompt"]
    said = render(d.speech, load_content("en-US")).text
    assert "heel spur" in said and "number" in said and said.endswith("?")


def test_fallback_in_a_stretch_is_the_sessions_help() -> None:
    d = decide(stretching(), Event("AMAZON.FallbackIntent"))
    assert keys(d.speech)[0] == "stretch.help.running" and d.state.mode == "stretch"


def test_stop_in_a_stretch_keeps_the_place() -> None:
    d = decide(stretching(), Event("AMAZON.StopIntent"))
    assert d.ends_session and isinstance(d.effects[0], SavePlace)


@pytest.mark.parametrize("intent, key", [("GreetingIntent", "small_talk.hello"),
                                         ("ThanksIntent", "small_talk.thanks"),
                                         ("MedicalQuestionIntent", "small_talk.not_covered")])
def test_small_talk_in_a_stretch_keeps_the_session_and_asks_again(intent, key) -> None:
    state = stretching()
    place = dict(state.stretch)
    d = decide(state, Event(intent))
    assert keys(d.speech)[0] == key and d.state.mode == "stretch" and d.state.stretch == place
    assert keys(d.speech)[-1].startswith("stretch.ask_") and d.reprompt


@pytest.mark.parametrize("slot", ["sv", "en"])
def test_set_language_keeps_the_choice_and_answers_in_it(slot) -> None:

    decision = decide(DialogueState(), Event("SetLanguageIntent", {"language": slot}),
                      UserFacts())
    assert decision.speech == [Say("language.set")] and decision.reprompt
    assert decision.effects == [SaveSpeech(slot)]


def test_set_language_where_the_page_chooses_and_without_a_language() -> None:
    page = decide(DialogueState(), Event("SetLanguageIntent", {"language": "sv"}),
                  UserFacts(language_choice=False))
    assert page.speech == [Say("language.fixed")] and page.effects == []
    unknown = decide(DialogueState(), Event("SetLanguageIntent", {"language": "fi"}),
                     UserFacts())
    assert unknown.effects == [] and Say("language.set") not in unknown.speech
