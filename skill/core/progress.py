"""The user's stretching progress (pure Python, no ask-sdk).

Stored as ``{"progress": Progress.to_dict()}`` in the persistent attributes. Days are the
user's local calendar days: a session at 23:30 and one at 00:30 in the user's time zone
count on two days, whatever UTC says, and DST change days are ordinary days.

The leaflet: stretch 4-5 times a day; if the pain has not improved within three to four
weeks, contact the physiotherapist. Hence :data:`DAILY_TARGET` and the weekly check-in
from :data:`CHECKIN_AFTER_DAYS` after the first session.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from skill.core.limits import (
    CHECKIN_AFTER_DAYS,
    DAILY_TARGET,
    HOLD_DEFAULT,
    HOLD_MAX,
    HOLD_MIN,
    SETUP_DEFAULT,
    SETUP_MAX,
    SETUP_MIN,
)
from skill.core.parts import Say

log = logging.getLogger(__name__)

VERSION = 1
KEEP_DAYS = 60  # completed-session counts older than this are dropped
CHECKIN_EVERY_DAYS = 7
MAX_ORDINAL = 5  # content has progress.ordinal.1 .. progress.ordinal.5
SPOKEN_COUNT_MAX = 20
"""Counts up to this are said with their number (each has its clip); more are said
without it ("another session today")."""
MAX_REMINDERS = 10
_MAX_PER_DAY = 1000  # anything above is tampering

ATTRIBUTE_KEY = "progress"


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, tuples of plain values): what
    ``copy.deepcopy`` gives for it, without its memo and dispatch (several times faster;
    a saved place is copied on every stretch turn)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


@dataclass
class Place:
    """Where an unfinished stretch session stopped: the stretch module's own state."""

    state: dict[str, Any]
    saved_on: date  # the user's local date

    def to_dict(self) -> dict[str, Any]:
        return {"state": _copy(self.state), "saved_on": self.saved_on.isoformat()}


@dataclass(frozen=True)
class Preferences:
    """How the user likes to stretch: hold time and time to get into position (seconds)."""

    hold_seconds: int = HOLD_DEFAULT
    setup_seconds: int = SETUP_DEFAULT

    @property
    def default(self) -> bool:
        return self == Preferences()

    def to_dict(self) -> dict[str, int]:
        return {"hold_seconds": self.hold_seconds, "setup_seconds": self.setup_seconds}

    @classmethod
    def from_dict(cls, data: Any) -> Preferences:
        if not isinstance(data, Mapping) or set(data) != {"hold_seconds", "setup_seconds"}:
            raise ValueError("prefs must have exactly hold_seconds and setup_seconds")
        hold, setup = data["hold_seconds"], data["setup_seconds"]
        if type(hold) is not int or not HOLD_MIN <= hold <= HOLD_MAX:
            raise ValueError(f"bad hold_seconds {hold!r}")
        if type(setup) is not int or not SETUP_MIN <= setup <= SETUP_MAX:
            raise ValueError(f"bad setup_seconds {setup!r}")
        return cls(hold, setup)


