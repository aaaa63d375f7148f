"""The web page's sessions, limits, stored progress, proxy and skill-id behaviour
(Flask test client; the gunicorn run is in tests/test_webpage_gunicorn.py)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from skill.alexa.builder import build_skill
from skill.alexa.persistence import SQLitePersistenceAdapter
from skill.config import Settings
from skill.frontends.console import ConsoleSession
from skill.frontends.web import create_app
from skill.frontends.webpage import COOKIE_NAME, web_config, web_page_config
from skill.frontends.webpage.limits import MemoryRateStore, SQLiteRateStore
from skill.frontends.webpage.progress import LAST_USED
from skill.frontends.webpage.sessions import CookieCodec, derive_key, secret_from_file

SECRET = "a test secret, long enough"


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def settings(tmp_path):
    return Settings(db_path=tmp_path / "progress.sqlite3", web_secret=SECRET)


def make_app(settings, clock=None, rate_store=None, skill=None):
    web = web_config(settings, clock=clock or Clock(), rate_store=rate_store or MemoryRateStore())
    return create_app(skill or build_skill(settings), verify=True, settings=settings, web=web)


def talk(client, text, locale="sv-SE", **kw):
    return client.post("/api/talk", json={"locale": locale, "text": text}, **kw)


def cookie_of(resp) -> str:
    for header in resp.headers.getlist("Set-Cookie"):
        if header.startswith(COOKIE_NAME + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(resp.headers)


def state_of(app, resp):
    return web_page_config(app).codec.decode(cookie_of(resp))


# ------------------------------------------------------------------ cookie sessions


def test_cookie_is_opaque_and_flagged(settings):
    app = make_app(settings)
    resp = talk(app.test_client(), "vad är prognosen")
    header = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert f"Max-Age={settings.web_progress_idle}" in header
    value = cookie_of(resp)
    assert value.startswith("gAAAAA")  # a Fernet token: encrypted and signed
    state = state_of(app, resp)
    assert state.user not in value and "prognos" not in value


def test_a_conversation_continues_on_another_worker(settings):
    """Two apps with the same key are two workers (or instances): the cookie carries on."""
    one, two = make_app(settings).test_client(), make_app(settings).test_client()
    first = talk(one, "what is the prognosis", locale="en-US")
    assert "six to nine months" in first.get_json()["text"]
    two.set_cookie(COOKIE_NAME, cookie_of(first))
    nxt = talk(two, "yes", locale="en-US").get_json()
    assert nxt["intent"] == "AMAZON.YesIntent"
    assert "treatment" in nxt["text"].lower() or "stretch" in nxt["text"].lower()
    # a worker with another key does not accept it: a new conversation
    other = make_app(replace(settings, web_secret="another secret, long enough")).test_client()
    other.set_cookie(COOKIE_NAME, cookie_of(first))
    assert talk(other, "yes", locale="en-US").get_json()["text"] != nxt["text"]


def test_a_changed_cookie_is_a_new_visitor(settings, caplog):
    app = make_app(settings)
    client = app.test_client()
    first = talk(client, "vad är prognosen")
    value = cookie_of(first)
    forged = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    client.set_cookie(COOKIE_NAME, forged)
    with caplog.at_level(logging.INFO, logger="skill.frontends.webpage"):
        resp = talk(client, "ja")
    assert resp.status_code == 200
    assert state_of(app, resp).user != state_of(app, first).user
    assert [r for r in caplog.records if "not accepted" in r.getMessage()]


def test_idle_conversation_ends_and_idle_user_is_forgotten(settings):
    clock = Clock()
    app = make_app(settings, clock)
    client = app.test_client()
    first = talk(client, "what is the prognosis", locale="en-US")
    user = state_of(app, first).user
    clock.t += settings.web_session_idle + 1
    later = talk(client, "yes", locale="en-US")
    assert later.get_json()["intent"] == "AMAZON.YesIntent"
    assert "treatment" not in later.get_json()["text"].lower()  # the conversation was gone
    assert state_of(app, later).user == user  # the browser's user stays
    clock.t += settings.web_progress_idle + 1
    assert state_of(app, talk(client, "hello", locale="en-US")).user != user


def test_locale_change_keeps_the_user(settings):
    app = make_app(settings)
    client = app.test_client()
    first = talk(client, "vad är prognosen")
    second = talk(client, "what is the prognosis", locale="en-GB")
    assert second.get_json()["locale"] == "en-GB"
    assert state_of(app, second).user == state_of(app, first).user


def test_distinct_browsers_get_distinct_users(settings):
    app = make_app(settings)
    users = {state_of(app, talk(app.test_client(), "vad är prognosen")).user for _ in range(3)}
    assert len(users) == 3


def test_secret_file_is_made_once_and_shared(tmp_path):
    path = tmp_path / "data" / "web-secret"
    first = secret_from_file(path)
    assert secret_from_file(path) == first and len(first) >= 40
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["web-secret"]
    codec = CookieCodec(derive_key(first), 60, 600)
    with pytest.raises(ValueError):
        derive_key("short")
    assert codec.decode("not a token") is None and codec.decode(None) is None


# ------------------------------------------------------------------ skill id, switch


def test_web_page_and_console_work_with_a_skill_id(settings):
    with_id = replace(settings, skill_id="amzn1.ask.skill.clinic-test")
    app = make_app(with_id, skill=build_skill(with_id))
    client = app.test_client()
    assert client.post("/api/start", json={"locale": "sv-SE"}).status_code == 200
    assert talk(client, "vad är prognosen").status_code == 200
    console = ConsoleSession("en-US", skill=build_skill(with_id))
    assert console.launch().response["response"]["outputSpeech"]


def test_a_setting_turns_the_web_page_off(settings):
    app = create_app(build_skill(settings), verify=True,
                     settings=replace(settings, web_page=False))
    client = app.test_client()
    assert client.get("/").status_code == 405
    assert client.post("/api/start", json={"locale": "sv-SE"}).status_code == 404
    assert Settings.from_env({"HALSPORRE_WEB_PAGE": "off"}).web_page is False
    with pytest.raises(ValueError, match="HALSPORRE_WEB_PAGE"):
        Settings.from_env({"HALSPORRE_WEB_PAGE": "maybe"})


# ------------------------------------------------------------------ rate limits


def test_new_conversations_are_limited_per_address_and_in_total(settings, caplog):
    limited = replace(settings, web_starts_per_minute=3, web_starts_per_minute_total=5,
                      web_turns_per_minute=4)
    clock = Clock(1_800_000_000.0)
    app = make_app(limited, clock)
    live = app.test_client()
    assert talk(live, "vad är prognosen").status_code == 200  # 1st start from 127.0.0.1
    for _ in range(2):
        assert app.test_client().post("/api/start", json={"locale": "sv-SE"}).status_code == 200
    with caplog.at_level(logging.WARNING, logger="skill.frontends.webpage"):
        refused = app.test_client().post("/api/start", json={"locale": "sv-SE"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len([r for r in caplog.records if "rate limit" in r.getMessage()]) == 1
    # the live conversation is another bucket: its turns go on
    assert talk(live, "nästa").status_code == 200
    # two more starts from other addresses reach the total of 5, the next is refused
    for n in (2, 3):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        assert other.post("/api/start", json={"locale": "sv-SE"}).status_code == 200
    late = app.test_client()
    late.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert late.post("/api/start", json={"locale": "sv-SE"}).status_code == 429
    # turns: 4 a minute per address
    assert [talk(live, "nästa").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.t += 60
    assert talk(live, "nästa").status_code == 200
    assert app.test_client().post("/api/start", json={"locale": "sv-SE"}).status_code == 200


def test_limits_are_shared_by_workers_through_sqlite(settings):
    limited = replace(settings, web_starts_per_minute=2)
    clock = Clock()
    one = make_app(limited, clock, SQLiteRateStore(settings.db_path))
    two = make_app(limited, clock, SQLiteRateStore(settings.db_path))
    assert one.test_client().post("/api/start", json={"locale": "en-US"}).status_code == 200
    assert two.test_client().post("/api/start", json={"locale": "en-US"}).status_code == 200
    assert two.test_client().post("/api/start", json={"locale": "en-US"}).status_code == 429
    assert one.test_client().post("/api/start", json={"locale": "en-US"}).status_code == 429


# ------------------------------------------------------------------ stored progress


def _skill_user(app, resp) -> str:
    return "amzn1.ask.account." + state_of(app, resp).skill_user


def test_progress_is_written_only_for_a_returning_browser(settings):
    app = make_app(settings)
    store = SQLitePersistenceAdapter(settings.db_path)
    # a cookieless "start my stretches" (a first visit, or a flood) stores nothing
    anon = talk(app.test_client(), "start my stretches", locale="en-US")
    assert anon.status_code == 200 and anon.get_json()["session_open"]
    assert store.get_by_key(_skill_user(app, anon)) == {}
    # a browser that came back with its cookie gets its place kept
    client = app.test_client()
    first = talk(client, "start my stretches", locale="en-US")
    second = talk(client, "yes", locale="en-US")
    assert second.status_code == 200
    kept = store.get_by_key(_skill_user(app, first))
    assert kept.get("progress", {}).get("place") and LAST_USED in kept


def test_idle_web_progress_is_forgotten_and_swept(settings):
    clock = Clock()
    app = make_app(settings, clock)
    store = SQLitePersistenceAdapter(settings.db_path)
    client = app.test_client()
    first = talk(client, "start my stretches", locale="en-US")
    talk(client, "yes", locale="en-US")
    user = _skill_user(app, first)
    store.save_by_key("amzn1.ask.account.alexa-user", {"progress": {}})  # not a web user
    assert store.get_by_key(user)
    clock.t += settings.web_progress_idle + 10
    # the web adapter reads an idle document as empty ...
    adapter = web_page_config(app).adapter
    assert adapter is not None and adapter._expired(store.get_by_key(user))
    # ... and the next start sweeps idle web users' rows (never an Alexa user's)
    assert app.test_client().post("/api/start", json={"locale": "en-US"}).status_code == 200
    assert store.get_by_key(user) == {}
    assert store.get_by_key("amzn1.ask.account.alexa-user") == {"progress": {}}


# ------------------------------------------------------------------ behind a proxy


def test_behind_a_proxy(settings):
    proxied = replace(settings, proxies=1, web_starts_per_minute=1)
    app = make_app(proxied)
    fwd = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
           "X-Forwarded-Host": "halsporre.clinic.example",
           "Origin": "https://halsporre.clinic.example"}
    resp = talk(app.test_client(), "vad är prognosen", headers=fwd)
    assert resp.status_code == 200  # the Origin matches the public host
    assert "Secure" in next(h for h in resp.headers.getlist("Set-Cookie"))
    # the client address is the forwarded one: another address has its own limit
    again = talk(app.test_client(), "vad är prognosen", headers=fwd)
    assert again.status_code == 429
    other = talk(app.test_client(), "vad är prognosen",
                 headers={**fwd, "X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 200
    evil = talk(app.test_client(), "hej", headers={**fwd, "X-Forwarded-For": "203.0.113.9",
                                                   "Origin": "https://evil.example"})
    assert evil.status_code == 400


def test_forwarded_headers_are_ignored_without_the_setting(settings):
    app = make_app(replace(settings, web_starts_per_minute=1))
    fwd = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    first = talk(app.test_client(), "vad är prognosen", headers=fwd)
    assert "Secure" not in first.headers["Set-Cookie"]
    assert talk(app.test_client(), "vad är prognosen",
                headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 429


# ------------------------------------------------------------------ bad bodies, health


def test_deeply_nested_json_is_a_400(settings):
    resp = make_app(settings).test_client().post(
        "/api/talk", data="[" * 100_000, content_type="application/json")
    assert resp.status_code == 400


def test_health_checks_storage_and_clips(settings, tmp_path, monkeypatch):
    client = make_app(settings).test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["checks"] == {"storage": "ok", "clips": "ok"}
    broken = replace(settings, db_path=tmp_path / "progress.sqlite3" / "x.sqlite3")
    (tmp_path / "progress.sqlite3").write_text("a file, not a folder")
    resp = create_app(build_skill(broken), verify=True, settings=broken,
                      web_page=False).test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["checks"]["storage"].startswith("failed")
    monkeypatch.setenv("HALSPORRE_AUDIO_DIR", str(tmp_path / "no-clips"))
    resp = create_app(build_skill(settings), verify=True, settings=settings,
                      web_page=False).test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["checks"]["clips"].startswith("failed")


def test_a_state_too_large_for_a_cookie_ends_the_conversation(caplog):
    import os

    from skill.frontends.webpage.sessions import MAX_TOKEN_CHARS, WebState

    codec = CookieCodec(derive_key(SECRET), 60, 600, clock=Clock())
    state = WebState(locale="sv-SE", session_id="s1",
                     attributes={"noise": os.urandom(4000).hex()})  # does not compress
    with caplog.at_level(logging.WARNING, logger="skill.frontends.webpage"):
        token = codec.encode(state)
    assert len(token) <= MAX_TOKEN_CHARS
    back = codec.decode(token)
    assert back is not None and back.user == state.user and back.session_id is None
    assert [r for r in caplog.records if "too large for a cookie" in r.getMessage()]
