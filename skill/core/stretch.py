"""The guided stretch session as a pure state machine (no ask-sdk).

The dialogue keeps a :class:`StretchState` in the session attributes
(``state.to_dict()`` / ``StretchState.from_dict(d)``) and calls :func:`start` and
:func:`advance`; each returns a :class:`Step` with the new state and the parts of one
response (timed by :mod:`skill.core.session_plan`, which decides how much fits).

States (derived from the fields):

* running - a segment was sent and ends with a question ("Ready for repetition 3 of 3?",
  "Ready for the next exercise, number 2?"); ``rep`` counts the holds of ``exercise``
  done, including that segment's.
* between exercises - running with ``rep == 3``.
* paused - ``paused``; a skill cannot pause its own speech, so "pause" means the user
  interrupted. Where the speech had got to is settled first (:func:`settle`, from the
  request timestamps): an interrupted hold is done again on resume, a finished one is not.
* finished - ``rep == 3`` on the last exercise (or on the one exercise of ``only``).

Stop keeps the place: the returned state is the one to store for "continue next time".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from skill.core.parts import Part, Say
from skill.core.session_plan import (
    EXERCISES,
    HOLD_DEFAULT,
    HOLD_MAX,
    HOLD_MIN,
    REPS,
    SETUP_DEFAULT,
    SETUP_MAX,
    SETUP_MIN,
    SETUP_STEP,
    AudioMode,
    check_response,
    finish_parts,
    plan_exercise,
    question_parts,
)

STATE_VERSION = 1

EVENTS = frozenset({
    "next", "previous", "repeat", "pause", "resume", "stop", "help", "only",
    "how_many_left", "set_hold", "set_setup", "yes", "no",
})


@dataclass(frozen=True)
class StretchState:
    """Where the session is. Plain values only, so it fits in session attributes."""

    exercise: int = 1
    """The current exercise, 1..3 (the one being done, or just done when ``rep == 3``)."""
    rep: int = 0
    """Holds of ``exercise`` done (0..3), counting the last segment sent."""
    hold_seconds: int = HOLD_DEFAULT
    paused: bool = False
    only: bool = False
    """Only this one exercise (``only(n)``); the session finishes after it."""
    started: str = ""
    """ISO date the session started (for progress and streaks)."""
    segment_start: int = 0
    """``rep`` before the last segment was sent (:func:`settle` counts from it)."""
    setup_seconds: int = SETUP_DEFAULT
    """Time to get into position before the first hold of each exercise."""
    done: tuple[int, ...] = ()
    """Exercises done in full this session; only all three count toward the day."""

    @property
    def finished(self) -> bool:
        return self.rep >= REPS and (self.only or self.exercise == EXERCISES[-1])

    @property
    def between_exercises(self) -> bool:
        return self.rep >= REPS and not self.finished

    @property
    def holds_left(self) -> int:
        """Holds still to do in this session."""
        if self.finished:
            return 0
        later = 0 if self.only else REPS * (EXERCISES[-1] - self.exercise)
        return REPS - self.rep + later

    @property
    def holds_total(self) -> int:
        return REPS if self.only else REPS * len(EXERCISES)

    @property
    def whole(self) -> bool:
        """Every exercise was done in full: a session that counts toward the 4-5 a day."""
        return set(self.done) == set(EXERCISES)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["done"] = list(self.done)
        data["v"] = STATE_VERSION
        return data

    @classmethod
    def from_dict(cls, data: object) -> StretchState:
        """Validate a stored dict; anything tampered or malformed raises ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError("stretch state must be a mapping")
        expected = _STORED_KEYS
        data = {**_ADDED, **data}  # places stored before these fields existed
        if set(data) != expected:
            raise ValueError(f"stretch state keys differ: {sorted(set(data) ^ expected)}")
        if _int(data, "v") != STATE_VERSION:
            raise ValueError("unknown stretch state version")
        exercise, rep, hold, segment_start = _counts(data)
        paused, only = data["paused"], data["only"]
        if not isinstance(paused, bool) or not isinstance(only, bool):
            raise ValueError("paused and only must be booleans")
        return cls(exercise=exercise, rep=rep, hold_seconds=hold, paused=paused, only=only,
                   started=_iso_date(data["started"]), segment_start=segment_start,
                   setup_seconds=_setup(data), done=_done(data))


