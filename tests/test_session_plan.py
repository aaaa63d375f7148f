"""The stretch timing planner stays inside Alexa's limits for every allowed hold time."""

from __future__ import annotations

import string

import pytest

from skill.content import load_content, placeholders
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.parts import Cue, Pause, Say, Wait
from skill.core.playback import CueStep, Silence, Words, build_plan
from skill.core.runs import Run, split
from skill.core.session_plan import (
    EXERCISES,
    HOLD_MAX,
    HOLD_MIN,
    LIMITS,
    REPS,
    SETUP_MAX,
    SETUP_MIN,
    AlexaLimits,
    AudioMode,
    PlanError,
    audio_tags,
    estimate_seconds,
    hold_parts,
    mode_for_locale,
    plan_exercise,
    plan_session,
    reps_per_response,
)

HOLDS = range(HOLD_MIN, HOLD_MAX + 1)
MODES = (AudioMode.TEXT, AudioMode.CUE_CLIPS, AudioMode.MERGED)
CONTENTS = [load_content(locale) for locale in SUPPORTED_LOCALES]
CUE_SECONDS = 1.0
WORDS_PER_SECOND = 2.2


def independent_seconds(parts, content) -> float:
    """A second, simpler estimate: 2.2 words/s + 0.3 s a sentence, pauses, 1 s a cue."""
    total = hold_began = 0.0
    for part in parts:
        if isinstance(part, Say):
            words = len(content.text(part.key, **part.params).split())
            total += words / WORDS_PER_SECOND + 0.3
        elif isinstance(part, Pause):
            total += part.ms / 1000
        elif isinstance(part, Wait):
            total = max(total, hold_began + part.ms / 1000)
        else:
            if part == Cue("hold_start"):
                hold_began = total
            total += CUE_SECONDS
    return total


def all_segments():
    for mode in MODES:
        for hold in HOLDS:
            for exercise in EXERCISES:
                for first in range(1, REPS + 1):
                    for only in (False, True):
                        reps = range(first, REPS + 1)
                        for seg in plan_exercise(exercise, hold, reps, only=only, mode=mode):
                            yield mode, hold, seg


SEGMENTS = list(all_segments())


def test_limits_in_one_place():
    assert LIMITS == AlexaLimits()
    assert LIMITS.max_response_seconds == 240
    assert LIMITS.max_reprompt_seconds == 90
    assert LIMITS.max_break_ms == 10_000
    assert LIMITS.max_audio_tags == 5
    assert LIMITS.max_pause_ms <= LIMITS.max_break_ms
    assert LIMITS.segment_budget_seconds < LIMITS.max_response_seconds


def test_every_segment_fits_every_locale():
    assert len(SEGMENTS) > 500
    for mode, hold, seg in SEGMENTS:
        for content in CONTENTS:
            seconds = independent_seconds(seg.parts, content)
            assert seconds <= LIMITS.segment_budget_seconds <= 240, (mode, hold, seg.reps)
            assert estimate_seconds(seg.parts, content) >= seconds - 1e-6
            assert independent_seconds(seg.reprompt, content) <= 90
        assert all(p.ms <= LIMITS.max_break_ms for p in seg.parts if isinstance(p, Pause))
        assert all(p.ms > 0 for p in seg.parts if isinstance(p, Pause))
        assert audio_tags(seg.parts, mode) <= LIMITS.max_audio_tags


def test_audio_counts_are_exposed():
    for mode, _hold, seg in SEGMENTS:
        assert seg.audio_parts == sum(isinstance(p, Say | Cue) for p in seg.parts)
        assert seg.cue_count == 2 * len(seg.reps)
        if mode is AudioMode.CUE_CLIPS:
            assert audio_tags(seg.parts, mode) == seg.cue_count <= 5
        if mode is AudioMode.MERGED:  # the setup words, then every hold up to the question
            kinds = [c.kind for c in split(seg.parts) if isinstance(c, Run)]
            assert kinds[-2:] == ["setup", "body"] or kinds[-3:] == ["setup", "body", "finish"]
            question = 0 if seg.finished else 1  # the closing question is its own clip
            assert audio_tags(seg.parts, mode) == len(kinds) + question <= 3
        if mode is AudioMode.TEXT:
            assert audio_tags(seg.parts, mode) == 0


@pytest.mark.parametrize("hold", HOLDS)
def test_whole_session_covers_every_hold(hold):
    for mode in MODES:
        segs = plan_session(hold, mode)
        done = [(s.exercise, r) for s in segs for r in s.reps]
        assert done == [(e, r) for e in EXERCISES for r in range(1, REPS + 1)]
        assert segs[-1].finished and not any(s.finished for s in segs[:-1])
        assert not segs[-1].reprompt and all(s.reprompt for s in segs[:-1])


def test_reps_per_response_decision():
    for hold in HOLDS:
        for exercise in EXERCISES:
            assert reps_per_response(exercise, hold, AudioMode.TEXT) == 3
            assert reps_per_response(exercise, hold, AudioMode.MERGED) == 3
            # two cue tones a hold: 3 holds would be 6 <audio> tags
            assert reps_per_response(exercise, hold, AudioMode.CUE_CLIPS) == 2


def test_worst_case_numbers_for_30_seconds():
    worst = max(independent_seconds(s.parts, c)
                for s in plan_session(30, AudioMode.MERGED) for c in CONTENTS)
    assert 120 < worst < 200


