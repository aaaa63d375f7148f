"""The web page's JSON API and helpers, through the Flask test client (no browser)."""

from __future__ import annotations

import logging
import re

import pytest

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.core.locales import SUPPORTED_LOCALES
from skill.core.playback import ClipStep, CueStep, Piece, Plan, Silence, Words
from skill.frontends.web import create_app
from skill.frontends.webpage import (
    CONTROL_INTENTS,
    COOKIE_NAME,
    MAX_TEXT_CHARS,
    STATIC_DIR,
    content_security_policy,
    plan_steps,
    web_config,
)
from skill.frontends.webpage.limits import MemoryRateStore


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings(db_path=tmp_path_factory.mktemp("api") / "progress.sqlite3",
                    web_secret="a test secret, long enough")


@pytest.fixture(scope="module")
def skill(settings):
    return build_skill(settings)


@pytest.fixture
def app(skill, settings):
    return create_app(skill, verify=True, settings=settings,
                      web=web_config(settings, rate_store=MemoryRateStore()))


@pytest.fixture
def client(app):
    return app.test_client()


def talk(client, text, locale="sv-SE", **kw):
    return client.post("/api/talk", json={"locale": locale, "text": text}, **kw)


def set_cookie_header(resp) -> str:
    cookies = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME + "=")]
    assert len(cookies) == 1, resp.headers
    return cookies[0]


# ------------------------------------------------------------------ answers


def test_swedish_prognosis(client):
    resp = talk(client, "vad är prognosen")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["locale"] == "sv-SE"
    assert body["intent"] == "InfoIntent"
    assert "sex till nio månader" in body["text"]
    assert body["session_open"] is True
    assert body["steps"] and all(
        set(s) <= {"say", "audio", "text", "pause_ms", "engine", "cue", "start_ms", "ms"}
        for s in body["steps"])
    assert all(s["text"] for s in body["steps"] if "audio" in s), "clips carry their words"
    starts = [s["start_ms"] for s in body["steps"]]
    assert starts == sorted(starts) and all(s["ms"] > 0 for s in body["steps"])
    assert body["card"]["title"] and body["card"]["lines"]
    assert body["clinic"] is None
    assert resp.headers["Cache-Control"] == "no-store"


def test_clinic_number_and_booking(client):
    body = talk(client, "vad är numret till kliniken").get_json()
    assert body["intent"] == "ClinicIntent"
    assert body["clinic"]["phone"] == "08-123 264 44"
    assert body["clinic"]["tel"] == "tel:+46812326444"
    assert any("1177" in line for line in body["clinic"]["booking"])
    assert not any("08-123 264 44" in line for line in body["clinic"]["booking"])


def test_start_launches_and_conversation_carries_over(client):
    body = client.post("/api/start", json={"locale": "en-US"}).get_json()
    assert body["intent"] == "LaunchRequest"
    assert body["session_open"] is True
    first = talk(client, "what is the prognosis", locale="en-US").get_json()
    assert "six to nine months" in first["text"]
    # "yes" only means something inside the same skill session
    nxt = talk(client, "yes", locale="en-US").get_json()
    assert nxt["intent"] == "AMAZON.YesIntent"
    assert nxt["text"] and nxt["text"] != first["text"]


def test_stop_closes_the_session(client):
    talk(client, "vad är prognosen")
    body = talk(client, "sluta").get_json()
    assert body["session_open"] is False


def test_secure_cookie_over_https(client):
    resp = talk(client, "vad är prognosen", base_url="https://localhost")
    assert "Secure" in set_cookie_header(resp)


# ------------------------------------------------------------------ bad requests


