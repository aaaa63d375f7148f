"""Hypothesis profiles and strategies for ``tests/test_fuzz.py``.

Profiles (chosen by the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (default): a few thousand cases in total, reproducible (``derandomize``), no
  deadline (the first Swedish answers load clip manifests), no example database.
* ``long``: at least 10,000 cases in total (weights add up to 7.5 x 1400); see
  ``docs/fuzzing.md``.

Each test asks for ``budget(weight)``: ``weight`` times the profile's ``max_examples``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from skill.alexa.envelopes import LocalDevice, slot_json
from skill.content import load_content
from skill.core import dialogue, stretch
from skill.core.dialogue import MODES, PENDING, SECTIONS, DialogueState, Event, UserFacts
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.session_plan import EXERCISES, HOLD_MAX, HOLD_MIN, REPS, AudioMode

_COMMON = dict(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
settings.register_profile("ci", max_examples=350, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=1400, derandomize=False, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def budget(weight: float = 1.0) -> settings:
    """Settings for one test: ``weight`` x the profile's max_examples."""
    return settings(max_examples=max(10, int(settings.default.max_examples * weight)))


# --- the interaction models -----------------------------------------------------------------

MODELS_DIR = Path(__file__).resolve().parent.parent / "interaction_models"


def _load_models() -> dict[str, dict[str, Any]]:
    """locale -> {"intents": {name: {slot: type}}, "types": {type: {id: [synonyms]}}}."""
    models: dict[str, dict[str, Any]] = {}
    for locale in SUPPORTED_LOCALES:
        data = json.loads((MODELS_DIR / f"{locale}.json").read_text(encoding="utf-8"))
        lm = data["interactionModel"]["languageModel"]
        intents = {i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])}
                   for i in lm["intents"]}
        types = {t["name"]: {v.get("id") or v["name"]["value"]:
                             [v["name"]["value"], *v["name"].get("synonyms", [])]
                             for v in t["values"]}
                 for t in lm.get("types", [])}
        models[locale] = {"intents": intents, "types": types}
    return models


MODELS = _load_models()
ALL_INTENTS: tuple[str, ...] = tuple(sorted({n for m in MODELS.values() for n in m["intents"]}))

ODD_LOCALES = ("", "sv", "SV-se", "en", "EN-us", "en-AU", "de-DE", "fr-FR", "xx-YY", "sv_SE",
               "zz", "-", "sv-SE-x-private", "ja-JP", "\u0000", "🦶-SE")
ODD_INTENTS = ("UnknownIntent", "AMAZON.SearchAction<object@WeatherForecast>",
               "AMAZON.ScrollUpIntent", "", " ", "InfoIntent ", "infointent", "🦶Intent",
               "AMAZON.SendToPhoneIntent")
ODD_REQUEST_TYPES = ("AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackFailed",
                     "CanFulfillIntentRequest", "Alexa.Presentation.APL.UserEvent",
                     "System.ExceptionEncountered", "Connections.Response",
                     "Display.ElementSelected", "PlaybackController.PlayCommandIssued",
                     "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.SkillAccountLinked",
                     "Messaging.MessageReceived", "Reminders.ReminderCreated")
SESSION_END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS")


def _texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
        st.sampled_from(["", " ", "?", "null", "None", "-", "<speak>", "</speak>", "&amp;",
                         "<break time='99s'/>", "{phone}", "{0}", "%s", "\u202e", "\ufeff",
                         "ä" * 3, "🦶🦶", "\n\t"]),
        st.builds(lambda c, n: c * n, st.sampled_from(["a", "ö", "🦶", " ", "<", "9 "]),
                  st.integers(1000, 15_000)),  # JSON-escaped: under the 256 KB limit
    )


def _numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-10**6, 10**6).map(str),
        st.integers(-2**80, 2**80).map(str),
        st.integers(15, 35).map(str),
        st.sampled_from(["0", "-0", "00020", "20.5", "1e3", "NaN", "inf", "-1", "3", "?",
                         " 25 ", "+25", "٢٥", "２５", "twenty", "tjugo", "0x1F"]),
        st.integers(300, 6000).map(lambda n: "9" * n),
        st.sampled_from(["²", "³", "①", "߂"]),
    )


def slot_value(locale: str, slot_type: str) -> st.SearchStrategy[tuple[str | None, str | None]]:
    """(spoken value, resolved id) for a slot of ``slot_type`` in ``locale``'s model."""
    values = MODELS.get(locale, MODELS["en-US"])["types"].get(slot_type)
    if values:
        known = st.sampled_from(sorted(values)).flatmap(
            lambda vid: st.tuples(st.sampled_from(values[vid]), st.one_of(st.just(vid),
                                                                          st.none())))
    else:
        known = st.tuples(_numbers(), st.none())
    odd = st.tuples(st.one_of(st.none(), _texts(), _numbers()),
                    st.one_of(st.none(), st.sampled_from(["about", "clinic", "9", "", "x"]),
                              _texts()))
    return st.one_of(known, odd)


