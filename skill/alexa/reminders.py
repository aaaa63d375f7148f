"""Daily stretch reminders through the Alexa Reminders API (ask-sdk service client).

The client is ``handler_input.service_client_factory.get_reminder_management_service()``,
which exists only when the skill is built with
``CustomSkillBuilder(api_client=DefaultApiClient())``. The user must have granted
:data:`REMINDER_SCOPE` (voice ``AskFor`` or the consent card); otherwise the API answers
401/403 and we raise ``ReminderError("permission")``.

Each reminder is ``SCHEDULED_ABSOLUTE`` at the user's local time with ``timeZoneId`` and
``recurrenceRules`` ``FREQ=DAILY;BYHOUR=h;BYMINUTE=m;BYSECOND=0;INTERVAL=1;``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_model.services import ApiClientRequest
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderManagementServiceClient,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)
from ask_sdk_model.services.service_exception import ServiceException

log = logging.getLogger(__name__)

#: What the service client can raise: ServiceException (HTTP errors, network errors as
#: status 500), SerializationException for bodies it cannot parse, ValueError (no client).
_FAILURES = (ServiceException, AskSdkException, ValueError)

REMINDER_SCOPE = "alexa::alerts:reminders:skill:readwrite"

#: Local times the reminders offer proposes (leaflet: four to five times a day); the
#: content keys ``reminders.times`` / ``reminders.created`` speak exactly these.
DEFAULT_TIMES: tuple[tuple[int, int], ...] = ((8, 0), (11, 0), (14, 0), (17, 0), (20, 0))


class ReminderError(Exception):
    """The Reminders API refused or failed.

    ``kind`` is ``"permission"`` (401/403: ask for consent), ``"rate_limited"`` (429) or
    ``"unavailable"`` (5xx, network, anything else). ``status`` is the HTTP status if any.
    ``leftover`` lists alert tokens that exist although the operation failed.
    """

    KINDS = ("permission", "rate_limited", "unavailable")

    def __init__(self, kind: str, message: str = "", status: int | None = None,
                 leftover: Sequence[str] = ()) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown ReminderError kind {kind!r}")
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.status = status
        self.leftover = list(leftover)


def _kind_for(status: int | None) -> str:
    if status in (401, 403):
        return "permission"
    if status == 429:
        return "rate_limited"
    return "unavailable"


def _error(action: str, exc: Exception) -> ReminderError:
    status = getattr(exc, "status_code", None)
    kind = _kind_for(status)
    log.warning("reminders: %s failed (%s, HTTP %s): %s", action, kind, status, exc)
    return ReminderError(kind, f"{action}: {exc}", status)


def _recurrence_rule(hour: int, minute: int) -> str:
    return f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute};BYSECOND=0;INTERVAL=1;"


def next_local_time(hour: int, minute: int, tz: ZoneInfo, now_utc: datetime) -> datetime:
    """The next ``hour:minute`` on the user's wall clock after ``now_utc`` (naive, local)."""
    local_now = now_utc.astimezone(tz).replace(tzinfo=None)
    candidate = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate


