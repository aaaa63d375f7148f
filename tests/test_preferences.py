"""Hold and setup times persist per user (real SQLite), are said at launch when not the
default, and shape every later session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.core.limits import SETUP_DEFAULT, SETUP_MAX, SETUP_STEP
from tests.test_place import T0
from tests.test_session_flow import User, say


@pytest.fixture
def skill(tmp_path):
    return build_skill(Settings(db_path=tmp_path / "progress.sqlite3"))


def test_a_default_user_hears_no_settings(skill):
    user = User(skill)
    assert say(user.launch(T0)).startswith("Welcome to Heel Spur Coach!")


def test_hold_time_from_now_on_is_kept_for_the_next_session(skill):
    user = User(skill)
    user.launch(T0)
    started = say(user.intent("SetHoldTimeIntent", T0, seconds="25"))
    assert "hold for 25 seconds" in started
    later = User(skill)
    greeting = say(later.launch(T0 + timedelta(hours=3)))
    assert greeting.startswith("Your holds are 25 seconds long. Last time you stopped")
    again = say(later.intent("AMAZON.StartOverIntent", T0 + timedelta(hours=3)))
    assert "hold for 25 seconds" in again


def test_longer_pause_before_each_exercise_by_voice(skill):
    user = User(skill)
    user.launch(T0)
    said = say(user.intent("SetSetupTimeIntent", T0, length="longer"))
    longer = SETUP_DEFAULT + SETUP_STEP
    assert f"you get {longer} seconds to get into position" in said
    user.intent("SetSetupTimeIntent", T0, length="longer")
    user.intent("SetSetupTimeIntent", T0, length="longer")  # capped
    later = User(skill)
    greeting = say(later.launch(T0 + timedelta(hours=1)))
    assert f"You get {SETUP_MAX} seconds to get into position" in greeting
    later.intent("StartStretchIntent", T0 + timedelta(hours=1))
    state = later.device.attributes["state"]
    assert state["stretch"]["setup_seconds"] == SETUP_MAX


def test_setup_time_changed_inside_a_session_applies_and_persists(skill):
    user = User(skill)
    user.launch(T0)
    user.intent("StartStretchIntent", T0)
    said = say(user.intent("SetSetupTimeIntent", T0 + timedelta(minutes=5), seconds="12"))
    assert "12 seconds to get into position" in said
    assert user.device.attributes["state"]["stretch"]["setup_seconds"] == 12
    greeting = say(User(skill).launch(T0 + timedelta(hours=1)))
    assert "You get 12 seconds to get into position" in greeting


@pytest.mark.parametrize("length,seconds", [("shorter", 6), ("longer", 15)])
def test_a_number_said_with_a_direction_sets_that_number(skill, length, seconds):
    # "cut the setup time down to six seconds": the model fills both slots; a step from
    # the default would give another time.
    assert seconds not in (SETUP_DEFAULT - SETUP_STEP, SETUP_DEFAULT + SETUP_STEP)
    user = User(skill)
    user.launch(T0)
    said = say(user.intent("SetSetupTimeIntent", T0, length=length, seconds=str(seconds)))
    assert f"you get {seconds} seconds to get into position" in said
    user.intent("StartStretchIntent", T0)
    assert user.device.attributes["state"]["stretch"]["setup_seconds"] == seconds


@pytest.mark.parametrize("locale,phrase", [
    ("sv-SE", "Du håller i 25 sekunder."), ("en-US", "Your holds are 25 seconds long.")])
def test_settings_are_said_in_the_users_language(skill, locale, phrase):
    user = User(skill, locale)
    user.launch(T0)
    user.intent("SetHoldTimeIntent", T0, seconds="25")
    assert phrase in say(User(skill, locale).launch(T0 + timedelta(hours=1)))