@st.composite
def slots(draw, locale: str, intent: str) -> dict[str, dict[str, Any]]:
    """The intent's slots from the model: missing, empty, known, unknown, huge, numbers."""
    model = MODELS.get(locale, MODELS["en-US"])["intents"].get(intent, {})
    out: dict[str, dict[str, Any]] = {}
    for name, slot_type in model.items():
        shape = draw(st.sampled_from(["missing", "no_value", "value", "resolved",
                                      "no_match"]))
        if shape == "missing":
            continue
        if shape == "no_value":
            out[name] = slot_json(name, None)
            continue
        value, vid = draw(slot_value(locale, slot_type))
        if shape == "resolved" and vid is not None:
            out[name] = slot_json(name, value, vid, vid, slot_type)
        else:
            out[name] = slot_json(name, value)
            if shape == "no_match":
                out[name]["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": "amzn1.er-authority.echo-sdk.x." + slot_type,
                    "status": {"code": "ER_SUCCESS_NO_MATCH"}}]}
    if draw(st.booleans()) and draw(st.booleans()):  # a slot the model does not have
        extra = draw(st.sampled_from(["seconds", "exercise", "section", "x", "🦶"]))
        value = draw(st.one_of(st.none(), _numbers(), _texts()))
        out.setdefault(extra, slot_json(extra, value))
    return out


# --- requests --------------------------------------------------------------------------------

def locales() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SUPPORTED_LOCALES), st.sampled_from(SUPPORTED_LOCALES),
                     st.sampled_from(ODD_LOCALES), st.text(max_size=12))


@st.composite
def requests(draw, locale: str) -> dict[str, Any]:
    """The ``request`` object of an envelope: every type Alexa sends us, and some it won't."""
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "intent", "ended",
                                 "disabled", "unknown"]))
    if kind == "launch":
        return {"type": "LaunchRequest"}
    if kind == "ended":
        req: dict[str, Any] = {"type": "SessionEndedRequest",
                               "reason": draw(st.sampled_from(SESSION_END_REASONS))}
        if req["reason"] == "ERROR" and draw(st.booleans()):
            req["error"] = {"type": "INVALID_RESPONSE", "message": draw(_texts())}
        return req
    if kind == "disabled":
        return {"type": "AlexaSkillEvent.SkillDisabled"}
    if kind == "unknown":
        return {"type": draw(st.sampled_from(ODD_REQUEST_TYPES))}
    model_locale = locale if locale in MODELS else "en-US"
    name = draw(st.one_of(st.sampled_from(ALL_INTENTS), st.sampled_from(ALL_INTENTS),
                          st.sampled_from(ODD_INTENTS)))
    return {
        "type": "IntentRequest",
        "dialogState": draw(st.sampled_from(["COMPLETED", "STARTED", "IN_PROGRESS"])),
        "intent": {"name": name, "confirmationStatus": "NONE",
                   "slots": draw(slots(model_locale, name))},
    }


def envelope_for(device: LocalDevice, request: dict[str, Any],
                 now: datetime | None = None) -> dict[str, Any]:
    """``device``'s envelope for ``request``; skill events carry their timestamps and, as
    Alexa's do, no session."""
    env = device.envelope(request, now)
    if request["type"].startswith("AlexaSkillEvent."):
        stamp = env["request"]["timestamp"]
        env["request"].setdefault("eventCreationTime", stamp)
        env["request"].setdefault("eventPublishingTime", stamp)
        env["request"].setdefault("body", {})
        env.pop("session", None)
        device.session_id = None
    return env


# --- dialogue states -------------------------------------------------------------------------

def stretch_dicts() -> st.SearchStrategy[dict[str, Any]]:
    """Valid serialised ``StretchState``s (every field within its range)."""

    @st.composite
    def build(draw):
        rep = draw(st.integers(0, REPS))
        return stretch.StretchState(
            exercise=draw(st.sampled_from(EXERCISES)), rep=rep,
            hold_seconds=draw(st.integers(HOLD_MIN, HOLD_MAX)),
            paused=draw(st.booleans()), only=draw(st.booleans()),
            started=draw(st.dates(date(2020, 1, 1), date(2035, 1, 1))).isoformat(),
            segment_start=draw(st.integers(0, rep)),
        ).to_dict()

    return build()


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                 st.floats(allow_nan=False), st.text(max_size=20),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                       st.integers(),
                                                                       max_size=3))


