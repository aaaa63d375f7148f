"""Real Alexa request envelopes, for the console, the web page and tests.

They carry everything a device's request does (session, user, device, apiEndpoint,
apiAccessToken), so the Skill cannot tell them from Alexa's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_APPLICATION_ID = "amzn1.ask.skill.halsporre-local"
#: No Alexa API behind a local device: time zone and reminders calls are skipped or fail fast.
DEFAULT_API_ENDPOINT = ""


def _timestamp(now: datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds (Alexa sends whole seconds; our own front ends
    say to the millisecond when playback stopped)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slot_json(name: str, value: str | None, slot_id: str | None = None,
              resolved_name: str | None = None, slot_type: str | None = None) -> dict[str, Any]:
    """A slot as Alexa sends it, with entity resolution when the value matched a type value."""
    slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        slot["value"] = value
    if slot_id is not None and slot_type is not None:
        slot["resolutions"] = {"resolutionsPerAuthority": [{
            "authority": f"amzn1.er-authority.echo-sdk.{DEFAULT_APPLICATION_ID}.{slot_type}",
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": resolved_name or slot_id, "id": slot_id}}],
        }]}
    return slot


@dataclass
class LocalDevice:
    """One simulated device and user, keeping a session across turns like Alexa does."""

    locale: str = "en-US"
    user_id: str = field(default_factory=lambda: "amzn1.ask.account.local-" + uuid.uuid4().hex)
    device_id: str = "amzn1.ask.device.local-console"
    application_id: str = DEFAULT_APPLICATION_ID
    api_endpoint: str = DEFAULT_API_ENDPOINT
    api_access_token: str = "local-console-token"
    permissions_consent_token: str | None = None
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def _system(self) -> dict[str, Any]:
        user: dict[str, Any] = {"userId": self.user_id}
        if self.permissions_consent_token:
            user["permissions"] = {"consentToken": self.permissions_consent_token}
        return {
            "application": {"applicationId": self.application_id},
            "user": user,
            "device": {"deviceId": self.device_id, "supportedInterfaces": {}},
            "apiEndpoint": self.api_endpoint,
            "apiAccessToken": self.api_access_token,
        }

    def envelope(self, request: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
        """Wrap ``request`` in a full envelope; starts a new session when none is open."""
        new = self.session_id is None
        if new:
            self.session_id = "amzn1.echo-api.session.local-" + uuid.uuid4().hex
            self.attributes = {}
        request = {
            "requestId": "amzn1.echo-api.request.local-" + uuid.uuid4().hex,
            "timestamp": _timestamp(now),
            "locale": self.locale,
            **request,
        }
        return {
            "version": "1.0",
            "session": {
                "new": new,
                "sessionId": self.session_id,
                "application": {"applicationId": self.application_id},
                "attributes": dict(self.attributes),
                "user": {"userId": self.user_id},
            },
            "context": {"System": self._system()},
            "request": request,
        }

    def launch(self, now: datetime | None = None) -> dict[str, Any]:
        return self.envelope({"type": "LaunchRequest"}, now)

    def intent(self, name: str, slots: dict[str, dict[str, Any]] | None = None,
               now: datetime | None = None) -> dict[str, Any]:
        return self.envelope({
            "type": "IntentRequest",
            "dialogState": "COMPLETED",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}},
        }, now)

    def session_ended(self, reason: str = "USER_INITIATED",
                      now: datetime | None = None) -> dict[str, Any]:
        return self.envelope({"type": "SessionEndedRequest", "reason": reason}, now)

    def absorb(self, response: dict[str, Any]) -> None:
        """Keep the session attributes the skill returned; forget the session when it ended."""
        self.attributes = dict(response.get("sessionAttributes") or {})
        body = response.get("response") or {}
        if body.get("shouldEndSession", True) is not False and "reprompt" not in body:
            self.session_id = None
            self.attributes = {}
