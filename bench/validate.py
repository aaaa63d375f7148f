"""Every answer the bench times is checked against Alexa's limits; an invalid one fails it.

The limits are :mod:`skill.core.limits` (the one place they live): at most 5 ``<audio>``
tags per SSML document, no ``<break>`` over 10 s, at most 8,000 characters of SSML, at most
240 s of speech and audio in the answer and 90 s in the reprompt (from the turn's playback
plan, which knows every clip's length), well-formed SSML, and a reprompt exactly when the
session stays open.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from skill.core.limits import (
    MAX_AUDIO_TAGS,
    MAX_BREAK_MS,
    MAX_REPROMPT_SECONDS,
    MAX_RESPONSE_SECONDS,
    MAX_SSML_CHARS,
)

_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


class InvalidAnswer(AssertionError):
    """An answer Alexa would refuse or cut; the message says which limit and where."""


def _break_ms(value: str) -> float:
    match = _TIME.match(value.strip())
    if not match:
        raise InvalidAnswer(f"unreadable break time {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return number if unit == "ms" else number * 1000


def check_ssml(ssml: str, where: str) -> int:
    """Raise :class:`InvalidAnswer` unless ``ssml`` keeps the limits; its ``<audio>`` count."""
    if len(ssml) > MAX_SSML_CHARS:
        raise InvalidAnswer(f"{where}: {len(ssml)} characters of SSML (limit {MAX_SSML_CHARS})")
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError as exc:
        raise InvalidAnswer(f"{where}: SSML not well-formed: {exc}") from None
    if root.tag != "speak":
        raise InvalidAnswer(f"{where}: SSML root is <{root.tag}>, not <speak>")
    audio = 0
    for element in root.iter():
        if element.tag == "audio":
            audio += 1
            if not str(element.get("src", "")).startswith("https://"):
                raise InvalidAnswer(f"{where}: <audio> without an https src")
        elif element.tag == "break":
            ms = _break_ms(element.get("time", ""))
            if ms > MAX_BREAK_MS:
                raise InvalidAnswer(f"{where}: <break> of {ms:.0f} ms (limit {MAX_BREAK_MS})")
    if audio > MAX_AUDIO_TAGS:
        raise InvalidAnswer(f"{where}: {audio} <audio> tags (limit {MAX_AUDIO_TAGS})")
    return audio


def check_answer(response: dict[str, Any], plan: Any, label: str) -> None:
    """``response`` (the serialised envelope) and, when known, the turn's
    :class:`~skill.core.playback.Answer` (``plan``) against every limit above."""
    body = response.get("response")
    if not isinstance(body, dict):
        raise InvalidAnswer(f"{label}: no response object")
    speech = (body.get("outputSpeech") or {}).get("ssml")
    reprompt = ((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
    if speech is not None:
        check_ssml(speech, f"{label} speech")
    if reprompt is not None:
        check_ssml(reprompt, f"{label} reprompt")
    if body.get("shouldEndSession") is False and reprompt is None:
        raise InvalidAnswer(f"{label}: session left open without a reprompt")
    if plan is None:
        return
    seconds = plan.speech.duration_ms / 1000
    if seconds > MAX_RESPONSE_SECONDS:
        raise InvalidAnswer(f"{label}: {seconds:.1f} s of speech and audio "
                            f"(limit {MAX_RESPONSE_SECONDS:.0f} s)")
    if plan.reprompt is not None and plan.reprompt.duration_ms / 1000 > MAX_REPROMPT_SECONDS:
        raise InvalidAnswer(f"{label}: reprompt of {plan.reprompt.duration_ms / 1000:.1f} s "
                            f"(limit {MAX_REPROMPT_SECONDS:.0f} s)")
