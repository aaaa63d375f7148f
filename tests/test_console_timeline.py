"""The console keeps the plan's time: holds last their seconds, "pause" during a hold acts
at once and the place is the interrupted hold (a scripted clock: no sleeping)."""

from __future__ import annotations

import io

import pytest

from skill.core.playback import Piece, Plan, Silence, Words
from skill.frontends.console import play, run_chat
from tests.console_clock import ScriptedTimer, TimedOutput


def test_words_take_their_speaking_time_and_silences_count_down() -> None:
    timer = ScriptedTimer()
    out = TimedOutput(timer)
    plan = Plan((Words("a", (Piece("Hold."),), 0, 800), Silence(800, 3000),
                 Words("b", (Piece("Release."),), 3800, 800)))
    assert play(plan, out, fast=False, timer=timer) is None
    assert out.lines == [(0.0, "Hold."), (3.8, "Release.")]
    assert timer.t == pytest.approx(4.6)
    assert "...  3 s" in out.getvalue() and "...  1 s" in out.getvalue()
    fast_timer = ScriptedTimer()
    fast = TimedOutput(fast_timer)
    play(plan, fast, fast=True, timer=fast_timer)
    assert fast_timer.t == 0 and "s " not in fast.getvalue()


@pytest.mark.parametrize("locale,hold", [("en-US", 20), ("en-US", 30), ("sv-SE", 20),
                                         ("sv-SE", 25), ("sv-SE", 30)])
def test_a_hold_lasts_its_seconds_and_counts_down_one_a_second(locale, hold) -> None:
    timer = ScriptedTimer([(1.0, f"hold for {hold} seconds" if locale == "en-US"
                            else f"håll i {hold} sekunder")])
    out = TimedOutput(timer)
    run_chat(locale, as_json=False, fast=False, speak=False, user=f"t{hold}",
             stdin=io.StringIO(""), stdout=out, timer=timer)
    now, release = {"en-US": ("Now.", "Release."), "sv-SE": ("Nu.", "Släpp.")}[locale]
    began = out.first(now)
    assert out.first(release, began) - began == pytest.approx(hold, abs=0.5)
    counts = [out.first(f"{n}.", began) - began for n in (5, 4, 3, 2, 1)]
    assert counts == pytest.approx([hold - 5, hold - 4, hold - 3, hold - 2, hold - 1],
                                   abs=0.05)


def test_pause_typed_during_a_hold_acts_at_once_and_keeps_that_hold() -> None:
    timer = ScriptedTimer([(1.0, "start my stretches")])
    out = TimedOutput(timer)
    # typed 50 s after the start: inside the first hold (setup words + 8 s + 30 s hold)
    timer.script += [(50.0, "pause"), (60.0, "how many are left"), (70.0, "resume")]
    run_chat("en-US", as_json=False, fast=False, speak=False, user="pauser",
             stdin=io.StringIO(""), stdout=out, timer=timer)
    paused = out.first("Okay, let's pause. Say resume when you're ready, or stop to end. "
                       "Shall we go on?")
    assert paused - 50.0 < 1.0
    said = [line for _, line in out.lines]
    left = said.index("> how many are left")
    assert said[left + 1:left + 3] == ["You are at exercise 1 of 3.", "9 of 9 holds to go."]
    again = said.index("Let's go on.")
    assert said[again + 1] == "Exercise 1 of 3."  # the interrupted hold is done again


def test_stop_after_the_first_hold_saves_the_second() -> None:
    timer = ScriptedTimer([(1.0, "start my stretches")])
    out = TimedOutput(timer)
    run_chat("en-US", as_json=False, fast=False, speak=False, user="stopper",
             stdin=io.StringIO(""), stdout=out, timer=timer)  # plays all, then input ends
    released = out.first("Release.")
    timer2 = ScriptedTimer([(1.0, "start my stretches"), (released + 3.0, "stop")])
    out2 = TimedOutput(timer2)
    run_chat("en-US", as_json=False, fast=False, speak=False, user="stopper2",
             stdin=io.StringIO(""), stdout=out2, timer=timer2)
    assert "Next time we can go on from exercise 1." in out2.getvalue()
    assert out2.first("Okay, we'll stop here. Next time we can go on from exercise 1.") \
        - (released + 3.0) < 1.0
