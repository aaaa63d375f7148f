"""Privacy helpers: user and device ids never reach the logs in clear.

Log lines carry a salted hash of an id. The salt is never a public default:

1. ``HALSPORRE_LOG_SALT`` when set (production: set it, and keep it secret);
2. otherwise, with SQLite storage, a random salt generated once and kept with the data
   (``log-salt`` beside the database file, readable by its owner only), so pseudonyms stay
   the same across restarts and workers;
3. otherwise (DynamoDB without the variable, or an unwritable folder) a random salt for
   this process, with one warning: pseudonyms are then not comparable between processes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

SALT_ENV = "HALSPORRE_LOG_SALT"
SALT_FILE = "log-salt"

_salt: bytes | None = None
_lock = threading.Lock()


def _salt_file(path: Path) -> bytes:
    """The salt in ``path``, written there first (atomically, mode 0600) if missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_bytes().strip()
        if len(value) < 32:
            raise ValueError(f"{path} holds no usable salt") from None
        return value
    value = os.urandom(32).hex().encode()  # what secrets.token_hex does, without its imports
    with os.fdopen(fd, "wb") as fh:
        fh.write(value + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    return value


def _load_salt() -> bytes:
    from skill.config import Settings

    value = os.environ.get(SALT_ENV)
    if value:
        return value.encode()
    reason = f"{SALT_ENV} is not set"
    try:
        settings: Settings | None = Settings.from_env()
    except ValueError as exc:  # another setting is wrong; that one is reported at start
        settings, reason = None, f"settings unreadable ({exc})"
    if settings is not None and (settings.persistence or "sqlite").strip().lower() == "sqlite":
        path = Path(settings.db_path).with_name(SALT_FILE)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return _salt_file(path)
        except (OSError, ValueError) as exc:
            reason = f"cannot keep a log salt at {path} ({type(exc).__name__})"
    log.warning("%s: using a random salt for this process; set %s so log pseudonyms "
                "stay comparable", reason, SALT_ENV)
    return os.urandom(32).hex().encode()


def salt() -> bytes:
    """This process's log salt (loaded once)."""
    global _salt
    if _salt is None:
        with _lock:
            if _salt is None:
                _salt = _load_salt()
    return _salt


def reset_salt() -> None:
    """Forget the loaded salt (tests; the next :func:`hash_id` loads it again)."""
    global _salt
    with _lock:
        _salt = None


def hash_id(value: str | None) -> str:
    """A short, stable, one-way pseudonym of an id for log lines (``-`` when absent)."""
    if not value:
        return "-"
    return hashlib.sha256(salt() + value.encode()).hexdigest()[:12]


def loggable(value: object, limit: int = 80) -> str:
    """``value`` as it may appear in a log line: control characters (a NUL, a newline that
    would forge a second line) escaped, cut to ``limit`` characters."""
    text = str(value)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."