@st.composite
def tampered_stretch(draw) -> Any:
    """A stretch dict with one thing wrong (type, range, key), or not a dict at all."""
    base = draw(stretch_dicts())
    how = draw(st.sampled_from(["junk_value", "bool_for_int", "out_of_range", "missing_key",
                                "extra_key", "bad_date", "float", "not_a_dict", "version"]))
    key = draw(st.sampled_from(sorted(base)))
    if how == "junk_value":
        base[key] = draw(JUNK)
    elif how == "bool_for_int":
        base[key] = draw(st.booleans())
    elif how == "out_of_range":
        base[key] = draw(st.one_of(st.integers(-2**64, -1), st.integers(31, 2**64)))
    elif how == "missing_key":
        del base[key]
    elif how == "extra_key":
        base[draw(st.text(max_size=8))] = draw(JUNK)
    elif how == "bad_date":
        base["started"] = draw(st.sampled_from(["2024-02-30", "yesterday", "", "2024-1-1",
                                                "99999-01-01", "2024-01-01T00:00"]))
    elif how == "float":
        base[key] = 1.5
    elif how == "version":
        base["v"] = draw(st.integers(-3, 5))
    else:
        return draw(st.one_of(JUNK, st.lists(st.integers(), max_size=5)))
    return base


def _content_keys() -> list[str]:
    return sorted(load_content("en-US").strings)


def _placeholders(key: str) -> set[str]:
    from skill.content import placeholders

    return {p for loc in SUPPORTED_LOCALES
            for p in placeholders(load_content(loc).strings.get(key, ""))} - {"phone"}


@st.composite
def known_parts(draw) -> dict[str, Any]:
    """A stored part that names a real content key with all of its params (odd values)."""
    kind = draw(st.sampled_from(["say", "say", "pause", "cue"]))
    if kind == "pause":  # within the stored-speech limits: 6 x 30 s and 3 x 30 s
        return {"pause": draw(st.integers(0, 30_000))}
    if kind == "cue":
        return {"cue": draw(st.sampled_from(["hold_start", "hold_end"]))}
    key = draw(st.sampled_from(_content_keys()))
    text = st.text(max_size=30)  # control characters included
    params = {name: draw(st.one_of(st.integers(-10**5, 10**5), text))
              for name in sorted(_placeholders(key))}
    return {"say": key, "p": params}


@st.composite
def random_valid_states(draw) -> dict[str, Any]:
    """States ``DialogueState.from_dict`` accepts, in combinations the dialogue never makes."""
    return {
        "mode": draw(st.sampled_from(MODES)),
        "section": draw(st.integers(0, len(SECTIONS) - 1)),
        "pending": draw(st.one_of(st.none(), st.sampled_from(PENDING))),
        "last": draw(st.lists(known_parts(), max_size=6)),
        "last_reprompt": draw(st.lists(known_parts(), max_size=3)),
        "stretch": draw(st.one_of(st.none(), stretch_dicts())),
    }


@st.composite
def tampered_states(draw) -> Any:
    """What ``DialogueState.from_dict`` must reject (or survive): wrong types, huge lists,
    unknown modes and pendings, tampered stretch dicts, malformed parts."""
    state = draw(random_valid_states())
    how = draw(st.sampled_from(["mode", "section", "pending", "last_type", "huge_last",
                                "bad_part", "stretch", "stretch", "junk_key", "not_a_dict",
                                "missing_keys"]))
    if how == "mode":
        state["mode"] = draw(st.one_of(st.text(max_size=12), JUNK))
    elif how == "section":
        state["section"] = draw(st.one_of(st.integers(-2**64, 2**64), JUNK))
    elif how == "pending":
        state["pending"] = draw(st.one_of(st.text(min_size=1, max_size=12), JUNK))
    elif how == "last_type":
        state[draw(st.sampled_from(["last", "last_reprompt"]))] = draw(JUNK)
    elif how == "huge_last":
        state["last"] = [{"pause": 1}] * draw(st.integers(121, 3000))
    elif how == "bad_part":
        state["last"] = [draw(st.one_of(
            JUNK,
            st.fixed_dictionaries({"say": JUNK}),
            st.fixed_dictionaries({"say": st.sampled_from(_content_keys()),
                                   "p": st.one_of(JUNK, st.dictionaries(
                                       st.text(max_size=5), JUNK, max_size=3))}),
            st.fixed_dictionaries({"pause": st.one_of(JUNK, st.integers(-10**9, 10**9))}),
            st.fixed_dictionaries({"cue": JUNK}),
        ))]
    elif how == "stretch":
        state["stretch"] = draw(tampered_stretch())
        state["mode"] = draw(st.sampled_from(["stretch", "stretch", "menu"]))
    elif how == "junk_key":
        state[draw(st.text(max_size=8))] = draw(JUNK)
    elif how == "missing_keys":
        for key in draw(st.lists(st.sampled_from(sorted(state)), max_size=6)):
            state.pop(key, None)
    else:
        return draw(JUNK)
    return state


