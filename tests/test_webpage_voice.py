"""The web page's Swedish voice, in a real browser (headless Debian Chromium, Playwright):
clips made with a real voice are played; espeak-ng clips give way to the browser's own
Swedish voice when it has one (``speechSynthesis.getVoices()``), else they are played.

A stand-in skill answers with one sentence whose clip comes from a manifest written here,
once with ``engine: espeak`` and once with ``engine: gtts``; the browser's voice list is
set by an init script (one Swedish voice, or none).
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skill.core.clips import AUDIO_DIR, ClipLibrary
from skill.core.playback import Answer, ClipStep, Piece, Plan, Words
from skill.frontends.web import create_app
from tests.replies import skill_always_answering
from tests.test_webpage import INIT_SCRIPT, Page, launched_chromium

pytestmark = pytest.mark.slow

SENTENCE = "Det brukar ta sex till nio månader att bli bra."
SWEDISH_VOICE = """
window.speechSynthesis.getVoices = function () {
  return [{lang: 'en-US', name: 'English', voiceURI: 'en', localService: true},
          {lang: 'sv-SE', name: 'Alva', voiceURI: 'alva', localService: true}];
};
"""
NO_SWEDISH_VOICE = """
window.speechSynthesis.getVoices = function () {
  return [{lang: 'en-US', name: 'English', voiceURI: 'en', localService: true}];
};
"""


def _a_committed_clip() -> str:
    clips = json.loads((AUDIO_DIR / "sv-SE" / "manifest.json").read_text("utf-8"))["clips"]
    return next(iter(clips.values()))["file"]


def _library(tmp_path: Path, engine: str) -> ClipLibrary:
    """A manifest made by ``engine`` whose clip for SENTENCE is a committed clip."""
    folder = tmp_path / engine / "sv-SE"
    folder.mkdir(parents=True)
    name = _a_committed_clip()
    shutil.copy(AUDIO_DIR / "sv-SE" / name, folder / name)
    manifest = {"clips": {SENTENCE: {"file": name, "duration_ms": 1500, "engine": engine}},
                "cues": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    lib = ClipLibrary.load("sv-SE", folder.parent, "/audio")
    assert lib is not None
    return lib


def _skill(lib: ClipLibrary):
    clip = lib.lookup(SENTENCE)
    assert clip is not None
    return skill_always_answering(
        Answer("sv-SE", Plan((ClipStep(clip.url, SENTENCE, 0, clip.duration_ms, clip.engine),)),
               Plan((Words("test", (Piece("Något mer?"),), 0, 1000),))))


@pytest.fixture(scope="module")
def browser():
    yield from launched_chromium()


@pytest.fixture(params=["espeak", "gtts"])
def served(request, tmp_path):
    skill = _skill(_library(tmp_path, request.param))
    app = create_app(skill, verify=True, web_skill=skill)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield request.param, f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=5)


def _answer(browser, base: str, voices: str) -> tuple[Page, dict, object]:
    ctx = browser.new_context(locale="sv-SE")
    ctx.add_init_script(INIT_SCRIPT + voices)
    p = Page(ctx.new_page(), base)
    p.open("?fast=1")
    answer = p.type_and_send("vad är prognosen")
    p.page.wait_for_function("() => window.__now.length > 0", timeout=10_000)
    p.page.wait_for_timeout(300)
    return p, answer, ctx


@pytest.mark.parametrize("voices", [SWEDISH_VOICE, NO_SWEDISH_VOICE],
                         ids=["swedish-voice", "no-swedish-voice"])
def test_the_page_prefers_the_browsers_swedish_voice_to_espeak_clips(browser, served, voices):
    engine, base = served
    p, answer, ctx = _answer(browser, base, voices)
    try:
        [step] = answer["steps"]
        assert step["engine"] == engine and step["audio"].startswith("/audio/sv-SE/")
        fetched = any(u.endswith(step["audio"]) for u in p.requests)
        spoken = [s for s in p.js("window.__spoken") if s["text"] == SENTENCE]
        browser_voice = engine == "espeak" and voices is SWEDISH_VOICE
        if browser_voice:
            assert spoken and spoken[0]["lang"] == "sv-SE"
            assert not fetched, "the espeak clip was played although a Swedish voice exists"
        else:
            p.page.wait_for_function(
                "(u) => performance.getEntriesByType('resource').some(e => e.name.endsWith(u))",
                arg=step["audio"], timeout=10_000)
            assert not spoken
        assert p.js("window.__now")[0] == SENTENCE
    finally:
        ctx.close()