@dataclass
class Progress:
    first_session_date: date | None = None
    sessions: dict[date, int] = field(default_factory=dict)  # local date -> completed
    last_checkin_asked: date | None = None
    place: Place | None = None
    reminder_ids: list[str] = field(default_factory=list)  # alert tokens we created
    prefs: Preferences = field(default_factory=Preferences)
    speech: str | None = None
    """The language chosen on an English Echo ("speak Swedish"): ``sv``, ``en`` or unset."""

    # -- (de)serialisation ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "first_session_date": _iso(self.first_session_date),
            "sessions": {d.isoformat(): n for d, n in sorted(self.sessions.items())},
            "last_checkin_asked": _iso(self.last_checkin_asked),
            "place": self.place.to_dict() if self.place else None,
            "reminder_ids": list(self.reminder_ids),
            "prefs": self.prefs.to_dict(),
            "speech": self.speech,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Progress:
        """Parse a stored dict; raise :class:`ValueError` if anything is malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("progress must be a mapping")
        if data.get("version", VERSION) != VERSION:
            raise ValueError(f"unknown progress version {data.get('version')!r}")
        known = {"version", "first_session_date", "sessions", "last_checkin_asked",
                 "place", "reminder_ids", "prefs", "speech"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown progress fields {sorted(unknown)}")

        sessions = _parse_sessions(data.get("sessions"))
        first = _parse_optional_date(data.get("first_session_date"), "first_session_date")
        if sessions and first is None:
            raise ValueError("sessions without first_session_date")
        if first is not None and sessions and min(sessions) < first:
            raise ValueError("sessions before first_session_date")
        asked = _parse_optional_date(data.get("last_checkin_asked"), "last_checkin_asked")
        return cls(first_session_date=first, sessions=sessions, last_checkin_asked=asked,
                   place=_parse_place(data.get("place")),
                   reminder_ids=_parse_reminder_ids(data.get("reminder_ids")),
                   prefs=_parse_prefs(data.get("prefs")),
                   speech=_parse_speech(data.get("speech")))


def _parse_sessions(raw: Any) -> dict[date, int]:
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping) or len(raw) > KEEP_DAYS + 1:
        raise ValueError("sessions must be a mapping of at most one entry per kept day")
    sessions: dict[date, int] = {}
    for key, count in raw.items():
        day = _parse_date(key, "sessions key")
        if type(count) is not int or not 0 < count <= _MAX_PER_DAY:
            raise ValueError(f"bad session count {count!r} for {key}")
        sessions[day] = count
    return sessions


def _parse_place(raw: Any) -> Place | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"state", "saved_on"}:
        raise ValueError("place must have exactly state and saved_on")
    from skill.core.stretch import StretchState  # raises ValueError when malformed

    return Place(state=StretchState.from_dict(raw["state"]).to_dict(),
                 saved_on=_parse_date(raw["saved_on"], "place.saved_on"))


def _parse_reminder_ids(raw: Any) -> list[str]:
    raw = [] if raw is None else raw
    if (not isinstance(raw, list) or len(raw) > MAX_REMINDERS
            or not all(isinstance(t, str) and t and len(t) <= 512 for t in raw)):
        raise ValueError("reminder_ids must be a short list of non-empty strings")
    return list(raw)


SPEECHES = ("sv", "en")


def _parse_speech(raw: Any) -> str | None:
    if raw is not None and raw not in SPEECHES:
        raise ValueError(f"bad speech {raw!r}")
    return str(raw) if raw is not None else None


def _parse_prefs(raw: Any) -> Preferences:
    return Preferences() if raw is None else Preferences.from_dict(raw)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _parse_date(value: Any, what: str) -> date:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected an ISO date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: not an ISO date: {value!r}") from None


def _parse_optional_date(value: Any, what: str) -> date | None:
    return None if value is None else _parse_date(value, what)


def load_progress(attributes: Mapping[str, Any] | None) -> Progress:
    """The progress in persistent ``attributes``; a fresh one (with a log line) if the
    stored value is missing or malformed."""
    raw = (attributes or {}).get(ATTRIBUTE_KEY)
    if raw is None:
        return Progress()
    try:
        return Progress.from_dict(raw)
    except ValueError as exc:
        log.warning("stored progress is malformed (%s); starting afresh", exc)
        return Progress()


def store_progress(attributes: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Put ``progress`` into ``attributes`` (in place) and return them."""
    attributes[ATTRIBUTE_KEY] = progress.to_dict()
    return attributes


# -- time ------------------------------------------------------------------------------


def local_date(now_utc: datetime, tz: ZoneInfo) -> date:
    """The user's calendar date at the instant ``now_utc`` (must be timezone-aware)."""
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    return now_utc.astimezone(tz).date()


def resolve_timezone(
    zone_name: str | None, locale: str, default: str = "Europe/Stockholm"
) -> ZoneInfo:
    """The user's zone: ``zone_name`` from the device settings API when it is valid;
    otherwise Europe/Stockholm for sv-SE and ``default`` for other locales (logged)."""
    if zone_name:
        try:
            return ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            log.warning("invalid time zone %r from the settings API (%s)", zone_name, exc)
    fallback = "Europe/Stockholm" if (locale or "").lower().startswith("sv") else default
    log.info("no usable device time zone for %r; using %s", locale, fallback)
    try:
        return ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError):
        log.error("default time zone %r is invalid; using Europe/Stockholm", fallback)
        return ZoneInfo("Europe/Stockholm")


# -- sessions --------------------------------------------------------------------------


def _prune(progress: Progress, today: date) -> None:
    oldest = today - timedelta(days=KEEP_DAYS - 1)
    for day in [d for d in progress.sessions if d < oldest]:
        del progress.sessions[day]


