"""The conversation as a small explicit state machine (pure Python, no ask-sdk).

``decide(state, event, facts)`` takes the current :class:`DialogueState`, what the user
said (:class:`Event`) and what we know about them (:class:`Facts`), and returns a
:class:`Decision`: the next state, the parts to say, the reprompt, a card, and the
side effects the handler layer must carry out (persisting progress, reminders, ...).

Modes: ``menu`` (the three offers), ``info`` (reading the leaflet one section at a time),
``clinic`` (the number has been given). Help, stop, cancel, fallback, repeat and session
end work in every mode; an answer to a yes/no question is routed by ``pending``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from skill.core import stretch
from skill.core.effects import (
    ClearPlace,
    CreateReminders,
    DeleteData,
    DeleteReminders,
    Effect,
    MarkCheckin,
    RecordSession,
    SavePlace,
    SavePreferences,
)
from skill.core.limits import MAX_CLIP_MS
from skill.core.parts import Cue, Part, Pause, Say, Wait, ref
from skill.core.playback import Card
from skill.core.progress import Preferences, count_today_say, ordinal_key
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
MODES = ("menu", "info", "clinic", "stretch")
PENDING = ("next_section", "offer_stretch", "repeat_number", "continue_place", "checkin",
           "reminders", "delete_data")

LAUNCH = "LaunchRequest"
SESSION_ENDED = "SessionEndedRequest"

MAX_REMEMBERED_PARTS = 60


def part_to_dict(part: Part) -> dict[str, Any]:
    if isinstance(part, Say):
        return {"say": part.key, "p": dict(part.params)}
    if isinstance(part, Pause):
        return {"pause": part.ms}
    if isinstance(part, Wait):
        return {"wait": part.ms}
    return {"cue": part.name}


def part_from_dict(data: Any) -> Part:
    """Rebuild a part from session storage; raise ValueError on anything odd."""
    if not isinstance(data, Mapping):
        raise ValueError("part is not a mapping")
    if "say" in data:
        key, params = data["say"], data.get("p", {})
        if not isinstance(key, str) or not isinstance(params, Mapping):
            raise ValueError("bad say part")
        if not all(isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
                   for k, v in params.items()):
            raise ValueError("bad say params")
        return Say(key, dict(params))
    if "pause" in data:
        ms = data["pause"]
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_CLIP_MS:
            raise ValueError("bad pause")
        return Pause(ms)
    if "wait" in data:
        ms = data["wait"]
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_CLIP_MS:
            raise ValueError("bad wait")
        return Wait(ms)
    if "cue" in data and isinstance(data["cue"], str):
        return Cue(data["cue"])
    raise ValueError("unknown part")


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
    its start). Set by the front end that knows the timestamps; see :func:`settle_place`."""

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
        last, last_reprompt = data.get("last", []), data.get("last_reprompt", [])
        if not isinstance(last, list) or not isinstance(last_reprompt, list) \
                or len(last) + len(last_reprompt) > 2 * MAX_REMEMBERED_PARTS:
            raise ValueError("bad remembered speech")
        stretch = data.get("stretch")
        if stretch is not None and not isinstance(stretch, Mapping):
            raise ValueError("bad stretch state")
        return cls(
            mode=mode,
            section=section,
            pending=pending,
            last=[part_from_dict(p) for p in last],
            last_reprompt=[part_from_dict(p) for p in last_reprompt],
            stretch=dict(stretch) if stretch is not None else None,
            played=_played(data.get("played")),
        )


