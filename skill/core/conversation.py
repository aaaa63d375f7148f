"""What the conversation is made of (pure Python): its state, events, facts and decisions.

The functions that answer each intent live in :mod:`skill.core.menu_turns` and
:mod:`skill.core.stretch_turns`; :mod:`skill.core.dialogue` picks one per turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from skill.core.effects import Effect
from skill.core.limits import MAX_CLIP_MS, MAX_REPROMPT_SECONDS
from skill.core.parts import Cue, Part, Pause, Say, Wait
from skill.core.playback import Card
from skill.core.progress import Preferences
from skill.core.session_plan import AudioMode

SECTIONS: tuple[str, ...] = (
    "symptoms", "causes", "prognosis", "treatment", "exercises", "seek_care",
)
INTENT_SECTIONS: dict[str, str] = {
    "SymptomsIntent": "symptoms",
    "CausesIntent": "causes",
    "PrognosisIntent": "prognosis",
    "TreatmentIntent": "treatment",
    "ExercisesInfoIntent": "exercises",
    "SeekCareIntent": "seek_care",
}
#: Every intent the dialogue answers as InfoIntent with that section: the topic intents
#: read their section, ClinicIntent gives the number as InfoIntent{section: clinic} does.
TOPIC_SECTIONS: dict[str, str] = {**INTENT_SECTIONS, "ClinicIntent": "clinic"}
INFO_INTENT = "InfoIntent"
#: InfoIntent's section for the leaflet as a whole (also what no or an unknown section means).
WHOLE_LEAFLET = "about"


def as_info_request(intent: str, slots: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The request in the form the dialogue treats it: a topic intent as InfoIntent{section}.

    "what are the symptoms" as SymptomsIntent and "read the symptoms part" as
    InfoIntent{section: symptoms} get the same answer; scoring understanding compares
    requests in this form, so that two names for one answer are not counted as a miss.
    """
    if intent in TOPIC_SECTIONS:
        return INFO_INTENT, {**slots, "section": TOPIC_SECTIONS[intent]}
    if intent == INFO_INTENT and slots.get("section") not in TOPIC_SECTIONS.values():
        return INFO_INTENT, {**slots, "section": WHOLE_LEAFLET}
    return intent, dict(slots)


MODES = ("menu", "info", "clinic", "stretch")
PENDING = ("next_section", "offer_stretch", "repeat_number", "continue_place", "checkin",
           "reminders", "delete_data")

LAUNCH = "LaunchRequest"
SESSION_ENDED = "SessionEndedRequest"

MAX_REMEMBERED_PARTS = 60
#: Limits on what comes back in session attributes (Alexa echoes them; anyone with a signed
#: request or invoke rights could choose them): far above what the dialogue itself writes,
#: far below what would make rendering or its cache costly.
MAX_KEY_CHARS = 80
MAX_PARAMS = 4
MAX_PARAM_CHARS = 64
MAX_PARAM_INT = 100_000
MAX_REMEMBERED_MS = MAX_CLIP_MS  # one answer (Alexa's limit)
MAX_REMEMBERED_REPROMPT_MS = int(MAX_REPROMPT_SECONDS * 1000)


def _param_ok(name: object, value: object) -> bool:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_PARAM_CHARS:
        return False
    if isinstance(value, str):
        return len(value) <= MAX_PARAM_CHARS
    return type(value) is int and abs(value) <= MAX_PARAM_INT


def part_to_dict(part: Part) -> dict[str, Any]:
    if isinstance(part, Say):
        return {"say": part.key, "p": dict(part.params)}
    if isinstance(part, Pause):
        return {"pause": part.ms}
    if isinstance(part, Wait):
        return {"wait": part.ms}
    return {"cue": part.name}


_NO_PARAMS: Mapping[str, object] = {}


def part_from_dict(data: Any) -> Part:
    """Rebuild a part from session storage; raise ValueError on anything odd."""
    if type(data) is not dict and not isinstance(data, Mapping):  # the ABC check is slow
        raise ValueError("part is not a mapping")
    if "say" in data:
        key, params = data["say"], data.get("p", _NO_PARAMS)
        if type(params) is not dict and not isinstance(params, Mapping):
            raise ValueError("bad say part")
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS \
                or len(params) > MAX_PARAMS:
            raise ValueError("bad say part")
        if params and not all(_param_ok(k, v) for k, v in params.items()):
            raise ValueError("bad say params")
        return Say(key, dict(params))
    if "pause" in data:
        ms = data["pause"]
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_CLIP_MS:
            raise ValueError("bad pause")
        return Pause(ms)
    if "wait" in data:
        return Wait(_ms(data["wait"], "wait"))
    if "cue" in data and isinstance(data["cue"], str) and len(data["cue"]) <= MAX_KEY_CHARS:
        return Cue(data["cue"])
    raise ValueError("unknown part")


def parts_from_list(data: Any, max_ms: int) -> list[Part]:
    """At most :data:`MAX_REMEMBERED_PARTS` stored parts with at most ``max_ms`` of silence."""
    if not isinstance(data, list) or len(data) > MAX_REMEMBERED_PARTS:
        raise ValueError("bad remembered speech")
    parts = [part_from_dict(p) for p in data]
    if sum(p.ms for p in parts if isinstance(p, Pause)) > max_ms:
        raise ValueError("remembered speech is too long")
    return parts


