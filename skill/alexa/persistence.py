"""Persistent attributes per Alexa user: SQLite by default, DynamoDB by configuration.

The SQLite adapter keeps one JSON document per user id in one table. Each thread keeps
one connection (reopened after a fork or when the file was replaced), the database runs
in WAL mode with a busy timeout, and every save is one transaction. :meth:`update_attributes`
does a read-modify-write inside a single ``BEGIN IMMEDIATE`` transaction, so concurrent
updates never lose each other's changes; an update that changes nothing writes nothing
(documents are stored in one canonical JSON form, so equal text means equal attributes).
When the same thread read the user earlier in the turn, the update is one compare-and-set
statement on what it read (one round trip per turn after the read), and falls back to the
transaction when another writer came between.

Deleting a user forgets every copy: ``secure_delete`` overwrites the row, and a
``wal_checkpoint(TRUNCATE)`` afterwards empties the WAL file that still held older versions.
Documents are at most 64 KB; log lines name users by pseudonym only.

Every failure of the store (missing folder that cannot be created, locked, read-only or
corrupt database, a stored document that is not JSON) raises :class:`PersistenceError`
with a logged reason; handlers catch :class:`ask_sdk_core.exceptions.PersistenceException`
(its base, which the DynamoDB adapter raises too) and tell the user progress was not saved.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.core.privacy import hash_id

if TYPE_CHECKING:  # pragma: no cover
    from ask_sdk_model import RequestEnvelope

    from skill.config import Settings

log = logging.getLogger(__name__)

Attributes = dict[str, Any]
Updater = Callable[[Attributes], Attributes | None]

MAX_DOCUMENT_CHARS = 64 * 1024  # one user's attributes; ours are under 10 KB
CHECKPOINT_TRIES = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attributes (
    user_id    TEXT PRIMARY KEY,
    document   TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""


class PersistenceError(PersistenceException):
    """The attribute store could not be read or written; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def user_id_key(request_envelope: RequestEnvelope) -> str:
    """The partition key: ``context.system.user.user_id`` of the request."""
    system = getattr(request_envelope.context, "system", None)
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if not user_id:
        raise PersistenceError("request envelope has no user id")
    return user_id


