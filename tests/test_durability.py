"""Durability of stored progress through the whole Skill (real SQLite file, real processes).

* Two devices of one user at once (threads sharing a Skill, plus a second process with its
  own Skill) against ONE database file: every completed session is counted, none lost.
* A process SIGKILLed mid-session loses nothing it had already confirmed to the user.
* A missing, locked, read-only, not-a-database or corrupt database: every request is still
  answered (HTTP 200 through the Flask app, a real answer, not the error handler's), the
  user hears ``progress.not_saved``, and a log line says why.

Every loop and wait here is bounded in count and time.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import skill.alexa.builder
from skill.alexa.builder import build_skill
from skill.alexa.persistence import SQLitePersistenceAdapter
from skill.config import Settings
from skill.content import load_content
from skill.core.stretch import REPS
from tests.test_session_flow import User, say

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
USER_ID = "amzn1.ask.account.DURABILITY"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Stockholm
DAY = "2026-05-04"
EN = load_content("en-US")
NOT_SAVED = EN.text("progress.not_saved")
ERROR_GENERAL = EN.text("error.general")
CHILD_TIMEOUT_S = 60.0


# -- helpers (also the entry points of the child processes) ------------------------------


def _finished(said: list[str]) -> bool:
    """The last answer of a session announces the day's count (en-US / en-GB)."""
    return "session today" in said[-1] or "session number" in said[-1]


def run_sessions(skill, device_id: str, seconds: float, max_sessions: int,
                 locale: str = "en-US") -> tuple[int, list[str]]:
    """Complete stretch sessions on one device until ``seconds`` pass; (done, problems)."""
    user = User(skill, locale, user_id=USER_ID)
    user.device.device_id = device_id
    done, problems = 0, []
    deadline = time.monotonic() + seconds
    for _ in range(max_sessions):
        if time.monotonic() >= deadline:
            break
        said = user.full_session(NOW)
        if not _finished(said):
            problems.append(f"{device_id}: session did not finish: {said[-1]!r}")
            break
        if any("couldn't save" in s for s in said):
            problems.append(f"{device_id}: a save failed: {said!r}")
        done += 1
    return done, problems


def stored_progress(db: Path) -> dict:
    return SQLitePersistenceAdapter(db).get_by_key(USER_ID).get("progress", {})


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", f"from tests.test_durability import {code} as f; f()", *args],
        cwd=REPO, env=_child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def concurrent_child() -> None:
    """argv: db ready_file go_file seconds max_sessions. Prints {"done": n, "problems": []}."""
    db, ready, go, seconds, max_sessions = sys.argv[1:6]
    skill = build_skill(Settings(db_path=Path(db)))
    Path(ready).touch()
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    done, problems = run_sessions(skill, "amzn1.ask.device.child-process", float(seconds),
                                  int(max_sessions), locale="en-GB")
    print(json.dumps({"done": done, "problems": problems}), flush=True)


def killed_child() -> None:
    """argv: db n. Completes n sessions, starts another, reports its saved place, waits."""
    db, n = sys.argv[1], int(sys.argv[2])
    user = User(build_skill(Settings(db_path=Path(db))), "en-US", user_id=USER_ID)
    for i in range(n):
        if not _finished(user.full_session(NOW)):
            sys.exit(f"session {i + 1} did not finish")
        print(f"CONFIRMED {i + 1}", flush=True)
    user.intent("StartStretchIntent", NOW)  # each stretch turn saves the place
    user.intent("AMAZON.YesIntent", NOW)
    if user.device.attributes.get("state", {}).get("mode") != "stretch":
        sys.exit("the session finished too early to be killed mid-way")
    print("PLACE " + json.dumps(user.device.attributes["state"]["stretch"]), flush=True)
    time.sleep(CHILD_TIMEOUT_S)  # waits to be killed


def looping_child() -> None:
    """argv: db. Completes sessions and confirms each one until killed (bounded)."""
    user = User(build_skill(Settings(db_path=Path(sys.argv[1]))), "en-US", user_id=USER_ID)
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    for i in range(10_000):
        if time.monotonic() >= deadline:
            break
        if _finished(user.full_session(NOW)):
            print(f"CONFIRMED {i + 1}", flush=True)


