"""The DynamoDB persistence path against a local DynamoDB-compatible server.

DynamoDB Local needs Java downloads, so the stand-in is moto's server mode
(``moto.server.ThreadedMotoServer``, ``pip install 'moto[server]'``) on 127.0.0.1, a free
port. The skill reaches it only through the environment (``AWS_ENDPOINT_URL_DYNAMODB``, fake
credentials, a region), exactly as ``make_persistence_adapter`` would in production.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.alexa.builder import build_skill
from skill.alexa.persistence import make_persistence_adapter, update_attributes
from skill.config import Settings
from tests.aws_stand_in import point_aws_at, running_moto_server
from tests.test_session_flow import User, say

boto3 = pytest.importorskip("boto3", reason="the 'dynamodb' extra is not installed")

USER_ID = "amzn1.ask.account.DYNAMO"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
DAY = "2026-05-04"


@pytest.fixture(scope="module")
def server():
    yield from running_moto_server()


@pytest.fixture
def table(server, monkeypatch):
    """A fresh table on the stand-in; the environment points every AWS client at it."""
    point_aws_at(monkeypatch, server, "dynamodb")
    # ask_sdk_dynamodb.adapter builds its default boto3 resource when first imported; an
    # earlier import (another test) would have bound it to another endpoint: re-import.
    monkeypatch.delitem(sys.modules, "ask_sdk_dynamodb.adapter", raising=False)
    name = "halsporre-test-" + uuid.uuid4().hex[:8]
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    client.get_waiter("table_exists").wait(TableName=name,
                                           WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    yield name
    client.delete_table(TableName=name)


def _settings(table: str) -> Settings:
    return Settings(persistence="dynamodb", dynamodb_table=table)


def _item(table: str) -> dict:
    return boto3.resource("dynamodb").Table(table).get_item(
        Key={"id": USER_ID}, ConsistentRead=True).get("Item", {})


def _envelope(user: User) -> RequestEnvelope:
    return DefaultSerializer().deserialize(json.dumps(user.device.launch(NOW)), RequestEnvelope)


def _complete(user: User) -> list[str]:
    said = user.full_session(NOW)
    assert "session today" in said[-1], said[-1]
    assert not any("couldn't save" in s for s in said), said
    return said


def test_the_adapter_talks_to_the_stand_in(table):
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    adapter = make_persistence_adapter(_settings(table)).adapter  # made on first use
    assert isinstance(adapter, DynamoDbAdapter) and adapter.table_name == table
    assert adapter.dynamodb.meta.client.meta.endpoint_url.startswith("http://127.0.0.1:")


def test_full_sessions_write_progress_and_place_to_the_table(table):
    user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
    user.launch(NOW)
    said = _complete(user)
    assert "first session today" in said[-1]
    progress = _item(table)["attributes"]["progress"]
    assert {k: int(v) for k, v in progress["sessions"].items()} == {DAY: 1}
    assert progress["place"] is None
    # a new skill instance (a new Lambda container) stops mid-session: the place is stored
    user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
    user.intent("StartStretchIntent", NOW)
    user.intent("AMAZON.YesIntent", NOW)
    place = _item(table)["attributes"]["progress"]["place"]
    stretch = user.device.attributes["state"]["stretch"]
    assert int(place["state"]["exercise"]) == stretch["exercise"]
    assert int(place["state"]["rep"]) == stretch["rep"] and place["saved_on"] == DAY


def test_delete_my_data_removes_the_item(table):
    user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
    user.launch(NOW)
    _complete(user)
    assert _item(table)
    make_persistence_adapter(_settings(table)).delete_attributes(_envelope(user))
    assert _item(table) == {}


def test_progress_is_read_back_by_new_skill_instances(table):
    for ordinal in ("first", "second", "third"):
        user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
        user.launch(NOW)
        assert f"{ordinal} session today" in _complete(user)[-1]
    user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
    user.intent("StartStretchIntent", NOW)
    user.intent("AMAZON.YesIntent", NOW)
    user = User(build_skill(_settings(table)), "en-US", user_id=USER_ID)
    assert "Continue where you left off" in say(user.launch(NOW))


def test_interleaved_updates_from_two_devices_lose_nothing(table):
    adapter = make_persistence_adapter(_settings(table))
    envelope = _envelope(User(None, user_id=USER_ID))

    def other_device(attrs: dict) -> dict:
        attrs["count"] = int(attrs.get("count", 0)) + 1
        return attrs

    raced = []

    def this_device(attrs: dict) -> dict:
        if not raced:  # the other device saves once, between our read and our write
            raced.append(True)
            update_attributes(adapter, envelope, other_device)
        attrs["count"] = int(attrs.get("count", 0)) + 1
        attrs["raced"] = True
        return attrs

    update_attributes(adapter, envelope, this_device)
    assert int(adapter.get_attributes(envelope)["count"]) == 2


def test_the_web_page_on_dynamodb_writes_only_for_returning_browsers(table, tmp_path):
    """The web page's own Skill wraps the DynamoDB adapter the same way as SQLite's; its
    rate counters are then per process, and /healthz reads the table."""
    from skill.frontends.web import create_app
    from skill.frontends.webpage import web_page_config
    from skill.frontends.webpage.limits import MemoryRateStore

    settings = Settings(persistence="dynamodb", dynamodb_table=table,
                        db_path=tmp_path / "unused.sqlite3", web_secret="a test secret, long")
    app = create_app(build_skill(settings), verify=True, settings=settings)
    config = web_page_config(app)
    assert isinstance(config.limiter.store, MemoryRateStore)
    items = boto3.resource("dynamodb").Table(table)

    def web_items() -> list[dict]:
        return [i for i in items.scan()["Items"] if i["id"].startswith("amzn1.ask.account.web-")]

    anon = app.test_client().post("/api/talk", json={"locale": "en-US",
                                                     "text": "start my stretches"})
    assert anon.status_code == 200 and web_items() == []
    client = app.test_client()
    client.post("/api/talk", json={"locale": "en-US", "text": "start my stretches"})
    assert client.post("/api/talk", json={"locale": "en-US", "text": "yes"}).status_code == 200
    [item] = web_items()
    assert item["attributes"]["progress"]["place"] and "web_last_used" in item["attributes"]
    # the table's Time to Live removes it after the idle time
    left = int(item["expires_at"]) - int(item["attributes"]["web_last_used"])
    assert abs(left - settings.web_progress_idle) <= 2
    health = app.test_client().get("/healthz").get_json()
    assert health["checks"]["storage"] == "ok"
