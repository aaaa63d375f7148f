"""The web voice page in a real browser: headless Debian Chromium driven by Playwright.

A real threaded werkzeug server on loopback runs ``create_app(build_skill(...), verify=True)``:
the page's JSON endpoints need no Alexa signature, the Alexa endpoint still does.
``window.speechSynthesis.speak`` is stubbed by an init script that records each call (and
ends the utterance at once); ``?fast=1`` makes pauses 100x faster.

Skipped (with the reason) only when no chromium binary or no Python playwright exists.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.content import locale_data
from skill.core.clips import AUDIO_DIR
from skill.core.playback import Answer, ClipStep, CueStep, Piece, Plan, Silence, Words
from skill.frontends.web import create_app
from tests.replies import skill_always_answering

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: ``HALSPORRE_SCREENSHOTS=1 pytest tests/test_webpage.py`` refreshes docs/screenshots/;
#: otherwise the screenshots go to pytest's temporary folder (the tree stays clean).
SCREENSHOTS_DOCS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("HALSPORRE_CHROMIUM") or next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
     if p and Path(p).is_file()), None)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

if CHROMIUM is None:
    pytest.skip("no chromium binary (apt-get install chromium chromium-driver, or "
                "scripts/system-deps.sh); the web page's browser tests need it",
                allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Python playwright is not installed (.venv/bin/pip install playwright; "
           "no browser download needed, Debian's chromium is used)")

INIT_SCRIPT = """
window.__spoken = [];
window.__now = [];
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (u) {
    window.__spoken.push({text: u.text, lang: u.lang});
    setTimeout(function () { if (u.onend) { u.onend(new Event('end')); } }, 0);
  };
}
document.addEventListener('DOMContentLoaded', function () {
  var now = document.getElementById('now');
  if (!now) { return; }
  new MutationObserver(function () {
    var text = now.textContent;
    if (text && window.__now[window.__now.length - 1] !== text) { window.__now.push(text); }
  }).observe(now, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "progress.sqlite3"
    app = create_app(build_skill(Settings(db_path=db)), verify=True)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=5)


def launched_chromium():
    """Debian's Chromium, headless, for one module's page tests (closed after them)."""
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def browser():
    yield from launched_chromium()


class Page:
    """A page plus what it asked the network for."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.requests: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))

    def open(self, query: str = "?fast=1") -> None:
        self.page.goto(self.base + "/" + query)
        self.page.wait_for_selector("body[data-ready='1']")

    def type_and_send(self, text: str) -> dict:
        with self.page.expect_response(lambda r: r.url.endswith("/api/talk")) as info:
            self.page.fill("#text", text)
            self.page.press("#text", "Enter")
        return info.value.json()

    def js(self, expr: str):
        return self.page.evaluate(expr)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = SCREENSHOTS_DOCS if os.environ.get("HALSPORRE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def open_page(browser, server):
    contexts = []

    def make(locale: str = "sv-SE", viewport=None) -> Page:
        ctx = browser.new_context(locale=locale, viewport=viewport or {"width": 1000,
                                                                       "height": 900})
        ctx.add_init_script(INIT_SCRIPT)
        contexts.append(ctx)
        return Page(ctx.new_page(), server)

    yield make
    for ctx in contexts:
        ctx.close()


def _assert_local_only(p: Page) -> None:
    foreign = [u for u in p.requests if not u.startswith(p.base) and not u.startswith("data:")]
    assert foreign == [], f"requests outside this server: {foreign}"
    assert p.js("window.__csp") == []


def test_swedish_prognosis_is_answered_and_spoken(open_page):
    p = open_page("sv-SE")
    p.open()
    assert p.js("document.querySelector('input[value=\"sv-SE\"]').checked")
    assert p.js("document.documentElement.lang") == "sv-SE"
    answer = p.type_and_send("vad är prognosen")
    p.page.wait_for_selector("#answer:has-text('sex till nio månader')")
    assert answer["intent"] == "InfoIntent"
    clips = [s["audio"] for s in answer["steps"] if "audio" in s]
    if clips:
        p.page.wait_for_function(
            "(u) => performance.getEntriesByType('resource').some(e => e.name.endsWith(u))",
            arg=clips[0])
        assert any("/audio/" in u for u in p.requests)
    else:
        p.page.wait_for_function("() => window.__spoken.length > 0")
        spoken = p.js("window.__spoken")
        assert {s["lang"] for s in spoken} == {"sv-SE"}
        assert any("sex till nio månader" in s["text"] for s in spoken)
    _assert_local_only(p)


@pytest.mark.skipif(not (AUDIO_DIR / "sv-SE" / "manifest.json").is_file(),
                    reason="no sv-SE clips (halsporre audio build --locale sv-SE)")
def test_swedish_answer_plays_clips_when_they_exist(open_page):
    p = open_page("sv-SE")
    p.open()
    answer = p.type_and_send("vad är prognosen")
    clips = [s for s in answer["steps"] if "audio" in s]
    assert clips, "audio/sv-SE/manifest.json exists, so Swedish answers are clips"
    p.page.wait_for_function(
        "(u) => performance.getEntriesByType('resource').some(e => e.name.endsWith(u))",
        arg=clips[0]["audio"])
    assert any("sex till nio månader" in s["text"] for s in clips)


def test_stretch_session_runs_the_countdown_ring(open_page):
    p = open_page("sv-SE")
    p.open("?fast=1")
    answer = p.type_and_send("starta stretchpasset")
    pauses = [s["pause_ms"] for s in answer["steps"] if "pause_ms" in s]
    assert answer["intent"] == "StartStretchIntent" and pauses, answer["text"][:60]
    # the ring shows up and counts down, and is done at least once
    p.page.wait_for_function("() => document.getElementById('ring').dataset.done >= 1",
                             timeout=30_000)
    p.page.wait_for_function("() => window.__now.length >= 2", timeout=30_000)
    texts = p.js("window.__now")
    assert len(set(texts)) >= 2, texts
    assert p.js("document.getElementById('ring-bar').getAttribute('stroke-dashoffset')") != "0"


CLOCKED = """
window.__nowAt = [];
document.addEventListener('DOMContentLoaded', function () {
  var now = document.getElementById('now');
  new MutationObserver(function () {
    window.__nowAt.push([performance.now(), now.textContent]);
  }).observe(now, {childList: true, characterData: true, subtree: true});
});
"""


def _clocked(open_page, locale: str = "sv-SE") -> Page:
    """A page on Playwright's fake clock: time moves only by ``clock.run_for`` (no waiting)."""
    p = open_page(locale)
    p.page.context.add_init_script(CLOCKED)
    p.page.clock.install()
    p.open("")
    return p


def _caption_times(p: Page, text: str) -> list[float]:
    return [t for t, caption in p.js("window.__nowAt") if caption == text]


def _ring(p: Page) -> tuple[str, str]:
    running, seconds = p.js("[document.getElementById('ring').dataset.running, "
                            "document.getElementById('ring-seconds').textContent]")
    return running, seconds


@pytest.mark.parametrize("hold", [20, 30])
def test_a_hold_on_the_page_lasts_its_seconds_with_the_ring_and_captions(open_page, hold):
    p = _clocked(open_page)
    answer = p.type_and_send(f"håll i {hold} sekunder")
    steps = answer["steps"]
    start = next(s for s in steps if s.get("cue") == "hold_start")
    assert start["hold_ms"] == hold * 1000
    p.page.clock.run_for(start["start_ms"] + 500)
    began = _caption_times(p, "Nu.")[0]
    assert _ring(p) == ("1", str(hold))  # the whole hold, not 10 s chunks
    transcript = p.page.inner_text("#answer")
    assert "Släpp." not in transcript and "?" not in transcript  # grows as it plays
    p.page.clock.run_for(hold * 1000 - 10_500)  # 10 s before the release
    assert _ring(p) == ("1", "10")
    p.page.clock.run_for(11_000)
    released = _caption_times(p, "Släpp.")[0]
    assert released - began == pytest.approx(hold * 1000, abs=500)
    counts = [_caption_times(p, f"{n}.")[0] - began for n in (5, 4, 3, 2, 1)]
    assert counts == pytest.approx([(hold - n) * 1000 for n in (5, 4, 3, 2, 1)], abs=50)
    assert p.js("document.getElementById('ring').dataset.done") == "1"
    assert "Släpp." in p.page.inner_text("#answer")


def test_pause_button_stops_at_once_and_the_place_is_exact(open_page):
    p = _clocked(open_page)
    answer = p.type_and_send("starta stretchpasset")
    holds = [s for s in answer["steps"] if s.get("cue") == "hold_start"]
    second = holds[1]
    middle = second["start_ms"] + second["hold_ms"] // 2
    p.page.clock.run_for(middle)
    assert _ring(p)[0] == "1"
    with p.page.expect_request(lambda r: r.url.endswith("/api/control")) as info:
        p.page.click("#pause")
    body = json.loads(info.value.post_data)
    # the fake clock also moves with real time between the steps of this test
    assert body["event"] == "pause" and 0 <= body["played_ms"] - middle <= 2000
    assert answer["steps"][body["step"]]["start_ms"] <= body["played_ms"]
    assert _ring(p)[0] == "0" and p.page.is_hidden("#ring")  # stopped at once
    reply = info.value.response().json()
    assert reply["intent"] == "AMAZON.PauseIntent" and reply["session_open"] is True
    left = p.type_and_send("hur många är kvar")
    assert "Det är 8 stretchningar kvar av 9." in left["text"], left["text"]


def test_clinic_number_is_a_tel_link_with_booking_ways(open_page, shots):
    p = open_page("sv-SE")
    p.open()
    answer = p.type_and_send("vad är numret till kliniken")
    assert answer["clinic"]["tel"] == "tel:+46812326444"
    link = p.page.locator("a[href='tel:+46812326444']")
    link.wait_for(state="visible")
    assert "08-123 264 44" in link.inner_text()
    assert "1177" in p.page.locator("#booking").inner_text()
    p.page.wait_for_function("() => window.__spoken.length > 0 || "
                             "performance.getEntriesByType('resource')"
                             ".some(e => e.name.includes('/audio/'))")
    p.page.wait_for_timeout(200)
    p.page.evaluate("document.getElementById('text').blur()")
    p.page.screenshot(path=str(shots / "web-sv.png"), full_page=True)
    _assert_local_only(p)


def test_configured_booking_page_is_a_link_and_nothing_else_is(open_page):
    """With HALSPORRE_BOOKING_URL the card's booking line carries the address: the page
    makes it a link; lines without an http(s) address stay plain text."""
    p = open_page("en-US")
    p.open()
    url = "https://booking.example-clinic.se/rehabilitering"
    reply = {"locale": "en-US", "intent": "ClinicIntent", "text": "The clinic's number is ...",
             "steps": [], "card": None, "session_open": True,
             "clinic": {"phone": "08-123 264 44", "tel": "tel:+46812326444",
                        "booking": [f"You can also book on Tiohundra's website, {url}: log in.",
                                    "Physical therapist, javascript:alert(1) Norrtälje"]}}
    p.page.route("**/api/talk", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(reply)))
    p.type_and_send("how do I book")
    link = p.page.locator("#booking a")
    link.wait_for(state="visible")
    assert link.count() == 1
    assert link.get_attribute("href") == url and link.inner_text() == url
    assert p.page.locator("#booking li").nth(0).inner_text().endswith(": log in.")
    assert "javascript:alert(1)" in p.page.locator("#booking li").nth(1).inner_text()


def test_english_page_follows_the_browser_language(open_page, shots):
    p = open_page("en-GB")
    p.open()
    assert p.js("document.querySelector('input[value=\"en-GB\"]').checked")
    assert p.page.locator("#talk-label").inner_text() == "Press and talk"
    answer = p.type_and_send("how long does it take to get better")
    assert answer["locale"] == "en-GB"
    p.page.wait_for_selector("#answer:has-text('six to nine months')")
    p.page.wait_for_function("() => window.__spoken.length > 0")
    assert {s["lang"] for s in p.js("window.__spoken")} == {"en-GB"}
    p.page.wait_for_timeout(200)
    p.page.evaluate("document.getElementById('text').blur()")
    p.page.screenshot(path=str(shots / "web-en.png"), full_page=True)


def test_language_can_be_switched_on_the_page(open_page):
    p = open_page("en-US")
    p.open()
    p.page.check("input[value='sv-SE']")
    assert p.page.locator("#talk-label").inner_text() == "Tryck och prata"
    assert p.js("document.documentElement.lang") == "sv-SE"
    answer = p.type_and_send("vad är prognosen")
    assert answer["locale"] == "sv-SE"


def test_keyboard_only(open_page):
    p = open_page("sv-SE")
    p.open()
    order = []
    for _ in range(16):
        p.page.keyboard.press("Tab")
        ident = p.js("document.activeElement.id || document.activeElement.value || "
                     "document.activeElement.tagName")
        order.append(ident)
        if ident in ("talk", "text", "send", "pause", "stop"):
            style = p.js("getComputedStyle(document.activeElement).outlineStyle")
            assert style not in ("none", ""), f"no visible focus on #{ident}"
    for a, b in [("talk", "text"), ("text", "send"), ("send", "pause"), ("pause", "resume"),
                 ("resume", "stop"), ("stop", "start"), ("start", "read-aloud")]:
        assert a in order and b in order and order.index(a) < order.index(b), order
    # type and send with the keyboard alone
    p.page.focus("#text")
    with p.page.expect_response(lambda r: r.url.endswith("/api/talk")):
        p.page.keyboard.type("vad är prognosen")
        p.page.keyboard.press("Enter")
    p.page.wait_for_selector("#answer:has-text('sex till nio månader')")
    # the talk button works from the keyboard too (no recognition here: it says so)
    assert p.page.locator("#answer").get_attribute("aria-live") == "polite"
    assert p.page.locator("label[for='text']").inner_text()


def test_page_headers_and_alexa_endpoint_still_verifies(server):
    with urllib.request.urlopen(server + "/") as resp:
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "media-src 'self'" in csp
        assert b'id="talk"' in resp.read()
    body = json.dumps({"version": "1.0", "request": {"type": "LaunchRequest"}}).encode()
    for path in ("/alexa", "/"):
        req = urllib.request.Request(server + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 400


# --------------------------------------------------------------------------- the player
# A stand-in skill with a timed answer (words, a clip, holds), so the page's player is
# tested whatever state the stretch dialogue is in.

def _words(text: str, at: int) -> Words:
    return Words("test", (Piece(text),), at, 2000)


def timed_answer(clip_url: str) -> Answer:
    """Words, a 3 s hold (start cue, silence, release cue), a clip, words, a 2 s hold."""
    steps: list = [_words("Övning ett: stå med händerna mot väggen.", 0),
                   CueStep("hold_start", "Nu.", 2000, 1000), Silence(3000, 2000),
                   CueStep("hold_end", "Släpp.", 5000, 1000)]
    if clip_url:
        steps.append(ClipStep(clip_url, "", 6000, 1000))
    steps += [_words("Övning två: sätt dig på en stol.", 7000),
              CueStep("hold_start", "Nu.", 9000, 500), Silence(9500, 1500),
              CueStep("hold_end", "Släpp.", 11000, 500), _words("Bra jobbat!", 11500)]
    return Answer("sv-SE", Plan(tuple(steps)), Plan((_words("Fortsätt?", 0),)))


def _timed_skill(clip_url: str):
    return skill_always_answering(timed_answer(clip_url))


def _first_clip() -> str:
    manifest = AUDIO_DIR / "sv-SE" / "manifest.json"
    try:
        clips = json.loads(manifest.read_text(encoding="utf-8"))["clips"]
    except (OSError, ValueError, KeyError):
        return ""
    entry = next(iter(clips.values()), None)
    return f"/audio/sv-SE/{entry['file']}" if entry else ""


@pytest.fixture(scope="module")
def timed_server():
    clip = _first_clip()
    app = create_app(_timed_skill(clip), verify=True, web_skill=_timed_skill(clip))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", clip
    finally:
        srv.shutdown()
        thread.join(timeout=5)


def _timed_page(browser, base):
    ctx = browser.new_context(locale="sv-SE")
    ctx.add_init_script(INIT_SCRIPT)
    return ctx, Page(ctx.new_page(), base)


def test_player_runs_holds_with_the_ring_and_changes_captions(browser, timed_server):
    base, clip = timed_server
    ctx, p = _timed_page(browser, base)
    try:
        p.open("?fast=1")
        answer = p.type_and_send("starta stretchpasset")
        assert [s["pause_ms"] for s in answer["steps"] if "pause_ms" in s] == [2000, 1500]
        assert [s["hold_ms"] for s in answer["steps"] if "hold_ms" in s] == [3000, 2000]
        p.page.wait_for_function("() => document.getElementById('ring').dataset.done == 2",
                                 timeout=20_000)
        p.page.wait_for_function("() => window.__now.includes('Bra jobbat!')", timeout=20_000)
        texts = p.js("window.__now")
        assert texts[0].startswith("Övning ett") and "Övning två: sätt dig på en stol." in texts
        if clip:
            assert any(u.endswith(clip) for u in p.requests), p.requests
        spoken = [s["text"] for s in p.js("window.__spoken")]
        assert spoken[0] == "Övning ett: stå med händerna mot väggen."
    finally:
        ctx.close()


def test_player_ring_counts_down_in_real_time_and_pause_stops_it(browser, timed_server):
    base, _ = timed_server
    ctx, p = _timed_page(browser, base)
    try:
        p.open("")
        p.type_and_send("starta stretchpasset")
        p.page.wait_for_function("() => document.getElementById('ring').dataset.running === '1'",
                                 timeout=10_000)
        first = int(p.page.inner_text("#ring-seconds"))
        assert 1 <= first <= 3
        p.page.wait_for_function(f"() => Number(document.getElementById('ring-seconds')"
                                 f".textContent) < {first}", timeout=5_000)
        assert p.page.is_visible("#ring")
        sent = []
        paused = {"locale": "sv-SE", "intent": "AMAZON.PauseIntent", "text": "Pausat.",
                  "steps": [{"say": "Pausat."}], "card": None, "session_open": True,
                  "clinic": None}

        def reply(route):
            sent.append(json.loads(route.request.post_data))
            route.fulfill(status=200, content_type="application/json", body=json.dumps(paused))

        p.page.route("**/api/control", reply)
        p.page.click("#pause")
        p.page.wait_for_selector("#answer:has-text('Pausat.')")
        assert [(b["locale"], b["event"]) for b in sent] == [("sv-SE", "pause")]
        assert 2000 <= sent[0]["played_ms"] <= 5000 and sent[0]["step"] in (1, 2)
        p.page.wait_for_timeout(3500)  # longer than the hold that was running
        assert p.js("document.getElementById('ring').dataset.running") == "0"
        assert p.js("document.getElementById('ring').dataset.done") == "0"
        assert p.page.is_hidden("#ring")
    finally:
        ctx.close()


# --------------------------------------------------------------------------- rate limits


def test_a_refused_turn_says_so_in_the_page_language(browser, tmp_path):
    """Over the turn limit the server answers 429; the page shows its own words for it,
    and the conversation goes on once the minute is over (not waited for here)."""
    settings = Settings(db_path=tmp_path / "progress.sqlite3", web_turns_per_minute=1,
                        web_secret="a test secret, long enough")
    app = create_app(build_skill(settings), verify=True, settings=settings)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    ctx = browser.new_context(locale="sv-SE")
    try:
        ctx.add_init_script(INIT_SCRIPT)
        p = Page(ctx.new_page(), f"http://127.0.0.1:{srv.server_port}")
        p.open()
        first = p.type_and_send("vad är prognosen")  # a new conversation: the start bucket
        assert first["intent"] == "InfoIntent"
        p.type_and_send("vad är numret till kliniken")  # turn 1 of 1
        with p.page.expect_response(lambda r: r.url.endswith("/api/talk")) as info:
            p.page.fill("#text", "nästa")
            p.page.press("#text", "Enter")
        assert info.value.status == 429
        busy = locale_data("sv-SE", "page")["busy"]
        p.page.wait_for_selector(f"#status:has-text('{busy}')")
    finally:
        ctx.close()
        srv.shutdown()
        thread.join(timeout=5)
