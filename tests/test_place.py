"""The place from request timestamps: envelopes at chosen times through the whole Skill.

The previous answer's start (its request timestamp) and its planned timeline are kept in
the session; a stop, pause or "how many are left" compared with them tells how far the
speech got. Real SQLite storage; the clock is the envelopes' timestamps (no sleeping).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skill.alexa.builder import build_skill
from skill.config import Settings
from tests.test_session_flow import User, say

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def skill(tmp_path):
    return build_skill(Settings(db_path=tmp_path / "progress.sqlite3"))


def played(user: User) -> dict:
    return user.device.attributes["state"]["played"]


def place(user: User) -> dict:
    return user.device.attributes["state"]["stretch"]


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


@pytest.mark.parametrize("locale", ["en-US", "sv-SE"])
def test_the_answer_keeps_its_start_and_timeline(skill, locale):
    user = User(skill, locale)
    user.launch(T0)
    user.intent("StartStretchIntent", T0)
    timeline = played(user)
    assert timeline["at"] == "2026-03-04T09:00:00.000Z"
    holds = timeline["holds"]
    assert len(holds) == place(user)["rep"] and holds == sorted(holds)
    assert 0 < holds[0] < timeline["ms"]
    # two holds end 30 s + rest + words apart: the timeline is the plan's
    assert 30_000 < holds[1] - holds[0] < 45_000


def test_stop_six_seconds_into_exercise_one_keeps_exercise_one(skill):
    user = User(skill)
    user.launch(T0)
    user.intent("StartStretchIntent", T0)
    stopped = say(user.intent("AMAZON.StopIntent", at(6_000)))
    assert "go on from exercise 1" in stopped
    again = User(skill)  # same user id, next launch today
    offer = say(again.launch(at(60_000)))
    assert "stopped at exercise 1" in offer
    resumed = say(again.intent("AMAZON.ResumeIntent", at(61_000)))
    assert "Exercise 1 of 3" in resumed


def test_pause_inside_the_second_hold_keeps_that_hold(skill):
    user = User(skill)
    user.launch(T0)
    user.intent("StartStretchIntent", T0)
    first, second = played(user)["holds"][:2]
    user.intent("AMAZON.PauseIntent", at((first + second) // 2))
    assert (place(user)["exercise"], place(user)["rep"]) == (1, 1)
    left = say(user.intent("ProgressIntent", at(second + 60_000)))
    assert "exercise 1 of 3" in left and "8 of 9 holds to go" in left
    resumed = say(user.intent("AMAZON.ResumeIntent", at(second + 70_000)))
    assert "Exercise 1, repetition 2 of 3" in resumed


def test_a_request_after_the_speech_ended_moves_on(skill):
    user = User(skill)
    user.launch(T0)
    user.intent("StartStretchIntent", T0)
    end = played(user)["ms"]
    rep = place(user)["rep"]
    user.intent("AMAZON.PauseIntent", at(end + 1_000))
    assert place(user)["rep"] == rep and place(user)["paused"]
    left = say(user.intent("ProgressIntent", at(end + 5_000)))
    assert f"{9 - rep} of 9 holds to go" in left


def test_a_pause_after_a_finished_exercise_resumes_at_the_next(skill):
    user = User(skill)
    user.launch(T0)
    now = T0
    user.intent("StartStretchIntent", now)
    while place(user)["rep"] < 3:  # answer every question after its speech ended
        now += timedelta(milliseconds=played(user)["ms"] + 2_000)
        user.intent("AMAZON.YesIntent", now)
    now += timedelta(milliseconds=played(user)["ms"] + 2_000)
    user.intent("AMAZON.PauseIntent", now)
    left = say(user.intent("ProgressIntent", now + timedelta(seconds=3)))
    assert "exercise 2 of 3" in left and "6 of 9 holds to go" in left
    resumed = say(user.intent("AMAZON.ResumeIntent", now + timedelta(seconds=5)))
    assert "Exercise 2 of 3" in resumed


def test_speaking_over_the_setup_words_keeps_the_new_exercise(skill):
    user = User(skill)
    user.launch(T0)
    now = T0
    user.intent("StartStretchIntent", now)
    while place(user)["exercise"] == 1:
        now += timedelta(milliseconds=played(user)["ms"] + 2_000)
        user.intent("AMAZON.YesIntent", now)
    stopped = say(user.intent("AMAZON.StopIntent", now + timedelta(seconds=3)))
    assert "go on from exercise 2" in stopped


def test_only_a_whole_session_counts(skill):
    user = User(skill)
    user.launch(T0)
    only = say(user.intent("ExerciseIntent", T0, exercise="2"))
    now = T0
    while user.device.attributes.get("state", {}).get("mode") == "stretch":
        now += timedelta(milliseconds=played(user)["ms"] + 2_000)
        only = say(user.intent("AMAZON.YesIntent", now))
    assert "That was exercise 2." in only
    assert "Only a session with all three exercises counts" in only
    assert "session today" not in only
    progress = say(user.intent("ProgressIntent", now + timedelta(seconds=5)))
    assert "You haven't done a session today yet." in progress
