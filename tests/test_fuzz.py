"""Property-based fuzzing of the webservice and the dialogue (hypothesis).

Every Alexa request goes through the real Flask app (``skill.frontends.web.create_app``) with
verification ON: bodies are signed with the test PKI of ``tests/certs.py``, so fuzzed
envelopes pass the signature check and reach the skill.  Properties of every answer:

* never HTTP 500; no handler crash (no ``ErrorHandler`` log record) for well-formed input;
* a 200 answer deserialises as ask-sdk-model's ``ResponseEnvelope`` and is under 120 KB;
* all SSML is well-formed XML using only Alexa's SSML tags, each within 8000 characters,
  with at most 5 ``<audio>`` tags and breaks of at most 10 s;
* an open session (``shouldEndSession`` false) has a reprompt; SessionEnded gets no speech.

Profiles and strategies: ``tests/fuzz_strategies.py``; the long run: ``docs/fuzzing.md``.
The bugs this fuzzer found are fixed; their minimal reproductions are the ``test_found_*``
tests at the end of this file.  A new bug: add its reproduction with
``xfail(strict=True, reason=...)`` and keep it out of the strategies until it is fixed.

Nothing is joined while a request is handled (the build pre-joins the runs of Swedish
answers); joining is made to raise here, so a request that tried would show as a crash.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import re
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope
from hypothesis import given
from hypothesis import strategies as st

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice, slot_json
from skill.alexa.verify import AlexaRequestVerifier
from skill.config import Settings
from skill.content import load_content
from skill.core import dialogue
from skill.core.dialogue import DialogueState, Event, UserFacts
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.speech import render
from skill.core.stretch import StretchState
from skill.frontends.web import create_app
from tests import fuzz_strategies as fs
from tests.certs import TestPKI, headers

pytestmark = pytest.mark.slow

SERIALIZER = DefaultSerializer()
MAX_RESPONSE_BYTES = 120 * 1024
MAX_SPEECH_CHARS = 8000
MAX_AUDIO_TAGS = 5
MAX_BREAK_MS = 10_000
AMAZON_NS = "urn:halsporre-test:amazon"
#: Alexa's SSML tags and the attributes each may carry.
SSML_TAGS: dict[str, set[str]] = {
    "speak": set(), "break": {"time", "strength"}, "say-as": {"interpret-as", "format"},
    "audio": {"src"}, "emphasis": {"level"},
    "lang": {"{http://www.w3.org/XML/1998/namespace}lang"}, "p": set(),
    "phoneme": {"alphabet", "ph"}, "prosody": {"rate", "pitch", "volume"}, "s": set(),
    "sub": {"alias"}, "voice": {"name"}, "w": {"role"}, "amazon:effect": {"name"},
    "amazon:domain": {"name"}, "amazon:emotion": {"name", "intensity"},
}
BREAK_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")

CASES: collections.Counter[str] = collections.Counter()
"""Generated cases per test (and HTTP requests sent), printed at the end of the module."""


# --- fixtures --------------------------------------------------------------------------------

class Crashes(logging.Handler):
    """Collects ``ErrorHandler``'s log records: the skill raised while handling a request."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Web:
    def __init__(self, client, pki: TestPKI, crashes: Crashes) -> None:
        self.client, self.pki, self.crashes = client, pki, crashes

    def post(self, body: bytes, signed: bool = True, **extra_headers: str):
        CASES["http requests"] += 1
        hdrs = headers(self.pki, body) if signed else {"Content-Type": "application/json"}
        hdrs.update(extra_headers)
        self.crashes.records.clear()
        return self.client.post("/alexa", data=body, headers=hdrs)

    def send(self, envelope: dict[str, Any]):
        return self.post(json.dumps(envelope).encode("utf-8"))


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    started = time.monotonic()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    cases = {k: v for k, v in CASES.items() if k != "http requests"}
    lines = [f"fuzz profile {fs.PROFILE!r}: {sum(cases.values())} generated cases, "
             f"{CASES['http requests']} HTTP requests, {time.monotonic() - started:.1f} s",
             *(f"  {name}: {count}" for name, count in sorted(cases.items()))]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