def _played(data: Any) -> dict[str, Any] | None:
    """A stored answer timeline, checked (see ``DialogueState.played``)."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or set(data) != {"at", "ms", "holds"}:
        raise ValueError("bad played timeline")
    at, ms, holds = data["at"], data["ms"], data["holds"]
    if not isinstance(at, str) or len(at) > 40:
        raise ValueError("bad played timestamp")
    if type(ms) is not int or not 0 <= ms <= MAX_CLIP_MS:
        raise ValueError("bad played length")
    if not isinstance(holds, list) or len(holds) > 10 or not all(
            type(h) is int and 0 <= h <= ms for h in holds) or holds != sorted(holds):
        raise ValueError("bad played holds")
    return {"at": at, "ms": ms, "holds": list(holds)}


#: Requests that interrupt a stretch answer and keep the place where it was: stop, pause,
#: "how many are left" and the session ending. "Yes", "next" and the like move on.
INTERRUPTIONS = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent",
                           "AMAZON.NoIntent", "ProgressIntent", SESSION_ENDED})


def settle_place(state: DialogueState, elapsed_ms: int | None,
                 event: str = "AMAZON.PauseIntent") -> DialogueState:
    """Where the stretch session really is when ``event`` (an interruption: stop, pause,
    "how many are left") comes ``elapsed_ms`` after the last stretch answer began.

    Inside that answer (the user spoke over it: stop, pause, "how many are left") only
    the holds heard to their release count, and the hold in progress stays the place;
    after the answer's planned end everything in it was heard and the session moves on.
    """
    if state.mode != "stretch" or not state.stretch or not state.played \
            or event not in INTERRUPTIONS \
            or elapsed_ms is None or elapsed_ms >= state.played["ms"]:
        return state
    try:
        current = stretch.StretchState.from_dict(state.stretch)
    except ValueError:
        return state
    heard = sum(1 for end in state.played["holds"] if end <= elapsed_ms)
    state.stretch = stretch.settle(current, heard).to_dict()
    state.played = None
    return state


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


def _ask(state: DialogueState, speech: list[Part], reprompt: list[Part],
         card: Card | None = None, remember: bool = True) -> Decision:
    """An open turn: remember what was said so "repeat" can say it again.

    A stretch turn is not remembered word for word (``remember=False``): "repeat" there
    means "repeat this exercise", which the stretch state can replay, and the long timed
    answers would only bloat the session attributes sent back and forth every turn.
    """
    state.last = list(speech)[-MAX_REMEMBERED_PARTS:] if remember else []
    state.last_reprompt = list(reprompt)[-MAX_REMEMBERED_PARTS:]
    return Decision(state=state, speech=speech, reprompt=reprompt, card=card)


def _menu(state: DialogueState, lead: list[Part] | None = None) -> Decision:
    state.mode, state.pending = "menu", None
    return _ask(state, [*(lead or []), Say("menu.prompt")], [Say("menu.reprompt")])


def _section(state: DialogueState, index: int) -> Decision:
    state.mode, state.section = "info", index
    section = SECTIONS[index]
    speech: list[Part] = [Say(f"info.sections.{section}.body")]
    if index + 1 < len(SECTIONS):
        offer = Say("info.next_offer",
                    {"title": ref(f"info.sections.{SECTIONS[index + 1]}.title")})
        state.pending = "next_section"
    else:
        offer = Say("info.booking_offer")
        state.pending = "next_section"
    speech.append(offer)
    card = Card(title=Say(f"info.sections.{section}.title"),
                lines=(Say(f"info.sections.{section}.body"),))
    return _ask(state, speech, [offer], card)


def _clinic_card(facts: UserFacts) -> Card:
    web = Say("clinic.card_web_link", {"url": facts.booking_url}) if facts.booking_url \
        else Say("clinic.card_web")
    return Card(title=Say("clinic.card_title"), lines=(Say("clinic.card_text"), web))


def _clinic(state: DialogueState, facts: UserFacts) -> Decision:
    state.mode, state.pending = "clinic", "repeat_number"
    speech: list[Part] = [Say("clinic.speech"), Say("clinic.booking"), Say("clinic.repeat_offer")]
    return _ask(state, speech, [Say("clinic.repeat_offer")], _clinic_card(facts))


def _leaflet_end(state: DialogueState, facts: UserFacts) -> Decision:
    """Reading on past the last section: the leaflet ends with how to book and the number."""
    state.mode, state.section, state.pending = "info", len(SECTIONS) - 1, "offer_stretch"
    speech: list[Part] = [Say("clinic.speech"), Say("clinic.booking"), Say("info.last_offer")]
    return _ask(state, speech, [Say("info.last_offer")], _clinic_card(facts))


def _help(state: DialogueState) -> Decision:
    topic = {"info": "help.info", "clinic": "help.clinic"}.get(state.mode, "help.menu")
    return _ask(state, [Say("disclaimer"), Say(topic)], [Say("help.reprompt")])


def _goodbye(state: DialogueState) -> Decision:
    state.pending = None
    return Decision(state=state, speech=[Say("goodbye")], reprompt=None)


def _repeat(state: DialogueState) -> Decision:
    if not state.last:
        return _ask(state, [Say("repeat.nothing")], [Say("menu.reprompt")])
    return Decision(state=state, speech=list(state.last),
                    reprompt=list(state.last_reprompt) or [Say("menu.reprompt")])


def _fallback(state: DialogueState) -> Decision:
    return Decision(state=state, speech=[Say("fallback.general")],
                    reprompt=[Say("fallback.reprompt")])


def _yes(state: DialogueState, facts: UserFacts) -> Decision:
    pending = state.pending
    if pending == "next_section":
        return _next(state, facts)
    if pending == "repeat_number":
        return _ask(state, [Say("clinic.number_again"), Say("clinic.repeat_offer")],
                    [Say("clinic.repeat_offer")])
    return _menu(state)


def _next(state: DialogueState, facts: UserFacts) -> Decision:
    if state.mode == "info":
        if state.section + 1 < len(SECTIONS):
            return _section(state, state.section + 1)
        return _leaflet_end(state, facts)
    return _section(state, 0)


def _previous(state: DialogueState) -> Decision:
    if state.mode == "info" and state.pending == "offer_stretch":  # after the leaflet's end
        return _section(state, state.section)
    if state.mode == "info" and state.section > 0:
        return _section(state, state.section - 1)
    if state.mode == "info":
        decision = _section(state, 0)
        decision.speech.insert(0, Say("info.at_first"))
        return decision
    return _menu(state)


def _info(state: DialogueState, section: str | None, facts: UserFacts) -> Decision:
    if section == "clinic":
        return _clinic(state, facts)
    if section in SECTIONS:
        return _section(state, SECTIONS.index(section))
    return _section(state, 0)


STRETCH_EVENTS: dict[str, str] = {
    "AMAZON.NextIntent": "next",
    "AMAZON.PreviousIntent": "previous",
    "AMAZON.RepeatIntent": "repeat",
    "AMAZON.PauseIntent": "pause",
    "AMAZON.ResumeIntent": "resume",
    "AMAZON.YesIntent": "yes",
    "AMAZON.MoreIntent": "yes",
    "StartStretchIntent": "yes",
    "AMAZON.NoIntent": "no",
    "AMAZON.StopIntent": "stop",
    "AMAZON.CancelIntent": "stop",
    "AMAZON.HelpIntent": "help",
    "ProgressIntent": "how_many_left",
}


def _stretch_step(state: DialogueState, step: stretch.Step, facts: Facts) -> Decision:
    """Turn a stretch step into a decision: keep going, stop (keep place) or finish."""
    parts = list(step.parts)
    place = state.stretch = step.state.to_dict()
    if step.stopped:
        state.mode, state.pending = "menu", None
        effects: list[Effect] = [] if step.state.finished else [SavePlace(place)]
        return Decision(state=state, speech=parts, reprompt=None, effects=effects)
    if step.finished:
        whole = step.state.whole
        if whole:
            count = facts.sessions_today + 1
            key = ordinal_key(count)
            parts.append(count_today_say(ref(key) if key else None, count))
        else:
            parts.append(Say("stretch.not_counted"))
        state.mode, state.stretch = "menu", None
        if facts.has_reminders:
            decision = _menu(state, parts)
        else:
            state.pending = "reminders"
            offer = Say("reminders.offer")
            decision = _ask(state, [*parts, offer], [offer])
        if whole:
            decision.effects.append(RecordSession())
        return decision
    state.mode, state.pending = "stretch", None
    decision = _ask(state, parts, step.reprompt, remember=False)
    decision.effects.append(SavePlace(place))
    return decision


def _start_stretch(state: DialogueState, facts: Facts, hold: object = None,
                   only: object = None) -> Decision:
    prefs = facts.preferences
    step = stretch.start(hold_seconds=prefs.hold_seconds if hold in (None, "") else hold,
                         only=only if only not in (None, "") else None,
                         mode=facts.audio_mode, setup_seconds=prefs.setup_seconds)
    return _stretch_step(state, step, facts)


def _keep_preferences(decision: Decision, facts: Facts, hold: int | None = None,
                      setup: int | None = None) -> Decision:
    """Remember a hold or setup time the user set "from now on" for later sessions."""
    prefs = facts.preferences
    new = Preferences(hold if hold is not None else prefs.hold_seconds,
                      setup if setup is not None else prefs.setup_seconds)
    if new != prefs:
        decision.effects.append(SavePreferences(new.hold_seconds, new.setup_seconds))
    return decision


def _setup_value(event: Event) -> object:
    return event.slot("length") or event.slot("seconds")


def _set_setup(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Outside a session: change the setup time and go back to the menu."""
    current = facts.preferences.setup_seconds
    seconds = stretch.setup_change(current, _setup_value(event)) \
        or stretch.setup_change(current, "longer")
    decision = _menu(state, [Say("stretch.setup_set", {"seconds": seconds})])
    return _keep_preferences(decision, facts, setup=seconds)


