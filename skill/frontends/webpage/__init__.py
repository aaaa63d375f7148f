"""The web voice page: Swedish (and English) by voice in a browser, served by the skill.

Routes (a Flask Blueprint, registered by :func:`skill.frontends.web.create_app`):

* ``GET /`` - the page (``static/index.html``); ``GET /web/static/<file>`` - its files.
* ``POST /api/start`` ``{"locale"}`` - open the skill (LaunchRequest).
* ``POST /api/talk`` ``{"locale", "text"}`` - one utterance, resolved like the console does.

Each turn runs in a :class:`~skill.frontends.console.ConsoleSession` rebuilt from the
browser's session cookie (:mod:`.sessions`: the conversation, encrypted and signed by the
server, ``HttpOnly; SameSite=Strict``), so any worker of any instance continues it. The
page runs its own Skill whose storage writes only for browsers that came back and forgets
idle web users (:mod:`.progress`); new conversations and turns are rate-limited per client
address (:mod:`.limits`). Utterances are never logged; a refused request (4xx) logs one
line with the reason. The routes are in :mod:`.blueprint`.

The answer is JSON: ``text``, ``steps`` (the SSML as a playlist: ``{"say": text}``,
``{"audio": url, "text": words}``, ``{"pause_ms": n}``), ``card`` (``title``, ``lines``),
``session_open``, and ``clinic`` (``phone``, ``tel``, ``booking``) when the answer gives the
clinic's number.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import request

from skill.content import load_content
from skill.core.clips import ClipCaptions  # re-exported
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.speech import PHONE_KEY, ssml_to_text
from skill.frontends.console import Turn

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/web/static"
COOKIE_NAME = "halsporre_web"
MAX_TEXT_CHARS = 300
COUNTRY_CODE = "46"  # the clinic is in Sweden

#: SSML ``<break strength=...>`` in milliseconds (Alexa's documented defaults, roughly).
BREAK_STRENGTH_MS = {"none": 0, "x-weak": 0, "weak": 250, "medium": 500, "strong": 750,
                     "x-strong": 1000}


class ApiError(ValueError):
    """A request the page's API refuses with HTTP 400 (the message is shown to the user)."""


# --------------------------------------------------------------------------- SSML -> steps


def _break_ms(el: ET.Element) -> int:
    time_attr = (el.get("time") or "").strip().lower()
    try:
        if time_attr.endswith("ms"):
            return max(0, int(float(time_attr[:-2])))
        if time_attr.endswith("s"):
            return max(0, int(float(time_attr[:-1]) * 1000))
    except ValueError:
        return 0
    return BREAK_STRENGTH_MS.get((el.get("strength") or "medium").lower(), 500)


def ssml_steps(ssml: str, clip_text: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
    """The SSML as a playlist, in order: words, clips and pauses.

    Adjacent words merge into one ``say`` step and adjacent breaks into one ``pause_ms``
    step (the speech layer splits long pauses into 10 s breaks). ``clip_text`` gives the
    words a clip URL speaks (for captions); unknown clips get ``""``. A ``<sub alias>``
    (the number's digit groups, a Swedish name for an English voice) is spoken as its
    alias; such a step also carries ``text``, the written words, for captions.
    """
    if not ssml:
        return []
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        return [{"say": " ".join(ssml.split())}]
    steps: list[dict[str, Any]] = []
    words: list[str] = []
    shown: list[str] = []

    def add(spoken: str, written: str | None = None) -> None:
        words.append(spoken)
        shown.append(spoken if written is None else written)

    def flush() -> None:
        text = " ".join("".join(words).split())
        caption = " ".join("".join(shown).split())
        words.clear()
        shown.clear()
        if text:
            steps.append({"say": text} if caption == text else {"say": text, "text": caption})

    def walk(el: ET.Element) -> None:
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "break":
            flush()
            ms = _break_ms(el)
            if ms:
                if steps and "pause_ms" in steps[-1]:
                    steps[-1]["pause_ms"] += ms
                else:
                    steps.append({"pause_ms": ms})
        elif tag == "audio":
            flush()
            src = el.get("src") or ""
            if src:
                steps.append({"audio": src, "text": clip_text(src) if clip_text else ""})
        elif tag == "sub" and el.get("alias"):
            add(el.get("alias") or "", el.text or "")
        else:
            if el.text:
                add(el.text)
            for child in el:
                walk(child)
                if child.tail:
                    add(child.tail)
            if tag in ("p", "s"):
                add(" ")

    walk(root)
    flush()
    return steps


# --------------------------------------------------------------------------- the answer


def tel_uri(phone: str, country_code: str = COUNTRY_CODE) -> str:
    """``08-123 264 44`` -> ``tel:+46812326444`` (national trunk 0 dropped)."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+"):
        return "tel:+" + digits
    if digits.startswith("00"):
        return "tel:+" + digits[2:]
    if digits.startswith("0"):
        digits = digits[1:]
    return f"tel:+{country_code}{digits}"


def _card(turn: Turn) -> dict[str, Any] | None:
    card = turn.card
    if not card:
        return None
    body = card.get("content") or card.get("text") or ""
    return {"title": card.get("title") or "",
            "lines": [line.strip() for line in body.splitlines() if line.strip()]}


def _clinic(locale: str, turn: Turn, card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The clinic's number (and booking ways from the card) when the answer gives it."""
    phone = load_content(locale).text(PHONE_KEY)
    lines = (card or {}).get("lines") or []
    if phone not in turn.ssml and phone not in (turn.text or "") \
            and not any(phone in line for line in lines):
        return None
    return {"phone": phone, "tel": tel_uri(phone),
            "booking": [line for line in lines if phone not in line]}


def answer_json(locale: str, turn: Turn, captions: Callable[[str], str] | None) -> dict[str, Any]:
    steps = ssml_steps(turn.ssml, captions)
    text = turn.text
    spoken = [s.get("text") or s.get("say") or "" for s in steps]
    if any("audio" in s for s in steps):
        text = " ".join(" ".join(w for w in spoken if w).split())
    card = _card(turn)
    return {
        "locale": locale,
        "intent": turn.intent,
        "text": text or ssml_to_text(turn.ssml),
        "steps": steps,
        "card": card,
        "session_open": turn.session_open,
        "clinic": _clinic(locale, turn, card),
    }


# --------------------------------------------------------------------------- request helpers


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("send JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
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


from skill.frontends.webpage.blueprint import (  # noqa: E402  (they use the helpers above)
    WebConfig,
    create_blueprint,
    web_config,
    web_page_config,
)

__all__ = ["ApiError", "ClipCaptions", "WebConfig", "answer_json", "content_security_policy",
           "create_blueprint", "ssml_steps", "tel_uri", "web_config", "web_page_config"]
