"""Rate limits of the web page's API: fixed one-minute windows per client address.

Buckets: ``start`` (a request without a valid session cookie opens a new conversation),
``start_total`` (the same, all addresses together) and ``turn`` (a turn of a conversation
the browser holds). Answers that are refused cost one counter update and no skill work.

Why our own small store and not flask-limiter: flask-limiter's storages that work across
gunicorn workers are Redis, Memcached, MongoDB or etcd - a server a clinic would have to
run only for this. The counters live where the progress does instead: a table in the same
SQLite file (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, one statement, shared by
every worker on the host). With DynamoDB or no storage they are counted per process
(:class:`MemoryRateStore`): behind several instances the limits then hold per worker.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

WINDOW_S = 60
_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_rate (
    key    TEXT NOT NULL,
    win    INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (key, win)
) WITHOUT ROWID
"""
_HIT = ("INSERT INTO web_rate (key, win, count) VALUES (?, ?, 1) "
        "ON CONFLICT(key, win) DO UPDATE SET count = count + 1 RETURNING count")


class RateStore(Protocol):
    def hit(self, key: str, window: int) -> int:
        """Count one hit of ``key`` in ``window``; the count so far, this one included."""

    def forget_before(self, window: int) -> None:
        """Drop the counters of windows before ``window``."""


class MemoryRateStore:
    """Counters in this process (no storage shared with other workers)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count

    def forget_before(self, window: int) -> None:
        with self._lock:
            for k in [k for k in self._counts if k[1] < window]:
                del self._counts[k]


class SQLiteRateStore:
    """Counters in a table of the progress database, shared by every worker on the host."""

    def __init__(self, db_path: str | Path, timeout: float = 2.0) -> None:
        self.db_path, self.timeout = Path(db_path), timeout
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.db_path), timeout=self.timeout,
                                   isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            conn.close()

    def hit(self, key: str, window: int) -> int:
        try:
            return int(self._conn().execute(_HIT, (key, window)).fetchone()[0])
        except sqlite3.Error:
            self._drop()
            raise

    def forget_before(self, window: int) -> None:
        try:
            self._conn().execute("DELETE FROM web_rate WHERE win < ?", (window,))
        except sqlite3.Error:
            self._drop()
            raise


class RateLimiter:
    """``allow(bucket, key)``: True while ``key`` stays within ``limits[bucket]`` hits per
    minute (0 or a missing bucket: no limit). A failing store lets the request through,
    logged: a limit must never stop a patient because a disk is full."""

    def __init__(self, store: RateStore, limits: dict[str, int],
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.limits, self.clock = store, dict(limits), clock
        self._last_window = -1

    def retry_after(self) -> int:
        """Seconds until the current window ends."""
        return max(1, WINDOW_S - int(self.clock()) % WINDOW_S)

    def allow(self, bucket: str, key: str) -> bool:
        limit = self.limits.get(bucket, 0)
        if limit <= 0:
            return True
        window = int(self.clock()) // WINDOW_S
        try:
            if window != self._last_window:
                self._last_window = window
                self.store.forget_before(window - 1)
            return self.store.hit(f"{bucket}:{key}", window) <= limit
        except (sqlite3.Error, OSError) as exc:
            log.warning("web page: rate limit store failed (%s); request let through",
                        type(exc).__name__)
            return True
