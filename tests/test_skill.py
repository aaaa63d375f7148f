"""The whole Skill in-process: real request envelopes in, valid Alexa responses out."""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice, slot_json
from skill.alexa.invoke import BadEnvelope, invoke
from skill.config import Settings
from skill.core.limits import MAX_AUDIO_TAGS
from tests.replies import Reply, said, send

CUSTOM = ["InfoIntent", "SymptomsIntent", "CausesIntent", "PrognosisIntent", "TreatmentIntent",
          "ExercisesInfoIntent", "SeekCareIntent", "ClinicIntent"]
BUILT_INS = ["AMAZON.HelpIntent", "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent",
             "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent",
             "AMAZON.RepeatIntent", "AMAZON.StartOverIntent", "AMAZON.MoreIntent",
             "AMAZON.StopIntent", "AMAZON.CancelIntent"]


@pytest.fixture(scope="module")
def skill(tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "progress.sqlite3"
    return build_skill(Settings(db_path=db))


def check_valid(response: dict) -> Reply:
    """The response deserialises with ask-sdk-model and its SSML is well-formed."""
    DefaultSerializer().deserialize(json.dumps(response), ResponseEnvelope)
    body = Reply(response["response"])
    body.answer = getattr(response, "answer", None)
    for speech in (body.get("outputSpeech"), (body.get("reprompt") or {}).get("outputSpeech")):
        if speech:
            ET.fromstring(speech["ssml"])
    if body.get("shouldEndSession") is False:
        assert body["reprompt"]["outputSpeech"]["ssml"], "open session without reprompt"
    return body


def alexa(skill, envelope: dict) -> Reply:
    """Invoke as Alexa does (its limit of 5 audio tags), keeping the turn's plan."""
    return send(skill, envelope, MAX_AUDIO_TAGS)


def say(body: dict) -> str:
    """The words spoken, including those of pre-rendered (Swedish) clips (from the plan)."""
    return said(body)


@pytest.mark.parametrize("locale", ["sv-SE", "en-US", "en-GB"])
@pytest.mark.parametrize("intent", CUSTOM + BUILT_INS)
def test_every_intent_after_launch_gets_a_valid_answer(skill, locale: str, intent: str) -> None:
    device = LocalDevice(locale=locale)
    device.absorb(invoke(skill, device.launch()))
    body = check_valid(alexa(skill, device.intent(intent)))
    if intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        assert body["shouldEndSession"] is True
    else:
        assert body["shouldEndSession"] is False and say(body)


@pytest.mark.parametrize("locale", ["sv-SE", "en-US"])
def test_launch_and_session_end(skill, locale: str) -> None:
    device = LocalDevice(locale=locale)
    launch = check_valid(alexa(skill, device.launch()))
    assert say(launch).endswith("?")
    ended = check_valid(alexa(skill, device.session_ended()))
    assert "outputSpeech" not in ended


def test_clinic_card_and_telephone(skill) -> None:
    device = LocalDevice(locale="en-GB")
    body = check_valid(alexa(skill, device.intent("ClinicIntent")))
    ssml = body["outputSpeech"]["ssml"]
    # digit groups spoken explicitly, not say-as telephone (documented for US numbers)
    assert '<sub alias="0 8, 1 2 3, 2 6 4, 4 4">08-123 264 44</sub>' in ssml
    assert "telephone" not in ssml
    assert '<sub alias="Uppen-vord">Öppenvård</sub>' in ssml
    assert '<sub alias="Nor-tell-yeh">Norrtälje</sub>' in ssml
    assert '<sub alias="Tee-oh-hoon-dra">Tiohundra</sub>' in ssml
    assert say(body).startswith("The clinic's number is 08-123 264 44. Ring this number to book")
    card = body["card"]["content"]
    assert "+46 8 123 264 44" in card and "Öppenvård" in card and "Uppen" not in card
    assert "1177.se" in card and "Tiohundra's website" in card and "www." not in card
    swedish = check_valid(alexa(skill, LocalDevice(locale="sv-SE").intent("ClinicIntent")))
    content = swedish["card"]["content"]
    assert "08-123 264 44" in content and "1177.se" in content and "+46" not in content
    assert "Tiohundras hemsida" in content and "www." not in content
    assert say(swedish).startswith("Mottagningens nummer är 08-123 264 44")


def test_configured_booking_page_is_on_the_card(tmp_path) -> None:
    url = "https://booking.example-clinic.se/rehabilitering"
    skill = build_skill(Settings(db_path=tmp_path / "p.sqlite3", booking_url=url))
    for locale in ("sv-SE", "en-US"):
        body = check_valid(invoke(skill, LocalDevice(locale=locale).intent("ClinicIntent")))
        assert url in body["card"]["content"] and "1177.se" in body["card"]["content"]
        assert url not in say(body)  # shown, never read aloud


def test_swedish_speaks_through_clips_within_alexas_limits(skill) -> None:
    device = LocalDevice(locale="sv-SE")
    for intent in CUSTOM + BUILT_INS:
        body = check_valid(alexa(skill, device.intent(intent)))
        ssml = body.get("outputSpeech", {}).get("ssml", "<speak/>")
        root = ET.fromstring(ssml)
        audio = list(root.iter("audio"))
        assert audio, f"{intent}: Swedish must be pre-rendered audio, got {ssml}"
        assert len(audio) <= 5
        assert "".join(root.itertext()).strip() == "", f"{intent}: text left for Alexa"


def test_section_slot_resolution_is_used(skill) -> None:
    device = LocalDevice(locale="en-US")
    slots = {"section": slot_json("section", "the outlook", "prognosis", "prognosis",
                                  "SectionType")}
    body = check_valid(alexa(skill, device.intent("InfoIntent", slots)))
    assert "six to nine months" in say(body)


def test_unsupported_locale_is_answered_in_english_and_logged(skill, caplog) -> None:
    device = LocalDevice(locale="fr-FR")
    with caplog.at_level(logging.WARNING):
        body = check_valid(alexa(skill, device.intent("PrognosisIntent")))
    assert "six to nine months" in say(body)
    assert "unsupported locale 'fr-FR'" in caplog.text


def test_tampered_session_state_is_reset_and_logged(skill, caplog) -> None:
    device = LocalDevice(locale="en-US")
    device.absorb(invoke(skill, device.launch()))
    device.attributes = {"state": {"mode": "info", "section": 42}}
    with caplog.at_level(logging.WARNING):
        body = check_valid(alexa(skill, device.intent("AMAZON.NextIntent")))
    assert body["shouldEndSession"] is False
    assert "dialogue state rejected" in caplog.text


def test_unknown_intent_and_missing_slot(skill, caplog) -> None:
    device = LocalDevice(locale="en-GB")
    with caplog.at_level(logging.WARNING):
        body = check_valid(alexa(skill, device.intent("TotallyUnknownIntent")))
    assert body["shouldEndSession"] is False and "unknown intent" in caplog.text
    body = check_valid(alexa(skill, device.intent("InfoIntent", {"section": {"name": "section"}})))
    assert body["shouldEndSession"] is False


def test_bad_envelopes_are_refused_clearly(skill) -> None:
    with pytest.raises(BadEnvelope):
        invoke(skill, {"no": "request"})
    with pytest.raises(BadEnvelope):
        invoke(skill, [1, 2])  # type: ignore[arg-type]


def test_one_typed_turn_is_the_only_request_attribute(tmp_path) -> None:
    from ask_sdk_core.dispatch_components import AbstractResponseInterceptor

    from skill.alexa.builder import skill_builder
    from skill.alexa.turn import Turn

    seen: list[dict] = []

    class Spy(AbstractResponseInterceptor):
        def process(self, handler_input, response) -> None:
            seen.append(dict(handler_input.attributes_manager.request_attributes))

    builder = skill_builder(Settings(db_path=tmp_path / "p.sqlite3"))
    builder.add_global_response_interceptor(Spy())
    spied = builder.create()
    device = LocalDevice(locale="sv-SE")
    for envelope in (device.launch(), device.intent("StartStretchIntent"),
                     device.intent("AMAZON.StopIntent"), device.launch(),
                     device.intent("SetRemindersIntent"), device.intent("AMAZON.YesIntent"),
                     device.intent("NoSuchIntent")):
        device.absorb(invoke(spied, envelope))
    assert len(seen) == 7
    for attrs in seen:
        assert list(attrs) == ["turn"] and isinstance(attrs["turn"], Turn)
    assert seen[0]["turn"].locale == "sv-SE" and seen[0]["turn"].clips is not None
    assert seen[0]["turn"].max_audio_tags == MAX_AUDIO_TAGS