def test_questions_and_finish():
    for _mode, _hold, seg in SEGMENTS:
        for content in CONTENTS:
            last = content.text(seg.parts[-1].key, **seg.parts[-1].params)
            if seg.finished:
                assert not seg.reprompt
            else:
                assert last.endswith("?")
                reprompt = seg.reprompt[-1]
                assert content.text(reprompt.key, **reprompt.params).endswith("?")


@pytest.mark.parametrize("hold", HOLDS)
def test_hold_timeline(hold):
    """In every locale the release comes ``hold`` s after the start cue began, the time
    left and 5-4-3-2-1 each on their second (one second a number)."""
    for exercise in EXERCISES:
        parts = hold_parts(exercise, hold)
        assert parts[0] == Cue("hold_start") and parts[1] == Say(f"stretch.hold.e{exercise}")
        assert parts[-2:] == [Cue("hold_end"), Say("stretch.release")]
        for content in CONTENTS:
            steps = build_plan(parts, content).steps
            start, end = (s.start_ms for s in steps if isinstance(s, CueStep))
            assert end - start == hold * 1000
            counts = [(s.text, s.start_ms - start) for s in steps
                      if isinstance(s, Words) and s.key == "stretch.count"]
            assert counts == [(f"{n}.", (hold - n) * 1000) for n in (5, 4, 3, 2, 1)]
            marks = [s.start_ms - start for s in steps
                     if isinstance(s, Words) and s.key == "stretch.time_left"]
            expected = [20, 10] if hold >= 30 else [10]
            assert marks == [(hold - m) * 1000 for m in expected]
            # no sentence runs into the next cue: every cue is on time, not late
            for before, after in zip(steps, steps[1:], strict=False):
                assert before.start_ms + before.duration_ms <= after.start_ms
            assert all(s.duration_ms <= LIMITS.max_break_ms for s in steps
                       if isinstance(s, Silence))


@pytest.mark.parametrize("setup", [SETUP_MIN, 8, 10, SETUP_MAX])
def test_every_hold_and_setup_time_fits(setup):
    """Every Alexa answer stays within the limits for every hold 20-30 s and setup time."""
    for mode in (AudioMode.TEXT, AudioMode.CUE_CLIPS, AudioMode.MERGED):
        for hold in HOLDS:
            segs = plan_session(hold, mode, setup_seconds=setup)
            for seg in segs:
                for content in CONTENTS:
                    assert independent_seconds(seg.parts, content) \
                        <= LIMITS.segment_budget_seconds
                assert audio_tags(seg.parts, mode) <= LIMITS.max_audio_tags
            first = segs[0].parts[:segs[0].parts.index(Cue("hold_start"))]
            assert Say("stretch.get_ready") in first
            assert sum(p.ms for p in first if isinstance(p, Pause)) == setup * 1000


@pytest.mark.parametrize("hold", [200, 1000])
def test_impossible_hold_is_rejected(hold):
    with pytest.raises(PlanError, match="does not fit one response"):
        plan_exercise(1, hold)


def test_long_hold_gets_fewer_reps_per_response():
    segs = plan_exercise(1, 60, mode=AudioMode.TEXT)
    assert [len(s.reps) for s in segs] == [2, 1]
    assert [len(s.reps) for s in plan_exercise(1, 90, mode=AudioMode.TEXT)] == [1, 1, 1]


def test_one_clip_per_part_cannot_fit():
    with pytest.raises(PlanError, match="audio tags"):
        plan_exercise(1, 30, mode=AudioMode.CLIPS)


@pytest.mark.parametrize("args", [
    (4, 30, [1, 2, 3]), (0, 30, [1]), (1, 5, [1]), (1, 30, []), (1, 30, [0, 1]),
    (1, 30, [3, 2]), (1, 30, [1, 3]), (1, 30, [4]), (1, True, [1]), (1, 30.0, [1]),
])
def test_malformed_plans_are_rejected(args):
    with pytest.raises(PlanError):
        plan_exercise(*args)


def test_mode_for_locale():
    assert mode_for_locale("en-US") is AudioMode.CUE_CLIPS
    assert mode_for_locale("en-GB", cue_clips=False) is AudioMode.TEXT
    assert mode_for_locale("sv-SE") is AudioMode.MERGED


def test_every_planned_key_formats_in_every_locale():
    seen = {}
    for _mode, _hold, seg in SEGMENTS:
        for part in seg.parts + seg.reprompt:
            if isinstance(part, Say):
                seen[(part.key, tuple(sorted(part.params)))] = part
    for content in CONTENTS:
        for part in seen.values():
            assert part.key.startswith("stretch.")
            assert placeholders(content.strings[part.key]) == set(part.params)
            text = content.text(part.key, **part.params)
            assert "{" not in text and text.strip()


def test_stretch_keys_match_across_locales():
    reference = CONTENTS[0]
    keys = set(reference.keys_under("stretch."))
    for content in CONTENTS[1:]:
        assert set(content.keys_under("stretch.")) == keys
        for key in keys:
            assert placeholders(content.strings[key]) == placeholders(reference.strings[key])
    for content in CONTENTS:
        for key in keys:
            names = [n for _, n, _, _ in string.Formatter().parse(content.strings[key]) if n]
            assert set(names) <= {"seconds", "number", "total", "exercise", "reps", "holds",
                                  "count"}