@pytest.mark.parametrize("kwargs, message", [
    ({"data": "{not json", "content_type": "application/json"}, "not valid JSON"),
    ({"data": "[1, 2]", "content_type": "application/json"}, "JSON object"),
    ({"data": "text=hej", "content_type": "application/x-www-form-urlencoded"}, "send JSON"),
    ({"json": {"locale": "de-DE", "text": "hallo"}}, "unknown locale"),
    ({"json": {"text": "hej"}}, "unknown locale"),
    ({"json": {"locale": "sv-SE"}}, "'text' must be a string"),
    ({"json": {"locale": "sv-SE", "text": 42}}, "'text' must be a string"),
    ({"json": {"locale": "sv-SE", "text": "   "}}, "'text' is empty"),
    ({"json": {"locale": "sv-SE", "text": "a" * (MAX_TEXT_CHARS + 1)}}, "too long"),
])
def test_bad_talk_requests(client, caplog, kwargs, message):
    with caplog.at_level(logging.WARNING, logger="skill.frontends.webpage"):
        resp = client.post("/api/talk", **kwargs)
    assert resp.status_code == 400
    assert message in resp.get_json()["error"]
    assert any("rejected" in r.getMessage() and message in r.getMessage()
               for r in caplog.records)


def test_bad_start_requests(client):
    assert client.post("/api/start", json={"locale": "xx-XX"}).status_code == 400
    assert client.post("/api/start", data="nope", content_type="application/json"
                       ).status_code == 400


def test_cross_site_requests_are_refused(client):
    resp = talk(client, "vad är prognosen", headers={"Origin": "https://evil.example"})
    assert resp.status_code == 400
    assert "cross-site" in resp.get_json()["error"]
    ok = talk(client, "vad är prognosen", headers={"Origin": "http://localhost"})
    assert ok.status_code == 200


def test_get_on_api_is_not_allowed(client):
    assert client.get("/api/talk").status_code == 405


def test_utterances_are_not_logged(client, caplog):
    secret = "vad är prognosen för min vänstra häl zqxj"
    with caplog.at_level(logging.DEBUG):
        talk(client, secret)
        talk(client, "x" * (MAX_TEXT_CHARS + 5))
    assert "zqxj" not in caplog.text and "x" * 50 not in caplog.text


# ------------------------------------------------------------------ page and headers