class FuzzLog:
    """Every log line the fuzzed app writes (DEBUG and up), kept in a file for the grep at
    the end of this module: no raw user, device or web-user id may be in it."""

    def __init__(self, path) -> None:
        self.path = path
        self.handler = logging.FileHandler(path, encoding="utf-8", errors="backslashreplace")
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def text(self) -> str:
        self.handler.flush()
        return self.path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def fuzz_log(tmp_path_factory):
    log = FuzzLog(tmp_path_factory.mktemp("fuzz-log") / "app.log")
    root, ours = logging.getLogger(), logging.getLogger("skill")
    old_level = ours.level
    ours.setLevel(logging.DEBUG)
    root.addHandler(log.handler)
    yield log
    root.removeHandler(log.handler)
    ours.setLevel(old_level)
    log.handler.close()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from skill.tools.audio import convert

    pki = TestPKI()
    skill = build_skill(Settings(db_path=tmp_path_factory.mktemp("fuzz") / "progress.sqlite3"))
    verifier = AlexaRequestVerifier(fetcher=lambda url: pki.chain_pem(),
                                    trusted_roots=[pki.root])
    app = create_app(skill, verify=True, verifier=verifier, web_page=False)
    crashes = Crashes()
    logger = logging.getLogger("skill.alexa.handlers.requests")
    logger.addHandler(crashes)
    with pytest.MonkeyPatch.context() as mp:
        def no_join(parts, dest):
            raise AssertionError("clips joined while a request was handled")

        mp.setattr(convert, "concat_parts", no_join)
        yield Web(app.test_client(), pki, crashes)
    logger.removeHandler(crashes)


# --- checks ----------------------------------------------------------------------------------

def check_ssml(ssml: str) -> None:
    """Well-formed, only Alexa's tags and attributes, within Alexa's limits."""
    assert len(ssml) <= MAX_SPEECH_CHARS, f"SSML of {len(ssml)} characters"
    doc = ssml.replace("<speak", f'<speak xmlns:amazon="{AMAZON_NS}"', 1) \
        if "amazon:" in ssml else ssml
    try:
        root = ET.fromstring(doc)
    except ET.ParseError as exc:
        raise AssertionError(f"malformed SSML ({exc}): {ssml[:500]!r}") from exc
    assert root.tag == "speak", ssml[:200]
    audio = 0
    for element in root.iter():
        tag = element.tag.replace(f"{{{AMAZON_NS}}}", "amazon:")
        assert tag in SSML_TAGS, f"<{tag}> is not an Alexa SSML tag: {ssml[:300]!r}"
        assert tag != "speak" or element is root, "nested <speak>"
        unknown = set(element.attrib) - SSML_TAGS[tag]
        assert not unknown, f"<{tag}> has attributes {unknown}"
        if tag == "audio":
            audio += 1
            assert element.get("src"), "audio without src"
        if tag == "break" and "time" in element.attrib:
            match = BREAK_TIME.match(element.get("time", ""))
            assert match, f"bad break time {element.get('time')!r}"
            ms = float(match[1]) * (1 if match[2] == "ms" else 1000)
            assert ms <= MAX_BREAK_MS, f"break of {ms} ms"
    assert audio <= MAX_AUDIO_TAGS, f"{audio} audio tags"


def check_answer(web: Web, resp, request_type: str | None = None,
                 allow: tuple[int, ...] = (200,), crash_ok: bool = False) -> dict | None:
    """The HTTP answer obeys every property above; returns the JSON of a 200 answer."""
    assert resp.status_code != 500, "HTTP 500"
    assert resp.status_code in allow, (resp.status_code, resp.get_data(as_text=True)[:300])
    if not crash_ok:
        assert not web.crashes.records, \
            f"the skill crashed: {web.crashes.records[0].getMessage()[:300]}"
    if resp.status_code != 200:
        return None
    raw = resp.get_data()
    assert len(raw) < MAX_RESPONSE_BYTES, f"response of {len(raw)} bytes"
    envelope = SERIALIZER.deserialize(raw.decode("utf-8"), ResponseEnvelope)
    assert isinstance(envelope, ResponseEnvelope)
    data = json.loads(raw)
    body = data.get("response") or {}
    speech = (body.get("outputSpeech") or {})
    reprompt = ((body.get("reprompt") or {}).get("outputSpeech") or {})
    for out in (speech, reprompt):
        if out:
            assert out.get("type") == "SSML", out
            check_ssml(out["ssml"])
    if body.get("shouldEndSession") is False:
        assert reprompt.get("ssml"), "open session without a reprompt"
        assert speech.get("ssml"), "open session without speech"
    if request_type == "SessionEndedRequest":
        assert not speech and not reprompt, "speech in answer to SessionEndedRequest"
    return data


