"""Responses with their playback plan beside them, for tests that check what was said."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from skill.alexa.invoke import invoke_answer
from skill.core.playback import Answer


class Reply(dict):
    """A response (or its ``response`` body) with the turn's :class:`Answer` beside it."""

    answer: Answer | None = None


def send(skill: Any, envelope: dict[str, Any], audio_tag_limit: int | None = None) -> Reply:
    """Invoke ``skill`` like our front ends do; ``audio_tag_limit=5`` is Alexa's."""
    response, answer = invoke_answer(skill, envelope, "test", audio_tag_limit)
    reply = Reply(response)
    reply.answer = answer
    return reply


def said(reply: dict[str, Any]) -> str:
    """The words the answer says, clips included: the plan's text.

    A response that came over HTTP (the Alexa endpoint) has no plan beside it; then the
    words are those of its SSML as Alexa would speak them (text only: for English).
    """
    answer = getattr(reply, "answer", None)
    if answer is not None:
        return answer.speech.text
    speech = ((reply.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
    return " ".join("".join(ET.fromstring(speech).itertext()).split()) if speech else ""


def skill_always_answering(answer: Answer) -> Any:
    """A one-handler ask-sdk skill that answers every request with ``answer``
    (delivered for the web page, spoken and reprompted as SSML for Alexa)."""
    from ask_sdk_core.dispatch_components import AbstractRequestHandler
    from ask_sdk_core.skill_builder import SkillBuilder

    from skill.alexa.handlers.respond import deliver
    from skill.core.speech import to_ssml

    class Always(AbstractRequestHandler):
        def can_handle(self, handler_input: Any) -> bool:
            return True

        def handle(self, handler_input: Any) -> Any:
            deliver(handler_input, answer)
            rb = handler_input.response_builder
            rb.speak(to_ssml(answer.speech)).ask(to_ssml(answer.reprompt))
            return rb.response

    sb = SkillBuilder()
    sb.add_request_handler(Always())
    return sb.create()
