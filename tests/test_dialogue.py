"""The dialogue state machine, tested without ask-sdk or HTTP."""

from __future__ import annotations

import pytest

from skill.content import load_content
from skill.core.conversation import TOPIC_SECTIONS, as_info_request
from skill.core.dialogue import (
    SECTIONS,
    DialogueState,
    Event,
    UserFacts,
    decide,
    part_from_dict,
)
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.parts import Say
from skill.core.speech import render

BUILT_INS = [
    "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent", "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent",
    "AMAZON.PreviousIntent", "AMAZON.RepeatIntent", "AMAZON.StartOverIntent",
    "AMAZON.MoreIntent",
]


def keys(parts) -> list[str]:
    return [p.key for p in parts if isinstance(p, Say)]


def launched() -> DialogueState:
    return decide(DialogueState(), Event("LaunchRequest")).state


def test_launch_offers_three_things_and_asks() -> None:
    d = decide(DialogueState(), Event("LaunchRequest"))
    assert keys(d.speech) == ["welcome.first"]
    assert keys(d.reprompt) == ["welcome.reprompt"]
    assert not d.ends_session
    back = decide(DialogueState(), Event("LaunchRequest"), UserFacts(returning=True))
    assert keys(back.speech) == ["welcome.back"]


@pytest.mark.parametrize("intent,section", [
    ("SymptomsIntent", "symptoms"), ("CausesIntent", "causes"),
    ("PrognosisIntent", "prognosis"), ("TreatmentIntent", "treatment"),
    ("ExercisesInfoIntent", "exercises"), ("SeekCareIntent", "seek_care"),
])
def test_each_section_by_its_own_intent(intent: str, section: str) -> None:
    d = decide(launched(), Event(intent))
    assert keys(d.speech)[0] == f"info.sections.{section}.body"
    assert d.state.mode == "info" and SECTIONS[d.state.section] == section
    assert d.card is not None and d.card.title.key == f"info.sections.{section}.title"


def test_info_slot_names_the_section_and_about_starts_at_the_beginning() -> None:
    d = decide(launched(), Event("InfoIntent", {"section": "prognosis"}))
    assert keys(d.speech)[0] == "info.sections.prognosis.body"
    d = decide(launched(), Event("InfoIntent", {"section": "about"}))
    assert keys(d.speech)[0] == "info.sections.symptoms.body"
    d = decide(launched(), Event("InfoIntent", {}))
    assert keys(d.speech)[0] == "info.sections.symptoms.body"
    d = decide(launched(), Event("InfoIntent", {"section": "clinic"}))
    assert keys(d.speech)[0] == "clinic.speech"


def test_next_walks_every_section_then_offers_the_exercises() -> None:
    d = decide(launched(), Event("InfoIntent", {"section": "about"}))
    heard = [keys(d.speech)[0]]
    for _ in range(len(SECTIONS) - 1):
        d = decide(d.state, Event("AMAZON.NextIntent"))
        heard.append(keys(d.speech)[0])
    assert heard == [f"info.sections.{s}.body" for s in SECTIONS]
    assert keys(d.speech)[-1] == "info.booking_offer"
    assert d.state.pending == "next_section"


@pytest.mark.parametrize("reading_on", ["AMAZON.NextIntent", "AMAZON.YesIntent",
                                        "AMAZON.MoreIntent"])
def test_reading_on_past_seek_care_ends_with_booking_and_the_number(reading_on: str) -> None:
    """The leaflet ends with how to book and the number; so does reading it aloud."""
    d = decide(launched(), Event("SeekCareIntent"))
    end = decide(d.state, Event(reading_on))
    assert keys(end.speech) == ["clinic.speech", "clinic.booking", "info.last_offer"]
    assert end.state.pending == "offer_stretch" and not end.ends_session
    assert end.card is not None and end.card.lines[0].key == "clinic.card_text"
    text = render(end.speech, load_content("sv-SE")).text
    assert "08-123 264 44" in text and "boka tid" in text
    saved = end.state.to_dict()
    back = decide(DialogueState.from_dict(saved), Event("AMAZON.PreviousIntent"))
    assert keys(back.speech)[0] == "info.sections.seek_care.body"
    stretch = decide(DialogueState.from_dict(saved), Event("AMAZON.YesIntent"))
    assert stretch.state.mode == "stretch"


def test_clinic_card_names_the_website_or_links_the_configured_page() -> None:
    plain = decide(launched(), Event("ClinicIntent")).card
    assert plain is not None and [p.key for p in plain.lines][1] == "clinic.card_web"
    url = "https://booking.example-clinic.se/rehab"
    linked = decide(launched(), Event("ClinicIntent"), UserFacts(booking_url=url)).card
    assert linked is not None and linked.lines[1] == Say("clinic.card_web_link", {"url": url})


def test_yes_and_more_continue_no_returns_to_menu() -> None:
    d = decide(launched(), Event("SymptomsIntent"))
    d = decide(d.state, Event("AMAZON.YesIntent"))
    assert keys(d.speech)[0] == "info.sections.causes.body"
    d = decide(d.state, Event("AMAZON.MoreIntent"))
    assert keys(d.speech)[0] == "info.sections.prognosis.body"
    d = decide(d.state, Event("AMAZON.NoIntent"))
    assert keys(d.speech) == ["menu.prompt"] and d.state.mode == "menu"


