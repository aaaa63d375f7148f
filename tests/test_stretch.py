"""The stretch session state machine: transitions, stored state, and its words."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from skill.content import load_content, placeholders
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.parts import Say
from skill.core.session_plan import EXERCISES, REPS, AudioMode, check_response
from skill.core.stretch import EVENTS, Event, Step, StretchState, advance, settle, start

CONTENTS = [load_content(locale) for locale in SUPPORTED_LOCALES]
MODES = (AudioMode.TEXT, AudioMode.CUE_CLIPS, AudioMode.MERGED)
TODAY = date(2025, 3, 4)
USED_SAYS: dict[tuple[str, tuple[str, ...]], Say] = {}


def texts(parts, content=CONTENTS[1]):
    return [content.text(p.key, **p.params) for p in parts if isinstance(p, Say)]


def keys(parts):
    return [p.key for p in parts if isinstance(p, Say)]


def check(step: Step, mode: AudioMode = AudioMode.CUE_CLIPS) -> Step:
    """Every step: fits Alexa's limits, its words exist everywhere, questions end in '?'."""
    assert step.parts
    check_response(step.parts, step.reprompt, mode)
    for part in step.parts + step.reprompt:
        if isinstance(part, Say):
            USED_SAYS[(part.key, tuple(sorted(part.params)))] = part
    StretchState.from_dict(json.loads(json.dumps(step.state.to_dict())))
    for content in CONTENTS:
        if step.finished or step.stopped:
            assert not step.reprompt
        else:
            assert step.reprompt
            assert texts(step.parts[-1:], content)[0].endswith("?")
            assert texts(step.reprompt[-1:], content)[0].endswith("?")
    return step


def state(**kw) -> StretchState:
    return StretchState(started=TODAY.isoformat(), **kw)


# --- states to try every control in ----------------------------------------------------------
STATES = {
    "running": state(exercise=2, rep=2, segment_start=0),
    "between": state(exercise=1, rep=3, segment_start=0),
    "paused": state(exercise=2, rep=1, segment_start=1, paused=True),
    "finished": state(exercise=3, rep=3, segment_start=0),
    "only_running": state(exercise=2, rep=2, segment_start=0, only=True),
    "fresh": state(),
}
CONTROLS = [Event(n) for n in sorted(EVENTS - {"only", "set_hold"})] + [
    Event.only_exercise(1), Event.only_exercise("3"), Event.only_exercise(7),
    Event.set_hold(15), Event.set_hold(25), Event.set_hold(999), Event.set_hold(None),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(STATES))
