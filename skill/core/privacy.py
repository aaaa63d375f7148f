"""Privacy helpers: user and device ids never reach the logs in clear."""

from __future__ import annotations

import hashlib
import os

_SALT = os.environ.get("HALSPORRE_LOG_SALT", "halsporre").encode()


def hash_id(value: str | None) -> str:
    """A short, stable, one-way pseudonym of an id for log lines (``-`` when absent)."""
    if not value:
        return "-"
    return hashlib.sha256(_SALT + value.encode()).hexdigest()[:12]
