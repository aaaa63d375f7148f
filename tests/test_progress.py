"""Progress: local days across midnight and DST, check-in, place, tampering, content."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from skill.content import load_content, placeholders
from skill.core import progress as pg
from skill.core.parts import Say
from skill.core.progress import Progress

STHLM = ZoneInfo("Europe/Stockholm")
NYC = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- counting per local day ------------------------------------------------------------


def test_record_counts_sessions_today():
    p = Progress()
    assert pg.record_completed(p, utc("2024-05-01T06:00"), STHLM) == 1
    assert pg.record_completed(p, utc("2024-05-01T10:00"), STHLM) == 2
    assert pg.sessions_today(p, utc("2024-05-01T20:00"), STHLM) == 2
    assert p.first_session_date == date(2024, 5, 1)


@pytest.mark.parametrize(("tz", "before", "after"), [
    # Stockholm in winter is UTC+1: 22:59Z is 23:59 on the 10th, 23:01Z is 00:01 on the 11th
    (STHLM, "2024-01-10T22:59", "2024-01-10T23:01"),
    # New York in summer is UTC-4
    (NYC, "2024-07-11T03:59", "2024-07-11T04:01"),
    # New York in winter is UTC-5: still the 10th in New York at 04:30Z
    (NYC, "2024-01-11T04:59", "2024-01-11T05:01"),
])
def test_midnight_in_the_users_zone_starts_a_new_day(tz, before, after):
    p = Progress()
    assert pg.record_completed(p, utc(before), tz) == 1
    assert pg.record_completed(p, utc(before) + timedelta(seconds=30), tz) == 2
    assert pg.record_completed(p, utc(after), tz) == 1
    assert pg.sessions_today(p, utc(after), tz) == 1
    assert sorted(p.sessions.values()) == [1, 2]


def test_utc_midnight_is_not_a_new_day_in_new_york():
    p = Progress()
    pg.record_completed(p, utc("2024-07-10T23:30"), NYC)  # 19:30 EDT on the 10th
    assert pg.record_completed(p, utc("2024-07-11T00:30"), NYC) == 2  # 20:30 EDT, same day


@pytest.mark.parametrize(("tz", "times", "day"), [
    # Stockholm spring forward 2024-03-31 (23 hours): 00:30 CET .. 23:30 CEST
    (STHLM, ["2024-03-30T23:30", "2024-03-31T00:59", "2024-03-31T01:00",
             "2024-03-31T21:30"], date(2024, 3, 31)),
    # Stockholm fall back 2024-10-27 (25 hours): 00:30 CEST .. 23:30 CET
    (STHLM, ["2024-10-26T22:30", "2024-10-27T00:30", "2024-10-27T01:30",
             "2024-10-27T22:30"], date(2024, 10, 27)),
    # New York spring forward 2024-03-10: 00:30 EST .. 23:30 EDT
    (NYC, ["2024-03-10T05:30", "2024-03-10T07:30", "2024-03-11T03:30"], date(2024, 3, 10)),
    # New York fall back 2024-11-03: 00:30 EDT .. 23:30 EST
    (NYC, ["2024-11-03T04:30", "2024-11-03T05:30", "2024-11-03T06:30",
           "2024-11-04T04:30"], date(2024, 11, 3)),
])
def test_dst_change_days_are_one_local_day(tz, times, day):
    p = Progress()
    counts = [pg.record_completed(p, utc(t), tz) for t in times]
    assert counts == list(range(1, len(times) + 1))
    assert p.sessions == {day: len(times)}
    # half an hour after local midnight that ends the DST day is a new day
    next_day = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                tzinfo=tz) + timedelta(minutes=30)
    assert pg.record_completed(p, next_day.astimezone(UTC), tz) == 1


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        pg.record_completed(Progress(), datetime(2024, 5, 1, 8), STHLM)


def test_only_the_last_60_days_are_kept():
    p = Progress()
    start = utc("2024-01-01T09:00")
    for day in range(100):
        pg.record_completed(p, start + timedelta(days=day), STHLM)
    assert len(p.sessions) == pg.KEEP_DAYS
    assert min(p.sessions) == date(2024, 1, 1) + timedelta(days=100 - pg.KEEP_DAYS)
    assert p.first_session_date == date(2024, 1, 1)  # kept for the check-in
    assert Progress.from_dict(p.to_dict()) == p


@pytest.mark.parametrize(("count", "remaining"), [(0, 4), (1, 3), (3, 1), (4, 0), (6, 0)])
def test_remaining_today(count, remaining):
    assert pg.remaining_today(count) == remaining


def test_remaining_with_target_five():
    assert pg.remaining_today(4, target=5) == 1


def test_count_today_say():
    assert pg.ordinal_key(2) == "progress.ordinal.2"
    assert pg.ordinal_key(6) is None
    assert pg.count_today_say("second", 2) == Say(
        "progress.count_today", {"ordinal": "second", "remaining": 2})
    assert pg.count_today_say("fourth", 4) == Say(
        "progress.target_reached", {"ordinal": "fourth"})
    assert pg.count_today_say(None, 7) == Say("progress.count_many", {"count": 7})


def test_days_active():
    p = Progress()
    for day in (1, 2, 5, 20):
        pg.record_completed(p, utc(f"2024-05-{day:02d}T09:00"), STHLM)
    assert pg.days_active(p, utc("2024-05-07T09:00"), STHLM) == 3


# -- weekly check-in -------------------------------------------------------------------


def test_checkin_due_from_day_21_then_weekly():
    p = Progress()
    first = utc("2024-05-01T09:00")
    assert not pg.checkin_due(p, first, STHLM)  # no session yet
    pg.record_completed(p, first, STHLM)
    assert not pg.checkin_due(p, first + timedelta(days=20), STHLM)
    day21 = first + timedelta(days=21)
    assert pg.checkin_due(p, day21, STHLM)
    pg.mark_checkin_asked(p, day21, STHLM)
    assert not pg.checkin_due(p, day21, STHLM)
    assert not pg.checkin_due(p, day21 + timedelta(days=6), STHLM)
    assert pg.checkin_due(p, day21 + timedelta(days=7), STHLM)


def test_checkin_counts_local_days():
    p = Progress()
    pg.record_completed(p, utc("2024-05-01T21:30"), NYC)  # 17:30 on May 1 in New York
    # 2024-05-22T03:00Z is still May 21 in New York (day 20): not yet
    assert not pg.checkin_due(p, utc("2024-05-22T03:00"), NYC)
    assert pg.checkin_due(p, utc("2024-05-22T05:00"), NYC)


# -- continue where you left off -------------------------------------------------------


def test_place_is_offered_the_same_local_day_only():
    from skill.core.stretch import StretchState

    p = Progress()
    state = StretchState(exercise=2, rep=1, started="2024-01-10").to_dict()
    expected = dict(state)
    saved = utc("2024-01-10T21:00")  # 22:00 in Stockholm
    pg.save_place(p, state, saved, STHLM)
    state["exercise"] = 3  # the stored copy is independent
    assert pg.place_for_today(p, saved + timedelta(minutes=50), STHLM)["exercise"] == 2
    assert pg.place_for_today(p, saved + timedelta(hours=2), STHLM) is None  # 00:00 next day
    round_trip = Progress.from_dict(p.to_dict())
    assert pg.place_for_today(round_trip, saved, STHLM) == expected
    pg.clear_place(p)
    assert pg.place_for_today(p, saved, STHLM) is None


def test_completing_a_session_clears_the_place():
    p = Progress()
    now = utc("2024-05-01T09:00")
    pg.save_place(p, {"exercise": 2}, now, STHLM)
    pg.record_completed(p, now, STHLM)
    assert p.place is None


# -- serialisation and tampering -------------------------------------------------------


def test_round_trip_and_attributes():
    p = Progress()
    now = utc("2024-05-01T09:00")
    pg.record_completed(p, now, STHLM)
    pg.mark_checkin_asked(p, now, STHLM)
    # a place as the stretch session stores it now (older places load with defaults)
    pg.save_place(p, {**GOOD["place"]["state"], "setup_seconds": 8, "done": []}, now, STHLM)
    pg.set_reminder_ids(p, ["tok-1", "tok-2"])
    attrs = pg.store_progress({"other": 1}, p)
    assert attrs["other"] == 1
    assert pg.load_progress(attrs) == p
    assert pg.clear_reminder_ids(p) == ["tok-1", "tok-2"]
    assert p.reminder_ids == []


def test_empty_dict_is_a_fresh_progress():
    assert Progress.from_dict({}) == Progress()
    assert pg.load_progress(None) == Progress()
    assert pg.load_progress({}) == Progress()


GOOD = {
    "version": 1,
    "first_session_date": "2024-05-01",
    "sessions": {"2024-05-01": 2},
    "last_checkin_asked": None,
    "place": {"state": {"exercise": 2, "rep": 1, "hold_seconds": 30, "paused": False, "only": False,
                        "started": "2024-05-01", "segment_start": 0, "v": 1},
              "saved_on": "2024-05-01"},
    "reminder_ids": ["a"],
}


@pytest.mark.parametrize("change", [
    {"version": 99},
    {"sessions": []},
    {"sessions": {"2024-05-01": -1}},
    {"sessions": {"2024-05-01": "2"}},
    {"sessions": {"2024-05-01": True}},
    {"sessions": {"2024-05-01": 10**9}},
    {"sessions": {"yesterday": 1}},
    {"sessions": {"2024-04-01": 1}},  # before the first session
    {"first_session_date": None},  # sessions without a first day
    {"first_session_date": 20240501},
    {"last_checkin_asked": "2024-13-01"},
    {"place": {"state": {}}},
    {"place": {"state": [1, 2], "saved_on": "2024-05-01"}},
    {"place": "exercise 2"},
    {"place": {"state": {"exercise": 2}, "saved_on": "2024-05-01"}},  # not a stretch state
    {"sessions": {f"2024-{m:02d}-{d:02d}": 1 for m in range(5, 8) for d in range(1, 29)}},
    {"reminder_ids": "a"},
    {"reminder_ids": ""},
    {"sessions": ""},
    {"reminder_ids": [1]},
    {"reminder_ids": [""]},
    {"reminder_ids": ["x"] * 50},
    {"admin": True},
])
def test_tampered_dicts_raise_value_error(change, caplog):
    assert Progress.from_dict(GOOD)  # the baseline is fine
    bad = {**GOOD, **change}
    with pytest.raises(ValueError):
        Progress.from_dict(bad)
    with caplog.at_level(logging.WARNING):
        assert pg.load_progress({"progress": bad}) == Progress()
    assert any("malformed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("raw", [None, [], "x", 3])
def test_non_mapping_raises_value_error(raw):
    with pytest.raises(ValueError):
        Progress.from_dict(raw)


# -- time zone -------------------------------------------------------------------------


def test_resolve_timezone_uses_a_valid_zone():
    assert pg.resolve_timezone("America/New_York", "en-US") == NYC


@pytest.mark.parametrize(("zone", "locale", "expected"), [
    (None, "sv-SE", "Europe/Stockholm"),
    ("", "sv-SE", "Europe/Stockholm"),
    ("Not/AZone", "sv-SE", "Europe/Stockholm"),
    (None, "en-US", "Europe/Stockholm"),
    ("../../etc/passwd", "en-GB", "Europe/Stockholm"),
])
def test_resolve_timezone_falls_back_with_a_log_line(zone, locale, expected, caplog):
    with caplog.at_level(logging.INFO, logger="skill.core.progress"):
        assert pg.resolve_timezone(zone, locale) == ZoneInfo(expected)
    assert caplog.records


def test_resolve_timezone_default_for_english_and_always_stockholm_for_swedish():
    assert pg.resolve_timezone(None, "en-US", default="America/New_York") == NYC
    assert pg.resolve_timezone(None, "sv-SE", default="America/New_York") == STHLM
    assert pg.resolve_timezone(None, "en-US", default="Bogus/Zone") == STHLM


# -- content ---------------------------------------------------------------------------

LOCALES = ("sv-SE", "en-US", "en-GB")
QUESTIONS = ["progress.checkin_question", "progress.checkin_reprompt",
             "progress.continue_offer", "progress.continue_reprompt",
             "reminders.offer", "reminders.times", "reminders.times_reprompt"]


def _own_keys(content):
    return {k for k in content.strings if k.split(".")[0] in ("progress", "reminders")}


def test_progress_and_reminder_keys_are_the_same_in_every_locale():
    ref = load_content("en-US")
    for locale in LOCALES:
        content = load_content(locale)
        assert _own_keys(content) == _own_keys(ref), locale
        for key in _own_keys(ref):
            assert placeholders(content.strings[key]) == placeholders(ref.strings[key]), key


@pytest.mark.parametrize("locale", LOCALES)
def test_progress_content(locale):
    c = load_content(locale)
    for n in range(1, pg.MAX_ORDINAL + 1):
        assert c.text(pg.ordinal_key(n))
    for key in QUESTIONS:
        assert c.strings[key].endswith("?"), key
    assert placeholders(c.strings["progress.count_today"]) == {"ordinal", "remaining"}
    assert placeholders(c.strings["progress.checkin_not_better"]) == {"phone"}
    assert placeholders(c.strings["progress.continue_offer"]) == {"exercise"}
    say = pg.count_today_say(c.text(pg.ordinal_key(2)), 2)
    assert c.text(say.key, **say.params)
    assert not placeholders(c.strings["reminders.spoken_text"])


def test_english_words():
    c = load_content("en-US")
    assert c.text("progress.count_today", ordinal=c.text("progress.ordinal.1"),
                  remaining=3) == "That was your first session today, 3 to go."
    assert c.text("reminders.spoken_text") == "Time for your heel stretches."
    assert c.text("progress.checkin_question") == (
        "Has your heel gotten better since you started the exercises?")
    assert "three to four weeks" in c.text("progress.checkin_not_better", phone="1")


def test_swedish_words():
    c = load_content("sv-SE")
    assert c.text("progress.ordinal.1") == "första"
    assert "tre till fyra veckor" in c.text("progress.checkin_not_better", phone="1")
