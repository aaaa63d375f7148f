"""Web conversations kept in the browser: an encrypted, signed cookie the server verifies.

A web conversation is small: the browser's pseudonymous skill user, the locale, the Alexa
session id and the session attributes (the dialogue state, a few hundred bytes
compressed). The server keeps none of it: each answer sets a new cookie holding the whole
state as a Fernet token (AES-128-CBC + HMAC-SHA256, from ``cryptography``), so any worker
of any instance that has the same key continues the conversation, nothing is evicted, and
a flood of new visitors costs no server memory.

The token carries its issue time: a conversation idle for longer than
``session_idle`` seconds starts afresh (the user stays); a cookie idle for longer than
``user_idle`` seconds is refused altogether (a new user). A token the key did not make, or
one that was changed, is refused the same way.

The key comes from ``HALSPORRE_WEB_SECRET`` or, without it, from a file generated once
next to the progress database (``web-secret``, mode 0600) that every worker on the host
reads; instances behind a load balancer need the setting.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from skill.core.locales import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

SECRET_FILE = "web-secret"
#: Browsers keep cookies up to 4096 bytes (name and attributes included).
MAX_TOKEN_CHARS = 3800
_VERSION = 1


@dataclass
class WebState:
    """One browser's conversation, as the cookie carries it."""

    user: str = field(default_factory=lambda: uuid.uuid4().hex)
    locale: str | None = None
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    #: True when the browser sent this state back (a valid cookie), False for a new one.
    returned: bool = False

    @property
    def skill_user(self) -> str:
        """The user name the console session turns into ``amzn1.ask.account.web-...``."""
        return "web-" + self.user

    def end_conversation(self) -> None:
        self.session_id, self.attributes = None, {}

    def to_json(self) -> bytes:
        return json.dumps({"v": _VERSION, "u": self.user, "l": self.locale,
                           "s": self.session_id, "a": self.attributes},
                          separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> WebState:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            raise ValueError("unknown cookie version")
        user, locale, sid, attrs = data.get("u"), data.get("l"), data.get("s"), data.get("a")
        if not (isinstance(user, str) and len(user) == 32 and user.isalnum()):
            raise ValueError("bad user")
        if locale is not None and locale not in SUPPORTED_LOCALES:
            raise ValueError("bad locale")
        if sid is not None and not isinstance(sid, str) or not isinstance(attrs, dict):
            raise ValueError("bad session")
        return cls(user=user, locale=locale, session_id=sid, attributes=attrs, returned=True)


def derive_key(secret: str | bytes) -> bytes:
    """A Fernet key (urlsafe base64 of 32 bytes) from any secret string, with HKDF-SHA256."""
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(material) < 16:
        raise ValueError("the web secret must be at least 16 characters")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"halsporre web session cookie v1").derive(material)
    return base64.urlsafe_b64encode(raw)


def _read_secret(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def secret_from_file(path: Path) -> str:
    """The secret in ``path``, generated there first (atomically: every worker gets the
    same one, and none sees a half-written file)."""
    existing = _read_secret(path)
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)  # fails if another worker was first: then use theirs
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    secret = _read_secret(path)
    if not secret:
        raise OSError(f"{path} is empty")
    return secret


def cookie_key(secret: str | None, data_dir: Path) -> bytes:
    """The cookie key: from the setting, else from ``data_dir/web-secret``; a key of this
    process alone (logged: conversations then survive only within one worker) when the
    file cannot be written."""
    if secret:
        return derive_key(secret)
    path = data_dir / SECRET_FILE
    try:
        return derive_key(secret_from_file(path))
    except OSError as exc:
        log.warning("web page: cannot keep a cookie key in %s (%s); using one for this "
                    "process only: set HALSPORRE_WEB_SECRET so every worker shares one",
                    path, type(exc).__name__)
        return Fernet.generate_key()


class CookieCodec:
    """:class:`WebState` <-> cookie value, with idle limits checked against ``clock``."""

    def __init__(self, key: bytes, session_idle: int, user_idle: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._fernet = Fernet(key)
        self.session_idle, self.user_idle, self.clock = session_idle, user_idle, clock

    def encode(self, state: WebState) -> str:
        token = self._seal(state)
        if len(token) > MAX_TOKEN_CHARS:
            log.warning("web page: conversation state too large for a cookie (%d chars); "
                        "ending the conversation", len(token))
            state.end_conversation()
            token = self._seal(state)
        return token

    def _seal(self, state: WebState) -> str:
        packed = zlib.compress(state.to_json(), 6)
        return self._fernet.encrypt_at_time(packed, int(self.clock())).decode("ascii")

    def decode(self, value: str | None) -> WebState | None:
        """The state in ``value``; None when absent, forged, changed or idle too long."""
        if not value:
            return None
        now = int(self.clock())
        try:
            token = value.encode("ascii")
            packed = self._fernet.decrypt_at_time(token, ttl=self.user_idle, current_time=now)
            issued = self._fernet.extract_timestamp(token)
            state = WebState.from_json(zlib.decompress(packed))
        except (InvalidToken, UnicodeEncodeError, ValueError, zlib.error) as exc:
            log.info("web page: session cookie not accepted (%s); a new visitor",
                     type(exc).__name__)
            return None
        if now - issued > self.session_idle:
            state.end_conversation()
        return state