_FIELD_NAMES = tuple(f.name for f in fields(StretchState))
_STORED_KEYS = frozenset(_FIELD_NAMES) | {"v"}

#: Fields added after version 1 was stored, with the value an older place means.
_ADDED: dict[str, Any] = {"setup_seconds": SETUP_DEFAULT, "done": []}


def _setup(data: Mapping[str, object]) -> int:
    setup = _int(data, "setup_seconds")
    if not SETUP_MIN <= setup <= SETUP_MAX:
        raise ValueError(f"setup_seconds {setup} outside {SETUP_MIN}..{SETUP_MAX}")
    return setup


def _done(data: Mapping[str, object]) -> tuple[int, ...]:
    done = data["done"]
    if not isinstance(done, list | tuple) or not all(
            type(e) is int and e in EXERCISES for e in done) or len(set(done)) != len(done):
        raise ValueError("done must list distinct exercises")
    return tuple(sorted(done))


def _counts(data: Mapping[str, object]) -> tuple[int, int, int, int]:
    """Exercise, rep, hold seconds and segment start, each checked against its range."""
    exercise, rep = _int(data, "exercise"), _int(data, "rep")
    hold, segment_start = _int(data, "hold_seconds"), _int(data, "segment_start")
    if exercise not in EXERCISES:
        raise ValueError(f"exercise {exercise} outside {EXERCISES}")
    if not 0 <= rep <= REPS:
        raise ValueError(f"rep {rep} outside 0..{REPS}")
    if not 0 <= segment_start <= rep:
        raise ValueError(f"segment_start {segment_start} outside 0..{rep}")
    if not HOLD_MIN <= hold <= HOLD_MAX:
        raise ValueError(f"hold_seconds {hold} outside {HOLD_MIN}..{HOLD_MAX}")
    return exercise, rep, hold, segment_start


def _iso_date(started: object) -> str:
    if not isinstance(started, str) or len(started) != 10:
        raise ValueError("started must be an ISO date")
    try:
        date.fromisoformat(started)
    except ValueError:
        raise ValueError("started must be an ISO date") from None
    return started


