"""Runs: the fixed sequences of an answer that the audio build pre-joins into one clip.

Alexa plays at most 5 ``<audio>`` tags per answer, and a Swedish answer is made of clips
(Alexa has no Swedish voice). A stretch answer has dozens of sentences and cues, so its
fixed stretches are joined once, by ``halsporre audio build``, never while a request waits:

* ``setup`` - the words before the first hold (an exercise's introduction and how to stand),
  with the session's opening words before them ("we hold for 30 seconds", "we go on");
* ``body`` - every hold of the answer from its start tone on: the counts, the time left,
  the release, the rests between holds (all silences included), "exercise 1 done";
* ``finish`` - the finishing words ("well done", "four to five times a day").

Everything else is its own clip (the day's count is a variable ending: numbers are
separate clips) and pauses outside a run are SSML breaks, which cost no tag.

:func:`split` is the ONE rule that cuts an answer into runs, used by the request path
(:mod:`skill.core.playback`) and by the build (:func:`planned_runs`, every answer of the
stretch state machine for every hold time), so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING

from skill.core.limits import EXERCISES, HOLD_MAX, HOLD_MIN, REPS
from skill.core.parts import Cue, Part, Say, parts_key

if TYPE_CHECKING:
    from skill.core.stretch import StretchState

_PREFIX = frozenset({"stretch.intro", "stretch.hold_out_of_range", "stretch.resume",
                     "stretch.again", "stretch.only", "stretch.previous_first"})
"""Words the state machine puts before a segment: joined with the setup words after them."""
_SETUP = frozenset({"stretch.exercise_intro", "stretch.exercise_resume", "stretch.get_ready",
                    *(f"stretch.setup.e{n}" for n in EXERCISES)})
_BODY = frozenset({"stretch.time_left", "stretch.count", "stretch.release",
                   "stretch.rep_done", "stretch.rest", "stretch.exercise_done",
                   *(f"stretch.hold.e{n}" for n in EXERCISES)})
"""The closing question is not in the body: one body then serves a session of one
exercise and of all three (the clips stay within 60 MB)."""
_FINISH = frozenset({"stretch.finished", "stretch.finished_only", "stretch.finished_partial",
                     "stretch.daily"})
BODY_START = "hold_start"


@dataclass(frozen=True)
class Run:
    """Parts the build joins into one clip (``kind``: setup, body or finish)."""

    kind: str
    parts: tuple[Part, ...]

    @cached_property
    def key(self) -> str:
        """The run's name in the manifest: a hash of its parts (not of their words)."""
        digest = hashlib.sha256(repr(parts_key(self.parts)).encode("utf-8")).hexdigest()
        return f"{self.kind}:{digest[:20]}"


Chunk = Run | Part


def _group(part: Part, current: str | None) -> str | None:
    """The run ``part`` belongs to, given the run being built (``None``: no run)."""
    if isinstance(part, Say):
        for kind, keys in (("prefix", _PREFIX), ("setup", _SETUP), ("body", _BODY),
                           ("finish", _FINISH)):
            if part.key in keys:
                return kind
        return None
    if isinstance(part, Cue):
        return "body" if part.name == BODY_START or current == "body" else None
    return "body" if current == "body" else None  # Pause, Wait: inside a body only


_FOLLOWS = {("prefix", "prefix"), ("prefix", "setup"), ("setup", "setup"),
            ("body", "body"), ("finish", "finish")}


def _close(out: list[Chunk], kind: str | None, run: list[Part]) -> None:
    if not run:
        return
    if kind == "prefix" or len(run) == 1:  # prefix words alone: each its own clip
        out.extend(run)
    else:
        out.append(Run(kind or "", tuple(run)))


def split(parts: Sequence[Part]) -> list[Chunk]:
    """``parts`` as runs and single parts, in order (the single ``Say``/``Cue`` parts are
    one clip each, ``Pause``/``Wait`` parts outside a run are silences)."""
    out: list[Chunk] = []
    run: list[Part] = []
    kind: str | None = None
    for part in parts:
        group = _group(part, kind)
        if kind is not None and group is not None and (kind, group) in _FOLLOWS:
            run.append(part)
            kind = "setup" if group == "setup" else kind
            continue
        _close(out, kind, run)
        run, kind = ([part], group) if group is not None else ([], None)
        if group is None:
            out.append(part)
    _close(out, kind, run)
    return out


def runs_in(parts: Sequence[Part]) -> list[Run]:
    return [c for c in split(parts) if isinstance(c, Run)]


def clip_count(parts: Sequence[Part]) -> int:
    """The ``<audio>`` tags ``parts`` need when every run has its clip."""
    return sum(1 for c in split(parts) if isinstance(c, Run | Say | Cue))


# --------------------------------------------------------------------------- planning


def stretch_turns(holds: Sequence[int] = tuple(range(HOLD_MIN, HOLD_MAX + 1))
                  ) -> Iterator[tuple[tuple[Part, ...], tuple[Part, ...]]]:
    """Every (answer, reprompt) the stretch state machine can give, for every hold time:
    each start (any hold asked for, one exercise or all) and every event in every state."""
    from skill.core import stretch
    from skill.core.session_plan import AudioMode

    mode = AudioMode.MERGED
    for asked, only in itertools.product((None, 10, 40, *holds), (None, *EXERCISES)):
        step = stretch.start(asked, only=only, mode=mode)
        yield tuple(step.parts), tuple(step.reprompt)
    events = [stretch.Event(name) for name in sorted(stretch.EVENTS)
              if name not in ("only", "set_hold", "set_setup")]
    events += [stretch.Event("only", n) for n in EXERCISES]
    events += [stretch.Event.set_hold(h) for h in (10, *holds, 40)]
    events += [stretch.Event.set_setup(v) for v in ("longer", "shorter")]
    for state in _states(holds):
        for event in events:
            step = stretch.advance(state, event, mode=mode)
            yield tuple(step.parts), tuple(step.reprompt)


def stretch_answers(holds: Sequence[int] = tuple(range(HOLD_MIN, HOLD_MAX + 1))
                    ) -> Iterator[tuple[Part, ...]]:
    """Every speech (answers and reprompts) of :func:`stretch_turns`."""
    for parts, reprompt in stretch_turns(holds):
        yield parts
        if reprompt:
            yield reprompt


def _states(holds: Sequence[int]) -> Iterator[StretchState]:
    """Every place a session can be in: every hold time, exercise, repetition, paused or
    not, one exercise or all; every set of exercises done at the first hold time (what is
    done changes the finishing words only, never the holds)."""
    from skill.core import stretch

    base = stretch.StretchState(hold_seconds=HOLD_MIN, started="2026-01-01")
    dones = [tuple(c) for n in range(len(EXERCISES) + 1)
             for c in itertools.combinations(EXERCISES, n)]
    for hold, exercise, rep, paused, only in itertools.product(
            holds, EXERCISES, range(REPS + 1), (False, True), (False, True)):
        for done in dones if hold == holds[0] else [(), tuple(EXERCISES)]:
            if only and any(d != exercise for d in done):
                continue
            yield replace(base, hold_seconds=hold, exercise=exercise, rep=rep,
                          segment_start=rep, paused=paused, only=only, done=done)


@cache
def planned_runs() -> tuple[Run, ...]:
    """Every run an answer can need (what ``halsporre audio build`` joins), in a stable
    order."""
    found: dict[str, Run] = {}
    for parts in stretch_answers():
        for run in runs_in(parts):
            found.setdefault(run.key, run)
    return tuple(found[k] for k in sorted(found))