@pytest.mark.parametrize("event", CONTROLS, ids=lambda e: f"{e.name}-{e.value}")
def test_every_control_in_every_state(mode, name, event):
    check(advance(STATES[name], event, mode=mode), mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", ["yes", "resume"])
def test_full_session_by_yes(mode, answer):
    step = check(start(today=TODAY, mode=mode), mode)
    assert step.state.started == "2025-03-04"
    assert keys(step.parts)[0] == "stretch.intro"
    done = [(step.state.exercise, step.state.rep)]
    for _ in range(20):
        if step.finished:
            break
        step = check(advance(step.state, answer, mode=mode), mode)
        done.append((step.state.exercise, step.state.rep))
    assert step.finished and step.state.finished
    assert "stretch.finished" in keys(step.parts)
    assert texts(step.parts)[-2] == "Well done! That was all three exercises."
    per_exercise = 1 if mode is not AudioMode.CUE_CLIPS else 2
    assert len(done) == 3 * per_exercise
    assert done[-1] == (3, 3)


def test_full_session_by_next():
    step = start(today=TODAY)
    seen = [step.state.exercise]
    while not step.finished:
        step = check(advance(step.state, "next"))
        seen.append(step.state.exercise)
    assert seen == [1, 2, 3, 3]
    assert keys(step.parts)[0] == "stretch.no_more"


def test_stop_keeps_place():
    step = start(today=TODAY, mode=AudioMode.TEXT)
    stopped = check(advance(step.state, "stop"))
    assert stopped.stopped and not stopped.finished
    assert stopped.state == step.state
    assert stopped.parts == [Say("stretch.stopped", {"number": 2})]
    again = check(advance(StretchState.from_dict(stopped.state.to_dict()), "resume",
                          mode=AudioMode.TEXT), AudioMode.TEXT)
    assert again.state.exercise == 2
    mid = check(advance(STATES["running"], "no"))
    assert mid.stopped and mid.state == STATES["running"]
    assert mid.parts == [Say("stretch.stopped", {"number": 2})]
    done = check(advance(STATES["finished"], "stop"))
    assert done.stopped and keys(done.parts) == ["stretch.stopped_finished"]


def test_pause_inside_a_hold_keeps_that_hold_and_resume_replays_it():
    step = start(today=TODAY)  # CUE_CLIPS: reps 1-2 in the first response
    assert (step.state.exercise, step.state.rep) == (1, 2)
    cut = settle(step.state, 1)  # the first hold was heard to its release, the second not
    assert (cut.rep, cut.segment_start) == (1, 1)
    paused = check(advance(cut, "pause"))
    assert paused.state.paused and paused.state.rep == 1
    assert texts(paused.parts) == [
        "Okay, let's pause. Say resume when you're ready, or stop to end. Shall we go on?"]
    twice = check(advance(paused.state, "pause"))
    assert twice.state == paused.state
    resumed = check(advance(paused.state, "resume"))
    assert keys(resumed.parts)[:2] == ["stretch.resume", "stretch.exercise_resume"]
    assert resumed.parts[1].params["number"] == 2
    assert not resumed.state.paused and resumed.state.segment_start == 1


def test_pause_after_the_speech_ended_moves_on():
    step = start(today=TODAY)
    paused = check(advance(step.state, "pause"))  # nothing settled: all of it was heard
    assert paused.state.paused and paused.state.rep == 2
    assert check(advance(paused.state, "resume")).state.rep == 3
    between = state(exercise=1, rep=3, segment_start=0, done=(1,))
    resumed = check(advance(check(advance(between, "pause")).state, "resume"))
    assert resumed.state.exercise == 2 and keys(resumed.parts)[1] == "stretch.exercise_intro"
    left = check(advance(between, "how_many_left"))
    assert left.parts[0] == Say("stretch.left.position", {"exercise": 2, "total": 3})
    assert left.parts[1] == Say("stretch.left.count", {"holds": 6, "total": 9})


def test_settle_before_any_hold_keeps_the_exercise():
    first = start(today=TODAY).state
    nxt = check(advance(replace(first, rep=3, segment_start=0, done=(1,)), "yes")).state
    assert (nxt.exercise, nxt.rep) == (2, 2)
    cut = settle(nxt, 0)
    assert (cut.exercise, cut.rep) == (2, 0) and cut.done == (1,)
    stopped = check(advance(cut, "stop"))
    assert stopped.parts == [Say("stretch.stopped", {"number": 2})]
    whole = settle(state(exercise=3, rep=3, segment_start=1, done=(1, 2, 3)), 1)
    assert whole.rep == 2 and whole.done == (1, 2) and not whole.whole


def test_repeat_previous_next():
    running = STATES["running"]
    rep = check(advance(running, "repeat"))
    assert (rep.state.exercise, rep.state.segment_start) == (2, 0)
    assert keys(rep.parts)[:2] == ["stretch.again", "stretch.exercise_intro"]
    prev = check(advance(running, "previous"))
    assert prev.state.exercise == 1
    first = check(advance(state(exercise=1, rep=1), "previous"))
    assert first.state.exercise == 1 and keys(first.parts)[0] == "stretch.previous_first"
    nxt = check(advance(running, "next"))
    assert nxt.state.exercise == 3 and not nxt.finished
    between = check(advance(STATES["between"], "repeat"))
    assert between.state.exercise == 1


def test_finished_state_controls():
    fin = STATES["finished"]
    assert check(advance(fin, "next")).state == fin
    assert keys(advance(fin, "pause").parts) == ["stretch.no_more", "stretch.ask_restart"]
    again = check(advance(fin, "yes"))
    assert again.state.exercise == 1 and not again.state.only
    left = check(advance(fin, "how_many_left"))
    assert keys(left.parts) == ["stretch.left.none", "stretch.ask_restart"]


def test_only_one_exercise():
    step = check(start(only=2, today=TODAY, mode=AudioMode.MERGED), AudioMode.MERGED)
    assert step.state.only and step.state.exercise == 2 and step.finished
    assert keys(step.parts)[0] == "stretch.only"
    assert texts(step.parts)[-2] == "Well done! That was exercise 2."
    unknown = check(advance(STATES["running"], Event.only_exercise(7)))
    assert unknown.state == STATES["running"]
    assert keys(unknown.parts) == ["stretch.only_unknown"]
    nxt = check(advance(STATES["only_running"], "next"))
    assert nxt.finished and nxt.state.finished


def test_how_many_left():
    step = check(advance(STATES["running"], "how_many_left"))
    assert step.parts[:2] == [
        Say("stretch.left.position", {"exercise": 2, "total": 3}),
        Say("stretch.left.count", {"holds": 4, "total": 9}),
    ]
    assert texts(step.parts)[1] == "4 of 9 holds to go."
    assert step.state == STATES["running"]
    only = advance(STATES["only_running"], "how_many_left")
    assert only.parts[1] == Say("stretch.left.count", {"holds": 1, "total": 3})


@pytest.mark.parametrize(("asked", "used", "key"), [
    (15, 20, "stretch.hold_out_of_range"), (19, 20, "stretch.hold_out_of_range"),
    (20, 20, "stretch.hold_set"), (25, 25, "stretch.hold_set"), ("30", 30, "stretch.hold_set"),
    (31, 30, "stretch.hold_out_of_range"), (999, 30, "stretch.hold_out_of_range"),
    (-5, 20, "stretch.hold_out_of_range"),
])
def test_set_hold_clamps_to_the_leaflet(asked, used, key):
    step = check(advance(STATES["running"], Event.set_hold(asked)))
    assert step.state.hold_seconds == used
    assert step.parts[0] == Say(key, {"seconds": used})
    assert step.state.exercise == 2 and step.state.rep == 2


def test_set_hold_15_says_the_leaflet_sentence():
    step = advance(STATES["between"], Event.set_hold(15))
    assert texts(step.parts)[0] == (
        "The leaflet recommends holding 20 to 30 seconds, so we'll hold for 20 seconds.")
    assert texts(step.parts, CONTENTS[0])[0].startswith("Broschyren rekommenderar")


def test_set_hold_without_number_asks():
    step = check(advance(STATES["running"], Event.set_hold("many")))
    assert keys(step.parts) == ["stretch.hold_ask"]


@pytest.mark.parametrize(("asked", "used", "said"), [
    (None, 30, False), (20, 20, False), (30, 30, False), (10, 20, True), (45, 30, True)])
def test_start_hold(asked, used, said):
    step = check(start(asked, today=TODAY))
    assert step.state.hold_seconds == used
    assert (keys(step.parts)[0] == "stretch.hold_out_of_range") is said


def test_help_keeps_state_and_asks():
    for name, st in STATES.items():
        step = check(advance(st, "help"))
        assert step.state == st, name
        assert keys(step.parts)[0].startswith("stretch.help.")


# --- stored state ----------------------------------------------------------------------------


def test_round_trip():
    st = state(exercise=2, rep=1, hold_seconds=25, paused=True, only=True, segment_start=1)
    assert StretchState.from_dict(json.loads(json.dumps(st.to_dict()))) == st


GOOD = state(exercise=2, rep=1, segment_start=0).to_dict()


@pytest.mark.parametrize("change", [
    {"exercise": 7}, {"exercise": 0}, {"rep": -1}, {"rep": 4}, {"hold_seconds": 999},
    {"hold_seconds": 19}, {"exercise": "1"}, {"rep": True}, {"hold_seconds": 30.0},
    {"paused": "yes"}, {"only": 1}, {"started": 12}, {"started": "2024-13-45"},
    {"started": "yesterday"}, {"segment_start": 2}, {"segment_start": -1}, {"v": 2},
    {"extra": 1}, {"exercise": None},
])
def test_tampered_state_is_rejected(change):
    with pytest.raises(ValueError):
        StretchState.from_dict({**GOOD, **change})


@pytest.mark.parametrize("data", [None, [], "state", {}, {k: v for k, v in GOOD.items()
                                                        if k != "rep"}])
def test_malformed_state_is_rejected(data):
    with pytest.raises(ValueError):
        StretchState.from_dict(data)


def test_unknown_event_is_rejected():
    with pytest.raises(ValueError):
        advance(STATES["running"], "dance")


def test_state_properties():
    assert STATES["finished"].finished and not STATES["finished"].between_exercises
    assert STATES["between"].between_exercises
    assert replace(STATES["only_running"], rep=REPS).finished
    assert state().holds_left == REPS * len(EXERCISES)


# --- words -----------------------------------------------------------------------------------


def explore() -> None:
    """Produce every kind of step (so the words check does not rely on test order)."""
    for mode in MODES:
        for st in STATES.values():
            for event in CONTROLS:
                check(advance(st, event, mode=mode), mode)
        for asked in (None, 15, 25, "x"):
            step = check(start(asked, today=TODAY, mode=mode), mode)
            while not step.finished:
                step = check(advance(step.state, "yes", mode=mode), mode)
        check(start(only=1, today=TODAY, mode=mode), mode)
        check(start(only=9, today=TODAY, mode=mode), mode)


def test_every_used_key_exists_everywhere_with_its_params():
    """Every Say the state machine produces, formatted in every locale."""
    explore()
    assert len(USED_SAYS) > 30
    for content in CONTENTS:
        for part in USED_SAYS.values():
            assert part.key in content.strings, (content.locale, part.key)
            assert placeholders(content.strings[part.key]) == set(part.params), part.key
            text = content.text(part.key, **part.params)
            assert text and "{" not in text