def _int(data: Mapping[str, object], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an int, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Event:
    """An input to :func:`advance`; ``value`` for ``only`` (1..3) and ``set_hold`` (s)."""

    name: str
    value: object = None

    def __post_init__(self) -> None:
        if self.name not in EVENTS:
            raise ValueError(f"unknown stretch event {self.name!r}")

    @classmethod
    def only_exercise(cls, number: object) -> Event:
        return cls("only", number)

    @classmethod
    def set_hold(cls, seconds: object) -> Event:
        return cls("set_hold", seconds)

    @classmethod
    def set_setup(cls, change: object) -> Event:
        """``longer``, ``shorter`` or a number of seconds."""
        return cls("set_setup", change)


@dataclass
class Step:
    """What to say now, and the state to store afterwards."""

    state: StretchState
    parts: list[Part]
    reprompt: list[Part] = field(default_factory=list)
    finished: bool = False
    """This response ends the session (no question asked, no reprompt)."""
    stopped: bool = False
    """The user stopped; ``state`` keeps the place for next time."""


# --- helpers -------------------------------------------------------------------------------


def clamp_hold(seconds: int) -> tuple[int, bool]:
    """The hold time to use, and whether it had to change to fit the leaflet's 20-30 s."""
    clamped = min(max(seconds, HOLD_MIN), HOLD_MAX)
    return clamped, clamped != seconds


#: A plain ASCII integer of sane length (``str.isdigit`` also accepts "²" and 5000 digits).
_INT_TEXT = re.compile(r"-?[0-9]{1,6}")


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _play(state: StretchState, exercise: int, first_rep: int, prefix: list[Part],
          mode: AudioMode) -> Step:
    segment = plan_exercise(exercise, state.hold_seconds, range(first_rep, REPS + 1),
                            only=state.only, mode=mode, setup_seconds=state.setup_seconds)[0]
    done = state.done
    if segment.complete:
        done = tuple(sorted({*done, exercise}))
    new = replace(state, exercise=exercise, rep=segment.reps[-1],
                  segment_start=first_rep - 1, paused=False, done=done)
    parts = prefix + _as_done(list(segment.parts), new)
    reprompt = list(segment.reprompt)
    check_response(parts, reprompt, mode)
    return Step(new, parts, reprompt, finished=segment.finished)


_FINISHED = Say("stretch.finished")


def _as_done(parts: list[Part], state: StretchState) -> list[Part]:
    """The finishing words say what the session was: all three, one, or some exercises."""
    if state.whole or state.only:
        return parts
    partial = Say("stretch.finished_partial", {"count": len(state.done),
                                               "total": len(EXERCISES)})
    return [partial if p == _FINISHED else p for p in parts]


def settle(state: StretchState, holds_heard: int) -> StretchState:
    """The place when the last answer was cut short after ``holds_heard`` of its holds.

    The holds the user heard to their release count; the one in progress (and the rest
    of the answer) does not: it is where the session goes on.
    """
    rep = min(state.segment_start + max(holds_heard, 0), state.rep)
    done = state.done if rep >= REPS else tuple(e for e in state.done if e != state.exercise)
    return replace(state, rep=rep, segment_start=rep, done=done)


def _continue(state: StretchState, prefix: list[Part], mode: AudioMode) -> Step:
    if state.finished:
        return _restart(state, prefix, mode)
    if state.rep < REPS:
        return _play(state, state.exercise, state.rep + 1, prefix, mode)
    return _play(state, state.exercise + 1, 1, prefix, mode)


def _restart(state: StretchState, prefix: list[Part], mode: AudioMode) -> Step:
    fresh = replace(state, exercise=EXERCISES[0], rep=0, segment_start=0, only=False,
                    paused=False, started=date.today().isoformat(), done=())
    return _play(fresh, EXERCISES[0], 1, prefix, mode)


def pending_question(state: StretchState) -> tuple[list[Part], list[Part]]:
    """The question that fits ``state`` (re-asked after help, progress, hold changes)."""
    if state.paused:
        return [Say("stretch.reprompt_paused")], [Say("stretch.reprompt_paused")]
    if state.finished:
        return [Say("stretch.ask_restart")], [Say("stretch.reprompt_restart")]
    return question_parts(state.exercise, state.rep)


def _ask(state: StretchState, prefix: list[Part]) -> Step:
    question, reprompt = pending_question(state)
    return Step(state, prefix + question, reprompt)


def _stop(state: StretchState) -> Step:
    if state.finished:
        return Step(state, [Say("stretch.stopped_finished")], stopped=True)
    number = state.exercise + 1 if state.rep >= REPS else state.exercise
    return Step(state, [Say("stretch.stopped", {"number": number})], stopped=True)


def _help(state: StretchState) -> Step:
    if state.paused:
        key, re = "stretch.help.paused", "stretch.reprompt_paused"
    elif state.finished:
        key, re = "stretch.help.finished", "stretch.reprompt_restart"
    else:
        return Step(state, [Say("stretch.help.running")], pending_question(state)[1])
    return Step(state, [Say(key)], [Say(re)])


def _how_many_left(state: StretchState) -> Step:
    if state.finished:
        return _ask(state, [Say("stretch.left.none")])
    at = state.exercise + 1 if state.between_exercises else state.exercise
    return _ask(state, [
        Say("stretch.left.position", {"exercise": at, "total": len(EXERCISES)}),
        Say("stretch.left.count", {"holds": state.holds_left, "total": state.holds_total}),
    ])


def _set_hold(state: StretchState, value: object) -> Step:
    seconds = _as_int(value)
    if seconds is None:
        return Step(state, [Say("stretch.hold_ask")], [Say("stretch.reprompt_hold")])
    hold, changed = clamp_hold(seconds)
    key = "stretch.hold_out_of_range" if changed else "stretch.hold_set"
    return _ask(replace(state, hold_seconds=hold), [Say(key, {"seconds": hold})])


def clamp_setup(seconds: int) -> int:
    return min(max(seconds, SETUP_MIN), SETUP_MAX)


def setup_change(current: int, value: object) -> int | None:
    """The new setup time for ``longer``, ``shorter`` or a number of seconds (else None)."""
    if value == "longer":
        return clamp_setup(current + SETUP_STEP)
    if value == "shorter":
        return clamp_setup(current - SETUP_STEP)
    seconds = _as_int(value)
    return clamp_setup(seconds) if seconds is not None else None


def _set_setup(state: StretchState, value: object) -> Step:
    seconds = setup_change(state.setup_seconds, value)
    if seconds is None:
        seconds = clamp_setup(state.setup_seconds + SETUP_STEP)
    return _ask(replace(state, setup_seconds=seconds),
                [Say("stretch.setup_set", {"seconds": seconds})])


def _only(state: StretchState, value: object, mode: AudioMode) -> Step:
    number = _as_int(value)
    if number not in EXERCISES:
        return Step(state, [Say("stretch.only_unknown")], [Say("stretch.reprompt_only")])
    new = replace(state, only=True, paused=False)
    return _play(new, number, 1, [Say("stretch.only", {"number": number})], mode)


# --- API -----------------------------------------------------------------------------------


def start(hold_seconds: object = None, *, only: object = None,
          mode: AudioMode = AudioMode.CUE_CLIPS, today: date | None = None,
          setup_seconds: int = SETUP_DEFAULT) -> Step:
    """Begin a session: intro and the first response of exercise 1 (or of ``only``)."""
    prefix: list[Part] = []
    hold = HOLD_DEFAULT
    if hold_seconds is not None:
        asked = _as_int(hold_seconds)
        hold, changed = clamp_hold(asked if asked is not None else HOLD_DEFAULT)
        if changed or asked is None:
            prefix.append(Say("stretch.hold_out_of_range", {"seconds": hold}))
    state = StretchState(hold_seconds=hold, started=(today or date.today()).isoformat(),
                         setup_seconds=clamp_setup(setup_seconds))
    if only is not None:
        step = _only(state, only, mode)
        step.parts[:0] = prefix
        return step
    prefix.append(Say("stretch.intro", {"total": len(EXERCISES), "seconds": hold,
                                        "reps": REPS}))
    return _play(state, EXERCISES[0], 1, prefix, mode)


def _pause(state: StretchState, value: object, mode: AudioMode) -> Step:
    if state.finished:
        return _ask(state, [Say("stretch.no_more")])
    paused = replace(state, paused=True, segment_start=state.rep)
    return Step(paused, [Say("stretch.paused")], [Say("stretch.reprompt_paused")])


def _repeat(state: StretchState, value: object, mode: AudioMode) -> Step:
    return _play(state, state.exercise, 1, [Say("stretch.again", {"number": state.exercise})],
                 mode)


def _previous(state: StretchState, value: object, mode: AudioMode) -> Step:
    if state.exercise == EXERCISES[0]:
        return _play(state, state.exercise, 1, [Say("stretch.previous_first")], mode)
    return _play(state, state.exercise - 1, 1, [], mode)


def _next(state: StretchState, value: object, mode: AudioMode) -> Step:
    if state.finished:
        return _ask(state, [Say("stretch.no_more")])
    if state.only or state.exercise == EXERCISES[-1]:
        done = replace(state, rep=REPS, segment_start=REPS, paused=False)
        words = _as_done(finish_parts(done.exercise, done.only), done)
        return Step(done, [Say("stretch.no_more"), *words], finished=True)
    return _play(state, state.exercise + 1, 1, [], mode)


def _go_on(state: StretchState, value: object, mode: AudioMode) -> Step:
    """Yes / resume: the next segment (after a pause, from the settled place)."""
    prefix: list[Part] = [Say("stretch.resume")] if state.paused else []
    return _continue(replace(state, paused=False), prefix, mode)


_EVENTS: dict[str, Callable[[StretchState, object, AudioMode], Step]] = {
    "stop": lambda state, _v, _m: _stop(state),
    "no": lambda state, _v, _m: _stop(state),
    "help": lambda state, _v, _m: _help(state),
    "how_many_left": lambda state, _v, _m: _how_many_left(state),
    "set_hold": lambda state, value, _m: _set_hold(state, value),
    "set_setup": lambda state, value, _m: _set_setup(state, value),
    "only": _only,
    "pause": _pause,
    "repeat": _repeat,
    "previous": _previous,
    "next": _next,
    "yes": _go_on,
    "resume": _go_on,
}


def advance(state: StretchState, event: Event | str, *,
            mode: AudioMode = AudioMode.CUE_CLIPS) -> Step:
    """Apply ``event`` (an :class:`Event` or a bare name like ``"next"``) to ``state``."""
    if isinstance(event, str):
        event = Event(event)
    return _EVENTS[event.name](state, event.value, mode)
