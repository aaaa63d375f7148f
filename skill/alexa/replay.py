"""Request ids already answered, for replay protection (:class:`skill.alexa.verify.ReplayVerifier`).

A store answers one question: "is this the first time we see ``request_id``?" and remembers
it until ``expires`` (the end of the request's timestamp tolerance). Both stores are
bounded: expired ids are dropped first; when the store is still full the entries closest
to expiry go (logged), which can only happen with more genuine Alexa traffic per window
than the bound - attackers cannot add entries, because replays and unsigned requests are
refused before anything is remembered.

* :class:`SQLiteReplayStore` (the webservice's default): one small SQLite file, shared by
  every worker process on the host that uses the same file (gunicorn's workers do).
  Not shared between hosts: behind a load balancer with several instances, a replay sent
  to another instance within 150 s is not caught by this check (the timestamp check still
  ends it after 150 s) - run one instance, or give the instances one shared store.
* :class:`MemoryReplayStore`: one process only (``HALSPORRE_PERSISTENCE=none`` and tests).

When the SQLite file cannot be used, the store logs why and lets the request through
(fail open): the timestamp window still bounds a replay, and a broken disk must not silence
the skill - the same rule as progress storage.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from skill.config import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 100_000
_warned_full: list[bool] = []


def _warn_full(limit: int) -> None:
    if not _warned_full:  # once per process: only genuine traffic fills the store
        _warned_full.append(True)
        log.warning("replay store full (%d ids); forgetting the oldest", limit)


class ReplayStore(Protocol):
    def first_sight(self, request_id: str, expires: float, now: float) -> bool:
        """True (and remember it until ``expires``) unless ``request_id`` is known."""
        ...


class MemoryReplayStore:
    """Request ids of this process, at most ``max_entries``."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max(1, max_entries)
        self._seen: OrderedDict[str, float] = OrderedDict()  # in order of arrival
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def first_sight(self, request_id: str, expires: float, now: float) -> bool:
        with self._lock:
            known = self._seen.get(request_id)
            if known is not None and known > now:
                return False
            self._seen.pop(request_id, None)
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            if len(self._seen) >= self.max_entries:
                _warn_full(self.max_entries)
                while len(self._seen) >= self.max_entries:
                    self._seen.popitem(last=False)
            self._seen[request_id] = expires
            return True


_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    request_id TEXT NOT NULL UNIQUE,
    expires    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_expires ON seen (expires);
"""


class SQLiteReplayStore:
    """Request ids in a SQLite file (WAL), shared by the processes that open the same file.

    One ``BEGIN IMMEDIATE`` transaction per request: drop expired ids, insert this one if
    absent. At most ``max_entries`` rows.
    """

    def __init__(self, path: str | Path, max_entries: int = DEFAULT_MAX_ENTRIES,
                 timeout: float = 2.0) -> None:
        self.path = Path(path)
        self.max_entries = max(1, max_entries)
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            self._local.conn = conn
        return conn

    def first_sight(self, request_id: str, expires: float, now: float) -> bool:
        try:
            return self._first_sight(request_id, expires, now)
        except (sqlite3.Error, OSError) as exc:
            self._local.conn = None
            log.warning("replay store %s unusable (%s: %s); request let through",
                        self.path, type(exc).__name__, exc)
            return True

    def _first_sight(self, request_id: str, expires: float, now: float) -> bool:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM seen WHERE expires <= ?", (now,))
            fresh = conn.execute("INSERT OR IGNORE INTO seen (request_id, expires) "
                                 "VALUES (?, ?)", (request_id, expires)).rowcount == 1
            if fresh:
                self._trim(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return fresh

    def _trim(self, conn: sqlite3.Connection) -> None:
        """Keep the newest ``max_entries`` rows: rowids grow with every insert, so the rows
        ``max_entries`` or more inserts old go (a range delete on the rowid, no count)."""
        (newest,) = conn.execute("SELECT last_insert_rowid()").fetchone()
        gone = conn.execute("DELETE FROM seen WHERE rowid <= ?",
                            (newest - self.max_entries,)).rowcount
        if gone:
            _warn_full(self.max_entries)


def make_replay_store(settings: Settings) -> ReplayStore:
    """SQLite beside the progress file (``replay.sqlite3``, or ``HALSPORRE_REPLAY_DB_PATH``);
    in memory when persistence is ``none``."""
    if settings.replay_db_path is not None:
        return SQLiteReplayStore(settings.replay_db_path)
    if (settings.persistence or "").strip().lower() == "none":
        return MemoryReplayStore()
    return SQLiteReplayStore(Path(settings.db_path).with_name("replay.sqlite3"))
