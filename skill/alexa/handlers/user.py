"""What the skill knows about the user (progress, time zone) and the side effects it runs.

The dialogue is pure: it gets :class:`skill.core.dialogue.UserFacts` before deciding and names
its side effects in ``Decision.effects``; this module reads and writes the persistent
progress (through the skill's ``AbstractPersistenceAdapter``) and calls the Reminders API.
A storage or API failure never stops the answer: the user hears what went wrong.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.handlers.interceptors import pseudonym, session_attributes
from skill.alexa.persistence import update_attributes
from skill.alexa.reminders import (
    DEFAULT_TIMES,
    ReminderError,
    create_daily_reminders,
    delete_all_reminders,
    delete_reminders,
    fetch_time_zone,
)
from skill.config import Settings
from skill.content import load_content
from skill.core import progress as prog
from skill.core.dialogue import Decision, UserFacts
from skill.core.parts import Part, Say
from skill.core.session_plan import AudioMode, mode_for_locale

log = logging.getLogger(__name__)

TZ_ATTR = "tz"
PERMISSION_CARD_ATTR = "ask_reminder_permission"
STORAGE_FAILED_ATTR = "storage_failed"


def _now(handler_input: HandlerInput) -> datetime:
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _adapter(handler_input: HandlerInput) -> AbstractPersistenceAdapter | None:
    return handler_input.attributes_manager.request_attributes.get("adapter")


def user_timezone(handler_input: HandlerInput, locale: str) -> ZoneInfo:
    """The device's zone (Alexa settings API, cached in the session) or the locale's default."""
    session = session_attributes(handler_input)
    name = session.get(TZ_ATTR) if isinstance(session, dict) else None
    if not isinstance(name, str) or not name:
        system = handler_input.request_envelope.context.system
        name = None
        if system.api_endpoint and system.api_access_token:
            device = getattr(system.device, "device_id", None)
            name = fetch_time_zone(handler_input.service_client_factory, device)
    settings = handler_input.attributes_manager.request_attributes.get("settings")
    zone = prog.resolve_timezone(name, locale,
                                 default=(settings or Settings()).default_timezone)
    if isinstance(session, dict):
        session[TZ_ATTR] = zone.key
    return zone


def load_progress(handler_input: HandlerInput) -> prog.Progress | None:
    """The user's stored progress; ``None`` when there is no storage or it failed."""
    if _adapter(handler_input) is None:
        return None
    try:
        return prog.load_progress(handler_input.attributes_manager.persistent_attributes)
    except PersistenceException as exc:
        log.warning("could not read progress: %s", exc)
        handler_input.attributes_manager.request_attributes[STORAGE_FAILED_ATTR] = True
        return None


class StoredFacts:
    """:class:`skill.core.dialogue.UserFacts`, read from storage only when the dialogue asks.

    Most turns (reading the leaflet, the clinic) never look at progress, so they cost no
    storage read; a launch or the end of a stretch session does.
    """

    def __init__(self, handler_input: HandlerInput, audio_mode: AudioMode) -> None:
        self._handler_input = handler_input
        self.audio_mode = audio_mode

    @cached_property
    def _stored(self) -> tuple[prog.Progress, datetime, ZoneInfo] | None:
        progress = load_progress(self._handler_input)
        if progress is None:
            return None
        locale = self._handler_input.attributes_manager.request_attributes["locale"]
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
        settings = self._handler_input.attributes_manager.request_attributes.get("settings")
        return settings.booking_url if settings is not None else None


def load_facts(handler_input: HandlerInput) -> UserFacts:
    """Facts for the dialogue, read lazily; empty when storage is off or unreadable."""
    locale = handler_input.attributes_manager.request_attributes["locale"]
    # English cues are spoken words ("Now." "Release."), not tone clips: TEXT mode.
    mode = mode_for_locale(locale, cue_clips=False)
    return StoredFacts(handler_input, mode)  # type: ignore[return-value]


def _update(handler_input: HandlerInput, change) -> bool:
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


def _reminders(handler_input: HandlerInput, create: bool, tz: ZoneInfo) -> list[Part]:
    attrs = handler_input.attributes_manager.request_attributes
    if not handler_input.request_envelope.context.system.api_endpoint:
        log.info("reminders: no Alexa API behind this front end")
        return [Say("reminders.error")]
    try:
        client = handler_input.service_client_factory.get_reminder_management_service()
        if create:
            locale = _reminder_locale(attrs["locale"])
            text = load_content(locale).text("reminders.spoken_text")
            tokens = create_daily_reminders(client, DEFAULT_TIMES, tz.key, locale, text,
                                            now=_now(handler_input))
            saved = _update(handler_input, lambda p: prog.set_reminder_ids(p, tokens))
            return [Say("reminders.created")] + ([] if saved else [Say("progress.not_saved")])
        known: list[str] = []

        def forget(p: prog.Progress) -> None:
            known.extend(prog.clear_reminder_ids(p))

        _update(handler_input, forget)
        deleted = delete_reminders(client, known) if known else delete_all_reminders(client)
        return [Say("reminders.stopped" if deleted else "reminders.none_to_stop")]
    except ReminderError as exc:
        log.warning("reminders: %s", exc.kind)
        if exc.kind == "permission":
            attrs[PERMISSION_CARD_ATTR] = True
            return [Say("reminders.need_permission")]
        return [Say("reminders.rate_limited" if exc.kind == "rate_limited" else "reminders.error")]
    except Exception as exc:  # no API client / endpoint (console): say so, never crash
        log.warning("reminders unavailable: %s", exc)
        return [Say("reminders.error")]


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


def run_effects(handler_input: HandlerInput, decision: Decision) -> None:
    """Carry out the decision's side effects; words they add go before its last part."""
    if not decision.effects:
        return
    attrs = handler_input.attributes_manager.request_attributes
    now = _now(handler_input)
    tz = user_timezone(handler_input, attrs["locale"])
    extra: list[Part] = []
    stretch_state = decision.state.stretch
    saved = True
    for effect in decision.effects:
        if effect == "save_place" and stretch_state:
            saved &= _update(handler_input, lambda p: prog.save_place(p, stretch_state, now, tz))
        elif effect == "clear_place":
            saved &= _update(handler_input, prog.clear_place)
        elif effect == "record_completed":
            saved &= _update(handler_input, lambda p: prog.record_completed(p, now, tz))
        elif effect == "mark_checkin":
            saved &= _update(handler_input, lambda p: prog.mark_checkin_asked(p, now, tz))
        elif effect == "delete_data":
            extra.append(Say("privacy.deleted" if forget_user(handler_input)
                             else "privacy.delete_failed"))
        elif effect in ("create_reminders", "delete_reminders"):
            extra += _reminders(handler_input, effect == "create_reminders", tz)
    if not saved or attrs.get(STORAGE_FAILED_ATTR):
        if "record_completed" in decision.effects or "save_place" in decision.effects:
            extra.append(Say("progress.not_saved"))
    if extra:
        at = max(len(decision.speech) - 1, 0)
        decision.speech[at:at] = extra