def _fail(action: str, path: Path, exc: BaseException) -> PersistenceError:
    reason = f"cannot {action} {path}: {type(exc).__name__}: {exc}"
    log.error("persistence: %s", reason)
    return PersistenceError(reason)


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """One JSON document of persistent attributes per user id in a SQLite file.

    :param db_path: the database file; its folder and the table are created on first use.
    :param timeout: seconds to wait for a lock held by another connection (busy timeout).
    :param partition_keygen: request envelope -> key (default: the user id).
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        timeout: float = 5.0,
        partition_keygen: Callable[[RequestEnvelope], str] = user_id_key,
    ) -> None:
        self.db_path = Path(db_path)
        self.timeout = timeout
        self.partition_keygen = partition_keygen
        self._ready = False
        self._ready_lock = threading.Lock()
        self._local = threading.local()

    # -- connections -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.db_path), timeout=self.timeout, isolation_level=None,
            check_same_thread=True,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        # WAL's documented safe level: no corruption, and a committed transaction survives
        # a killed process; only a power cut may lose the last commit. Spares an fsync a write.
        conn.execute("PRAGMA synchronous = NORMAL")
        # deleted rows are overwritten with zeros, not just unlinked (privacy: "delete my data")
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.db_path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened once and reused while it is safe to.

        A forked worker opens its own, and so does anyone after the database file was
        removed or replaced: a connection to a deleted file would report every save as
        done while the data vanishes with the process.
        """
        pid, identity = os.getpid(), self._file_identity()
        conn = getattr(self._local, "conn", None)
        if conn is not None and (getattr(self._local, "pid", None) != pid
                                 or getattr(self._local, "identity", None) != identity):
            if identity != getattr(self._local, "identity", None):
                log.warning("persistence: %s was removed or replaced; reopening", self.db_path)
            self._drop_connection()
            conn = None
        if conn is None:
            if identity is None:
                self._ready = False
            self._ensure_ready()
            conn = self._connect()
            self._local.conn, self._local.pid = conn, pid
            self._local.identity = self._file_identity()
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self.db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _fail("create the folder of", self.db_path, exc) from exc
            try:
                conn = self._connect()
                try:
                    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                    if str(mode).lower() != "wal":
                        log.warning("persistence: %s runs in %s mode, not WAL",
                                    self.db_path, mode)
                    conn.execute(_SCHEMA)
                    conn.execute("SELECT count(*) FROM attributes").fetchone()
                finally:
                    conn.close()
            except sqlite3.Error as exc:
                raise _fail("open", self.db_path, exc) from exc
            self._ready = True

    def _run(self, action: str, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        for attempt in (1, 2):
            try:
                conn = self._connection()
            except sqlite3.Error as exc:
                raise _fail("open", self.db_path, exc) from exc
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                self._drop_connection()  # a broken or locked connection is not reused
                if attempt == 1 and "no such table" in str(exc):
                    self._ready = False  # the file was re-created empty: make the table
                    continue
                raise _fail(action, self.db_path, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _transaction(conn: sqlite3.Connection, body: Callable[[], Any]) -> Any:
        """Run ``body`` inside one ``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back on error."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body()
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    @staticmethod
    def _decode(user_id: str, document: str) -> Attributes:
        who = hash_id(user_id)  # never the id itself in a log line
        if len(document) > MAX_DOCUMENT_CHARS:
            reason = f"stored attributes of user {who} are too large ({len(document)} chars)"
            log.error("persistence: %s", reason)
            raise PersistenceError(reason)
        try:
            value = json.loads(document)
        except (ValueError, RecursionError) as exc:
            reason = f"stored attributes of user {who} are not JSON: {type(exc).__name__}"
            log.error("persistence: %s", reason)
            raise PersistenceError(reason) from None
        if not isinstance(value, dict):
            reason = f"stored attributes of user {who} are not an object"
            log.error("persistence: %s", reason)
            raise PersistenceError(reason)
        return value

    @staticmethod
    def _encode(attributes: Attributes) -> str:
        if not isinstance(attributes, dict):
            raise PersistenceError(f"attributes must be a dict, not {type(attributes).__name__}")
        try:
            document = json.dumps(attributes, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise PersistenceError(f"attributes are not JSON-serialisable: {exc}") from exc
        if len(document) > MAX_DOCUMENT_CHARS:
            raise PersistenceError(f"attributes too large to store ({len(document)} chars)")
        return document

    @staticmethod
    def _read(conn: sqlite3.Connection, user_id: str) -> str | None:
        row = conn.execute(
            "SELECT document FROM attributes WHERE user_id = ?", (user_id,)
        ).fetchone()
        return row[0] if row else None

    @staticmethod
    def _write(conn: sqlite3.Connection, user_id: str, document: str) -> None:
        conn.execute(
            "INSERT INTO attributes (user_id, document, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET document = excluded.document, "
            "updated_at = excluded.updated_at",
            (user_id, document, time.time()),
        )

    # -- by key (CLI, tests) -----------------------------------------------------------

    def get_by_key(self, user_id: str) -> Attributes:
        document = self._run("read", lambda conn: self._read(conn, user_id))
        self._local.seen = (user_id, document)  # an update in this turn starts from it
        return {} if document is None else self._decode(user_id, document)

    def save_by_key(self, user_id: str, attributes: Attributes) -> None:
        document = self._encode(attributes)
        self._local.seen = None

        self._run("write", lambda conn: self._transaction(
            conn, lambda: self._write(conn, user_id, document)))

    def delete_by_key(self, user_id: str) -> None:
        """Forget ``user_id`` in every copy: the row is overwritten (``secure_delete``), then
        the WAL is checkpointed into the database and truncated, so no older version of the
        row stays in the ``-wal`` file either."""
        self._local.seen = None
        self._run("delete from", lambda conn: self._transaction(
            conn, lambda: conn.execute("DELETE FROM attributes WHERE user_id = ?", (user_id,))))
        self._run("checkpoint", self._checkpoint)

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        for attempt in range(CHECKPOINT_TRIES):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(0.05 * (attempt + 1))  # a reader holds an old snapshot: let it finish
        log.warning("persistence: %s: WAL still in use after a delete; older copies leave "
                    "it at the next checkpoint", self.db_path)

    def update_by_key(self, user_id: str, fn: Updater) -> Attributes:
        """Read-modify-write, atomic.  After a read of the same user by this thread (the
        turn read the progress first), one statement: a compare-and-set ``UPDATE ...
        WHERE document = <what was read>``, or a ``SELECT`` that the row is still what was
        read when nothing changed; when another writer came between, the whole
        ``BEGIN IMMEDIATE`` transaction below."""
        seen = getattr(self._local, "seen", None)
        self._local.seen = None
        if seen is not None and seen[0] == user_id and seen[1] is not None:
            done = self._update_seen(user_id, seen[1], fn)
            if done is not None:
                return done

        def body(conn: sqlite3.Connection) -> Attributes:
            document = self._read(conn, user_id)
            current = {} if document is None else self._decode(user_id, document)
            result = fn(current)
            new = current if result is None else result
            encoded = self._encode(new)
            if encoded != document:  # nothing changed: no write, no WAL frame
                self._write(conn, user_id, encoded)
            return new

        return self._run("update", lambda conn: self._transaction(conn, lambda: body(conn)))

    def _update_seen(self, user_id: str, document: str, fn: Updater) -> Attributes | None:
        """The update from ``document`` (read earlier) in one statement, or ``None`` when
        the row is no longer ``document`` (nothing was written then)."""
        current = self._decode(user_id, document)
        result = fn(current)
        new = current if result is None else result
        encoded = self._encode(new)

        def cas(conn: sqlite3.Connection) -> bool:
            if encoded == document:  # nothing changed: still the row we read?
                return bool(conn.execute("SELECT 1 FROM attributes WHERE user_id = ? AND "
                                         "document = ?", (user_id, document)).fetchone())
            return conn.execute(
                "UPDATE attributes SET document = ?, updated_at = ? WHERE user_id = ? AND "
                "document = ?", (encoded, time.time(), user_id, document)).rowcount == 1

        return new if self._run("update", cas) else None

    def delete_idle(self, prefix: str, idle_seconds: float, now: float | None = None) -> int:
        """Delete the documents of ids starting with ``prefix`` not written for
        ``idle_seconds`` (the web page's idle expiry); the number deleted."""
        cutoff = (time.time() if now is None else now) - idle_seconds
        sql = ("DELETE FROM attributes WHERE user_id >= ? AND user_id < ? "
               "AND updated_at < ?")
        return self._run("delete from", lambda conn: self._transaction(
            conn, lambda: conn.execute(sql, (prefix, prefix + "\uffff", cutoff)).rowcount))

    # -- AbstractPersistenceAdapter ----------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
        """The user's attributes; ``{}`` for a new user."""
        return self.get_by_key(self.partition_keygen(request_envelope))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        """Replace the user's attributes in one transaction."""
        self.save_by_key(self.partition_keygen(request_envelope), attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget the user ("delete my data")."""
        self.delete_by_key(self.partition_keygen(request_envelope))

    def update_attributes(self, request_envelope: RequestEnvelope, fn: Updater) -> Attributes:
        """Read-modify-write, atomic: one compare-and-set statement after this turn's read,
        else ONE ``BEGIN IMMEDIATE`` transaction (:meth:`update_by_key`).

        ``fn`` gets the current attributes (``{}`` for a new user) and returns the new
        ones (or ``None`` after changing the dict in place). Returns what was stored.
        An exception from ``fn`` rolls back and propagates unchanged.
        """
        return self.update_by_key(self.partition_keygen(request_envelope), fn)


def update_attributes(
    adapter: AbstractPersistenceAdapter, request_envelope: RequestEnvelope, fn: Updater
) -> Attributes:
    """Read-modify-write through any adapter: atomic for SQLite, get+save otherwise."""
    native = getattr(adapter, "update_attributes", None)
    if callable(native):
        return native(request_envelope, fn)
    current = adapter.get_attributes(request_envelope) or {}
    result = fn(current)
    new = current if result is None else result
    adapter.save_attributes(request_envelope, new)
    return new


def make_persistence_adapter(settings: Settings) -> AbstractPersistenceAdapter | None:
    """The adapter ``settings.persistence`` asks for: ``sqlite``, ``dynamodb`` or ``none``."""
    kind = (settings.persistence or "sqlite").strip().lower()
    if kind == "sqlite":
        return SQLitePersistenceAdapter(settings.db_path)
    if kind == "none":
        return None
    if kind == "dynamodb":
        _check_dynamodb_installed()
        return LazyDynamoDbAdapter(settings.dynamodb_table)
    raise ValueError(f"unknown persistence {settings.persistence!r}: "
                     "use 'sqlite', 'dynamodb' or 'none'")


class LazyDynamoDbAdapter(AbstractPersistenceAdapter):
    """The DynamoDB adapter, made on first use: importing boto3 and ask-sdk's adapter (which
    makes a boto3 resource when imported) costs about 400 ms, and a cold start answering a
    request that stores nothing should not pay it. Every call goes to the real adapter
    (:func:`_make_dynamodb_adapter`); a failure to make it raises :class:`PersistenceError`
    on that call, like any other storage failure."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self._adapter: Any = None
        self._lock = threading.Lock()

    @property
    def adapter(self) -> Any:
        if self._adapter is None:
            with self._lock:
                if self._adapter is None:
                    self._adapter = _make_dynamodb_adapter(self.table_name)
        return self._adapter

    def __getattr__(self, name: str) -> Any:
        """Anything else (``dynamodb``, ``partition_keygen``, ...) is the real adapter's."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.adapter, name)

    def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
        result: Attributes = self.adapter.get_attributes(request_envelope)
        return result

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        self.adapter.save_attributes(request_envelope, attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.adapter.delete_attributes(request_envelope)

    def update_attributes(self, request_envelope: RequestEnvelope, fn: Updater) -> Attributes:
        result: Attributes = self.adapter.update_attributes(request_envelope, fn)
        return result


def _map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with ``leaf`` applied to everything that is not a dict or a list."""
    if isinstance(value, dict):
        return {k: _map_leaves(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_leaves(v, leaf) for v in value]
    return leaf(value)


def _from_dynamo(value: Any) -> Any:
    """DynamoDB gives numbers back as Decimal: whole ones become int again, others float."""
    return _map_leaves(value, lambda v: (int(v) if v == v.to_integral_value() else float(v))
                       if isinstance(v, Decimal) else v)


def _to_dynamo(value: Any) -> Any:
    """DynamoDB refuses floats; store them as Decimal."""
    return _map_leaves(value, lambda v: Decimal(str(v)) if isinstance(v, float) else v)


def _missing_extra(detail: str) -> PersistenceError:
    reason = ("persistence 'dynamodb' needs the optional extra: "
              "pip install 'halsporre[dynamodb]' "
              f"(ask-sdk-dynamodb-persistence-adapter, boto3): {detail}")
    log.error("persistence: %s", reason)
    return PersistenceError(reason)


def _check_dynamodb_installed() -> None:
    """A missing extra is a configuration error at start-up, found without importing it."""
    from importlib.util import find_spec

    for name in ("boto3", "ask_sdk_dynamodb"):
        try:
            found = find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise _missing_extra(f"no module named {name!r}")


def _make_dynamodb_adapter(table_name: str) -> AbstractPersistenceAdapter:
    try:
        import boto3
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
    except ImportError as exc:
        raise _missing_extra(str(exc)) from exc
    except Exception as exc:  # botocore NoRegionError, missing credentials config, ...
        reason = f"cannot set up DynamoDB ({type(exc).__name__}: {exc}); set AWS_DEFAULT_REGION"
        log.error("persistence: %s", reason)
        raise PersistenceError(reason) from exc

    class VersionedDynamoDbAdapter(DynamoDbAdapter):
        """ask-sdk's adapter with plain numbers and conflict-safe read-modify-write.

        Every update stores a version number and writes only if nobody else wrote since
        the read (a conditional put); on a conflict it reads again and retries, so two
        devices of one user completing sessions at once lose nothing.
        """

        VERSION = "version"
        RETRIES = 8

        def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
            return _from_dynamo(super().get_attributes(request_envelope))

        def save_attributes(self, request_envelope: RequestEnvelope,
                            attributes: Attributes) -> None:
            super().save_attributes(request_envelope, _to_dynamo(attributes))

        def update_attributes(self, request_envelope: RequestEnvelope,
                              fn: Updater) -> Attributes:
            from botocore.exceptions import ClientError

            table = self.dynamodb.Table(self.table_name)
            key = {self.partition_key_name: self.partition_keygen(request_envelope)}
            for _ in range(self.RETRIES):
                try:
                    item = table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
                    current = _from_dynamo(item.get(self.attribute_name) or {})
                    version = item.get(self.VERSION)
                    result = fn(current)
                    new = current if result is None else result
                    if version is None:
                        condition = "attribute_not_exists(#v)"
                        values: dict[str, Any] = {}
                    else:
                        condition, values = "#v = :v", {":v": version}
                    table.put_item(
                        Item={**key, self.attribute_name: _to_dynamo(new),
                              self.VERSION: (version or 0) + 1},
                        ConditionExpression=condition,
                        ExpressionAttributeNames={"#v": self.VERSION},
                        **({"ExpressionAttributeValues": values} if values else {}),
                    )
                    return new
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code == "ConditionalCheckFailedException":
                        continue  # another device wrote first: read again
                    raise PersistenceError(f"DynamoDB update failed: {code}") from exc
            raise PersistenceError("DynamoDB update kept conflicting; gave up")

    # The adapter's default resource is made at import time; make ours now, so the
    # endpoint and region of the environment at set-up time are the ones used.
    return VersionedDynamoDbAdapter(table_name=table_name, create_table=False,
                                    dynamodb_resource=boto3.resource("dynamodb"))
