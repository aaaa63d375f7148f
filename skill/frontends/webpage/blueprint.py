"""The web page's routes: the page, ``POST /api/start``, ``/api/talk`` and ``/api/control``.

A request's way through: JSON checked (400) -> Origin checked (400) -> the session cookie
decoded (a valid one means a returning browser) -> the rate limit of its bucket (429:
``start`` and ``start_total`` without a valid cookie, ``turn`` with one) -> the turn, in a
console session rebuilt from the cookie -> a new cookie with the new state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request, send_from_directory

from skill.alexa.invoke import BadEnvelope
from skill.config import Settings
from skill.frontends.console import ConsoleSession, Exchange
from skill.frontends.webpage import (
    COOKIE_NAME,
    STATIC_DIR,
    STATIC_URL,
    ApiError,
    _control,
    _json_body,
    _locale,
    _played_ms,
    _text,
    answer_json,
    content_security_policy,
    page_locales,
)
from skill.frontends.webpage.limits import (
    MemoryRateStore,
    RateLimiter,
    RateStore,
    SQLiteRateStore,
)
from skill.frontends.webpage.progress import WebProgressAdapter, writes
from skill.frontends.webpage.sessions import CookieCodec, WebState, cookie_key

log = logging.getLogger(__name__)


@dataclass
class WebConfig:
    """Everything the page's routes use; :func:`web_config` makes it from the settings."""

    skill: Any
    codec: CookieCodec
    limiter: RateLimiter
    adapter: WebProgressAdapter | None = None
    audio_base_url: str | None = None


def web_config(settings: Settings, clock: Callable[[], float] = time.time,
               rate_store: RateStore | None = None, skill: Any = None) -> WebConfig:
    """The web page's own Skill (same handlers; no skill-id check, since its requests never
    come from Alexa; storage wrapped by :class:`WebProgressAdapter`), cookie codec and
    rate limiter. ``skill``: another Skill to answer instead (tests of the page's player)."""
    from skill.alexa.builder import build_skill
    from skill.alexa.persistence import make_persistence_adapter

    adapter = None
    if skill is None:
        inner = make_persistence_adapter(settings)
        adapter = WebProgressAdapter(inner, settings.web_progress_idle, clock) if inner \
            else None
        skill = build_skill(replace(settings, skill_id=None), adapter)
    key = cookie_key(settings.web_secret, settings.db_path.parent)
    codec = CookieCodec(key, settings.web_session_idle, settings.web_progress_idle, clock)
    if rate_store is None:
        rate_store = SQLiteRateStore(settings.db_path) if settings.persistence == "sqlite" \
            else MemoryRateStore()
    limiter = RateLimiter(rate_store, {
        "start": settings.web_starts_per_minute,
        "start_total": settings.web_starts_per_minute_total,
        "turn": settings.web_turns_per_minute,
    }, clock)
    return WebConfig(skill, codec, limiter, adapter, settings.audio_base_url)


class TooManyRequests(Exception):
    """A rate limit refused the request (HTTP 429)."""


def _security_headers(response: Response, csp: str) -> Response:
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()"
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def check_origin() -> None:
    """A browser's cross-site POST carries another site's Origin: refuse it. The host is
    the one the browser used (``X-Forwarded-Host`` when the proxy setting trusts it)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
        raise ApiError("cross-site request refused")


class Conversations:
    """One turn of one browser's conversation: cookie in, skill turn, cookie out."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config

    def _limit(self, state: WebState | None) -> None:
        limiter, addr = self.config.limiter, request.remote_addr or "-"
        if state is not None:
            ok = limiter.allow("turn", addr)
        else:
            ok = limiter.allow("start", addr) and limiter.allow("start_total", "all")
        if not ok:
            raise TooManyRequests("new conversations" if state is None else "turns")

    def _console(self, state: WebState, locale: str, fresh: bool) -> ConsoleSession:
        console = ConsoleSession(locale, user=state.skill_user, skill=self.config.skill)
        if not fresh and state.locale == locale and state.session_id:
            console.device.session_id = state.session_id
            console.device.attributes = dict(state.attributes)
        return console

    def run(self, locale: str, act: Callable[[ConsoleSession], Exchange], fresh: bool = False):
        check_origin()
        state = self.config.codec.decode(request.cookies.get(COOKIE_NAME))
        self._limit(state)
        if fresh and self.config.adapter is not None:
            self.config.adapter.sweep()  # at most once per hour per worker
        if state is None:
            state = WebState()
        console = self._console(state, locale, fresh)
        try:
            with writes(state.returned):
                turn = act(console)
        except BadEnvelope:
            log.exception("web page: the skill refused a request")
            return jsonify({"error": "the skill could not answer"}), 500
        state.locale = locale
        state.session_id = console.device.session_id
        state.attributes = console.device.attributes if state.session_id else {}
        response = jsonify(answer_json(locale, turn))
        response.set_cookie(COOKIE_NAME, self.config.codec.encode(state),
                            max_age=self.config.codec.user_idle, httponly=True,
                            samesite="Strict", secure=request.is_secure, path="/")
        return response


def create_blueprint(config: WebConfig) -> Blueprint:
    """The page and its JSON API around ``config.skill``."""
    csp = content_security_policy(config.audio_base_url)
    conversations = Conversations(config)
    bp = Blueprint("webpage", __name__, static_folder=str(STATIC_DIR),
                   static_url_path=STATIC_URL)
    bp.config = config  # type: ignore[attr-defined]  # for tests and operators

    @bp.after_request
    def headers(response: Response) -> Response:
        return _security_headers(response, csp)

    @bp.errorhandler(ApiError)
    def bad_request(exc: ApiError):
        log.warning("web page: %s %s rejected: %s", request.method, request.path, exc)
        return jsonify({"error": str(exc)}), 400

    @bp.errorhandler(TooManyRequests)
    def too_many(exc: TooManyRequests):
        log.warning("web page: %s %s rejected: rate limit of %s", request.method,
                    request.path, exc)
        response = jsonify({"error": "too many requests; please try again in a minute"})
        response.headers["Retry-After"] = str(config.limiter.retry_after())
        return response, 429

    @bp.get("/")  # the Alexa alias POST / is a rule of its own
    @bp.get("/index.html")
    def index():
        response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return headers(response)

    @bp.get("/api/locales")
    def locales():
        return jsonify(page_locales())

    @bp.post("/api/start")
    def start():
        data = _json_body()
        return conversations.run(_locale(data), lambda c: c.launch(), fresh=True)

    def carry_on(read: Callable[[dict[str, Any]], str],
                 act: Callable[[Any, str, int | None], Any]) -> Any:
        """One turn of a running conversation: the field ``read`` picks, then ``act``."""
        data = _json_body()
        locale = _locale(data)
        value = read(data)
        played = _played_ms(data)
        return conversations.run(locale, lambda c: act(c, value, played))

    @bp.post("/api/talk")
    def talk():
        return carry_on(_text, lambda c, text, played: c.say(text, played))

    @bp.post("/api/control")
    def control():
        return carry_on(_control, lambda c, intent, played: c.send_intent(intent, played))

    return bp


def web_page_config(app: Any) -> WebConfig:
    """The :class:`WebConfig` of ``app``'s web page (tests, operators)."""
    return app.blueprints["webpage"].config
