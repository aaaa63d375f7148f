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

Each browser gets one :class:`~skill.frontends.console.ConsoleSession` per web session, kept
server-side in a bounded in-memory :class:`SessionStore` with idle expiry. The browser holds
only the random session id, in an ``HttpOnly; SameSite=Strict`` cookie. Utterances are never
logged; 400 answers log one line with the reason.

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
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request, send_from_directory

from skill.alexa.invoke import BadEnvelope
from skill.content import locale_data
from skill.core.locales import DEFAULT_LOCALE, LANGUAGE_FALLBACK, SUPPORTED_LOCALES
from skill.core.playback import ClinicContact, ClipStep, CueStep, Plan, Silence, Step, Words
from skill.frontends.console import ConsoleSession, Exchange

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/web/static"
COOKIE_NAME = "halsporre_web"
MAX_TEXT_CHARS = 300
DEFAULT_MAX_SESSIONS = 200
DEFAULT_TTL_SECONDS = 30 * 60
#: What the page's Pause, Resume and Stop buttons may send: intents, not words.
CONTROL_INTENTS = {"pause": "AMAZON.PauseIntent", "resume": "AMAZON.ResumeIntent",
                   "stop": "AMAZON.StopIntent"}


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


class _Headers:
    """The page's security headers (``after_request``)."""

    def __init__(self, csp: str) -> None:
        self.csp = csp

    def __call__(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()"
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def _bad_request(exc: ApiError) -> tuple[Response, int]:
    log.warning("web page: %s %s rejected: %s", request.method, request.path, exc)
    return jsonify({"error": str(exc)}), 400


def _check_origin() -> None:
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise ApiError("cross-site request refused")


class _Conversations:
    """Runs one browser's turn on its console session (created on first use)."""

    def __init__(self, skill: Any, store: SessionStore) -> None:
        self.skill, self.store = skill, store

    def _session(self) -> tuple[str, WebSession, bool]:
        sid = request.cookies.get(COOKIE_NAME)
        sess = self.store.get(sid)
        if sid is not None and sess is not None:
            return sid, sess, False
        sid, sess = self.store.create()
        return sid, sess, True

    def _console(self, sess: WebSession, locale: str, fresh: bool) -> ConsoleSession:
        console = sess.console
        if fresh or console is None or console.locale != locale:
            console = sess.console = ConsoleSession(locale, user=sess.user, skill=self.skill)
        return console

    def run(self, locale: str, act: Callable[[ConsoleSession], Exchange],
            fresh: bool = False) -> Response | tuple[Response, int]:
        _check_origin()
        sid, sess, new = self._session()
        with sess.lock:
            try:
                turn = act(self._console(sess, locale, fresh))
            except BadEnvelope:
                log.exception("web page: the skill refused a request")
                return jsonify({"error": "the skill could not answer"}), 500
            body = answer_json(locale, turn)
        response = jsonify(body)
        if new:
            response.set_cookie(COOKIE_NAME, sid, httponly=True, samesite="Strict",
                                secure=request.is_secure, path="/")
        return response


def page_locales() -> dict[str, Any]:
    """What the page needs before it speaks: the locales, how a browser language falls
    back, and each locale's labels (``skill/content/<locale>/page.json``)."""
    return {"locales": list(SUPPORTED_LOCALES), "default": DEFAULT_LOCALE,
            "languages": dict(LANGUAGE_FALLBACK),
            "labels": {loc: dict(locale_data(loc, "page")) for loc in SUPPORTED_LOCALES}}


def create_blueprint(
    skill: Any,
    *,
    store: SessionStore | None = None,
    audio_base_url: str | None = None,
) -> Blueprint:
    """The page and its JSON API around ``skill`` (the same Skill as the Alexa endpoint)."""
    store = store if store is not None else SessionStore()
    headers = _Headers(content_security_policy(audio_base_url))
    talks = _Conversations(skill, store)
    bp = Blueprint("webpage", __name__, static_folder=str(STATIC_DIR),
                   static_url_path=STATIC_URL)
    bp.store = store  # type: ignore[attr-defined]  # for tests and operators
    bp.after_request(headers)
    bp.register_error_handler(ApiError, _bad_request)

    @bp.get("/")  # the Alexa alias POST / is a rule of its own
    @bp.get("/index.html")
    def index() -> Response:
        response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return headers(response)

    @bp.get("/api/locales")
    def locales() -> Response:
        return jsonify(page_locales())

    @bp.post("/api/start")
    def start() -> Response | tuple[Response, int]:
        data = _json_body()
        return talks.run(_locale(data), lambda c: c.launch(), fresh=True)

    @bp.post("/api/talk")
    def talk() -> Response | tuple[Response, int]:
        data = _json_body()
        locale, text = _locale(data), _text(data)
        played = _played_ms(data)
        return talks.run(locale, lambda c: c.say(text, played))

    @bp.post("/api/control")
    def control() -> Response | tuple[Response, int]:
        data = _json_body()
        locale, intent = _locale(data), _control(data)
        played = _played_ms(data)
        return talks.run(locale, lambda c: c.send_intent(intent, played))

    return bp


def web_store(app: Any) -> SessionStore:
    """The session store of ``app``'s web page (tests)."""
    store: SessionStore = app.blueprints["webpage"].store
    return store


__all__ = ["CONTROL_INTENTS", "ApiError", "SessionStore", "WebSession", "answer_json",
           "content_security_policy", "create_blueprint", "plan_steps", "web_store"]
