"""Run one Alexa request envelope (a dict) through the Skill and return the response dict."""

from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope


class BadEnvelope(ValueError):
    """The input is not a request envelope the SDK can read."""


def invoke(skill: CustomSkill, envelope: dict[str, Any]) -> dict[str, Any]:
    """Deserialize ``envelope`` the way Lambda does, invoke the skill, serialize the answer."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise BadEnvelope("expected a JSON object with a 'request' object")
    try:
        request_envelope = skill.serializer.deserialize(
            payload=json.dumps(envelope), obj_type=RequestEnvelope)
    except Exception as exc:  # the SDK raises bare SerializationException and friends
        raise BadEnvelope(f"not a valid Alexa request envelope: {exc}") from exc
    response = skill.invoke(request_envelope=request_envelope, context=None)
    return skill.serializer.serialize(response)