# --- the webservice --------------------------------------------------------------------------

API_ENDPOINTS = st.sampled_from(["", "", "http://127.0.0.1:9"])


@fs.budget(2.0)
@given(data=st.data())
def test_signed_envelope_every_request_type_state_and_locale(web, data) -> None:
    locale = data.draw(fs.locales(), "locale")
    device = LocalDevice(locale=locale, api_endpoint=data.draw(API_ENDPOINTS, "endpoint"))
    if data.draw(st.booleans(), "open session"):
        device.session_id = "amzn1.echo-api.session.fuzz"
        device.attributes = data.draw(fs.session_attributes(), "attributes")
    request = data.draw(fs.requests(locale), "request")
    resp = web.send(fs.envelope_for(device, request, fs.now()))
    check_answer(web, resp, request["type"])
    CASES["signed envelope"] += 1  # counted when complete (not filtered out)


@fs.budget(0.5)
@given(locale=fs.locales(), data=st.data())
def test_conversations_drive_every_state(web, locale, data) -> None:
    """Whole conversations: each answer's session attributes go into the next request."""
    device = LocalDevice(locale=locale)
    turns = data.draw(st.integers(1, 10), "turns")
    for turn in range(turns):
        request = data.draw(fs.requests(locale), f"request {turn}")
        resp = web.send(fs.envelope_for(device, request, fs.now()))
        answer = check_answer(web, resp, request["type"])
        if answer is not None:
            device.absorb(answer)
    CASES["conversation"] += 1  # counted when complete (not filtered out)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@fs.budget(1.0)
@given(data=st.data())
def test_wrong_json_types_anywhere_in_the_envelope(web, data) -> None:
    """One value anywhere in a real envelope replaced by any JSON value (or removed)."""
    locale = data.draw(st.sampled_from(SUPPORTED_LOCALES), "locale")
    device = LocalDevice(locale=locale)
    if data.draw(st.booleans(), "open session"):
        device.session_id = "amzn1.echo-api.session.fuzz"
        device.attributes = data.draw(fs.session_attributes(), "attributes")
    request = data.draw(fs.requests(locale), "request")
    envelope = fs.envelope_for(device, request, fs.now())
    path = data.draw(st.sampled_from(_paths(envelope)[1:]), "path")
    parent = envelope
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans(), "remove") and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES, "value")
    # Alexa never sends these: the ErrorHandler answering them (not a 500) is the property.
    check_answer(web, web.send(envelope), request["type"], allow=(200, 400, 413),
                 crash_ok=True)
    CASES["wrong JSON type"] += 1  # counted when complete (not filtered out)


def _valid_body() -> bytes:
    return json.dumps(LocalDevice().launch()).encode()


MALFORMED_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b"}", b"null", b"[]", b"{}", b'{"request": null}',
                     b'{"request": {}}', b'{"request": []}', b'{"version": "1.0"}',
                     b"\xff\xfe{\x00}\x00", b'{"a": NaN}', b'{"a": Infinity}', b"\x00",
                     b'{"request": {"type": "LaunchRequest"}}', b'{"a": 1, "a": 2}']),
    st.builds(lambda cut: _valid_body()[:cut], st.integers(0, 600)),
    st.builds(lambda junk: _valid_body() + junk, st.binary(min_size=1, max_size=20)),
    st.builds(lambda enc: json.dumps(LocalDevice().launch()).encode(enc),
              st.sampled_from(["utf-16", "utf-32", "latin-1"])),
)


@fs.budget(1.0)
@given(body=MALFORMED_BODIES, signed=st.booleans(),
       content_type=st.sampled_from(["application/json", "text/plain", "", "application/xml"]))
def test_malformed_bodies_are_rejected_not_crashed(web, body, signed, content_type) -> None:
    resp = web.post(body, signed=signed, **{"Content-Type": content_type})
    check_answer(web, resp, allow=(200, 400))
    CASES["malformed body"] += 1  # counted when complete (not filtered out)


# --- the web page's API and /audio/ ------------------------------------------------------------