def record_completed(progress: Progress, now_utc: datetime, tz: ZoneInfo) -> int:
    """Count one completed session on the user's local date; return today's count.

    Also clears the saved place (the session is finished) and drops counts older
    than :data:`KEEP_DAYS` days.
    """
    today = local_date(now_utc, tz)
    if progress.first_session_date is None or progress.first_session_date > today:
        progress.first_session_date = today
    progress.sessions[today] = min(progress.sessions.get(today, 0) + 1, _MAX_PER_DAY)
    progress.place = None
    _prune(progress, today)
    return progress.sessions[today]


def sessions_today(progress: Progress, now_utc: datetime, tz: ZoneInfo) -> int:
    return progress.sessions.get(local_date(now_utc, tz), 0)


def remaining_today(count: int, target: int = DAILY_TARGET) -> int:
    """Sessions still to do today to reach ``target`` (never negative)."""
    return max(0, target - count)


def days_active(progress: Progress, now_utc: datetime, tz: ZoneInfo, days: int = 7) -> int:
    """On how many of the last ``days`` local days (today included) the user stretched."""
    today = local_date(now_utc, tz)
    return sum(1 for d in progress.sessions if 0 <= (today - d).days < days)


def count_today_say(ordinal_word: str | None, count: int, target: int = DAILY_TARGET) -> Say:
    """The part that says how today's count stands.

    ``ordinal_word`` is the locale's text of ``ordinal_key(count)`` (``None`` when that
    is ``None``): ``Say(key, params)`` for ``progress.count_today`` (``{ordinal}``,
    ``{remaining}``), ``progress.target_reached`` (``{ordinal}``) or
    ``progress.count_many`` (``{count}``) beyond the ordinals we have words for, and
    ``progress.count_lots`` (no number) beyond :data:`SPOKEN_COUNT_MAX`.
    """
    if count > SPOKEN_COUNT_MAX:
        return Say("progress.count_lots")
    if count > MAX_ORDINAL or ordinal_word is None:
        return Say("progress.count_many", {"count": count})
    if count >= target:
        return Say("progress.target_reached", {"ordinal": ordinal_word})
    return Say("progress.count_today",
               {"ordinal": ordinal_word, "remaining": remaining_today(count, target)})


def ordinal_key(count: int) -> str | None:
    """Content key of the ordinal word for ``count`` (1..5), else ``None``."""
    return f"progress.ordinal.{count}" if 1 <= count <= MAX_ORDINAL else None


# -- weekly check-in -------------------------------------------------------------------


def checkin_due(progress: Progress, now_utc: datetime, tz: ZoneInfo) -> bool:
    """Ask "is your heel better?" from day 21 after the first session, once a week at most."""
    if progress.first_session_date is None:
        return False
    today = local_date(now_utc, tz)
    if (today - progress.first_session_date).days < CHECKIN_AFTER_DAYS:
        return False
    last = progress.last_checkin_asked
    return last is None or (today - last).days >= CHECKIN_EVERY_DAYS or last > today


def mark_checkin_asked(progress: Progress, now_utc: datetime, tz: ZoneInfo) -> None:
    progress.last_checkin_asked = local_date(now_utc, tz)


# -- "continue where you left off" -----------------------------------------------------


def save_place(progress: Progress, state: Mapping[str, Any], now_utc: datetime,
               tz: ZoneInfo) -> None:
    """Remember the stretch module's serialised state (a JSON-able dict) for today."""
    if not isinstance(state, Mapping):
        raise TypeError("state must be a mapping")
    progress.place = Place(state=_copy(dict(state)), saved_on=local_date(now_utc, tz))


def clear_place(progress: Progress) -> None:
    progress.place = None


def place_for_today(progress: Progress, now_utc: datetime, tz: ZoneInfo) -> dict[str, Any] | None:
    """The saved stretch state if it was saved on the user's local today, else ``None``."""
    if progress.place is None or progress.place.saved_on != local_date(now_utc, tz):
        return None
    return _copy(progress.place.state)


# -- preferences -----------------------------------------------------------------------


def set_preferences(progress: Progress, prefs: Preferences) -> None:
    progress.prefs = prefs


def set_speech(progress: Progress, speech: str) -> None:
    if speech not in SPEECHES:
        raise ValueError(f"bad speech {speech!r}")
    progress.speech = speech


# -- reminders -------------------------------------------------------------------------


def set_reminder_ids(progress: Progress, tokens: list[str]) -> None:
    progress.reminder_ids = list(tokens)[:MAX_REMINDERS]


def clear_reminder_ids(progress: Progress) -> list[str]:
    """Forget the stored reminder tokens and return them (to delete them)."""
    tokens, progress.reminder_ids = progress.reminder_ids, []
    return tokens
