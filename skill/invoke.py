"""Run one Alexa request envelope (a dict) through the Skill and return the response dict."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope


class BadEnvelope(ValueError):
    """The input is not a request envelope the SDK can read."""


@dataclass(frozen=True)
class FrontEnd:
    """Our own front ends (console, web page) pass this as the invocation context.

    They have no limit on ``<audio>`` tags, so a Swedish answer keeps one clip per
    sentence and its pauses stay visible; Alexa's limit (5) applies otherwise.
    """

    name: str
    audio_tag_limit: int | None = None


def invoke(skill: CustomSkill, envelope: dict[str, Any],
           context: FrontEnd | None = None) -> dict[str, Any]:
    """Deserialize ``envelope`` the way Lambda does, invoke the skill, serialize the answer."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise BadEnvelope("expected a JSON object with a 'request' object")
    try:
        request_envelope = skill.serializer.deserialize(
            payload=json.dumps(envelope), obj_type=RequestEnvelope)
    except Exception as exc:  # the SDK raises bare SerializationException and friends
        raise BadEnvelope(f"not a valid Alexa request envelope: {exc}") from exc
    response = skill.invoke(request_envelope=request_envelope, context=context)
    return skill.serializer.serialize(response)
