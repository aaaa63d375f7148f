"""Run one Alexa request envelope (a dict) through the Skill and return the response dict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.alexa.serializer import EnvelopeError, SkillSerializer, check_depth, check_shape

if TYPE_CHECKING:  # pragma: no cover
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


def check_envelope(envelope: Any, fast: bool = False) -> None:
    """Raise :class:`BadEnvelope` unless ``envelope`` has the shape every Alexa request has
    (``context.System``, a ``request`` with a ``type``) and nests at most
    :data:`~skill.alexa.serializer.MAX_NESTING` deep. ``fast``: the caller's serializer is
    a :class:`~skill.alexa.serializer.SkillSerializer`, which bounds depth while it builds
    the model, so the whole envelope is not walked once more here."""
    try:
        check_shape(envelope)
        if not fast:
            check_depth(envelope)
    except EnvelopeError as exc:
        raise BadEnvelope(str(exc)) from None


def to_request_envelope(skill: CustomSkill, envelope: dict[str, Any]) -> RequestEnvelope:
    """``envelope`` (a parsed dict) as the SDK's model: straight from the dict with our
    serializer, through one JSON round trip (as the SDK's Lambda handler does) otherwise."""
    serializer = skill.serializer
    check_envelope(envelope, fast=isinstance(serializer, SkillSerializer))
    try:
        if isinstance(serializer, SkillSerializer):
            return serializer.envelope_from_object(envelope)
        result: RequestEnvelope = serializer.deserialize(
            payload=json.dumps(envelope), obj_type=RequestEnvelope)
        return result
    except Exception as exc:  # the SDK raises bare SerializationException and friends
        raise BadEnvelope(f"not a valid Alexa request envelope: {exc}") from exc


def invoke(skill: CustomSkill, envelope: dict[str, Any],
           context: FrontEnd | None = None) -> dict[str, Any]:
    """Deserialize ``envelope`` the way Lambda does, invoke the skill, serialize the answer."""
    request_envelope = to_request_envelope(skill, envelope)
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
