"""The web voice page: Swedish (and English) by voice in a browser, served by the skill.

Routes (a Flask Blueprint, registered by :func:`skill.frontends.web.create_app`):

* ``GET /`` - the page (``static/index.html``); ``GET /web/static/<file>`` - its files.
* ``GET /api/locales`` - the locales, the browser-language fallback and every label.
* ``POST /api/start`` ``{"locale"}`` - open the skill (LaunchRequest).
* ``POST /api/talk`` ``{"locale", "text"}`` - one utterance, resolved like the console does.
* ``POST /api/control`` ``{"locale", "event"}`` - a button: ``pause``, ``resume`` or ``stop``,
  sent to the skill as its intent (never as words through the NLU).

Both take ``played_ms`` (optional): how far the last answer had played when the user spoke
or pressed the button. The request is dated that long after the last one, so the skill
settles the place exactly as it does from Alexa's request timestamps.

Each turn runs in a :class:`~skill.frontends.console.ConsoleSession` rebuilt from the
browser's session cookie (:mod:`.sessions`: the conversation, encrypted and signed by the
server, ``HttpOnly; SameSite=Strict``), so any worker of any instance continues it. The
page runs its own Skill whose storage writes only for browsers that came back and forgets
idle web users (:mod:`.progress`); new conversations and turns are rate-limited per client
address (:mod:`.limits`). Utterances are never logged; a refused request (4xx) logs one
line with the reason. The routes are in :mod:`.blueprint`.

The answer is JSON, a projection of the turn's playback plan
(:class:`skill.core.playback.Answer`): ``text``, ``steps`` (a playlist: ``{"say": text}``,
``{"audio": url, "text": words}``, ``{"pause_ms": n}``, each with ``start_ms`` and ``ms``;
cues carry ``cue`` and a hold's start cue its ``hold_ms``),
``card`` (``title``, ``lines``), ``session_open``, and ``clinic`` (``phone``, ``tel``,
``booking``) when the answer gives the clinic's number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import request

from skill.content import locale_data
from skill.core.locales import DEFAULT_LOCALE, LANGUAGE_FALLBACK, SUPPORTED_LOCALES
from skill.core.playback import ClinicContact, ClipStep, CueStep, Plan, Silence, Step, Words
from skill.frontends.console import Exchange

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/web/static"
COOKIE_NAME = "halsporre_web"
MAX_TEXT_CHARS = 300
#: What the page's Pause, Resume and Stop buttons may send: intents, not words.
CONTROL_INTENTS = {"pause": "AMAZON.PauseIntent", "resume": "AMAZON.ResumeIntent",
                   "stop": "AMAZON.StopIntent"}


class ApiError(ValueError):
    """A request the page's API refuses with HTTP 400 (the message is shown to the user)."""


# --------------------------------------------------------------------------- plan -> JSON


def _step_json(step: Step) -> dict[str, Any]:
    timing = {"start_ms": step.start_ms, "ms": step.duration_ms}
    if isinstance(step, Silence):
        return {"pause_ms": step.duration_ms, **timing}
    if isinstance(step, ClipStep):
        return {"audio": step.url, "text": step.text, "engine": step.engine, **timing}
    if isinstance(step, CueStep) and step.url:
        return {"audio": step.url, "text": step.text, "cue": step.name, **timing}
    if isinstance(step, CueStep):
        return {"say": step.text, "text": step.text, "cue": step.name, **timing}
    spoken = step.spoken if isinstance(step, Words) else step.text
    return {"say": spoken, "text": step.text, **timing}


def _merge(steps: list[dict[str, Any]], item: dict[str, Any]) -> None:
    """Adjacent words merge into one ``say`` step, adjacent pauses into one ``pause_ms``."""
    last = steps[-1] if steps else None
    if last is not None and "say" in item and "say" in last \
            and "cue" not in item and "cue" not in last:
        last["say"] = f"{last['say']} {item['say']}"
        last["text"] = f"{last['text']} {item['text']}"
    elif last is not None and "pause_ms" in item and "pause_ms" in last:
        last["pause_ms"] += item["pause_ms"]
    else:
        steps.append(item)
        return
    last["ms"] += item["ms"]