def _read_until(proc: subprocess.Popen, prefix: str, timeout: float) -> list[str]:
    """Lines of ``proc``'s stdout up to and including the first starting with ``prefix``."""
    lines: list[str] = []
    box: dict[str, BaseException] = {}

    def reader() -> None:
        try:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                if line.startswith(prefix):
                    return
        except BaseException as exc:  # pragma: no cover
            box["exc"] = exc

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive() or not lines or not lines[-1].startswith(prefix):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"child never printed {prefix!r}; got {lines!r}; stderr:\n"
                             f"{err[-3000:]}")
    return lines


# -- (a) two devices at once -------------------------------------------------------------


def test_two_devices_threads_and_a_second_process_lose_no_session(tmp_path):
    db = tmp_path / "progress.sqlite3"
    skill = build_skill(Settings(db_path=db))
    ready, go = tmp_path / "ready", tmp_path / "go"
    child = _child("concurrent_child", str(db), str(ready), str(go), "2.0", "200")
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), child.communicate(timeout=10)[1][-3000:]
        results: dict[str, tuple[int, list[str]]] = {}
        errors: list[BaseException] = []

        def device(n: int) -> None:
            try:
                results[f"t{n}"] = run_sessions(skill, f"amzn1.ask.device.thread-{n}", 2.0, 200)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=device, args=(n,)) for n in range(3)]
        go.touch()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=CHILD_TIMEOUT_S)
        out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert not errors, errors
    assert child.returncode == 0, err[-3000:]
    from_child = json.loads(out.strip().splitlines()[-1])
    problems = [p for _, ps in results.values() for p in ps] + from_child["problems"]
    assert not problems, problems
    assert len(results) == 3 and from_child["done"] > 0
    assert all(done > 0 for done, _ in results.values()), results  # they really overlapped
    completed = sum(done for done, _ in results.values()) + from_child["done"]
    progress = stored_progress(db)
    assert progress["sessions"] == {DAY: completed}
    assert progress["place"] is None  # every session finished


# -- (b) a process killed mid-session ------------------------------------------------------


def test_killed_mid_session_keeps_confirmed_sessions_and_the_place(tmp_path):
    db = tmp_path / "progress.sqlite3"
    child = _child("killed_child", str(db), "3")
    try:
        lines = _read_until(child, "PLACE ", CHILD_TIMEOUT_S)
    finally:
        child.kill()  # SIGKILL: no cleanup, no atexit, no connection close
        child.communicate(timeout=10)
    assert child.returncode == -9
    assert [x for x in lines if x.startswith("CONFIRMED")] == [f"CONFIRMED {i}" for i in (1, 2, 3)]
    place = json.loads(lines[-1].removeprefix("PLACE "))
    progress = stored_progress(db)  # this test process is the "new process"
    assert progress["sessions"] == {DAY: 3}
    assert progress["place"]["state"] == place and progress["place"]["saved_on"] == DAY
    user = User(build_skill(Settings(db_path=db)), "en-US", user_id=USER_ID)
    offer = say(user.launch(NOW))
    number = place["exercise"] + (1 if place["rep"] >= REPS else 0)  # the next one to do
    assert f"Last time you stopped at exercise {number}" in offer, offer
    said = [say(user.intent("AMAZON.YesIntent", NOW))]  # resume where it stopped
    for _ in range(40):
        if user.device.attributes.get("state", {}).get("mode") != "stretch":
            break
        said.append(say(user.intent("AMAZON.YesIntent", NOW)))
    assert "fourth session today" in said[-1], said[-1]
    assert stored_progress(db)["sessions"] == {DAY: 4}


def test_killed_at_an_arbitrary_moment_loses_no_confirmed_session(tmp_path):
    db = tmp_path / "progress.sqlite3"
    child = _child("looping_child", str(db))
    try:
        lines = _read_until(child, "CONFIRMED 5", CHILD_TIMEOUT_S)
    finally:
        child.kill()  # most likely in the middle of session 6, maybe mid-transaction
        rest, _ = child.communicate(timeout=10)
    confirmed = [int(x.split()[1]) for x in lines + rest.splitlines()
                 if x.startswith("CONFIRMED")]
    stored = stored_progress(db)["sessions"][DAY]
    # Every confirmed session is stored; at most the one in flight got stored unconfirmed.
    assert max(confirmed) <= stored <= max(confirmed) + 1, (confirmed, stored)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- (c) a broken database -----------------------------------------------------------------


