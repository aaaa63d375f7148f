"""The stretch session, progress and reminders through the whole Skill (real SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice, slot_json
from skill.config import Settings
from skill.core.limits import MAX_AUDIO_TAGS
from tests.alexa_api_standin import REMINDERS_PATH
from tests.replies import said, send

MAX_TURNS = 40


def say(response: dict) -> str:
    """The words spoken, including those of pre-rendered (Swedish) clips (from the plan)."""
    return said(response)


class User:
    """One user on one device, talking to a skill at a chosen time."""

    def __init__(self, skill, locale: str = "en-US", user_id: str = "amzn1.ask.account.A",
                 endpoint: str = "") -> None:
        self.skill = skill
        self.device = LocalDevice(locale=locale, user_id=user_id, api_endpoint=endpoint)

    def send(self, envelope: dict) -> dict:
        response = send(self.skill, envelope)
        self.device.absorb(response)
        return response

    def launch(self, now: datetime | None = None) -> dict:
        self.device.session_id = None
        return self.send(self.device.launch(now))

    def intent(self, name: str, now: datetime | None = None, **slots: str) -> dict:
        slot_json_ = {k: slot_json(k, v, v, v, k) for k, v in slots.items()}
        return self.send(self.device.intent(name, slot_json_, now))

    def full_session(self, now: datetime | None = None) -> list[str]:
        said = [say(self.intent("StartStretchIntent", now))]
        for _ in range(MAX_TURNS):
            if self.device.attributes.get("state", {}).get("mode") != "stretch":
                return said
            said.append(say(self.intent("AMAZON.YesIntent", now)))
        raise AssertionError(f"the session did not finish in {MAX_TURNS} turns")


@pytest.fixture
def skill(tmp_path):
    return build_skill(Settings(db_path=tmp_path / "progress.sqlite3"))


@pytest.mark.parametrize("locale,first,done", [
    ("sv-SE", "Pressa ned hälen", "första pass i dag"),
    ("en-US", "Press the heel", "first session today"),
])
def test_a_full_session_from_start_to_done(skill, locale, first, done) -> None:
    user = User(skill, locale)
    user.launch()
    said = user.full_session()
    text = " ".join(said)
    assert first in text and done in text
    for exercise in ("1", "2", "3"):
        assert exercise in text
    assert user.device.attributes["state"]["pending"] == "reminders"
    assert said[-1].rstrip().endswith("?")


def test_progress_survives_a_restart_and_counts_per_local_day(tmp_path) -> None:
    db = tmp_path / "progress.sqlite3"
    # 22:30 UTC on 1 May is 00:30 on 2 May in Stockholm: a new local day.
    evening = datetime(2026, 5, 1, 21, 0, tzinfo=UTC)   # 23:00 in Stockholm
    after_midnight = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
    user = User(build_skill(Settings(db_path=db)), "sv-SE")
    user.launch(evening)
    assert "första pass i dag" in " ".join(user.full_session(evening))
    user = User(build_skill(Settings(db_path=db)), "sv-SE")  # a new process, same file
    user.launch(evening)
    assert "andra pass i dag" in " ".join(user.full_session(evening))
    user = User(build_skill(Settings(db_path=db)), "sv-SE")
    user.launch(after_midnight)
    assert "första pass i dag" in " ".join(user.full_session(after_midnight))


def test_stop_keeps_the_place_and_the_next_launch_offers_to_continue(skill) -> None:
    now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    user = User(skill, "en-US")
    user.launch(now)
    user.intent("StartStretchIntent", now)
    user.intent("AMAZON.YesIntent", now)
    # stopped after exercise 2 was spoken to its end (its question): go on from 3
    heard = timedelta(milliseconds=user.device.attributes["state"]["played"]["ms"] + 2_000)
    stopped = user.intent("AMAZON.StopIntent", now + heard)
    assert stopped["response"]["shouldEndSession"] is True
    offer = user.launch(now + timedelta(hours=2))
    assert "stopped at exercise 3" in say(offer)
    resumed = say(user.intent("AMAZON.YesIntent", now + timedelta(hours=2)))
    assert "Exercise 3" in resumed and "Exercise 1" not in resumed
    assert "first session today" in resumed, "the resumed session counts as done"
    tomorrow = user.launch(now + timedelta(days=1))
    assert "Continue where you left off" not in say(tomorrow)


def test_start_fresh_and_no_to_continue(skill) -> None:
    now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    user = User(skill, "en-US")
    user.launch(now)
    user.intent("StartStretchIntent", now)
    user.intent("AMAZON.StopIntent", now)
    user.launch(now)
    fresh = user.intent("AMAZON.StartOverIntent", now)
    assert "Exercise 1" in say(fresh)
    user.intent("AMAZON.StopIntent", now)
    user.launch(now)
    menu = user.intent("AMAZON.NoIntent", now)
    assert say(menu).endswith("?") and user.device.attributes["state"]["mode"] == "menu"
    assert "Continue where" not in say(user.launch(now))


def test_hold_time_choice_and_out_of_range(skill) -> None:
    user = User(skill, "sv-SE")
    user.launch()
    short = say(user.intent("SetHoldTimeIntent", seconds="20"))
    assert "20 sekunder" in short
    user.launch()
    clamped = say(user.intent("SetHoldTimeIntent", seconds="45"))
    assert "20 till 30 sekunder" in clamped or "20 och 30" in clamped, clamped


def test_only_exercise_two_and_how_many_left(skill) -> None:
    user = User(skill, "en-US")
    user.launch()
    two = say(user.intent("ExerciseIntent", exercise="2"))
    assert "Exercise 2" in two and "sole of the foot" in two
    assert "Exercise 1" not in two and "Exercise 3" not in two
    assert "That was exercise 2." in two and "Only a session with all three" in two
    # one exercise is said as what it was, and not counted as a whole session
    assert "You haven't done a session today yet." in say(user.intent("ProgressIntent"))
    user.intent("StartStretchIntent")
    asked_at_once = say(user.intent("ProgressIntent"))  # while exercise 1 is being spoken
    assert "9 of 9 holds to go" in asked_at_once


def test_weekly_checkin_from_three_weeks(skill) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    user = User(skill, "en-US")
    user.launch(start)
    user.full_session(start)
    assert "better" not in say(user.launch(start + timedelta(days=10)))
    ask = user.launch(start + timedelta(days=22))
    assert "Has your heel gotten better" in say(ask)
    answer = say(user.intent("AMAZON.NoIntent", start + timedelta(days=22)))
    assert "three to four weeks" in answer and "08-123 264 44" in answer
    assert "Has your heel gotten better" not in say(user.launch(start + timedelta(days=23)))
    assert "Has your heel gotten better" in say(user.launch(start + timedelta(days=29)))


@pytest.fixture
def api(alexa_api):
    return alexa_api


def test_reminders_created_after_yes_and_deleted_on_request(skill, api) -> None:
    user = User(skill, "sv-SE", endpoint=api.endpoint)
    user.launch()
    user.full_session()
    created = say(user.intent("AMAZON.YesIntent"))
    posts = [r for r in api.requests if r.method == "POST" and r.path == REMINDERS_PATH]
    assert len(posts) == 5 and len(api.reminders) == 5
    body = posts[0].body
    assert body["trigger"]["timeZoneId"] == "Europe/Stockholm"
    assert body["trigger"]["recurrence"]["recurrenceRules"][0].startswith("FREQ=DAILY;BYHOUR=8")
    assert body["alertInfo"]["spokenInfo"]["content"][0]["locale"] == "en-GB"
    assert "påminn" in created.lower() or "08" in created or "8" in created
    stopped = say(user.intent("StopRemindersIntent"))
    assert api.reminders == {} and stopped
    again = say(user.intent("StopRemindersIntent"))
    assert again != stopped


def test_reminders_without_permission_send_the_consent_card(skill, api) -> None:
    api.script("POST", REMINDERS_PATH, 401, {"code": "UNAUTHORIZED"})
    user = User(skill, "en-US", endpoint=api.endpoint)
    user.launch()
    user.intent("SetRemindersIntent")
    response = user.intent("AMAZON.YesIntent")
    card = response["response"]["card"]
    assert card["type"] == "AskForPermissionsConsent"
    assert card["permissions"] == ["alexa::alerts:reminders:skill:readwrite"]
    assert "permission" in say(response)
    assert api.reminders == {}


def test_no_storage_still_answers_and_says_so(tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    user = User(build_skill(Settings(db_path=blocker / "progress.sqlite3")), "en-US")
    user.launch()
    said = " ".join(user.full_session())
    assert "couldn't save your progress" in said


def _break_seconds(ssml: str) -> float:
    import xml.etree.ElementTree as ET

    return sum(int(b.get("time", "0ms")[:-2]) for b in ET.fromstring(ssml).iter("break")) / 1000


def test_english_session_is_three_answers_within_alexas_limits(skill) -> None:
    user = User(skill, "en-US")
    user.launch()
    answers = [user.intent("StartStretchIntent")]
    while user.device.attributes["state"]["mode"] == "stretch":
        answers.append(user.intent("AMAZON.YesIntent"))
    assert len(answers) == 3, "one exercise (three holds) per answer"
    for answer in answers:
        ssml = answer["response"]["outputSpeech"]["ssml"]
        words = len(say(answer).split())
        assert _break_seconds(ssml) + words / 2.2 <= 240
        assert len(ssml) <= 8000


def test_swedish_session_on_alexa_plays_the_runs_the_build_joined(skill) -> None:
    import xml.etree.ElementTree as ET

    from skill.core.clips import AUDIO_DIR, ClipLibrary

    if ClipLibrary.cached("sv-SE") is None:
        pytest.skip("no sv-SE clips")
    user = User(skill, "sv-SE")
    user.send = lambda envelope: (  # type: ignore[method-assign]
        user.device.absorb(r := send(skill, envelope, MAX_AUDIO_TAGS)) or r)
    user.launch()
    answer = user.intent("StartStretchIntent")
    tags = list(ET.fromstring(answer["response"]["outputSpeech"]["ssml"]).iter("audio"))
    assert 1 < len(tags) <= MAX_AUDIO_TAGS
    steps = answer.answer.speech.steps
    body = max((s for s in steps if hasattr(s, "url")), key=lambda s: s.duration_ms)
    assert "/run-" in body.url and "slappna av" in body.text, "the joined run keeps its words"
    assert 60_000 <= body.duration_ms <= 240_000
    assert (AUDIO_DIR / "sv-SE" / body.url.rsplit("/", 1)[1]).is_file()
    assert not (AUDIO_DIR / "sv-SE" / "joined").exists()


def test_days_follow_the_devices_time_zone_from_the_settings_api(skill, api) -> None:
    api.time_zone = "America/New_York"
    # 03:30 UTC on 5 May is still 4 May (23:30) in New York; 04:30 UTC is 00:30 on 5 May.
    before, after = (datetime(2026, 5, 5, 3, 30, tzinfo=UTC),
                     datetime(2026, 5, 5, 4, 30, tzinfo=UTC))
    user = User(skill, "en-US", endpoint=api.endpoint)
    user.launch(datetime(2026, 5, 4, 20, 0, tzinfo=UTC))
    assert "first session" in user.full_session(datetime(2026, 5, 4, 20, 0, tzinfo=UTC))[-1]
    user.launch(before)
    assert "second session" in user.full_session(before)[-1]
    user.launch(after)
    assert "first session" in user.full_session(after)[-1]
    assert any("System.timeZone" in r.path for r in api.requests)


def test_without_a_device_zone_the_configured_default_is_used(tmp_path) -> None:
    skill = build_skill(Settings(db_path=tmp_path / "p.sqlite3",
                                 default_timezone="America/New_York"))
    evening = datetime(2026, 5, 5, 3, 30, tzinfo=UTC)  # 23:30 on 4 May in New York
    user = User(skill, "en-US")
    user.launch(datetime(2026, 5, 4, 20, 0, tzinfo=UTC))
    user.full_session(datetime(2026, 5, 4, 20, 0, tzinfo=UTC))
    user.launch(evening)
    assert "second session" in user.full_session(evening)[-1]
