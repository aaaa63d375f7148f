"""Settings from the environment; the embedded defaults need no cloud account."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "halsporre" / "progress.sqlite3"


@dataclass(frozen=True)
class Settings:
    """How this deployment runs. Every field has a default that works offline."""

    skill_id: str | None = None
    persistence: str = "sqlite"  # "sqlite" | "dynamodb" | "none"
    db_path: Path = field(default_factory=_default_db_path)
    dynamodb_table: str = "halsporre-progress"
    audio_base_url: str | None = None
    default_timezone: str = "Europe/Stockholm"
    replay_db_path: Path | None = None
    default_speech: str = "en"
    """What an English Echo speaks to a user who never chose ("sv": the Swedish clips)."""
    booking_url: str | None = None
    """The clinic's online booking page, shown on cards and the web page. Unset: they
    name 1177.se and Tiohundra's website without a link (the leaflet's address has no
    top-level domain, so it is not shown)."""
    # -- the webservice and its web page (skill.frontends) --------------------------------
    web_page: bool = True  # serve the web voice page and its /api/ routes
    proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers are trusted
    # the key of the web page's session cookie (else generated once and kept in a file)
    web_secret: str | None = field(default=None, repr=False)
    web_session_idle: int = 30 * 60  # seconds a web conversation survives without a turn
    web_progress_idle: int = 30 * 24 * 3600  # seconds a web user's progress is kept unused
    web_starts_per_minute: int = 20  # new web conversations per client address
    web_starts_per_minute_total: int = 120  # new web conversations, all addresses together
    web_turns_per_minute: int = 60  # web turns per client address
    log_level: str = "INFO"  # the webservice's log level (gunicorn, halsporre serve)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            skill_id=env.get("HALSPORRE_SKILL_ID") or None,
            persistence=env.get("HALSPORRE_PERSISTENCE", defaults.persistence),
            db_path=Path(env["HALSPORRE_DB_PATH"]) if env.get("HALSPORRE_DB_PATH")
            else defaults.db_path,
            dynamodb_table=env.get("HALSPORRE_DYNAMODB_TABLE", defaults.dynamodb_table),
            audio_base_url=env.get("AUDIO_BASE_URL") or None,
            default_timezone=env.get("HALSPORRE_DEFAULT_TIMEZONE", defaults.default_timezone),
            replay_db_path=Path(env["HALSPORRE_REPLAY_DB_PATH"])
            if env.get("HALSPORRE_REPLAY_DB_PATH") else None,
            default_speech=_speech(env.get("HALSPORRE_DEFAULT_SPEECH")),
            booking_url=_web_address("HALSPORRE_BOOKING_URL", env.get("HALSPORRE_BOOKING_URL")),
            **_web_settings(env, defaults),
        )


def _speech(value: str | None) -> str:
    """``HALSPORRE_DEFAULT_SPEECH``: ``en`` (unset) or ``sv``; anything else is a clear
    ValueError at start."""
    value = (value or "en").strip().lower()
    if value not in ("sv", "en"):
        raise ValueError(f"HALSPORRE_DEFAULT_SPEECH must be sv or en, got {value!r}")
    return value


def _web_address(name: str, value: str | None) -> str | None:
    """``value`` when it is an http(s) address with a host, ``None`` when unset; a
    ValueError naming the variable otherwise (a deployment mistake, caught at start)."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
        raise ValueError(f"{name} must be an http(s) address, got {value!r}")
    return value


#: setting field -> environment variable, for the settings that are numbers or switches.
_WEB_ENV = {
    "web_page": "HALSPORRE_WEB_PAGE",
    "proxies": "HALSPORRE_PROXIES",
    "web_session_idle": "HALSPORRE_WEB_SESSION_IDLE",
    "web_progress_idle": "HALSPORRE_WEB_PROGRESS_IDLE",
    "web_starts_per_minute": "HALSPORRE_WEB_STARTS_PER_MINUTE",
    "web_starts_per_minute_total": "HALSPORRE_WEB_STARTS_PER_MINUTE_TOTAL",
    "web_turns_per_minute": "HALSPORRE_WEB_TURNS_PER_MINUTE",
}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _switch(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise ValueError(f"{name}={raw!r}: use one of " + ", ".join(_TRUE + _FALSE))


def _count(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{name}={raw!r}: expected a whole number, 0 or more")
    return value


def _web_settings(env: dict[str, str], defaults: Settings) -> dict[str, Any]:
    """The webservice's settings from ``env``; a bad value is a clear ValueError at start."""
    out: dict[str, object] = {}
    for attr, name in _WEB_ENV.items():
        raw = env.get(name, "")
        if raw.strip():
            out[attr] = _switch(name, raw) if attr == "web_page" else _count(name, raw)
    out["web_secret"] = env.get("HALSPORRE_WEB_SECRET") or None
    level = (env.get("HALSPORRE_LOG_LEVEL") or defaults.log_level).strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"HALSPORRE_LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    out["log_level"] = level
    return out
