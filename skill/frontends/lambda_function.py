"""AWS Lambda entry point: the function's handler is
``skill.frontends.lambda_function.handler``.

Configuration comes from the environment (see :mod:`skill.config`); on Lambda set
``HALSPORRE_PERSISTENCE=dynamodb`` and ``HALSPORRE_SKILL_ID``.

What ask-sdk's ``SkillBuilder.lambda_handler()`` does, with the skill built once per
container and our serializer (:mod:`skill.alexa.serializer`): the event Lambda hands over
is already parsed JSON, so it becomes the request model directly, without the SDK's
``json.dumps`` and second parse.
"""

from __future__ import annotations

import logging
from typing import Any

from skill.alexa.builder import build_skill
from skill.alexa.serializer import SkillSerializer

logging.getLogger().setLevel(logging.INFO)

_skill = build_skill()
_serializer: SkillSerializer = _skill.serializer  # type: ignore[assignment]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One Alexa request (the event) -> the response envelope (a dict)."""
    envelope = _serializer.envelope_from_object(event)
    response = _skill.invoke(request_envelope=envelope, context=context)
    result: dict[str, Any] = _serializer.serialize(response)
    return result
