"""What the skill knows about the user (progress, time zone) and the side effects it runs.

The dialogue is pure: it gets :class:`skill.core.dialogue.Facts` before deciding and names
its side effects in ``Decision.effects``; this module reads and writes the persistent
progress (through the skill's ``AbstractPersistenceAdapter``) and calls the Reminders API.
A storage or API failure never stops the answer: the user hears what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.handlers.interceptors import pseudonym
from skill.alexa.persistence import update_attributes
from skill.alexa.reminders import (
    DEFAULT_TIMES,
    ReminderError,
    create_daily_reminders,
    delete_all_reminders,
    delete_reminders,
    fetch_time_zone,
)
from skill.alexa.turn import session_attributes, speech_choice, system_state, turn_of
from skill.content import load_content
from skill.core import progress as prog
from skill.core.dialogue import Facts
from skill.core.effects import (
    ClearPlace,
    CreateReminders,
    DeleteData,
    Effect,
    MarkCheckin,
    Outcome,
    RecordSession,
    ReminderResult,
    SavePlace,
    SavePreferences,
    SaveSpeech,
)
from skill.core.session_plan import AudioMode, mode_for_locale

log = logging.getLogger(__name__)

TZ_ATTR = "tz"


def _now(handler_input: HandlerInput) -> datetime:
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _adapter(handler_input: HandlerInput) -> AbstractPersistenceAdapter | None:
    return turn_of(handler_input).storage


def user_timezone(handler_input: HandlerInput, locale: str) -> ZoneInfo:
    """The device's zone (Alexa settings API, cached in the session) or the locale's default."""
    session = session_attributes(handler_input)
    name = session.get(TZ_ATTR) if isinstance(session, dict) else None
    if not isinstance(name, str) or not name:
        system = system_state(handler_input)
        name = None
        if system.api_endpoint and system.api_access_token:
            device = getattr(system.device, "device_id", None)
            name = fetch_time_zone(handler_input.service_client_factory, device)
    zone = prog.resolve_timezone(name, locale,
                                 default=turn_of(handler_input).settings.default_timezone)
    if isinstance(session, dict):
        session[TZ_ATTR] = zone.key
    return zone


def load_progress(handler_input: HandlerInput) -> prog.Progress | None:
    """The user's stored progress; ``None`` when there is no storage.

    Raises :class:`PersistenceException` when the storage could not be read.
    """
    if _adapter(handler_input) is None:
        return None
    return prog.load_progress(handler_input.attributes_manager.persistent_attributes)


class StoredFacts:
    """:class:`skill.core.dialogue.Facts`, read from storage only when the dialogue asks.

    Most turns (reading the leaflet, the clinic) never look at progress, so they cost no
    storage read; a launch or the end of a stretch session does.
    """

    def __init__(self, handler_input: HandlerInput, audio_mode: AudioMode) -> None:
        self._handler_input = handler_input
        self.audio_mode = audio_mode
        self.storage_failed = False
        """The stored progress could not be read (the answer says it was not saved)."""

    @cached_property
    def _stored(self) -> tuple[prog.Progress, datetime, ZoneInfo] | None:
        try:
            progress = load_progress(self._handler_input)
        except PersistenceException as exc:
            log.warning("could not read progress: %s", exc)
            self.storage_failed = True
            return None
        if progress is None:
            return None
        locale = turn_of(self._handler_input).locale
        return progress, _now(self._handler_input), user_timezone(self._handler_input, locale)

    @property
    def returning(self) -> bool:
        return self._stored is not None and self._stored[0].first_session_date is not None

    @property
    def place_today(self) -> dict | None:
        return prog.place_for_today(*self._stored) if self._stored else None

    @property
    def checkin_due(self) -> bool:
        return prog.checkin_due(*self._stored) if self._stored else False

    @property
    def sessions_today(self) -> int:
        return prog.sessions_today(*self._stored) if self._stored else 0

    @property
    def has_reminders(self) -> bool:
        return bool(self._stored and self._stored[0].reminder_ids)

    @property
    def booking_url(self) -> str | None:
        return turn_of(self._handler_input).settings.booking_url

    @property
    def preferences(self) -> prog.Preferences:
        return self._stored[0].prefs if self._stored else prog.Preferences()

    @property
    def language_choice(self) -> bool:
        """The device is an English Echo: "speak Swedish" switches the answers' language."""
        turn = turn_of(self._handler_input)
        return speech_choice(turn.device_locale, turn.max_audio_tags)


def load_facts(handler_input: HandlerInput) -> StoredFacts:
    """Facts for the dialogue, read lazily; empty when storage is off or unreadable."""
    locale = turn_of(handler_input).locale
    # English cues are spoken words ("Now." "Release."), not tone clips: TEXT mode.
    mode = mode_for_locale(locale, cue_clips=False)
    return StoredFacts(handler_input, mode)


def _update(handler_input: HandlerInput, change: Callable[[prog.Progress], object]) -> bool:
    """Apply ``change(progress)`` in one transaction; False (and logged) on failure."""
    adapter = _adapter(handler_input)
    if adapter is None:
        return True

    def apply(attributes: dict) -> dict:
        current = prog.load_progress(attributes)
        change(current)
        return prog.store_progress(dict(attributes), current)

    try:
        update_attributes(adapter, handler_input.request_envelope, apply)
        return True
    except PersistenceException as exc:
        log.warning("could not save progress: %s", exc)
        return False