@pytest.fixture(scope="module")
def page(tmp_path_factory):
    # no rate limits here: the fuzzer sends thousands of turns from one address
    settings = Settings(db_path=tmp_path_factory.mktemp("fuzz-page") / "p.sqlite3",
                        web_starts_per_minute=0, web_starts_per_minute_total=0,
                        web_turns_per_minute=0)
    return create_app(build_skill(settings), verify=True, settings=settings)


def check_api_answer(resp) -> dict | None:
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.status_code in (200, 400, 413), resp.status_code
    data = resp.get_json()
    if resp.status_code != 200:
        assert set(data or {}) <= {"error"}, data
        return None
    assert {"text", "steps", "session_open", "locale"} <= set(data), data
    return data


@fs.budget(0.5)
@given(route=st.sampled_from(["/api/start", "/api/talk"]), body=fs.api_bodies(),
       content_type=st.sampled_from(["application/json", "text/plain", ""]),
       origin=st.sampled_from([None, "http://localhost", "https://evil.example", "null"]))
def test_web_api_any_body_is_answered_or_refused(page, route, body, content_type,
                                                 origin) -> None:
    hdrs = {"Content-Type": content_type}
    if origin:
        hdrs["Origin"] = origin
    CASES["http requests"] += 1
    check_api_answer(page.test_client().post(route, data=body, headers=hdrs))
    CASES["web API body"] += 1  # counted when complete (not filtered out)


@fs.budget(0.25)
@given(locale=st.sampled_from(SUPPORTED_LOCALES),
       texts=st.lists(st.one_of(st.text(min_size=1, max_size=60),
                                st.sampled_from(["start my stretches", "starta stretchpasset",
                                                 "next", "nästa", "yes", "ja", "stop",
                                                 "delete my data", "glöm mina uppgifter",
                                                 "hold for 25 seconds", "what is the number"])),
                     min_size=1, max_size=6))
def test_web_api_conversations(page, locale, texts) -> None:
    client = page.test_client()
    CASES["http requests"] += 1
    assert check_api_answer(client.post("/api/start", json={"locale": locale})) is not None
    for text in texts:
        CASES["http requests"] += 1
        check_api_answer(client.post("/api/talk", json={"locale": locale, "text": text}))
    CASES["web API conversation"] += 1  # counted when complete (not filtered out)


@fs.budget(0.5)
@given(path=fs.audio_paths())
def test_audio_paths_never_fail_and_serve_only_clips(page, path) -> None:
    from skill.core.clips import AUDIO_DIR

    CASES["http requests"] += 1
    resp = page.test_client().get("/audio/" + path)
    # 308: werkzeug merges "//" with a redirect; 400: a path it cannot decode
    assert resp.status_code in (200, 308, 400, 404), (path, resp.status_code)
    if resp.status_code == 200:
        served = (AUDIO_DIR / resp.request.path.removeprefix("/audio/")).resolve()
        assert served.is_relative_to(AUDIO_DIR.resolve()) and served.is_file()
        assert served.suffix in (".mp3", ".json")
    CASES["audio path"] += 1  # counted when complete (not filtered out)


# --- the pure dialogue -----------------------------------------------------------------------

CONTENT = {locale: load_content(locale) for locale in SUPPORTED_LOCALES}


STARTS = st.one_of(
    st.tuples(st.just(True), st.one_of(fs.driven_states(), st.none())),
    st.tuples(st.just(False), fs.random_valid_states()),
)


@fs.budget(3.0)
@given(start=STARTS, facts=fs.user_facts(),
       events=st.lists(fs.dialogue_events(), min_size=1, max_size=15))
def test_decide_never_raises_and_open_turns_ask(start, facts: UserFacts,
                                                events: list[Event]) -> None:
    """Random event sequences: ``decide`` never raises, what it stores loads again, and every
    open turn says something and has a reprompt - a question (ends with "?") in every locale.

    The start is a state the dialogue reaches (driven) or any state ``from_dict`` accepts;
    the question property holds for driven states and after a session restart (an odd
    state's stored reprompt is repeated as it was stored).
    """
    realistic, data = start
    state = DialogueState.from_dict(data)
    for event in events:
        decision = dialogue.decide(state, event, facts)
        stored = decision.state.to_dict()
        json.dumps(stored)  # session attributes must be JSON
        if decision.ends_session:
            assert decision.speech or event.name == dialogue.SESSION_ENDED
            state, realistic = DialogueState(), True
            continue
        assert decision.speech, f"open turn without speech after {event}"
        assert decision.reprompt, f"open turn without reprompt after {event}"
        again = DialogueState.from_dict(stored)  # the next turn can load what we stored
        if again.mode == "stretch" and again.stretch is not None:
            StretchState.from_dict(again.stretch)
        for locale, content in CONTENT.items():
            for parts in (decision.speech, decision.reprompt):
                check_ssml(render(parts, content).ssml)
            text = render(decision.reprompt, content).text.rstrip()
            assert not realistic or text.endswith("?"), \
                f"{locale} reprompt {text!r} after {event}"
        state = again
    CASES["dialogue sequence"] += 1  # counted when complete (not filtered out)


