"""Reminders through ask-sdk's real service client against a local Alexa API stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services.reminder_management import ReminderRequest

from skill.alexa import reminders as rm
from skill.alexa.reminders import DEFAULT_TIMES, REMINDER_SCOPE, ReminderError
from tests.alexa_api_standin import REMINDERS_PATH, AlexaApiStandin

TOKEN = "test-api-access-token"
NOW = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)  # 12:30 in Stockholm (CEST)
TEXT = "Time for your heel stretches."


@pytest.fixture
def api(alexa_api):
    return alexa_api


def envelope(endpoint: str, locale: str = "en-US") -> RequestEnvelope:
    raw = {
        "version": "1.0",
        "session": {
            "new": False, "sessionId": "amzn1.echo-api.session.TEST",
            "application": {"applicationId": "amzn1.ask.skill.test"},
            "user": {"userId": "amzn1.ask.account.TEST",
                     "permissions": {"consentToken": TOKEN, "scopes": {
                         REMINDER_SCOPE: {"status": "GRANTED"}}}},
            "attributes": {},
        },
        "context": {"System": {
            "application": {"applicationId": "amzn1.ask.skill.test"},
            "user": {"userId": "amzn1.ask.account.TEST"},
            "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
            "apiEndpoint": endpoint,
            "apiAccessToken": TOKEN,
        }},
        "request": {
            "type": "IntentRequest", "requestId": "amzn1.echo-api.request.TEST",
            "timestamp": "2024-05-01T10:30:00Z", "locale": locale,
            "intent": {"name": "SetRemindersIntent", "confirmationStatus": "NONE"},
        },
    }
    return DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)


def run_in_skill(endpoint: str, action) -> Any:
    """Invoke a real CustomSkill(api_client=DefaultApiClient()) whose one handler runs
    ``action(handler_input)``; return its result or raise its exception."""
    outcome: dict[str, Any] = {}

    class Handler(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return True

        def handle(self, handler_input):
            try:
                outcome["result"] = action(handler_input)
            except Exception as exc:
                outcome["error"] = exc
            return handler_input.response_builder.speak("ok").response

    builder = CustomSkillBuilder(api_client=DefaultApiClient())
    builder.add_request_handler(Handler())
    builder.create().invoke(request_envelope=envelope(endpoint), context=None)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def client_of(handler_input):
    return handler_input.service_client_factory.get_reminder_management_service()


def create(handler_input, times=DEFAULT_TIMES):
    return rm.create_daily_reminders(client_of(handler_input), times, "Europe/Stockholm",
                                     "en-US", TEXT, now=NOW)


# -- the request object ----------------------------------------------------------------


def test_build_daily_reminder_fields():
    request = rm.build_daily_reminder(8, 0, "Europe/Stockholm", "en-US", TEXT, now=NOW)
    assert isinstance(request, ReminderRequest)
    body = DefaultSerializer().serialize(request)
    assert body == {
        "requestTime": "2024-05-01T12:30:00",
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2024-05-02T08:00:00",  # 08:00 has passed today
            "timeZoneId": "Europe/Stockholm",
            "recurrence": {"recurrenceRules": [
                "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0;INTERVAL=1;"]},
        },
        "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": TEXT}]}},
        "pushNotification": {"status": "ENABLED"},
    }


def test_scheduled_time_is_the_next_local_occurrence():
    later = rm.build_daily_reminder(17, 5, "America/New_York", "en-US", TEXT, now=NOW)
    # 10:30Z is 06:30 in New York: 17:05 is still to come today
    assert later.trigger.scheduled_time == datetime(2024, 5, 1, 17, 5)
    assert later.trigger.recurrence.recurrence_rules == [
        "FREQ=DAILY;BYHOUR=17;BYMINUTE=5;BYSECOND=0;INTERVAL=1;"]


@pytest.mark.parametrize(("hour", "minute", "text"), [(24, 0, TEXT), (8, 60, TEXT), (8, 0, "")])
def test_build_refuses_bad_input(hour, minute, text):
    with pytest.raises(ValueError):
        rm.build_daily_reminder(hour, minute, "Europe/Stockholm", "en-US", text, now=NOW)


# -- through ask-sdk against the stand-in ------------------------------------------------


def test_create_daily_reminders_posts_one_request_per_time(api):
    tokens = run_in_skill(api.endpoint, create)
    assert len(tokens) == len(DEFAULT_TIMES) == 5
    assert set(tokens) == set(api.reminders)
    assert [r.method for r in api.requests] == ["POST"] * 5
    for recorded, (hour, minute) in zip(api.requests, DEFAULT_TIMES, strict=True):
        assert recorded.path == REMINDERS_PATH
        assert recorded.headers["Authorization"] == f"Bearer {TOKEN}"
        assert "json" in recorded.headers["Content-type"]
        body = recorded.body
        assert body["requestTime"] == "2024-05-01T12:30:00"
        trigger = body["trigger"]
        assert trigger["type"] == "SCHEDULED_ABSOLUTE"
        assert trigger["timeZoneId"] == "Europe/Stockholm"
        assert trigger["scheduledTime"].endswith(f"T{hour:02d}:{minute:02d}:00")
        assert "+" not in trigger["scheduledTime"] and "Z" not in trigger["scheduledTime"]
        assert trigger["recurrence"]["recurrenceRules"] == [
            f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute};BYSECOND=0;INTERVAL=1;"]
        assert body["alertInfo"]["spokenInfo"]["content"] == [{"locale": "en-US", "text": TEXT}]
        assert body["pushNotification"] == {"status": "ENABLED"}


def test_list_and_delete(api):
    tokens = run_in_skill(api.endpoint, create)
    listed = run_in_skill(api.endpoint, lambda hi: rm.list_reminders(client_of(hi)))
    assert sorted(r["alertToken"] for r in listed) == sorted(tokens)
    assert all(r["alertInfo"]["spokenInfo"]["content"][0]["text"] == TEXT for r in listed)
    assert api.requests[-1].method == "GET" and api.requests[-1].path == REMINDERS_PATH

    deleted = run_in_skill(api.endpoint, lambda hi: rm.delete_reminders(client_of(hi),
                                                                        tokens[:2]))
    assert deleted == 2
    assert [(r.method, r.path) for r in api.requests[-2:]] == [
        ("DELETE", f"{REMINDERS_PATH}/{tokens[0]}"), ("DELETE", f"{REMINDERS_PATH}/{tokens[1]}")]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in api.requests)
    assert set(api.reminders) == set(tokens[2:])

    # the rest, found by listing (tokens lost); a second call finds none
    assert run_in_skill(api.endpoint, lambda hi: rm.delete_all_reminders(client_of(hi))) == 3
    assert run_in_skill(api.endpoint, lambda hi: rm.delete_all_reminders(client_of(hi))) == 0
    assert api.reminders == {}


def test_deleting_a_reminder_the_user_already_deleted_is_fine(api):
    assert run_in_skill(api.endpoint,
                        lambda hi: rm.delete_reminders(client_of(hi), ["gone"])) == 0


@pytest.mark.parametrize(("status", "kind"), [
    (401, "permission"), (403, "permission"), (429, "rate_limited"),
    (500, "unavailable"), (503, "unavailable"), (504, "unavailable"), (400, "unavailable"),
])
def test_create_errors_map_to_kinds(api, status, kind):
    api.script("POST", REMINDERS_PATH, status, {"code": "ERR", "message": "scripted"})
    with pytest.raises(ReminderError) as info:
        run_in_skill(api.endpoint, create)
    assert info.value.kind == kind
    assert info.value.status == status
    assert api.reminders == {}


@pytest.mark.parametrize(("status", "kind"), [
    (401, "permission"), (403, "permission"), (429, "rate_limited"), (500, "unavailable"),
])
def test_list_and_delete_errors_map_to_kinds(api, status, kind):
    api.script("GET", REMINDERS_PATH, status, {"code": "ERR", "message": "scripted"})
    with pytest.raises(ReminderError) as info:
        run_in_skill(api.endpoint, lambda hi: rm.list_reminders(client_of(hi)))
    assert info.value.kind == kind

    api.script("DELETE", REMINDERS_PATH, status, {"code": "ERR", "message": "scripted"})
    with pytest.raises(ReminderError) as info:
        run_in_skill(api.endpoint, lambda hi: rm.delete_reminders(client_of(hi), ["t"]))
    assert info.value.kind == kind


def test_failure_half_way_rolls_back_the_created_ones(api):
    api.script("POST", REMINDERS_PATH, None, times=2)  # two succeed
    api.script("POST", REMINDERS_PATH, 429, {"code": "TOO_MANY_REQUESTS"})
    with pytest.raises(ReminderError) as info:
        run_in_skill(api.endpoint, create)
    assert info.value.kind == "rate_limited"
    assert info.value.leftover == []
    assert api.reminders == {}
    assert [r.method for r in api.requests] == ["POST", "POST", "POST", "DELETE", "DELETE"]


def test_unreachable_api_is_unavailable(api):
    closed = AlexaApiStandin()
    endpoint = closed.endpoint
    closed.stop()
    with pytest.raises(ReminderError) as info:
        run_in_skill(endpoint, create)
    assert info.value.kind == "unavailable"


def test_reminder_error_kinds_are_checked():
    with pytest.raises(ValueError):
        ReminderError("oops")


# -- device time zone ------------------------------------------------------------------


def test_fetch_time_zone(api):
    device = "amzn1.ask.device.TEST"
    zone = run_in_skill(api.endpoint,
                        lambda hi: rm.fetch_time_zone(hi.service_client_factory, device))
    assert zone == "Europe/Stockholm"
    assert api.requests[-1].path == f"/v2/devices/{device}/settings/System.timeZone"
    assert api.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_fetch_time_zone_gives_none_on_failure(api):
    api.time_zone = None  # 204 No Content
    assert run_in_skill(api.endpoint,
                        lambda hi: rm.fetch_time_zone(hi.service_client_factory, "d")) is None
    api.script("GET", "/v2/devices/", 403, {"type": "FORBIDDEN", "message": "no"})
    assert run_in_skill(api.endpoint,
                        lambda hi: rm.fetch_time_zone(hi.service_client_factory, "d")) is None
    assert rm.fetch_time_zone(None, "d") is None


def test_list_when_the_sdk_can_parse_the_response(api):
    tokens = run_in_skill(api.endpoint, lambda hi: create(hi, times=[(9, 30)]))
    for reminder in api.reminders.values():
        reminder.pop("alertInfo")  # what ask-sdk-model cannot deserialise
    listed = run_in_skill(api.endpoint, lambda hi: rm.list_reminders(client_of(hi)))
    assert [r["alertToken"] for r in listed] == tokens
    assert listed[0]["trigger"]["timeZoneId"] == "Europe/Stockholm"