def _reminder_locale(locale: str) -> str:
    """Alexa speaks reminders itself, and it has no Swedish: use English for sv-SE."""
    return locale if locale.startswith("en-") else "en-GB"


def _reminder_client(handler_input: HandlerInput) -> Any:
    if not system_state(handler_input).api_endpoint:
        raise ReminderError("unavailable", "no Alexa API behind this front end")
    return handler_input.service_client_factory.get_reminder_management_service()


def _create_reminders(handler_input: HandlerInput, tz: ZoneInfo) -> Outcome:
    client = _reminder_client(handler_input)
    locale = _reminder_locale(turn_of(handler_input).device_locale)
    text = load_content(locale).text("reminders.spoken_text")
    tokens = create_daily_reminders(client, DEFAULT_TIMES, tz.key, locale, text,
                                    now=_now(handler_input))
    saved = _update(handler_input, lambda p: prog.set_reminder_ids(p, tokens))
    return Outcome(reminders=ReminderResult.CREATED, reminder_ids_saved=saved)


def _delete_reminders(handler_input: HandlerInput) -> Outcome:
    client = _reminder_client(handler_input)
    known: list[str] = []

    def forget(p: prog.Progress) -> None:
        known.extend(prog.clear_reminder_ids(p))

    _update(handler_input, forget)
    deleted = delete_reminders(client, known) if known else delete_all_reminders(client)
    return Outcome(reminders=ReminderResult.STOPPED if deleted else ReminderResult.NONE_TO_STOP)


_REMINDER_ERRORS = {"permission": ReminderResult.NEED_PERMISSION,
                    "rate_limited": ReminderResult.RATE_LIMITED}


def _reminders(handler_input: HandlerInput, effect: Effect, tz: ZoneInfo) -> Outcome:
    """Create or delete the reminders; a failure is an outcome, never an exception."""
    try:
        if isinstance(effect, CreateReminders):
            return _create_reminders(handler_input, tz)
        return _delete_reminders(handler_input)
    except ReminderError as exc:
        log.warning("reminders: %s", exc.kind)
        return Outcome(reminders=_REMINDER_ERRORS.get(exc.kind, ReminderResult.UNAVAILABLE))
    except Exception as exc:  # no API client / endpoint (console): say so, never crash
        log.warning("reminders unavailable: %s", exc)
        return Outcome(reminders=ReminderResult.UNAVAILABLE)


def forget_user(handler_input: HandlerInput) -> bool:
    """Delete everything stored about this user; True when done (or nothing was stored)."""
    adapter = _adapter(handler_input)
    if adapter is None:
        return True
    try:
        adapter.delete_attributes(handler_input.request_envelope)
    except PersistenceException as exc:
        log.warning("could not delete stored data: %s", exc)
        return False
    log.info("stored data deleted for user %s", pseudonym(handler_input))
    return True


def _progress_change(effect: Effect, now: datetime, tz: ZoneInfo
                     ) -> Callable[[prog.Progress], object] | None:
    """The change an effect makes to the stored progress (``None``: not a progress effect)."""
    if isinstance(effect, SavePlace):
        place = dict(effect.place)
        return lambda p: prog.save_place(p, place, now, tz)
    if isinstance(effect, ClearPlace):
        return prog.clear_place
    if isinstance(effect, RecordSession):
        return lambda p: prog.record_completed(p, now, tz)
    if isinstance(effect, MarkCheckin):
        return lambda p: prog.mark_checkin_asked(p, now, tz)
    if isinstance(effect, SavePreferences):
        prefs = prog.Preferences(effect.hold_seconds, effect.setup_seconds)
        return lambda p: prog.set_preferences(p, prefs)
    if isinstance(effect, SaveSpeech):
        return lambda p: prog.set_speech(p, effect.speech)
    return None


def _run_one(handler_input: HandlerInput, effect: Effect, now: datetime, tz: ZoneInfo
             ) -> Outcome:
    change = _progress_change(effect, now, tz)
    if change is not None:
        return Outcome(saved=_update(handler_input, change))
    if isinstance(effect, DeleteData):
        return Outcome(deleted=forget_user(handler_input))
    return _reminders(handler_input, effect, tz)


def _merge(total: Outcome, one: Outcome) -> Outcome:
    return Outcome(
        saved=total.saved and one.saved,
        reminders=one.reminders or total.reminders,
        reminder_ids_saved=total.reminder_ids_saved and one.reminder_ids_saved,
        deleted=one.deleted if one.deleted is not None else total.deleted,
    )


def run_effects(handler_input: HandlerInput, effects: Sequence[Effect], facts: Facts) -> Outcome:
    """Carry out ``effects`` in order and report what happened (never words)."""
    outcome = Outcome(saved=not getattr(facts, "storage_failed", False))
    if not effects:
        return outcome
    now = _now(handler_input)
    tz = user_timezone(handler_input, turn_of(handler_input).locale)
    for effect in effects:
        outcome = _merge(outcome, _run_one(handler_input, effect, now, tz))
    return outcome