def test_go_back_and_repeat() -> None:
    d = decide(launched(), Event("PrognosisIntent"))
    d = decide(d.state, Event("AMAZON.PreviousIntent"))
    assert keys(d.speech)[0] == "info.sections.causes.body"
    d = decide(d.state, Event("AMAZON.RepeatIntent"))
    assert keys(d.speech)[0] == "info.sections.causes.body"
    d = decide(decide(launched(), Event("SymptomsIntent")).state, Event("AMAZON.PreviousIntent"))
    assert keys(d.speech)[:2] == ["info.at_first", "info.sections.symptoms.body"]


def test_clinic_gives_the_number_card_and_offers_repeat() -> None:
    d = decide(launched(), Event("ClinicIntent"))
    assert keys(d.speech) == ["clinic.speech", "clinic.booking", "clinic.repeat_offer"]
    assert d.card is not None and d.card.lines[0].key == "clinic.card_text"
    assert d.card.lines[1].key == "clinic.card_web"
    again = decide(d.state, Event("AMAZON.YesIntent"))
    assert keys(again.speech) == ["clinic.number_again", "clinic.repeat_offer"]
    done = decide(again.state, Event("AMAZON.NoIntent"))
    assert keys(done.speech) == ["menu.prompt"]


def test_repeat_with_nothing_said_yet() -> None:
    d = decide(DialogueState(), Event("AMAZON.RepeatIntent"))
    assert keys(d.speech) == ["repeat.nothing"] and not d.ends_session


@pytest.mark.parametrize("mode_event", ["LaunchRequest", "PrognosisIntent", "ClinicIntent"])
@pytest.mark.parametrize("intent", BUILT_INS + ["SessionEndedRequest", "NoSuchIntent"])
def test_every_built_in_in_every_state_answers(mode_event: str, intent: str) -> None:
    state = decide(launched(), Event(mode_event)).state
    d = decide(state, Event(intent))
    if intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        assert keys(d.speech) == ["goodbye"] and d.ends_session
    elif intent == "SessionEndedRequest":
        assert d.speech == [] and d.ends_session
    else:
        assert d.speech and d.reprompt, "an open turn needs speech and a reprompt"
    for locale in SUPPORTED_LOCALES:
        content = load_content(locale)
        if d.speech:
            render(d.speech, content)
        if d.reprompt:
            assert render(d.reprompt, content).text.rstrip().endswith("?")


def test_help_is_contextual_and_carries_the_disclaimer() -> None:
    assert keys(decide(launched(), Event("AMAZON.HelpIntent")).speech) == [
        "disclaimer", "help.menu"]
    info = decide(launched(), Event("TreatmentIntent")).state
    assert keys(decide(info, Event("AMAZON.HelpIntent")).speech) == ["disclaimer", "help.info"]


def test_state_round_trips_and_rejects_tampering() -> None:
    d = decide(launched(), Event("PrognosisIntent"))
    data = d.state.to_dict()
    assert DialogueState.from_dict(data) == d.state
    for bad in [
        {"mode": "hacked"}, {"section": 99}, {"section": "2"}, {"pending": "format_disk"},
        {"last": "x"}, {"last": [{"say": 1}]}, {"last": [{"pause": 10**9}]},
        {"last": [{"say": "k", "p": {"x": [1]}}]}, {"stretch": [1]}, [1, 2],
    ]:
        with pytest.raises(ValueError):
            DialogueState.from_dict(bad if isinstance(bad, list) else {**data, **bad})
    with pytest.raises(ValueError):
        part_from_dict({"nothing": 1})


@pytest.mark.parametrize("before", ["LaunchRequest", "PrognosisIntent", "ClinicIntent",
                                    "StartStretchIntent"])
@pytest.mark.parametrize("intent", sorted(TOPIC_SECTIONS) + ["InfoIntent"])
def test_a_topic_intent_gets_the_answer_of_info_with_its_section(before: str,
                                                                  intent: str) -> None:
    """What ``as_info_request`` (used to score understanding) says is the same, is."""
    state = decide(launched(), Event(before)).state
    as_info, slots = as_info_request(intent, {})
    assert as_info == "InfoIntent"
    own, info = decide(state, Event(intent)), decide(state, Event(as_info, slots))
    assert (own.speech, own.reprompt, own.card, own.state) == (
        info.speech, info.reprompt, info.card, info.state)


def test_as_info_request_leaves_other_requests_alone() -> None:
    assert as_info_request("StartStretchIntent", {"seconds": "25"}) == (
        "StartStretchIntent", {"seconds": "25"})
    assert as_info_request("InfoIntent", {"section": "causes"}) == (
        "InfoIntent", {"section": "causes"})
    assert as_info_request("InfoIntent", {"section": "the whole thing"}) == (
        "InfoIntent", {"section": "about"})