def _hold_for_now_on(state: DialogueState, event: Event, facts: Facts) -> Decision:
    """Outside a session: "hold for 25 seconds from now on" starts one with that hold."""
    decision = _start_stretch(state, facts, hold=event.slot("seconds") or "")
    hold = state.stretch["hold_seconds"] if state.stretch else None
    return _keep_preferences(decision, facts, hold=hold if event.slot("seconds") else None)


def _in_stretch(state: DialogueState, event: Event, facts: Facts) -> Decision | None:
    """Route an event inside a running session; ``None`` means "leave the session"."""
    try:
        current = stretch.StretchState.from_dict(state.stretch)
    except ValueError:
        state.mode, state.stretch = "menu", None
        return None
    name = event.name
    if name == "AMAZON.StartOverIntent":
        return _start_stretch(state, facts, hold=current.hold_seconds)
    if name == "SetHoldTimeIntent":
        step = stretch.advance(current, stretch.Event.set_hold(event.slot("seconds")),
                               mode=facts.audio_mode)
        return _keep_preferences(_stretch_step(state, step, facts), facts,
                                 hold=step.state.hold_seconds)
    if name == "SetSetupTimeIntent":
        step = stretch.advance(current, stretch.Event.set_setup(_setup_value(event)),
                               mode=facts.audio_mode)
        return _keep_preferences(_stretch_step(state, step, facts), facts,
                                 setup=step.state.setup_seconds)
    if name == "ExerciseIntent":
        step = stretch.advance(current, stretch.Event.only_exercise(event.slot("exercise")),
                               mode=facts.audio_mode)
    elif name in STRETCH_EVENTS:
        step = stretch.advance(current, STRETCH_EVENTS[name], mode=facts.audio_mode)
    elif name == "AMAZON.FallbackIntent":
        step = stretch.advance(current, "help", mode=facts.audio_mode)
    else:
        return None
    return _stretch_step(state, step, facts)


