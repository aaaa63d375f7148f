"""SQLite persistence against a real database file (and a second process)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.alexa.persistence import (
    LazyDynamoDbAdapter,
    PersistenceError,
    SQLitePersistenceAdapter,
    make_persistence_adapter,
    update_attributes,
    user_id_key,
)
from skill.config import Settings

REPO = Path(__file__).resolve().parents[1]


def envelope(user_id: str = "amzn1.ask.account.ALICE") -> RequestEnvelope:
    raw = {
        "version": "1.0",
        "context": {"System": {
            "application": {"applicationId": "amzn1.ask.skill.test"},
            "user": {"userId": user_id},
            "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
            "apiEndpoint": "https://api.amazonalexa.com",
        }},
        "request": {"type": "LaunchRequest", "requestId": "r1",
                    "timestamp": "2024-05-01T08:00:00Z", "locale": "sv-SE"},
    }
    return DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)


def test_new_user_gets_empty_dict_and_folder_and_table_are_created(tmp_path):
    db = tmp_path / "deep" / "folder" / "progress.sqlite3"
    adapter = SQLitePersistenceAdapter(db)
    assert adapter.get_attributes(envelope()) == {}
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "attributes" in tables


def test_survives_a_new_adapter_instance(tmp_path):
    db = tmp_path / "p.sqlite3"
    SQLitePersistenceAdapter(db).save_attributes(envelope(), {"progress": {"a": "å"}})
    assert SQLitePersistenceAdapter(db).get_attributes(envelope()) == {"progress": {"a": "å"}}


def test_users_are_separate_and_delete_forgets_one(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    adapter.save_attributes(envelope("A"), {"n": 1})
    adapter.save_attributes(envelope("B"), {"n": 2})
    adapter.save_attributes(envelope("A"), {"n": 3})
    adapter.delete_attributes(envelope("A"))
    assert adapter.get_attributes(envelope("A")) == {}
    assert adapter.get_attributes(envelope("B")) == {"n": 2}
    adapter.delete_attributes(envelope("nobody"))  # no error


def test_partition_key_is_the_user_id():
    assert user_id_key(envelope("amzn1.ask.account.X")) == "amzn1.ask.account.X"


def test_missing_user_id_is_a_persistence_error(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    env = envelope()
    env.context.system.user = None
    with pytest.raises(PersistenceError):
        adapter.get_attributes(env)


def test_second_process_reads_and_writes(tmp_path):
    db = tmp_path / "p.sqlite3"
    SQLitePersistenceAdapter(db).save_by_key("parent", {"from": "parent"})
    script = (
        "import sys, json\n"
        "from skill.alexa.persistence import SQLitePersistenceAdapter\n"
        "a = SQLitePersistenceAdapter(sys.argv[1])\n"
        "print(json.dumps(a.get_by_key('parent')))\n"
        "a.save_by_key('child', {'from': 'child', 'n': 7})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script, str(db)], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout) == {"from": "parent"}
    assert SQLitePersistenceAdapter(db).get_by_key("child") == {"from": "child", "n": 7}


def _increment(attrs):
    attrs["count"] = attrs.get("count", 0) + 1
    return attrs


def test_concurrent_read_modify_write_from_threads_loses_nothing(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3", timeout=30)
    _eight_threads_add_200(adapter, read_first=False)


def test_concurrent_read_then_update_turns_from_threads_lose_nothing(tmp_path):
    """Each turn reads, then updates by compare-and-set; writers in between are seen."""
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3", timeout=30)
    _eight_threads_add_200(adapter, read_first=True)


def test_concurrent_read_modify_write_from_processes_loses_nothing(tmp_path):
    db = tmp_path / "p.sqlite3"
    SQLitePersistenceAdapter(db).save_by_key("shared", {"count": 0})
    script = (
        "import sys\n"
        "from skill.alexa.persistence import SQLitePersistenceAdapter\n"
        "a = SQLitePersistenceAdapter(sys.argv[1], timeout=30)\n"
        "def inc(d):\n"
        "    d['count'] += 1\n"
        "for _ in range(20):\n"
        "    a.update_by_key('shared', inc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db)], env=env)
             for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    assert SQLitePersistenceAdapter(db).get_by_key("shared") == {"count": 60}


def _statements(adapter: SQLitePersistenceAdapter) -> list[str]:
    """The SQL this thread's connection runs from now on."""
    seen: list[str] = []
    adapter._connection().set_trace_callback(seen.append)
    return seen


