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