def _launch(facts: Facts) -> Decision:
    state = DialogueState()
    if facts.place_today:
        try:
            place = stretch.StretchState.from_dict(facts.place_today)
        except ValueError:
            place = None
        if place is not None and not place.finished:
            state.pending, state.stretch = "continue_place", place.to_dict()
            number = place.exercise + 1 if place.rep >= stretch.REPS else place.exercise
            return _ask(state, [*_preference_words(facts.preferences),
                                Say("progress.continue_offer", {"exercise": number})],
                        [Say("progress.continue_reprompt")])
    if facts.checkin_due:
        state.pending = "checkin"
        decision = _ask(state, [Say("progress.checkin_question")],
                        [Say("progress.checkin_reprompt")])
        decision.effects.append(MarkCheckin())
        return decision
    welcome = "welcome.back" if facts.returning else "welcome.first"
    return _ask(state, [*_preference_words(facts.preferences), Say(welcome)],
                [Say("welcome.reprompt")])


def _preference_words(prefs: Preferences) -> list[Part]:
    """The user's own hold and setup times, said at launch when they are not the default."""
    default = Preferences()
    words: list[Part] = []
    if prefs.hold_seconds != default.hold_seconds:
        words.append(Say("progress.prefs_hold", {"seconds": prefs.hold_seconds}))
    if prefs.setup_seconds != default.setup_seconds:
        words.append(Say("progress.prefs_setup", {"seconds": prefs.setup_seconds}))
    return words


#: The yes/no questions :func:`_answer` handles (the others are about leaflet sections).
ANSWERED_QUESTIONS = ("continue_place", "checkin", "reminders", "offer_stretch", "delete_data")