def test_an_update_after_the_turns_read_is_one_statement(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    adapter.save_by_key("u", {"count": 1})
    assert adapter.get_by_key("u") == {"count": 1}
    sql = _statements(adapter)
    assert adapter.update_by_key("u", _increment) == {"count": 2}
    assert len(sql) == 1 and sql[0].startswith("UPDATE attributes")
    assert adapter.get_by_key("u") == {"count": 2}
    sql.clear()
    assert adapter.update_by_key("u", lambda d: None) == {"count": 2}  # no change
    assert len(sql) == 1 and sql[0].startswith("SELECT 1")
    sql.clear()
    adapter.update_by_key("u", _increment)  # no read before it: the whole transaction
    assert sql[0] == "BEGIN IMMEDIATE" and sql[-1] == "COMMIT"
    assert SQLitePersistenceAdapter(tmp_path / "p.sqlite3").get_by_key("u") == {"count": 3}


@pytest.mark.parametrize("change", [_increment, lambda d: None])
def test_a_write_between_the_read_and_the_update_is_not_lost(tmp_path, change):
    db = tmp_path / "p.sqlite3"
    adapter, other = SQLitePersistenceAdapter(db), SQLitePersistenceAdapter(db)
    adapter.save_by_key("u", {"count": 1})
    adapter.get_by_key("u")
    other.save_by_key("u", {"count": 10, "other": True})  # another worker, after our read
    calls: list[dict] = []

    def recorded(d: dict) -> dict | None:
        calls.append(dict(d))
        return change(d)

    new = adapter.update_by_key("u", recorded)
    assert calls[-1] == {"count": 10, "other": True}  # applied again to what is stored
    stored = SQLitePersistenceAdapter(db).get_by_key("u")
    assert stored == new and stored["other"] is True
    assert stored["count"] == (11 if change is _increment else 10)


def test_an_update_after_another_users_read_does_not_use_it(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    adapter.save_by_key("a", {"count": 1})
    adapter.save_by_key("b", {"count": 5})
    adapter.get_by_key("a")
    assert adapter.update_by_key("b", _increment) == {"count": 6}
    assert adapter.get_by_key("a") == {"count": 1}


def test_failing_update_rolls_back(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    adapter.save_attributes(envelope(), {"count": 1})

    def boom(attrs):
        attrs["count"] = 99
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        adapter.update_attributes(envelope(), boom)
    assert adapter.get_attributes(envelope()) == {"count": 1}


def test_update_attributes_helper_falls_back_to_get_and_save():
    class Memory:
        def __init__(self):
            self.data = {"count": 1}

        def get_attributes(self, request_envelope):
            return dict(self.data)

        def save_attributes(self, request_envelope, attributes):
            self.data = attributes

    memory = Memory()
    assert update_attributes(memory, envelope(), _increment) == {"count": 2}
    assert memory.data == {"count": 2}


def test_corrupt_database_file_raises_persistence_error(tmp_path, caplog):
    db = tmp_path / "p.sqlite3"
    db.write_bytes(b"this is not a sqlite database at all" * 100)
    adapter = SQLitePersistenceAdapter(db)
    with pytest.raises(PersistenceError) as info:
        adapter.get_attributes(envelope())
    assert isinstance(info.value, PersistenceException)
    assert "not a database" in info.value.reason
    assert any("persistence" in r.getMessage() for r in caplog.records)


def test_corrupt_stored_document_raises_persistence_error(tmp_path):
    db = tmp_path / "p.sqlite3"
    adapter = SQLitePersistenceAdapter(db)
    adapter.save_by_key("amzn1.ask.account.ALICE", {"ok": True})
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE attributes SET document = '{broken'")
    with pytest.raises(PersistenceError):
        adapter.get_attributes(envelope())


def test_folder_that_cannot_be_created_raises_persistence_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(PersistenceError):
        SQLitePersistenceAdapter(blocker / "p.sqlite3").get_attributes(envelope())


def test_database_path_that_is_a_folder_raises_persistence_error(tmp_path):
    with pytest.raises(PersistenceError):
        SQLitePersistenceAdapter(tmp_path).save_attributes(envelope(), {"a": 1})


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores file permissions")
def test_read_only_folder_raises_persistence_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PersistenceError):
            SQLitePersistenceAdapter(folder / "p.sqlite3").save_attributes(envelope(), {})
    finally:
        folder.chmod(0o700)


def test_read_only_database_raises_persistence_error(tmp_path):
    """A database opened read-only (as on a read-only mount) refuses the save."""
    db = tmp_path / "p.sqlite3"
    adapter = SQLitePersistenceAdapter(db)
    adapter.save_attributes(envelope(), {"a": 1})

    class ReadOnly(SQLitePersistenceAdapter):
        def _connect(self):
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True,
                                   isolation_level=None, timeout=self.timeout)
            return conn

    ro = ReadOnly(db)
    assert ro.get_attributes(envelope()) == {"a": 1}
    with pytest.raises(PersistenceError) as info:
        ro.save_attributes(envelope(), {"a": 2})
    assert "readonly" in info.value.reason.replace("-", "").replace(" ", "").lower()


def test_locked_database_raises_persistence_error(tmp_path):
    db = tmp_path / "p.sqlite3"
    adapter = SQLitePersistenceAdapter(db, timeout=0.2)
    adapter.save_attributes(envelope(), {"a": 1})
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(PersistenceError) as info:
            adapter.save_attributes(envelope(), {"a": 2})
        assert "locked" in info.value.reason
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    adapter.save_attributes(envelope(), {"a": 3})
    assert adapter.get_attributes(envelope()) == {"a": 3}


def test_attributes_must_be_json(tmp_path):
    adapter = SQLitePersistenceAdapter(tmp_path / "p.sqlite3")
    with pytest.raises(PersistenceError):
        adapter.save_attributes(envelope(), {"when": object()})


# -- make_persistence_adapter ------------------------------------------------------------


def test_make_sqlite_is_the_default(tmp_path):
    adapter = make_persistence_adapter(Settings(db_path=tmp_path / "x" / "p.sqlite3"))
    assert isinstance(adapter, SQLitePersistenceAdapter)
    assert adapter.db_path == tmp_path / "x" / "p.sqlite3"


def test_make_none():
    assert make_persistence_adapter(Settings(persistence="none")) is None


def test_make_unknown_is_a_value_error():
    with pytest.raises(ValueError):
        make_persistence_adapter(Settings(persistence="redis"))


def test_make_dynamodb_uses_the_published_adapter(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    lazy = make_persistence_adapter(Settings(persistence="dynamodb",
                                             dynamodb_table="my-table"))
    assert isinstance(lazy, LazyDynamoDbAdapter) and lazy._adapter is None  # made on first use
    adapter = lazy.adapter
    assert isinstance(adapter, DynamoDbAdapter)
    assert adapter.table_name == "my-table"
    assert adapter.create_table is False
    assert lazy.adapter is adapter


def test_make_dynamodb_without_the_extra_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ask_sdk_dynamodb.adapter", None)
    monkeypatch.setitem(sys.modules, "ask_sdk_dynamodb", None)
    with pytest.raises(PersistenceError, match=r"halsporre\[dynamodb\]"):
        make_persistence_adapter(Settings(persistence="dynamodb"))


def _eight_threads_add_200(adapter: SQLitePersistenceAdapter, read_first: bool) -> None:
    """8 threads x 25 increments (each after a read of its own, if ``read_first``): 200."""
    env = envelope()
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(25):
                if read_first:
                    adapter.get_attributes(env)
                adapter.update_attributes(env, _increment)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert adapter.get_attributes(env) == {"count": 200}