@dataclass
class DialogueState:
    """Everything the conversation remembers between turns (stored in session attributes)."""

    mode: str = "menu"
    section: int = 0
    pending: str | None = None
    last: list[Part] = field(default_factory=list)
    last_reprompt: list[Part] = field(default_factory=list)
    stretch: dict[str, Any] | None = None
    played: dict[str, Any] | None = None
    """The last stretch answer's timeline: ``at`` (its request's timestamp, ISO 8601),
    ``ms`` (its planned length) and ``holds`` (when each hold's release cue ended, ms from
    its start). Set by the Alexa layer, which has the timestamps; see
    :func:`skill.core.stretch_turns.settle_place`."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "section": self.section,
            "pending": self.pending,
            "last": [part_to_dict(p) for p in self.last],
            "last_reprompt": [part_to_dict(p) for p in self.last_reprompt],
            "stretch": self.stretch,
            "played": self.played,
        }

    @classmethod
    def from_dict(cls, data: Any) -> DialogueState:
        """Load stored state; raise ValueError when it was tampered with or is malformed."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValueError("state is not a mapping")
        mode = data.get("mode", "menu")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        section = data.get("section", 0)
        if not isinstance(section, int) or isinstance(section, bool) \
                or not 0 <= section < len(SECTIONS):
            raise ValueError(f"bad section {section!r}")
        pending = data.get("pending")
        if pending is not None and pending not in PENDING:
            raise ValueError(f"unknown pending question {pending!r}")
        stretch = data.get("stretch")
        if stretch is not None:
            from skill.core.stretch import StretchState  # raises ValueError when malformed

            stretch = StretchState.from_dict(stretch).to_dict()
        return cls(
            mode=mode,
            section=section,
            pending=pending,
            last=parts_from_list(data.get("last", []), MAX_REMEMBERED_MS),
            last_reprompt=parts_from_list(data.get("last_reprompt", []),
                                          MAX_REMEMBERED_REPROMPT_MS),
            stretch=stretch,
            played=_played(data.get("played")),
        )


@dataclass(frozen=True)
class Event:
    """What the user did: a request type or an intent name, with resolved slot ids."""

    name: str
    slots: Mapping[str, str | None] = field(default_factory=dict)

    def slot(self, name: str) -> str | None:
        value = self.slots.get(name)
        return value if value else None


class Facts(Protocol):
    """What the dialogue may ask about the user (read lazily by the Alexa layer)."""

    @property
    def returning(self) -> bool: ...
    @property
    def place_today(self) -> Mapping[str, Any] | None: ...
    @property
    def checkin_due(self) -> bool: ...
    @property
    def sessions_today(self) -> int: ...
    @property
    def has_reminders(self) -> bool: ...
    @property
    def audio_mode(self) -> AudioMode: ...
    @property
    def booking_url(self) -> str | None: ...
    @property
    def preferences(self) -> Preferences: ...
    @property
    def language_choice(self) -> bool: ...


@dataclass(frozen=True)
class UserFacts:
    """Facts known up front (tests, the fuzzer); satisfies :class:`Facts`."""

    returning: bool = False
    place_today: Mapping[str, Any] | None = None
    """A stretch session stopped earlier today (a serialised ``StretchState``)."""
    checkin_due: bool = False
    """Three weeks since the first session, and no "is it better?" asked this week."""
    sessions_today: int = 0
    has_reminders: bool = False
    audio_mode: AudioMode = AudioMode.CUE_CLIPS
    booking_url: str | None = None
    """The deployment's online booking page (``Settings.booking_url``), for the card."""
    preferences: Preferences = Preferences()
    language_choice: bool = True
    """The user may choose the answers' language (an English Echo: Swedish or English)."""


@dataclass
class Decision:
    """What to do this turn. ``reprompt is None`` ends the session."""

    state: DialogueState
    speech: list[Part]
    reprompt: list[Part] | None
    card: Card | None = None
    effects: list[Effect] = field(default_factory=list)
    """What the Alexa layer must carry out (:mod:`skill.core.effects`); the words its
    outcome adds are put before the last part of ``speech`` by ``effects.finish``."""

    @property
    def ends_session(self) -> bool:
        return self.reprompt is None




def ask(state: DialogueState, speech: list[Part], reprompt: list[Part],
        card: Card | None = None, remember: bool = True) -> Decision:
    """An open turn: remember what was said so "repeat" can say it again.

    A stretch turn is not remembered word for word (``remember=False``): "repeat" there
    means "repeat this exercise", which the stretch state can replay, and the long timed
    answers would only bloat the session attributes sent back and forth every turn.
    """
    state.last = list(speech)[-MAX_REMEMBERED_PARTS:] if remember else []
    state.last_reprompt = list(reprompt)[-MAX_REMEMBERED_PARTS:]
    return Decision(state=state, speech=speech, reprompt=reprompt, card=card)


def menu(state: DialogueState, lead: list[Part] | None = None) -> Decision:
    """Back to the three offers, after ``lead`` (if any)."""
    state.mode, state.pending = "menu", None
    return ask(state, [*(lead or []), Say("menu.prompt")], [Say("menu.reprompt")])


Handler = Callable[[DialogueState, "Event", "Facts"], Decision]
"""One small named function per (mode, intent): state, event and facts in, decision out."""


def _ms(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CLIP_MS:
        raise ValueError(f"bad {what}")
    return value


def _played(data: Any) -> dict[str, Any] | None:
    """A stored answer timeline, checked (see ``DialogueState.played``)."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != {"at", "ms", "holds"}:
        raise ValueError("bad played timeline")
    at, ms, holds = data["at"], _ms(data["ms"], "played length"), data["holds"]
    if not isinstance(at, str) or len(at) > 40:
        raise ValueError("bad played timestamp")
    if not isinstance(holds, list) or len(holds) > 10 or not all(
            type(h) is int and 0 <= h <= ms for h in holds) or holds != sorted(holds):
        raise ValueError("bad played holds")
    return {"at": at, "ms": ms, "holds": list(holds)}
