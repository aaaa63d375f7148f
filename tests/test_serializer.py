"""Our serializer (skill.alexa.serializer) against ask-sdk's DefaultSerializer.

For every envelope the SDK reads, ours builds equal model objects (same classes, same
attribute values, timestamps equal as instants) and serialises them, and the skill's
responses, to equal JSON - or refuses it where the SDK would build something the skill
cannot use (an object where an array belongs). What the SDK refuses, ours refuses with
EnvelopeError; the webservice answers either with HTTP 400, never 500.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import given
from hypothesis import strategies as st

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice, slot_json
from skill.alexa.invoke import BadEnvelope, invoke
from skill.alexa.serializer import (
    MAX_NESTING,
    EnvelopeError,
    SessionAttributes,
    SkillSerializer,
)
from skill.config import Settings
from tests import fuzz_strategies as fs

SDK = DefaultSerializer()
OURS = SkillSerializer()


def shape(value: Any) -> Any:
    """A comparable picture of a model object: class names and every attribute."""
    if hasattr(value, "deserialized_types"):
        return (type(value).__name__, {k: shape(v) for k, v in sorted(vars(value).items())})
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return value


def assert_same(text: str) -> RequestEnvelope:
    theirs = SDK.deserialize(text, RequestEnvelope)
    mine = OURS.deserialize(text, RequestEnvelope)
    assert type(mine) is type(theirs)
    assert shape(mine) == shape(theirs)
    assert mine == theirs
    assert OURS.serialize(mine) == SDK.serialize(theirs)
    assert json.dumps(OURS.serialize(mine), sort_keys=True) == json.dumps(
        SDK.serialize(theirs), sort_keys=True)
    return mine


FULL_CONTEXT = {  # what an Echo Show sends besides System (abridged from Alexa's docs)
    "Viewports": [{"type": "APL", "id": "main", "shape": "RECTANGLE", "dpi": 213,
                   "presentationType": "STANDARD", "canRotate": False,
                   "configuration": {"current": {"mode": "HUB", "video": {"codecs": [
                       "H_264_42"]}, "size": {"type": "DISCRETE", "pixelWidth": 1280,
                                              "pixelHeight": 800}}}}],
    "Viewport": {"experiences": [{"arcMinuteWidth": 346, "arcMinuteHeight": 216,
                                  "canRotate": False, "canResize": False}],
                 "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 1280,
                 "pixelHeight": 800, "dpi": 160, "currentPixelWidth": 1280,
                 "currentPixelHeight": 800, "touch": ["SINGLE"],
                 "keyboard": ["DIRECTION"], "video": {"codecs": ["H_264_42", "H_264_41"]}},
    "AudioPlayer": {"playerActivity": "IDLE", "offsetInMilliseconds": 0},
    "Extensions": {"available": {"aplext:backstack:10": {}}},
}


def real_envelopes() -> list[dict[str, Any]]:
    """Envelopes as the skill's tests and front ends send them, plus the rich ones an
    Echo Show sends: every request type the skill handles."""
    out: list[dict[str, Any]] = []
    for locale in ("sv-SE", "en-US", "en-GB"):
        device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.SER-{locale}")
        out.append(device.launch())
        device.session_id = "amzn1.echo-api.session.ser"
        device.attributes = {"state": {"mode": "menu"}, "tz": "Europe/Stockholm"}
        out.append(device.intent("InfoIntent", {"section": slot_json(
            "section", "symptoms", "symptoms", "symptoms", "SectionType")}))
        out.append(device.intent("StretchSettingsIntent", {"seconds": slot_json(
            "seconds", "25")}))
        out.append(device.intent("AMAZON.YesIntent"))
        out.append(device.session_ended("ERROR"))
        out.append(fs.envelope_for(device, {"type": "AlexaSkillEvent.SkillDisabled"}))
    rich = copy.deepcopy(out[1])
    rich["context"].update(copy.deepcopy(FULL_CONTEXT))
    rich["context"]["System"]["apiAccessToken"] = "token"
    rich["context"]["System"]["apiEndpoint"] = "https://api.eu.amazonalexa.com"
    rich["context"]["System"]["unit"] = {"unitId": "amzn1.ask.unit.A", "persistentUnitId": "B"}
    rich["request"]["shouldLinkResultBeReturned"] = False
    out.append(rich)
    return out


@pytest.mark.parametrize("envelope", real_envelopes(),
                         ids=lambda e: e["request"]["type"] + ":" + e["request"].get(
                             "locale", "-"))
def test_real_envelopes_come_out_as_the_sdk_makes_them(envelope):
    mine = assert_same(json.dumps(envelope))
    assert OURS.envelope_from_object(envelope) == mine  # from Lambda's dict, same result


def test_timestamps_are_the_same_instant_and_print_alike():
    device = LocalDevice(locale="en-US", user_id="amzn1.ask.account.T")
    for stamp in ("2026-11-30T16:01:42Z", "2026-11-30T16:01:42.123Z",
                  "2026-11-30T17:01:42+01:00", "2026-11-30T16:01:42"):
        env = device.launch()
        env["request"]["timestamp"] = stamp
        mine = assert_same(json.dumps(env))
        assert mine.request.timestamp == SDK.deserialize(json.dumps(env),
                                                         RequestEnvelope).request.timestamp


def test_a_timestamp_fromisoformat_cannot_read_still_reads_as_the_sdk_reads_it():
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.T").launch()
    env["request"]["timestamp"] = "Nov 30 2026 16:01:42 UTC"
    mine = assert_same(json.dumps(env))
    assert mine.request.timestamp == datetime(2026, 11, 30, 16, 1, 42, tzinfo=UTC)


def test_unknown_keys_are_kept_as_attributes_like_the_sdk_does():
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.U").launch()
    env["request"]["somethingNew"] = {"a": [1, 2]}
    env["context"]["System"]["alsoNew"] = 3
    mine = assert_same(json.dumps(env))
    assert mine.request.somethingNew == {"a": [1, 2]}


@fs.budget(0.5)
@given(data=st.data())
def test_generated_envelopes_agree_with_the_sdk(data):
    locale = data.draw(fs.locales())
    device = LocalDevice(locale=locale, user_id="amzn1.ask.account.GEN")
    device.session_id = "amzn1.echo-api.session.gen"
    device.attributes = data.draw(fs.session_attributes())
    env = fs.envelope_for(device, data.draw(fs.requests(locale)))
    text = json.dumps(env)
    try:
        theirs = SDK.deserialize(text, RequestEnvelope)
    except SerializationException:
        with pytest.raises(EnvelopeError):
            OURS.deserialize(text, RequestEnvelope)
        return
    mine = OURS.deserialize(text, RequestEnvelope)
    assert shape(mine) == shape(theirs)
    assert OURS.serialize(mine) == SDK.serialize(theirs)


@pytest.mark.parametrize("path, value", [
    (("session", "attributes"), []), (("session", "attributes"), "x"),
    (("request", "intent", "slots"), [1]), (("context", "System"), {"user": []}),
    (("request", "intent", "slots", "s", "resolutions", "resolutionsPerAuthority"), {}),
])
def test_wrong_json_types_are_refused_like_the_sdk_or_stricter(path, value):
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.J").intent(
        "InfoIntent", {"s": slot_json("s", "x", "x", "x", "T")})
    target = env
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(EnvelopeError):
        OURS.deserialize(json.dumps(env), RequestEnvelope)


def test_session_attributes_copy_only_their_top_level():
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.S").launch()
    env["session"]["attributes"] = {"state": {"mode": "menu", "last": [1, 2]}}
    attrs = OURS.envelope_from_object(env).session.attributes
    assert isinstance(attrs, SessionAttributes)
    copied = copy.deepcopy(attrs)
    copied["tz"] = "UTC"
    assert "tz" not in attrs and copied["state"] == attrs["state"]


def test_responses_serialise_as_the_sdk_serialises_them(tmp_path):
    skill = build_skill(Settings(db_path=tmp_path / "p.sqlite3"))
    assert isinstance(skill.serializer, SkillSerializer)
    device = LocalDevice(locale="sv-SE", user_id="amzn1.ask.account.R")
    for envelope in (device.launch(), device.intent("ClinicIntent"),
                     device.intent("StartStretchIntent")):
        request = skill.serializer.envelope_from_object(envelope)
        response = skill.invoke(request_envelope=request, context=None)
        mine = skill.serializer.serialize(response)
        assert mine == SDK.serialize(response)
        device.absorb(json.loads(json.dumps(mine)))


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("bad, why", [
    (b"{not json", "not JSON"),
    (b"[]", "'request' object"),
    (b'{"request": {}}', "no 'type'"),
    (b'{"request": {"type": "LaunchRequest"}}', "'context'"),
    (b'{"request": {"type": "NoSuchRequest"}, "context": {"System": {}}}', "unknown Request"),
    (b'{"request": {"type": "LaunchRequest", "timestamp": "soon"}, "context": {"System": {}}}',
     "timestamp"),
    (b'{"request": {"type": "IntentRequest", "intent": {"slots": 3}}, "context": {"System": {}}}',
     "expected an object"),
    (b'{"request": {"type": "IntentRequest", "dialogState": "NOPE"}, "context": {"System": {}}}',
     "DialogState"),
    (b"\xff\xfe\x00", "not JSON"),
])
def test_bad_input_is_a_clear_envelope_error(bad, why):
    with pytest.raises(EnvelopeError, match=why):
        OURS.envelope_from_text(bad)


def test_depth_is_bounded_while_building(tmp_path):
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.D").launch()
    env["session"]["attributes"] = {"deep": nested(MAX_NESTING)}
    with pytest.raises(EnvelopeError, match="nested more than"):
        OURS.envelope_from_object(env)
    env["session"]["attributes"] = {"deep": nested(MAX_NESTING - 5)}
    assert OURS.envelope_from_object(env).session.attributes["deep"]
    env["session"]["attributes"] = {}
    env["request"]["unknown"] = nested(100_000 // 10)
    with pytest.raises(EnvelopeError, match="nested more than"):
        OURS.envelope_from_object(env)
    skill = build_skill(Settings(db_path=tmp_path / "p.sqlite3"))
    with pytest.raises(BadEnvelope):
        invoke(skill, env)


def test_the_webservice_answers_bad_bodies_with_400(tmp_path):
    from skill.frontends.web import create_app

    app = create_app(build_skill(Settings(db_path=tmp_path / "p.sqlite3")), verify=False,
                     web_page=False)
    client = app.test_client()
    env = LocalDevice(locale="en-US", user_id="amzn1.ask.account.W").launch()
    env["request"]["timestamp"] = "soon"
    deep = LocalDevice(locale="en-US", user_id="amzn1.ask.account.W").launch()
    deep["session"]["attributes"] = {"d": nested(200)}
    for body in (json.dumps(env), json.dumps(deep), "[1, 2", '{"request": 1}'):
        answer = client.post("/alexa", data=body, content_type="application/json")
        assert answer.status_code == 400, body[:80]
    ok = client.post("/alexa", json=LocalDevice(locale="en-US",
                                                user_id="amzn1.ask.account.W").launch())
    assert ok.status_code == 200 and ok.get_json()["response"]["outputSpeech"]
