"""Settings from the environment; the embedded defaults need no cloud account."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
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
    booking_url: str | None = None
    """The clinic's online booking page, shown on cards and the web page. Unset: they
    name 1177.se and Tiohundra's website without a link (the leaflet's address has no
    top-level domain, so it is not shown)."""

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
            booking_url=_web_address("HALSPORRE_BOOKING_URL", env.get("HALSPORRE_BOOKING_URL")),
        )


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