def _answer(state: DialogueState, yes: bool, facts: Facts) -> Decision | None:
    """Yes/no (or "continue"/"start fresh") to the questions that are not about sections."""
    pending = state.pending
    if pending == "continue_place":
        if yes and state.stretch:
            place = stretch.StretchState.from_dict(state.stretch)
            return _stretch_step(state, stretch.advance(place, "resume",
                                                        mode=facts.audio_mode), facts)
        decision = _menu(state)
        state.stretch = None
        decision.effects.append(ClearPlace())
        return decision
    if pending == "checkin":
        return _menu(state, [Say("progress.checkin_better" if yes
                                 else "progress.checkin_not_better")])
    if pending == "reminders":
        return _confirmed(state, yes, CreateReminders(), Say("reminders.declined"))
    if pending == "offer_stretch" and yes:
        return _start_stretch(state, facts)
    if pending == "delete_data":
        return _confirmed(state, yes, DeleteData(), Say("privacy.kept"))
    return None


def _confirmed(state: DialogueState, yes: bool, effect: Effect, declined: Say) -> Decision:
    """Back to the menu after a yes/no: a yes carries out ``effect`` (its outcome is
    spoken before the menu question), a no says ``declined``."""
    if not yes:
        return _menu(state, [declined])
    decision = _menu(state)
    decision.effects.append(effect)
    return decision


def decide(state: DialogueState, event: Event, facts: Facts | None = None) -> Decision:
    """The one place where the conversation moves on."""
    facts = facts or UserFacts()
    name = event.name
    if name == LAUNCH:
        return _launch(facts)
    if name == SESSION_ENDED:
        effects: list[Effect] = [SavePlace(state.stretch)] \
            if state.mode == "stretch" and state.stretch else []
        return Decision(state=state, speech=[], reprompt=None, effects=effects)
    if state.mode == "stretch" and state.stretch:
        decision = _in_stretch(state, event, facts)
        if decision is not None:
            return decision
        state.mode = "menu"
    if name in ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.ResumeIntent",
                "AMAZON.StartOverIntent") and state.pending in ANSWERED_QUESTIONS:
        if name == "AMAZON.StartOverIntent" and state.pending == "continue_place":
            return _start_stretch(state, facts)
        answered = _answer(state, name in ("AMAZON.YesIntent", "AMAZON.ResumeIntent"), facts)
        if answered is not None:
            return answered
    if name == "StartStretchIntent":
        return _start_stretch(state, facts, hold=event.slot("seconds"))
    if name == "SetHoldTimeIntent":
        return _hold_for_now_on(state, event, facts)
    if name == "SetSetupTimeIntent":
        return _set_setup(state, event, facts)
    if name == "ExerciseIntent":
        return _start_stretch(state, facts, only=event.slot("exercise") or "0")
    if name == "ProgressIntent":
        count = facts.sessions_today
        lead = Say("progress.sessions_today", {"count": count}) if count else Say(
            "progress.none_today")
        return _menu(state, [lead])
    if name == "SetRemindersIntent":
        state.pending = "reminders"
        return _ask(state, [Say("reminders.times")], [Say("reminders.times_reprompt")])
    if name == "DeleteDataIntent":
        state.pending = "delete_data"
        return _ask(state, [Say("privacy.delete_confirm")], [Say("privacy.delete_reprompt")])
    if name == "StopRemindersIntent":
        decision = _menu(state)
        decision.effects.append(DeleteReminders())
        return decision
    if name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
        return _goodbye(state)
    if name == "AMAZON.HelpIntent":
        return _help(state)
    if name == "AMAZON.RepeatIntent":
        return _repeat(state)
    if name == "AMAZON.NavigateHomeIntent":
        return _menu(state)
    if name in INTENT_SECTIONS:
        return _section(state, SECTIONS.index(INTENT_SECTIONS[name]))
    if name == "InfoIntent":
        return _info(state, event.slot("section"), facts)
    if name == "ClinicIntent":
        return _clinic(state, facts)
    if name == "AMAZON.YesIntent":
        return _yes(state, facts)
    if name == "AMAZON.NoIntent":
        return _menu(state)
    if name in ("AMAZON.NextIntent", "AMAZON.MoreIntent"):
        return _next(state, facts)
    if name == "AMAZON.PreviousIntent":
        return _previous(state)
    if name == "AMAZON.StartOverIntent":
        return _section(state, 0) if state.mode == "info" else _menu(state)
    return _fallback(state)
