"""The web voice page: Swedish (and English) by voice in a browser, served by the skill.

Routes (a Flask Blueprint, registered by :func:`skill.frontends.web.create_app`):

* ``GET /`` - the page (``static/index.html``); ``GET /web/static/<file>`` - its files.
* ``POST /api/start`` ``{"locale"}`` - open the skill (LaunchRequest).
* ``POST /api/talk`` ``{"locale", "text"}`` - one utterance, resolved like the console does.

Each browser gets one :class:`~skill.frontends.console.ConsoleSession` per web session, kept
server-side in a bounded in-memory :class:`SessionStore` with idle expiry. The browser holds
only the random session id, in an ``HttpOnly; SameSite=Strict`` cookie. Utterances are never
logged; 400 answers log one line with the reason.

The answer is JSON: ``text``, ``steps`` (the SSML as a playlist: ``{"say": text}``,
``{"audio": url, "text": words}``, ``{"pause_ms": n}``), ``card`` (``title``, ``lines``),
``session_open``, and ``clinic`` (``phone``, ``tel``, ``booking``) when the answer gives the
clinic's number.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request, send_from_directory

from skill.alexa.invoke import BadEnvelope
from skill.content import load_content
from skill.core.clips import ClipCaptions  # re-exported
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.speech import PHONE_KEY, ssml_to_text
from skill.frontends.console import ConsoleSession, Turn

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/web/static"
COOKIE_NAME = "halsporre_web"
MAX_TEXT_CHARS = 300
DEFAULT_MAX_SESSIONS = 200
DEFAULT_TTL_SECONDS = 30 * 60
COUNTRY_CODE = "46"  # the clinic is in Sweden

#: SSML ``<break strength=...>`` in milliseconds (Alexa's documented defaults, roughly).
BREAK_STRENGTH_MS = {"none": 0, "x-weak": 0, "weak": 250, "medium": 500, "strong": 750,
                     "x-strong": 1000}


class ApiError(ValueError):
    """A request the page's API refuses with HTTP 400 (the message is shown to the user)."""


# --------------------------------------------------------------------------- the store


@dataclass
class WebSession:
    """One browser's conversation: a console session (replaced when the locale changes)."""

    user: str
    console: ConsoleSession | None = None
    last_used: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class SessionStore:
    """Bounded, expiring, thread-safe map of session id -> :class:`WebSession`.

    At most ``max_sessions`` live at once (the least recently used is dropped first);
    a session unused for ``ttl`` seconds is gone.
    """

    def __init__(self, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 ttl: float = DEFAULT_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.max_sessions = max_sessions
        self.ttl = ttl
        self.clock = clock
        self._items: OrderedDict[str, WebSession] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self.clock())
            return len(self._items)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self.get(sid) is not None

    def _expire(self, now: float) -> None:
        while self._items:
            sid, sess = next(iter(self._items.items()))
            if now - sess.last_used < self.ttl:
                break
            del self._items[sid]

    def get(self, sid: str | None) -> WebSession | None:
        """The live session ``sid`` (marked used), or None."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            sess = self._items.get(sid) if sid else None
            if sess is not None:
                sess.last_used = now
                self._items.move_to_end(sid)  # type: ignore[arg-type]
            return sess

    def create(self) -> tuple[str, WebSession]:
        """A new session with a fresh random id (and a fresh pseudonymous skill user)."""
        sid = secrets.token_urlsafe(32)
        sess = WebSession(user="web-" + uuid.uuid4().hex)
        with self._lock:
            now = self.clock()
            self._expire(now)
            sess.last_used = now
            self._items[sid] = sess
            while len(self._items) > self.max_sessions:
                self._items.popitem(last=False)
        return sid, sess


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


# --------------------------------------------------------------------------- the blueprint


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError("send JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
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


def create_blueprint(
    skill: Any,
    *,
    store: SessionStore | None = None,
    audio_base_url: str | None = None,
    captions: Callable[[str], str] | None = None,
) -> Blueprint:
    """The page and its JSON API around ``skill`` (the same Skill as the Alexa endpoint)."""
    store = store if store is not None else SessionStore()
    captions = captions if captions is not None else ClipCaptions()
    csp = content_security_policy(audio_base_url)
    bp = Blueprint("webpage", __name__, static_folder=str(STATIC_DIR),
                   static_url_path=STATIC_URL)
    bp.store = store  # type: ignore[attr-defined]  # for tests and operators

    @bp.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()"
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @bp.errorhandler(ApiError)
    def bad_request(exc: ApiError):  # type: ignore[no-untyped-def]
        log.warning("web page: %s %s rejected: %s", request.method, request.path, exc)
        return jsonify({"error": str(exc)}), 400

    def page() -> Response:
        response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return headers(response)

    @bp.get("/")  # the Alexa alias POST / is a rule of its own
    @bp.get("/index.html")
    def index():  # type: ignore[no-untyped-def]
        return page()

    def session() -> tuple[str, WebSession, bool]:
        sid = request.cookies.get(COOKIE_NAME)
        sess = store.get(sid)
        if sess is not None:
            return sid, sess, False  # type: ignore[return-value]
        sid, sess = store.create()
        return sid, sess, True

    def check_origin() -> None:
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise ApiError("cross-site request refused")

    def run(locale: str, act: Callable[[ConsoleSession], Turn], fresh: bool = False):
        check_origin()
        sid, sess, new = session()
        with sess.lock:
            console = sess.console
            if fresh or console is None or console.locale != locale:
                console = ConsoleSession(locale, user=sess.user, skill=skill)
                sess.console = console
            try:
                turn = act(console)
            except BadEnvelope:
                log.exception("web page: the skill refused a request")
                return jsonify({"error": "the skill could not answer"}), 500
            body = answer_json(locale, turn, captions)
        response = jsonify(body)
        if new:
            response.set_cookie(COOKIE_NAME, sid, httponly=True, samesite="Strict",
                                secure=request.is_secure, path="/")
        return response

    @bp.post("/api/start")
    def start():  # type: ignore[no-untyped-def]
        data = _json_body()
        return run(_locale(data), lambda c: c.launch(), fresh=True)

    @bp.post("/api/talk")
    def talk():  # type: ignore[no-untyped-def]
        data = _json_body()
        locale = _locale(data)
        text = _text(data)
        return run(locale, lambda c: c.say(text))

    return bp


def web_store(app: Any) -> SessionStore:
    """The session store of ``app``'s web page (tests)."""
    return app.blueprints["webpage"].store  # type: ignore[no-any-return]


__all__ = ["ApiError", "ClipCaptions", "SessionStore", "WebSession", "answer_json",
           "content_security_policy", "create_blueprint", "ssml_steps",
           "tel_uri", "web_store"]