# --- bugs this fuzzer found (fixed in 7391317 and ba017ce): minimal reproductions ---------

@pytest.mark.parametrize("where", ["body", "session attributes"])
def test_found_deeply_nested_json_is_400_not_500(web, where) -> None:
    if where == "body":
        body = b"[" * 100_000 + b"]" * 100_000
    else:
        envelope = LocalDevice().launch()
        envelope["session"]["attributes"] = {"x": "@@"}
        body = json.dumps(envelope).replace('"@@"', "[" * 600 + "]" * 600).encode()
    resp = web.post(body)
    assert resp.status_code == 400


def test_found_sessionless_skill_disabled_event(web) -> None:
    """As Alexa sends it: no session (was a 500 and no deletion; fixed in 7391317)."""
    envelope = fs.envelope_for(LocalDevice(), {"type": "AlexaSkillEvent.SkillDisabled"},
                               fs.now())
    check_answer(web, web.send(envelope), "AlexaSkillEvent.SkillDisabled")


@pytest.mark.parametrize("cut", ["context", "System"])
def test_found_envelope_without_context_is_400_not_500(web, cut) -> None:
    envelope = LocalDevice().launch()
    if cut == "System":
        del envelope["context"]["System"]
    else:
        del envelope[cut]
    resp = web.send(envelope)
    check_answer(web, resp, allow=(200, 400))


@pytest.mark.parametrize("value", ["²", "9" * 5000])
@pytest.mark.parametrize("intent,slot", [("SetHoldTimeIntent", "seconds"),
                                         ("ExerciseIntent", "exercise")])
def test_found_odd_digit_slot_does_not_crash(web, intent, slot, value) -> None:
    device = LocalDevice()
    resp = web.send(device.intent(intent, {slot: slot_json(slot, value)}))
    check_answer(web, resp, "IntentRequest")


def test_found_control_character_keeps_ssml_well_formed() -> None:
    from skill.core.parts import Say

    check_ssml(render([Say("info.next_offer", {"title": "\x1f"})], CONTENT["en-US"]).ssml)


def test_found_unknown_content_key_in_state_resets(web) -> None:
    device = LocalDevice()
    device.session_id = "amzn1.echo-api.session.fuzz"
    device.attributes = {"state": {"mode": "menu", "last": [{"say": "no.such.key"}]}}
    resp = web.send(device.intent("AMAZON.RepeatIntent"))
    check_answer(web, resp, "IntentRequest")


def test_found_superscript_digit_typed_on_the_web_page_is_not_a_500(page) -> None:
    """The web API fuzzer's first find: "¹".isdigit() is True but int("¹") raised."""
    client = page.test_client()
    client.post("/api/start", json={"locale": "en-US"})
    resp = client.post("/api/talk", json={"locale": "en-US", "text": "hold for ¹ seconds"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:200]


# --- last: the logs of everything above ------------------------------------------------------

RAW_IDS = re.compile(r"amzn1\.ask\.account\.[\w.-]+|amzn1\.ask\.device\.[\w.-]+"
                     r"|\bweb-[0-9a-f]{32}\b")


def test_the_fuzzers_logs_hold_no_raw_id_and_no_raw_nul(fuzz_log) -> None:
    """Run last in this module: greps every line the fuzzed app logged."""
    text = fuzz_log.text()
    assert text.count("\n") > 1000, "the fuzzer should have produced a real log"
    assert " user=" in text, "requests are logged with a pseudonym"
    found = sorted(set(RAW_IDS.findall(text)))
    assert not found, f"raw ids in the log: {found[:5]}"
    assert "\x00" not in text, "a raw NUL in the log"