# --- pure dialogue events --------------------------------------------------------------------

DIALOGUE_EVENTS = (dialogue.LAUNCH, dialogue.SESSION_ENDED, *ALL_INTENTS, *ODD_INTENTS)


@st.composite
def dialogue_events(draw) -> Event:
    name = draw(st.sampled_from(DIALOGUE_EVENTS))
    slot_values = st.one_of(st.none(), st.sampled_from(["1", "2", "3", "about", "clinic",
                                                        *SECTIONS, "", "0", "4", "ä" * 5000]),
                            _numbers(), st.text(max_size=12), st.just("²"),
                            st.just("9" * 5000))
    names = st.sampled_from(["seconds", "exercise", "section"])
    return Event(name, draw(st.dictionaries(names, slot_values, max_size=3)))


@st.composite
def user_facts(draw) -> UserFacts:
    place = draw(st.one_of(st.none(), stretch_dicts(), tampered_stretch()))
    return UserFacts(
        returning=draw(st.booleans()),
        place_today=place if isinstance(place, dict) or place is None else None,
        checkin_due=draw(st.booleans()),
        sessions_today=draw(st.integers(0, 50)),
        has_reminders=draw(st.booleans()),
        # CLIPS cannot fit a timed hold in 5 tags by design; no locale uses it
        audio_mode=draw(st.sampled_from([AudioMode.TEXT, AudioMode.CUE_CLIPS,
                                         AudioMode.MERGED])),
    )


@st.composite
def driven_states(draw, max_turns: int = 12) -> dict[str, Any]:
    """A state the dialogue itself reaches: a launch, then random events through ``decide``."""
    facts = draw(user_facts())
    state = dialogue.decide(DialogueState(), Event(dialogue.LAUNCH), facts).state
    for event in draw(st.lists(dialogue_events(), max_size=max_turns)):
        decision = dialogue.decide(state, event, facts)
        state = DialogueState() if decision.ends_session else decision.state
    return state.to_dict()


def session_attributes() -> st.SearchStrategy[dict[str, Any]]:
    """Session attributes as a device would send back: valid, odd-but-valid or tampered,
    sometimes with a tampered time zone and unknown keys next to the state."""
    state = st.one_of(driven_states(), driven_states(), random_valid_states(),
                      tampered_states())
    extras = st.dictionaries(
        st.sampled_from(["tz", "x", "ask_reminder_permission", ""]),
        st.one_of(st.sampled_from(["Europe/Stockholm", "America/New_York", "Mars/Olympus",
                                   "../../etc/passwd", "UTC", "", "Etc/GMT+14"]), JUNK),
        max_size=2)
    return st.one_of(
        st.just({}),
        st.builds(lambda s, e: {**e, "state": s}, state, extras),
    )


def now() -> datetime:
    return datetime.now(UTC)


# --- the web page's API and /audio/ paths ------------------------------------------------------

def api_bodies() -> st.SearchStrategy[bytes]:
    """What a browser (or anyone) may POST to ``/api/start`` and ``/api/talk``."""
    good_locale = st.sampled_from([*SUPPORTED_LOCALES, "sv-se", "xx-XX", "", "en"])
    field = st.one_of(good_locale, st.none(), st.integers(), st.lists(st.text(max_size=3),
                                                                      max_size=2))
    objects = st.fixed_dictionaries(
        {"locale": st.one_of(good_locale, field)},
        optional={"text": st.one_of(_texts(), field), "extra": field})
    return st.one_of(
        objects.map(lambda o: json.dumps(o).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"{", b"[" * 100_000, b"null", b"[]", b'{"locale": NaN}',
                         b"\xff\xfe", b'{"locale": "sv-SE", "text": "\\ud800"}']),
    )


def audio_paths() -> st.SearchStrategy[str]:
    """Paths after ``/audio/``, percent-encoded as a client would send them."""
    from urllib.parse import quote

    pieces = st.one_of(st.text(max_size=20), st.sampled_from(
        ["sv-SE", "en-US", "joined", "manifest.json", "..", ".", "", "\x00", "%00", ".mp3",
         "a.MP3", "..%2f", "\\", "~", "README.md", "__init__.py"]))
    return st.lists(pieces, min_size=1, max_size=5).map(
        lambda parts: "/".join(quote(p, safe="") for p in parts))