def plan_steps(plan: Plan) -> list[dict[str, Any]]:
    """The plan as the page's playlist, in order: ``{"say", "text"}`` (``say`` is what the
    browser's voice says - digit groups, names' aliases - and ``text`` the written words,
    for captions), ``{"audio", "text"}``, ``{"pause_ms"}``, each with its ``start_ms`` and
    length ``ms``."""
    steps: list[dict[str, Any]] = []
    for step in plan.steps:
        if isinstance(step, Silence) and not step.duration_ms:
            continue
        _merge(steps, _step_json(step))
    _hold_lengths(steps)
    return steps


def _hold_lengths(steps: list[dict[str, Any]]) -> None:
    """Each hold's start cue gets ``hold_ms``: from its start to its release cue's start
    (the page's ring counts the whole hold down)."""
    began: dict[str, Any] | None = None
    for step in steps:
        if step.get("cue") == "hold_start":
            began = step
        elif step.get("cue") == "hold_end" and began is not None:
            began["hold_ms"] = step["start_ms"] - began["start_ms"]
            began = None


def _clinic(contact: ClinicContact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"phone": contact.display, "tel": contact.tel_uri, "booking": list(contact.booking)}


def answer_json(locale: str, turn: Exchange) -> dict[str, Any]:
    """The page's view of one exchange: a projection of the turn's playback plan."""
    answer = turn.answer
    return {
        "locale": locale,
        "intent": turn.intent,
        "text": answer.speech.text if answer else "",
        "steps": plan_steps(answer.speech) if answer else [],
        "card": ({"title": answer.card.title, "lines": list(answer.card.lines)}
                 if answer and answer.card else None),
        "session_open": turn.session_open,
        "clinic": _clinic(answer.clinic) if answer else None,
    }


# --------------------------------------------------------------------------- request helpers


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("send JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # "[" x 100,000: too deep
        raise ApiError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError("the body must be a JSON object")
    return data


def _locale(data: Mapping[str, Any]) -> str:
    locale = data.get("locale")
    if locale not in SUPPORTED_LOCALES:
        raise ApiError("unknown locale; use one of " + ", ".join(SUPPORTED_LOCALES))
    return str(locale)


def _text(data: Mapping[str, Any]) -> str:
    text = data.get("text")
    if not isinstance(text, str):
        raise ApiError("'text' must be a string")
    text = " ".join(text.split())
    if not text:
        raise ApiError("'text' is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(f"'text' is too long (at most {MAX_TEXT_CHARS} characters)")
    return text


MAX_PLAYED_MS = 24 * 3600 * 1000


def _played_ms(data: Mapping[str, Any]) -> int | None:
    """How far the last answer had played when the user interrupted (``played_ms``)."""
    value = data.get("played_ms")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value <= MAX_PLAYED_MS:
        raise ApiError(f"'played_ms' must be an integer from 0 to {MAX_PLAYED_MS}")
    return value


def _control(data: Mapping[str, Any]) -> str:
    event = data.get("event")
    if event not in CONTROL_INTENTS:
        raise ApiError("unknown control; use one of " + ", ".join(CONTROL_INTENTS))
    return CONTROL_INTENTS[str(event)]


def content_security_policy(audio_base_url: str | None = None) -> str:
    media = ["'self'"]
    if audio_base_url:
        parts = urlsplit(audio_base_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            media.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "media-src " + " ".join(media),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def page_locales() -> dict[str, Any]:
    """What the page needs before it speaks: the locales, how a browser language falls
    back, and each locale's labels (``skill/content/<locale>/page.json``)."""
    return {"locales": list(SUPPORTED_LOCALES), "default": DEFAULT_LOCALE,
            "languages": dict(LANGUAGE_FALLBACK),
            "labels": {loc: dict(locale_data(loc, "page")) for loc in SUPPORTED_LOCALES}}


from skill.frontends.webpage.blueprint import (  # noqa: E402  (they use the helpers above)
    WebConfig,
    create_blueprint,
    web_config,
    web_page_config,
)

__all__ = ["CONTROL_INTENTS", "ApiError", "WebConfig", "answer_json", "content_security_policy",
           "create_blueprint", "plan_steps", "web_config", "web_page_config"]
