"""Stretch timing planner: the leaflet's exercises as timed parts, within Alexa's limits.

Pure Python (no ask-sdk). One :class:`Segment` is the content of one Alexa response:
setup words, timed holds with cues, and a closing question (or the finishing words).
Every number that decides how much fits in one response lives in :mod:`skill.core.limits`;
see ``docs/stretch-timing.md`` for the reasoning.

Holds are timed from their start cue: every cue inside a hold is placed with a
:class:`~skill.core.parts.Wait` (silence until that second of the hold), which the
estimate here and the playback plan resolve with the same speaking-time estimate
(:meth:`AlexaLimits.say_seconds`) or the clip's real length, so "5. 4. 3. 2. 1." is one
second a number and the release cue falls on the hold's last second in every language.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from skill.content import Content, load_content
from skill.core.boundedcache import BoundedCache, approx_size
from skill.core.limits import (  # noqa: F401  (re-exported: the planner's vocabulary)
    EXERCISES,
    HOLD_DEFAULT,
    HOLD_MAX,
    HOLD_MIN,
    LIMITS,
    REPS,
    SETUP_DEFAULT,
    SETUP_MAX,
    SETUP_MIN,
    SETUP_STEP,
    AlexaLimits,
)
from skill.core.locales import ALEXA_LOCALES, SUPPORTED_LOCALES
from skill.core.parts import HOLD_ANCHOR, Cue, Part, Pause, Say, Wait, parts_key
from skill.core.runs import clip_count

# --- Our own pacing choices (not medical advice, just timing) ---------------------------
REST_MS = 5_000
"""Rest between two holds of the same exercise."""
SETUP_PAUSE_MS = 3_000
"""Silence before a hold when going on mid-exercise (already in position)."""
TIME_LEFT_MARKS: tuple[int, ...] = (20, 10)
"""'{seconds} seconds left' is spoken at these marks when at least
:data:`FIRST_MARK_AFTER` seconds into the hold (the hold's own words come first)."""
FIRST_MARK_AFTER = 10
COUNTDOWN_FROM = 5




class AudioMode(StrEnum):
    """How :mod:`skill.core.speech` turns a response into sound; decides the audio-tag count."""

    TEXT = "text"
    """Alexa speaks everything, cues as their ``cue.*`` words: no ``<audio>`` tags."""
    CUE_CLIPS = "cue_clips"
    """Alexa speaks the words; each Cue is one ``<audio>`` tone (English default)."""
    MERGED = "merged"
    """Pre-rendered locale: the runs the audio build joined (:mod:`skill.core.runs`) are
    one ``<audio>`` tag each, every other sentence or cue one more."""
    CLIPS = "clips"
    """Every Say and Cue its own ``<audio>`` tag: cannot fit a timed hold in 5 tags."""


def mode_for_locale(locale: str, *, cue_clips: bool = True) -> AudioMode:
    """The audio mode the speech layer is assumed to use for ``locale``."""
    if locale in ALEXA_LOCALES:
        return AudioMode.CUE_CLIPS if cue_clips else AudioMode.TEXT
    return AudioMode.MERGED


class PlanError(ValueError):
    """The requested plan cannot fit Alexa's limits (or is malformed)."""


# --- Estimates -----------------------------------------------------------------------------


def estimate_seconds(parts: Iterable[Part], content: Content,
                     limits: AlexaLimits = LIMITS) -> float:
    """Conservative playing time of ``parts`` in ``content.locale``."""
    total = anchor = 0.0
    for part in parts:
        if isinstance(part, Say):
            total += limits.say_seconds(content.text(part.key, **part.params))
        elif isinstance(part, Pause):
            total += part.ms / 1000
        elif isinstance(part, Wait):
            total = max(total, anchor + part.ms / 1000)
        elif isinstance(part, Cue):
            if part.name == HOLD_ANCHOR:
                anchor = total
            seconds = limits.cue_seconds
            key = f"cue.{part.name}"
            if content.has(key):  # spoken as words when no tone clip is available
                seconds = max(seconds, limits.say_seconds(content.text(key)))
            total += seconds
        else:  # pragma: no cover - the Part union is closed
            raise TypeError(f"unknown part {part!r}")
    return total


def estimate_ssml_chars(parts: Iterable[Part], content: Content) -> int:
    """Rough SSML length: the words, ~25 chars per break, ~120 per audio tag."""
    chars = len("<speak></speak>")
    for part in parts:
        if isinstance(part, Say):
            chars += len(content.text(part.key, **part.params)) + 1
        elif isinstance(part, Pause | Wait):
            chars += 25 * -(-part.ms // LIMITS.max_break_ms)
        else:
            chars += 120
    return chars


def audio_tags(parts: Sequence[Part], mode: AudioMode) -> int:
    """How many ``<audio>`` tags ``parts`` become in ``mode``."""
    says = sum(isinstance(p, Say) for p in parts)
    cues = sum(isinstance(p, Cue) for p in parts)
    if mode is AudioMode.TEXT:
        return 0
    if mode is AudioMode.CUE_CLIPS:
        return cues
    if mode is AudioMode.MERGED:
        return clip_count(parts)
    return says + cues


@cache
def _all_contents() -> tuple[Content, ...]:
    return tuple(load_content(locale) for locale in SUPPORTED_LOCALES)


def worst_seconds(parts: Sequence[Part], contents: Sequence[Content] | None = None,
                  limits: AlexaLimits = LIMITS) -> float:
    """The longest estimate of ``parts`` over ``contents`` (default: every locale)."""
    return max(estimate_seconds(parts, c, limits) for c in (contents or _all_contents()))


def check_response(parts: Sequence[Part], reprompt: Sequence[Part], mode: AudioMode,
                   *, budget_seconds: float | None = None,
                   contents: Sequence[Content] | None = None,
                   limits: AlexaLimits = LIMITS) -> float:
    """Raise :class:`PlanError` unless one response fits; return its worst-case seconds.

    With every locale's content (the default), results are cached: each stretch turn
    checks its answer, and the set of possible answers is small and fixed.
    """
    if contents is not None:
        return _check_response(parts, reprompt, mode, budget_seconds, contents, limits)
    try:
        return _checked(parts_key(parts), parts_key(reprompt), mode, budget_seconds, limits,
                        tuple(parts), tuple(reprompt))
    except TypeError:  # unhashable params: check without the cache
        return _check_response(parts, reprompt, mode, budget_seconds, None, limits)


_check_cache: BoundedCache[float] = BoundedCache(
    4096, 4 * 1024 * 1024, lambda key, value: approx_size(key[0]) + approx_size(key[1]))


def _checked(parts_key: tuple, reprompt_key: tuple, mode: AudioMode,
             budget_seconds: float | None, limits: AlexaLimits,
             parts: tuple[Part, ...], reprompt: tuple[Part, ...]) -> float:
    key = (parts_key, reprompt_key, mode, budget_seconds, limits)
    hit = _check_cache.get(key)
    if hit is None:
        hit = _check_response(parts, reprompt, mode, budget_seconds, None, limits)
        _check_cache.put(key, hit)
    return hit


def _check_response(parts: Sequence[Part], reprompt: Sequence[Part], mode: AudioMode,
                    budget_seconds: float | None, contents: Sequence[Content] | None,
                    limits: AlexaLimits) -> float:
    budget = limits.max_response_seconds if budget_seconds is None else budget_seconds
    seconds = worst_seconds(parts, contents, limits)
    if seconds > budget:
        raise PlanError(f"response needs about {seconds:.0f} s, the limit is {budget:.0f} s")
    if reprompt:
        re_seconds = worst_seconds(reprompt, contents, limits)
        if re_seconds > limits.max_reprompt_seconds:
            raise PlanError(f"reprompt needs about {re_seconds:.0f} s, "
                            f"the limit is {limits.max_reprompt_seconds:.0f} s")
    for part in parts:
        if isinstance(part, Pause) and not 0 < part.ms <= limits.max_pause_ms:
            raise PlanError(f"pause of {part.ms} ms outside 1..{limits.max_pause_ms} ms")
    tags = audio_tags(parts, mode)
    if tags > limits.max_audio_tags:
        raise PlanError(f"{tags} audio tags in {mode.value} mode, "
                        f"the limit is {limits.max_audio_tags}")
    for content in contents or _all_contents():
        chars = estimate_ssml_chars(parts, content)
        if chars > limits.max_ssml_chars:
            raise PlanError(f"{content.locale}: about {chars} SSML characters")
    return seconds


# --- The plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One response of the session: timed parts plus the closing question or finish."""

    exercise: int
    reps: tuple[int, ...]
    parts: tuple[Part, ...]
    reprompt: tuple[Part, ...]
    complete: bool
    """The exercise's last repetition is in this segment."""
    finished: bool
    """The session is over after this segment (no question asked, no reprompt)."""

    @property
    def audio_parts(self) -> int:
        """Say plus Cue parts: the ``<audio>`` tags if every part were its own clip."""
        return sum(isinstance(p, Say | Cue) for p in self.parts)

    @property
    def cue_count(self) -> int:
        return sum(isinstance(p, Cue) for p in self.parts)


def hold_parts(exercise: int, hold_seconds: int) -> list[Part]:
    """One timed hold: start cue, time left, 5-4-3-2-1 one second apart, release cue.

    Each cue after the start waits for its second of the hold (:class:`Wait`), so the
    release comes ``hold_seconds`` after the start cue began, whatever the words take.
    """
    hold_ms = hold_seconds * 1000
    parts: list[Part] = [Cue(HOLD_ANCHOR), Say(f"stretch.hold.e{exercise}")]
    for mark in TIME_LEFT_MARKS:
        if mark <= hold_seconds - FIRST_MARK_AFTER:
            parts += [Wait(hold_ms - mark * 1000), Say("stretch.time_left", {"seconds": mark})]
    for number in range(COUNTDOWN_FROM, 0, -1):
        parts += [Wait(hold_ms - number * 1000), Say("stretch.count", {"number": number})]
    parts += [Wait(hold_ms), Cue("hold_end"), Say("stretch.release")]
    return parts


def _silence(ms: int) -> list[Part]:
    """``ms`` of silence as pauses of at most one SSML break each."""
    chunks = []
    while ms > 0:
        chunks.append(Pause(min(ms, LIMITS.max_pause_ms)))
        ms -= LIMITS.max_pause_ms
    return list(chunks)


def setup_parts(exercise: int, first_rep: int, setup_seconds: int = SETUP_DEFAULT
                ) -> list[Part]:
    """The words before the first hold of a segment: which exercise, how to stand.

    Before the first hold of an exercise the user gets ``setup_seconds`` to get into
    position (with a spoken cue); going on mid-exercise, a short pause.
    """
    if first_rep == 1:
        head = Say("stretch.exercise_intro", {"number": exercise, "total": len(EXERCISES)})
        return [head, Say(f"stretch.setup.e{exercise}"), Say("stretch.get_ready"),
                *_silence(setup_seconds * 1000)]
    head = Say("stretch.exercise_resume", {"exercise": exercise, "number": first_rep,
                                           "total": REPS})
    return [head, Say(f"stretch.setup.e{exercise}"), Pause(SETUP_PAUSE_MS)]


def question_parts(exercise: int, rep_done: int) -> tuple[list[Part], list[Part]]:
    """The closing question (and reprompt) when ``rep_done`` reps of ``exercise`` are done."""
    if rep_done >= REPS:
        nxt = {"number": exercise + 1}
        return [Say("stretch.ask_next", nxt)], [Say("stretch.reprompt_next", nxt)]
    if rep_done == 0:
        nxt = {"number": exercise}
        return [Say("stretch.ask_exercise", nxt)], [Say("stretch.reprompt_exercise", nxt)]
    nxt = {"number": rep_done + 1, "total": REPS}
    return [Say("stretch.ask_continue", nxt)], [Say("stretch.reprompt_continue", nxt)]


def finish_parts(exercise: int, only: bool) -> list[Part]:
    if only:
        done = Say("stretch.finished_only", {"number": exercise})
    else:
        done = Say("stretch.finished")
    return [done, Say("stretch.daily")]


def _segment(exercise: int, hold_seconds: int, reps: Sequence[int], only: bool,
             setup_seconds: int = SETUP_DEFAULT) -> Segment:
    parts: list[Part] = setup_parts(exercise, reps[0], setup_seconds)
    for rep in reps:
        parts += hold_parts(exercise, hold_seconds)
        parts.append(Say("stretch.rep_done", {"number": rep, "total": REPS}))
        if rep < REPS and rep != reps[-1]:
            parts += [Say("stretch.rest"), Pause(REST_MS)]
    complete = reps[-1] == REPS
    finished = complete and (only or exercise == EXERCISES[-1])
    reprompt: list[Part] = []
    if complete:
        parts.append(Say("stretch.exercise_done", {"number": exercise}))
    if finished:
        parts += finish_parts(exercise, only)
    else:
        question, reprompt = question_parts(exercise, reps[-1])
        parts += question
    return Segment(exercise=exercise, reps=tuple(reps), parts=tuple(parts),
                   reprompt=tuple(reprompt), complete=complete, finished=finished)


def _check_args(exercise: int, hold_seconds: int, reps: Sequence[int]) -> None:
    if exercise not in EXERCISES:
        raise PlanError(f"exercise must be one of {EXERCISES}, not {exercise!r}")
    if isinstance(hold_seconds, bool) or not isinstance(hold_seconds, int):
        raise PlanError(f"hold_seconds must be an int, not {hold_seconds!r}")
    if hold_seconds <= COUNTDOWN_FROM:
        raise PlanError(f"a hold of {hold_seconds} s leaves no room for the countdown")
    if not reps or list(reps) != list(range(reps[0], reps[0] + len(reps))):
        raise PlanError(f"reps must be consecutive, not {list(reps)!r}")
    if reps[0] < 1 or reps[-1] > REPS:
        raise PlanError(f"reps must lie within 1..{REPS}, not {list(reps)!r}")


def _fits(segment: Segment, mode: AudioMode, limits: AlexaLimits) -> bool:
    try:
        check_response(segment.parts, segment.reprompt, mode,
                       budget_seconds=limits.segment_budget_seconds, limits=limits)
    except PlanError:
        return False
    return True


@functools.lru_cache(maxsize=512)
def reps_per_response(exercise: int, hold_seconds: int, mode: AudioMode = AudioMode.CUE_CLIPS,
                      *, only: bool = False, limits: AlexaLimits = LIMITS,
                      setup_seconds: int = SETUP_DEFAULT) -> int:
    """The most repetitions one response can carry (the ONE place this is decided).

    Pure and cached: every stretch turn asks, and the answer depends only on the arguments.
    """
    _check_args(exercise, hold_seconds, [1])
    for n in range(REPS, 0, -1):
        chunks = [list(range(start, min(start + n, REPS + 1)))
                  for start in range(1, REPS + 1, n)]
        # every way a segment may start (after a pause we resume mid-exercise)
        starts = [list(range(s, min(s + n, REPS + 1))) for s in range(1, REPS + 1)]
        if all(_fits(_segment(exercise, hold_seconds, c, only, setup_seconds), mode, limits)
               for c in chunks + starts):
            return n
    probe = _segment(exercise, hold_seconds, [1], only, setup_seconds)
    seconds = worst_seconds(probe.parts, limits=limits)
    raise PlanError(
        f"even one {hold_seconds} s hold of exercise {exercise} does not fit one response "
        f"in {mode.value} mode: about {seconds:.0f} s (limit "
        f"{limits.segment_budget_seconds:.0f} s) and {audio_tags(probe.parts, mode)} audio "
        f"tags (limit {limits.max_audio_tags})")


def plan_exercise(exercise: int, hold_seconds: int, reps: Sequence[int] = range(1, REPS + 1),
                  *, only: bool = False, mode: AudioMode = AudioMode.CUE_CLIPS,
                  limits: AlexaLimits = LIMITS, setup_seconds: int = SETUP_DEFAULT
                  ) -> list[Segment]:
    """The responses that take ``exercise`` through ``reps``; each one checked to fit."""
    reps = list(reps)
    _check_args(exercise, hold_seconds, reps)
    if not SETUP_MIN <= setup_seconds <= SETUP_MAX:
        raise PlanError(f"setup_seconds must lie within {SETUP_MIN}..{SETUP_MAX}")
    return list(_plan(exercise, hold_seconds, tuple(reps), only, mode, limits, setup_seconds))


@functools.lru_cache(maxsize=1024)
def _plan(exercise: int, hold_seconds: int, reps: tuple[int, ...], only: bool,
          mode: AudioMode, limits: AlexaLimits, setup_seconds: int) -> tuple[Segment, ...]:
    """:func:`plan_exercise` without the argument checks, cached (segments are frozen)."""
    n = reps_per_response(exercise, hold_seconds, mode, only=only, limits=limits,
                          setup_seconds=setup_seconds)
    segments = tuple(_segment(exercise, hold_seconds, reps[i:i + n], only, setup_seconds)
                     for i in range(0, len(reps), n))
    for segment in segments:
        check_response(segment.parts, segment.reprompt, mode,
                       budget_seconds=limits.segment_budget_seconds, limits=limits)
    return segments


def plan_session(hold_seconds: int = HOLD_DEFAULT, mode: AudioMode = AudioMode.CUE_CLIPS,
                 limits: AlexaLimits = LIMITS, setup_seconds: int = SETUP_DEFAULT
                 ) -> list[Segment]:
    """Every response of a whole session, in order (for tests, docs and pre-rendering)."""
    return [seg for ex in EXERCISES for seg in plan_exercise(ex, hold_seconds, mode=mode,
                                                             limits=limits,
                                                             setup_seconds=setup_seconds)]
