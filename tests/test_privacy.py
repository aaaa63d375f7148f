"""Privacy: no ids in clear in the logs, health answers not at info level, data deletable."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from skill.alexa.builder import build_skill
from skill.alexa.persistence import SQLitePersistenceAdapter
from skill.config import Settings
from skill.core.privacy import hash_id
from tests.test_session_flow import User, say

USER_ID = "amzn1.ask.account.PRIVATE-PATIENT-ID-123"
DEVICE_ID = "amzn1.ask.device.local-console"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "progress.sqlite3"


def stored(db) -> dict:
    return SQLitePersistenceAdapter(db).get_by_key(USER_ID)


def test_logs_never_carry_ids_in_clear_nor_the_health_answer(db, caplog) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    user = User(build_skill(Settings(db_path=db)), "en-US", user_id=USER_ID)
    with caplog.at_level(logging.DEBUG):
        user.launch(start)
        user.full_session(start)
        user.intent("AMAZON.YesIntent", start)  # reminders: no API here, spoken error
        later = start + timedelta(days=22)
        assert "Has your heel gotten better" in say(user.launch(later))
        user.intent("AMAZON.NoIntent", later)
        user.intent("DeleteDataIntent", later)
        user.intent("AMAZON.YesIntent", later)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert USER_ID not in text and DEVICE_ID not in text
    assert hash_id(USER_ID) in text, "requests are logged under a pseudonym"
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("answer to a health question" in m for m in info)
    assert not any("AMAZON.NoIntent" in m for m in info)


def test_delete_my_data_after_a_spoken_yes(db) -> None:
    user = User(build_skill(Settings(db_path=db)), "sv-SE", user_id=USER_ID)
    user.launch()
    user.full_session()
    assert stored(db)["progress"]["sessions"]
    ask = say(user.intent("DeleteDataIntent"))
    assert ask.endswith("?") and stored(db)
    kept = say(user.intent("AMAZON.NoIntent"))
    assert "behåller" in kept and stored(db)
    user.intent("DeleteDataIntent")
    done = say(user.intent("AMAZON.YesIntent"))
    assert "raderat" in done and stored(db) == {}


def test_disabling_the_skill_removes_the_users_data(db) -> None:
    skill = build_skill(Settings(db_path=db))
    user = User(skill, "en-US", user_id=USER_ID)
    user.launch()
    user.full_session()
    assert stored(db)
    envelope = user.device.envelope({"type": "AlexaSkillEvent.SkillDisabled",
                                     "eventCreationTime": "2026-05-04T08:00:00Z",
                                     "eventPublishingTime": "2026-05-04T08:00:01Z",
                                     "body": {"userInformationPersistenceStatus":
                                              "NOT_PERSISTED"}})
    envelope.pop("session")
    response = user.send(envelope)
    assert "outputSpeech" not in response["response"]
    assert stored(db) == {}


# -- privacy to the last byte (issue 16) -------------------------------------------------------

def _files_holding(db, needle: bytes) -> list[str]:
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert files, "no database files to scan"
    return sorted(p.name for p in files if needle in p.read_bytes())


def test_deleting_leaves_no_copy_in_the_database_wal_or_shm(db) -> None:
    """The id and the history leave every file: the db (secure_delete), -wal (checkpoint
    and truncate) and -shm. Before, the WAL kept them until later writes overwrote them."""
    import sqlite3

    skill = build_skill(Settings(db_path=db))
    user = User(skill, "en-US", user_id=USER_ID)
    other = User(skill, "en-US", user_id="amzn1.ask.account.SOMEONE-ELSE")
    for who in (user, other, user):
        who.launch()
        who.full_session()
    reader = sqlite3.connect(str(db))  # another worker's idle connection
    reader.execute("SELECT count(*) FROM attributes").fetchone()
    assert _files_holding(db, USER_ID.encode()), "the test must first find the id"
    user.intent("DeleteDataIntent")
    user.intent("AMAZON.YesIntent")
    assert stored(db) == {}
    assert _files_holding(db, USER_ID.encode()) == []
    assert _files_holding(db, b"SOMEONE-ELSE"), "other users' data stays"
    reader.close()


def test_adapter_delete_scrubs_every_file_even_after_many_writes(db) -> None:
    adapter = SQLitePersistenceAdapter(db)
    for i in range(50):
        adapter.save_by_key(USER_ID, {"progress": {"n": i, "note": "x" * 500}})
        adapter.save_by_key(f"amzn1.ask.account.other-{i}", {"n": i})
    adapter.delete_by_key(USER_ID)
    assert _files_holding(db, USER_ID.encode()) == []
    assert adapter.get_by_key(USER_ID) == {}
    assert adapter.get_by_key("amzn1.ask.account.other-7") == {"n": 7}


def test_a_corrupt_stored_document_is_logged_without_the_raw_id(db, caplog) -> None:
    import sqlite3

    from ask_sdk_core.exceptions import PersistenceException

    adapter = SQLitePersistenceAdapter(db)
    adapter.save_by_key(USER_ID, {"ok": 1})
    with sqlite3.connect(str(db)) as conn:
        conn.execute("UPDATE attributes SET document = ? WHERE user_id = ?",
                     ("{not json " + USER_ID, USER_ID))
    with caplog.at_level(logging.DEBUG), pytest.raises(PersistenceException):
        adapter.get_by_key(USER_ID)
    assert "not JSON" in caplog.text and hash_id(USER_ID) in caplog.text
    assert USER_ID not in caplog.text


@pytest.fixture
def fresh_salt(monkeypatch, tmp_path):
    from skill.core import privacy

    monkeypatch.delenv("HALSPORRE_LOG_SALT", raising=False)
    monkeypatch.setenv("HALSPORRE_DB_PATH", str(tmp_path / "data" / "progress.sqlite3"))
    monkeypatch.delenv("HALSPORRE_PERSISTENCE", raising=False)
    privacy.reset_salt()
    yield privacy
    privacy.reset_salt()


def test_log_salt_is_generated_once_and_kept_with_the_data(fresh_salt, tmp_path) -> None:
    import hashlib
    import stat

    first = fresh_salt.hash_id(USER_ID)
    salt_file = tmp_path / "data" / "log-salt"
    assert salt_file.exists() and stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert len(salt_file.read_bytes().strip()) >= 32
    fresh_salt.reset_salt()  # a restart, another worker: the same pseudonym
    assert fresh_salt.hash_id(USER_ID) == first
    public = hashlib.sha256(b"halsporre" + USER_ID.encode()).hexdigest()[:12]
    assert first != public, "never the public default salt"


def test_log_salt_from_the_environment_wins(fresh_salt, monkeypatch, tmp_path) -> None:
    import hashlib

    monkeypatch.setenv("HALSPORRE_LOG_SALT", "clinic-secret")
    assert fresh_salt.hash_id(USER_ID) == hashlib.sha256(
        b"clinic-secret" + USER_ID.encode()).hexdigest()[:12]
    assert not (tmp_path / "data" / "log-salt").exists()


def test_without_salt_or_local_data_a_random_salt_is_used_and_said(fresh_salt, monkeypatch,
                                                                   caplog) -> None:
    import hashlib

    monkeypatch.setenv("HALSPORRE_PERSISTENCE", "dynamodb")
    with caplog.at_level(logging.WARNING, logger="skill.core.privacy"):
        pseudonym = fresh_salt.hash_id(USER_ID)
    assert "HALSPORRE_LOG_SALT" in caplog.text
    assert pseudonym != hashlib.sha256(b"halsporre" + USER_ID.encode()).hexdigest()[:12]
    fresh_salt.reset_salt()
    assert fresh_salt.hash_id(USER_ID) != pseudonym  # per process, not a fixed default


def test_loggable_escapes_control_characters_and_cuts() -> None:
    from skill.core.privacy import loggable

    assert loggable("sv-SE") == "sv-SE"
    assert loggable("a\x00b\nINFO forged") == "a\\x00b\\nINFO forged"
    assert loggable("x" * 500).endswith("...") and len(loggable("x" * 500)) == 83
    assert loggable(None) == "None"