def build_daily_reminder(
    hour: int, minute: int, tz_name: str, locale: str, text: str,
    *, now: datetime | None = None,
) -> ReminderRequest:
    """A reminder spoken every day at ``hour:minute`` local time in ``tz_name``.

    ``text`` is what Alexa says (content key ``reminders.spoken_text``) in ``locale``.
    ``now`` (aware; default: the current time) fixes requestTime and the first
    scheduledTime, both written as local wall-clock times without an offset.
    """
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"bad reminder time {hour}:{minute}")
    if not text:
        raise ValueError("reminder text is empty")
    tz = ZoneInfo(tz_name)
    now_utc = now if now is not None else datetime.now(ZoneInfo("UTC"))
    if now_utc.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    request_time = now_utc.astimezone(tz).replace(tzinfo=None, microsecond=0)
    return ReminderRequest(
        request_time=request_time,
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=next_local_time(hour, minute, tz, now_utc),
            time_zone_id=tz_name,
            recurrence=Recurrence(recurrence_rules=[_recurrence_rule(hour, minute)]),
        ),
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def create_daily_reminders(
    client: ReminderManagementServiceClient,
    times: Iterable[tuple[int, int]],
    tz_name: str,
    locale: str,
    text: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Create one daily reminder per ``(hour, minute)``; return their alert tokens.

    All or nothing: if one fails, the ones already created are deleted (best effort;
    any that could not be are in ``ReminderError.leftover``) and the error is raised.
    """
    tokens: list[str] = []
    for hour, minute in times:
        request = build_daily_reminder(hour, minute, tz_name, locale, text, now=now)
        try:
            response = client.create_reminder(reminder_request=request)
        except _FAILURES as exc:
            error = _error("create reminder", exc)
            error.leftover = _rollback(client, tokens)
            raise error from exc
        token = getattr(response, "alert_token", None)
        if not token:
            error = ReminderError("unavailable", "create reminder: no alertToken in response")
            error.leftover = _rollback(client, tokens)
            log.warning("reminders: %s", error)
            raise error
        tokens.append(token)
    log.info("reminders: created %d daily reminders in %s", len(tokens), tz_name)
    return tokens


def _rollback(client: ReminderManagementServiceClient, tokens: list[str]) -> list[str]:
    leftover = []
    for token in tokens:
        try:
            client.delete_reminder(alert_token=token)
        except _FAILURES as exc:
            if getattr(exc, "status_code", None) != 404:
                log.warning("reminders: could not roll back %s: %s", token, exc)
                leftover.append(token)
    return leftover


def delete_reminders(client: ReminderManagementServiceClient, tokens: Iterable[str]) -> int:
    """Delete the reminders with these alert tokens; one already gone (404) is fine.

    Returns how many were deleted. Raises :class:`ReminderError` on the first failure.
    """
    deleted = 0
    for token in tokens:
        try:
            client.delete_reminder(alert_token=token)
        except _FAILURES as exc:
            if getattr(exc, "status_code", None) == 404:
                log.info("reminders: %s was already deleted", token)
                continue
            raise _error("delete reminder", exc) from exc
        deleted += 1
    return deleted


def list_reminders(client: ReminderManagementServiceClient) -> list[dict[str, Any]]:
    """The reminders this skill has created for the user (the API lists only ours), as
    the API's JSON objects (``alertToken``, ``status``, ``trigger``, ``alertInfo``...).

    ask-sdk-model cannot deserialise real list responses (its ``AlertInfo`` points at a
    missing ``alert_info_spoken_info`` module; alexa/alexa-apis-for-python#30 fails on
    empty datetimes), so the body is read as plain JSON.
    """
    try:
        response = client.get_reminders()
    except ServiceException as exc:
        raise _error("list reminders", exc) from exc
    except (AskSdkException, ValueError) as exc:
        log.info("reminders: SDK could not parse the list (%s); reading it as JSON", exc)
        return _raw_list(client)
    serializer = getattr(client, "_serializer", None)
    alerts = getattr(response, "alerts", None) or []
    return [serializer.serialize(a) if serializer else a.to_dict() for a in alerts]


def _raw_list(client: ReminderManagementServiceClient) -> list[dict[str, Any]]:
    # The same request get_reminders() makes, through the same configured api client.
    request = ApiClientRequest(
        url=f"{client._api_endpoint}/v1/alerts/reminders", method="GET",
        headers=[("Content-type", "application/json"),
                 ("Authorization", f"Bearer {client._authorization_value}")])
    try:
        response = client._api_client.invoke(request)
    except Exception as exc:  # the api client wraps everything in ApiClientException
        raise _error("list reminders", exc) from exc
    status = response.status_code
    if status is None or not 200 <= status < 300:
        error = ReminderError(_kind_for(status), f"list reminders: HTTP {status}", status)
        log.warning("reminders: %s", error)
        raise error
    try:
        body = json.loads(response.body) if response.body else {}
    except ValueError as exc:
        raise ReminderError("unavailable", f"list reminders: bad JSON: {exc}") from exc
    alerts = body.get("alerts") if isinstance(body, dict) else None
    return [a for a in alerts or [] if isinstance(a, dict)]


def delete_all_reminders(client: ReminderManagementServiceClient) -> int:
    """Delete every reminder of this skill for the user (also ones whose tokens we lost).

    Returns how many were deleted; 0 means there were none to stop.
    """
    tokens = [a["alertToken"] for a in list_reminders(client) if a.get("alertToken")]
    return delete_reminders(client, tokens)


def fetch_time_zone(service_client_factory: Any, device_id: str | None) -> str | None:
    """The device's time zone name from the settings (UPS) API, or ``None`` on any failure.

    Feed the result to :func:`skill.core.progress.resolve_timezone`.
    """
    if service_client_factory is None or not device_id:
        return None
    try:
        zone = service_client_factory.get_ups_service().get_system_time_zone(device_id=device_id)
    except _FAILURES as exc:
        log.info("settings API gave no time zone (%s)", exc)
        return None
    return zone if isinstance(zone, str) and zone else None