def _valid_db(db: Path, users: int = 1) -> None:
    adapter = SQLitePersistenceAdapter(db)
    for n in range(users):
        adapter.save_by_key(f"amzn1.ask.account.other-{n}", {"filler": "x" * 500})
    with sqlite3.connect(db) as conn:  # everything into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _ReadOnlyAdapter(SQLitePersistenceAdapter):
    """Opens the database as a read-only mount would (root ignores chmod)."""

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, isolation_level=None,
                               timeout=self.timeout, check_same_thread=True)


def _break(kind: str, db: Path, monkeypatch, holders: list) -> None:
    if kind == "not_a_database":
        db.write_bytes(b"this is not a SQLite database " * 200)
    elif kind == "directory_in_its_place":
        db.mkdir()
    elif kind == "corrupt_pages":
        _valid_db(db, users=40)
        size = db.stat().st_size
        with db.open("r+b") as f:  # keep page 1 (header, schema); trash the table's pages
            f.seek(4096)
            f.write(os.urandom(size - 4096))
    elif kind == "stored_document_not_json":
        _valid_db(db)
        SQLitePersistenceAdapter(db).save_by_key(USER_ID, {})
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE attributes SET document = '{not json' WHERE user_id = ?",
                         (USER_ID,))
    elif kind == "locked":
        _valid_db(db)
        monkeypatch.setattr(skill.alexa.builder, "make_persistence_adapter",
                            lambda s: SQLitePersistenceAdapter(s.db_path, timeout=0.2))
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # held for the whole test, far past the timeout
        holders.append(holder)
    elif kind == "read_only":
        _valid_db(db)
        monkeypatch.setattr(skill.alexa.builder, "make_persistence_adapter",
                            lambda s: _ReadOnlyAdapter(s.db_path, timeout=0.2))
    else:  # pragma: no cover
        raise ValueError(kind)


BROKEN = ["not_a_database", "directory_in_its_place", "corrupt_pages",
          "stored_document_not_json", "locked", "read_only"]


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_database_still_answers_and_says_progress_was_not_saved(
        kind, tmp_path, monkeypatch, caplog):
    from skill.frontends.web import create_app

    db = tmp_path / "progress.sqlite3"
    holders: list[sqlite3.Connection] = []
    _break(kind, db, monkeypatch, holders)
    caplog.set_level(logging.WARNING)
    try:
        skill_ = build_skill(Settings(db_path=db))
        user = User(skill_, "en-US", user_id=USER_ID)
        client = create_app(skill_, verify=False, web_page=False).test_client()
        http = client.post("/alexa", json=user.device.launch(NOW))  # the webservice way in
        assert http.status_code == 200, http.get_data(as_text=True)
        user.device.absorb(http.get_json())
        launch = say(http.get_json())
        assert launch and ERROR_GENERAL not in launch
        said = user.full_session(NOW)
        http = client.post("/alexa", json=user.device.intent("ProgressIntent", now=NOW))
        assert http.status_code == 200
        said.append(say(http.get_json()))
    finally:
        for holder in holders:
            holder.execute("ROLLBACK")
            holder.close()
    assert all(said) and not any(ERROR_GENERAL in s for s in said), said
    assert _finished(said[:-1]), said[-2]
    assert NOT_SAVED in said[-2], said[-2]  # the finishing turn says so
    assert sum(NOT_SAVED in s for s in said) >= 2  # and the turns that saved the place
    messages = [r.getMessage() for r in caplog.records]
    assert any(r.name.startswith("skill.") and r.levelno >= logging.WARNING
               and ("progress" in r.getMessage() or "persistence" in r.getMessage())
               for r in caplog.records), messages
    assert not any("error while handling a request" in m for m in messages), messages


def test_database_file_removed_while_running_is_not_a_silent_loss(tmp_path, caplog):
    db = tmp_path / "progress.sqlite3"
    skill_ = build_skill(Settings(db_path=db))
    user = User(skill_, "en-US", user_id=USER_ID)
    assert _finished(user.full_session(NOW))
    for path in tmp_path.iterdir():  # an operator cleans the data folder / volume swapped
        path.unlink()
    said = user.full_session(NOW)
    assert _finished(said) and ERROR_GENERAL not in " ".join(said)
    told = NOT_SAVED in said[-1]
    kept = db.exists() and stored_progress(db).get("sessions", {}).get(DAY, 0) >= 1
    assert told or kept, "the session was confirmed, but no process can ever read it"