def test_page_and_alexa_share_the_root(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="talk"' in html and 'id="text"' in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "media-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # POST / is still the Alexa endpoint, and it still wants a signature
    assert client.post("/", json={"version": "1.0", "request": {"type": "LaunchRequest"}}
                       ).status_code == 400
    assert client.post("/alexa", data="{}", content_type="application/json"
                       ).status_code == 400
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_static_files_are_served(client):
    for name in ("app.js", "style.css", "index.html"):
        resp = client.get(f"/web/static/{name}")
        assert resp.status_code == 200, name
        resp.close()


def test_page_has_no_third_party_references():
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", text):
            assert url.startswith("/") or url.startswith("tel:"), (path.name, url)
        assert "http://" not in text and "https://" not in text.replace(
            "http://www.w3.org/2000/svg", ""), path.name


def test_csp_allows_an_external_audio_base():
    csp = content_security_policy("https://cdn.example.org/halsporre/audio")
    assert "media-src 'self' https://cdn.example.org;" in csp
    assert "media-src 'self';" in content_security_policy(None)
    app = create_app(build_skill(Settings(persistence="none")), verify=False,
                     audio_base_url="https://clips.example.net/a")
    assert "https://clips.example.net" in app.test_client().get("/").headers[
        "Content-Security-Policy"]


def test_web_page_can_be_switched_off(skill):
    app = create_app(skill, verify=True, web_page=False)
    assert app.test_client().get("/").status_code == 405
    assert app.test_client().post("/api/talk", json={}).status_code == 404


# ------------------------------------------------------------------ labels


def test_the_server_tells_the_page_its_locales_and_labels(client):
    body = client.get("/api/locales").get_json()
    assert body["locales"] == list(SUPPORTED_LOCALES) and body["default"] in body["locales"]
    assert body["languages"]["sv"] == "sv-SE"
    assert set(body["labels"]) == set(SUPPORTED_LOCALES)
    reference = set(body["labels"]["sv-SE"])
    for locale, table in body["labels"].items():
        assert set(table) == reference, locale
        assert all(isinstance(v, str) and v.strip() for v in table.values()), locale
    assert body["labels"]["sv-SE"]["talk"] != body["labels"]["en-US"]["talk"]
    app_js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "/api/locales" in app_js and '"sv-SE"' not in app_js and "en-US" not in app_js


def test_every_label_used_by_the_page_exists(client):
    labels = client.get("/api/locales").get_json()["labels"]
    used = set(re.findall(r'data-label="([a-z_]+)"', (STATIC_DIR / "index.html").read_text()))
    used |= set(re.findall(r'\bt\("([a-z_]+)"\)', (STATIC_DIR / "app.js").read_text()))
    assert used and used <= set(labels["sv-SE"]), used - set(labels["sv-SE"])


@pytest.mark.parametrize("event", sorted(CONTROL_INTENTS))
def test_buttons_send_control_events_as_intents_not_words(client, event):
    talk(client, "starta stretchpasset")
    resp = client.post("/api/control", json={"locale": "sv-SE", "event": event})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["intent"] == CONTROL_INTENTS[event]
    assert body["text"]
    app_js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert f'control("{event}")' in app_js and "/api/control" in app_js
    assert not re.search(r'say\(t\("say_', app_js), "buttons must not send words"


def test_unknown_control_event_is_a_400(client):
    resp = client.post("/api/control", json={"locale": "sv-SE", "event": "explode"})
    assert resp.status_code == 400 and "unknown control" in resp.get_json()["error"]


# ------------------------------------------------------------------ helpers


def test_plan_steps_order_merge_and_timing():
    plan = Plan((
        Words("a", (Piece("Stå mot väggen."),), 0, 1000),
        Silence(1000, 10_000), Silence(11_000, 5000),
        ClipStep("/audio/sv-SE/abc.mp3", "Håll kvar.", 16_000, 900, "espeak"),
        Words("b", (Piece("Nu "), Piece("08-123 264 44", phone=True), Piece(" igen.")),
              16_900, 2000),
        CueStep("hold_end", "Släpp.", 18_900, 700),
        Silence(19_600, 0),
        CueStep("hold_start", "Nu.", 19_600, 400, "/audio/sv-SE/tone.mp3"),
    ))
    assert plan_steps(plan) == [
        {"say": "Stå mot väggen.", "text": "Stå mot väggen.", "start_ms": 0, "ms": 1000},
        {"pause_ms": 15000, "start_ms": 1000, "ms": 15000},
        {"audio": "/audio/sv-SE/abc.mp3", "text": "Håll kvar.", "engine": "espeak",
         "start_ms": 16_000, "ms": 900},
        {"say": "Nu 0 8, 1 2 3, 2 6 4, 4 4 igen.",
         "text": "Nu 08-123 264 44 igen.", "start_ms": 16_900, "ms": 2000},
        {"say": "Släpp.", "text": "Släpp.", "cue": "hold_end", "start_ms": 18_900, "ms": 700},
        {"audio": "/audio/sv-SE/tone.mp3", "text": "Nu.", "cue": "hold_start",
         "start_ms": 19_600, "ms": 400},
    ]
    assert plan_steps(Plan()) == []


def test_plan_steps_speak_aliases_and_caption_the_written_words():
    """An English voice in the browser says the aliases; the captions keep the spelling."""
    from skill.content import load_content
    from skill.core.parts import Say
    from skill.core.speech import render

    content = load_content("en-US")
    steps = plan_steps(render([Say("clinic.speech")], content).plan)  # aliases are in the plan
    assert len(steps) == 1
    assert steps[0]["say"].startswith("The clinic's number is 0 8, 1 2 3, 2 6 4, 4 4.")
    assert "Uppen-vord" in steps[0]["say"] and "Öppenvård" not in steps[0]["say"]
    assert steps[0]["text"].startswith("The clinic's number is 08-123 264 44.")
    assert "Rehab Öppenvård" in steps[0]["text"] and "Uppen" not in steps[0]["text"]


def test_dialling_number_comes_from_the_content():
    from skill.content import load_content
    from skill.core.playback import e164

    for locale in SUPPORTED_LOCALES:
        words = load_content(locale)
        number = e164(words.text("clinic.phone_international"))
        assert re.fullmatch(r"\+[1-9][0-9]{6,14}", number), number
        national = re.sub(r"\D", "", words.text("clinic.phone")).lstrip("0")
        assert number.endswith(national), (locale, number)
        assert number == "+46812326444"
