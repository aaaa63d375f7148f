"""Run one Alexa request envelope (a dict) through the Skill and return the response dict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.core.playback import Answer


class BadEnvelope(ValueError):
    """The input is not a request envelope the SDK can read."""


@dataclass
class FrontEnd:
    """Our own front ends (console, web page, tests) pass this as the invocation context.

    They have no limit on ``<audio>`` tags, so a Swedish answer keeps one clip per
    sentence and its pauses stay visible; Alexa's limit (5) applies otherwise. The
    skill appends each turn's :class:`~skill.core.playback.Answer` (the playback plan)
    to ``answers``, so a front end never reads SSML back.
    """

    name: str
    audio_tag_limit: int | None = None
    answers: list[Answer] = field(default_factory=list)


MAX_NESTING = 64


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def check_envelope(envelope: Any) -> None:
    """Raise :class:`BadEnvelope` unless ``envelope`` has the shape every Alexa request has.

    The SDK assumes ``context.System`` and a ``request`` with a ``type``; without them it
    fails deep inside with an AttributeError. Absurd nesting is refused before anything
    copies it recursively.
    """
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise BadEnvelope("expected a JSON object with a 'request' object")
    if not isinstance(envelope["request"].get("type"), str):
        raise BadEnvelope("the request has no 'type'")
    context = envelope.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("System"), dict):
        raise BadEnvelope("expected a 'context' object with a 'System' object")
    if _depth(envelope) > MAX_NESTING:
        raise BadEnvelope(f"nested more than {MAX_NESTING} levels deep")


def invoke(skill: CustomSkill, envelope: dict[str, Any],
           context: FrontEnd | None = None) -> dict[str, Any]:
    """Deserialize ``envelope`` the way Lambda does, invoke the skill, serialize the answer."""
    check_envelope(envelope)
    try:
        request_envelope = skill.serializer.deserialize(
            payload=json.dumps(envelope), obj_type=RequestEnvelope)
    except Exception as exc:  # the SDK raises bare SerializationException and friends
        raise BadEnvelope(f"not a valid Alexa request envelope: {exc}") from exc
    response = skill.invoke(request_envelope=request_envelope, context=context)
    serialized = skill.serializer.serialize(response)
    if not isinstance(serialized, dict):
        raise TypeError(f"the SDK serialized a response as {type(serialized).__name__}")
    return serialized


def invoke_answer(skill: CustomSkill, envelope: dict[str, Any], name: str,
                  audio_tag_limit: int | None = None) -> tuple[dict[str, Any], Answer | None]:
    """:func:`invoke` for our own front ends: the response and the turn's playback plan
    (``None`` when the request has no answer, like a skill event)."""
    front_end = FrontEnd(name, audio_tag_limit)
    response = invoke(skill, envelope, front_end)
    return response, (front_end.answers[-1] if front_end.answers else None)
