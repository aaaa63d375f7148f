"""Runtime clip lookup, joining clips into one, the /audio/ blueprint and the player."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from flask import Flask

from skill.core import clips as clips_mod
from skill.core.clips import Clip, ClipLibrary
from skill.frontends import player
from skill.frontends.audio_route import create_blueprint
from skill.tools.audio import convert, tones

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


def _manifest(audio: Path, files: dict[str, str] | None = None) -> Path:
    d = audio / "sv-SE"
    d.mkdir(parents=True, exist_ok=True)
    files = files or {"Hej och välkommen.": "aaaa.mp3", "fem": "bbbb.mp3"}
    manifest = {
        "version": 1, "locale": "sv-SE",
        "clips": {t: {"file": f, "duration_ms": 1200, "engine": "espeak", "voice": "sv",
                      "sources": [{"key": "x"}]} for t, f in files.items()},
        "cues": {"hold_start": {"file": "cccc.mp3", "duration_ms": 500,
                                "engine": "ffmpeg-sine", "voice": "tone"},
                 "count.5": {"file": "bbbb.mp3", "duration_ms": 1200, "engine": "espeak",
                             "voice": "sv", "text": "fem"}},
        "skipped": [],
    }
    for f in [*files.values(), "cccc.mp3"]:
        (d / f).write_bytes(b"ID3" + b"\0" * 64)
    (d / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False),
                                     encoding="utf-8")
    return d


def test_lookup_hit_and_miss(tmp_path: Path) -> None:
    _manifest(tmp_path)
    lib = ClipLibrary.load("sv-SE", tmp_path, "https://skill.example/audio/")
    assert lib is not None and len(lib) == 2
    clip = lib.lookup("Hej och välkommen.")
    assert clip == Clip(url="https://skill.example/audio/sv-SE/aaaa.mp3", duration_ms=1200,
                        text="Hej och välkommen.", path=tmp_path / "sv-SE" / "aaaa.mp3",
                        engine="espeak")
    assert lib.lookup("  Hej  och\nvälkommen. ") == clip  # whitespace-insensitive
    assert lib.lookup("Hej och välkommen!") is None
    assert lib.clip_url("fem") == "https://skill.example/audio/sv-SE/bbbb.mp3"
    assert lib.clip_url("sex") is None
    assert lib.cue_url("hold_start") == "https://skill.example/audio/sv-SE/cccc.mp3"
    assert lib.cue("count.5").text == "fem"
    assert lib.cue_url("hold_end") is None


def test_cached_library_reloads_when_the_manifest_changes(tmp_path: Path) -> None:
    import os

    d = _manifest(tmp_path)
    lib = ClipLibrary.cached("sv-SE", tmp_path, "https://x")
    assert ClipLibrary.cached("sv-SE", tmp_path, "https://x") is lib
    _manifest(tmp_path, {"sex": "dddd.mp3"})
    st = (d / "manifest.json").stat()
    os.utime(d / "manifest.json", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    fresh = ClipLibrary.cached("sv-SE", tmp_path, "https://x")
    assert fresh is not lib and fresh.clip_url("sex") and not fresh.clip_url("fem")


def test_default_base_url_is_site_relative(tmp_path: Path) -> None:
    _manifest(tmp_path)
    lib = ClipLibrary.load("sv-SE", tmp_path, None)
    assert lib.clip_url("fem") == "/audio/sv-SE/bbbb.mp3"


def test_missing_manifest_is_none_and_logged_once(tmp_path: Path, caplog) -> None:
    clips_mod._warned.clear()
    with caplog.at_level(logging.WARNING, logger="skill.core.clips"):
        assert ClipLibrary.load("sv-SE", tmp_path, "https://x") is None
        assert ClipLibrary.load("sv-SE", tmp_path, "https://x") is None
    assert len([r for r in caplog.records if "no audio manifest" in r.message]) == 1


def test_runs_are_looked_up_by_their_key(tmp_path: Path) -> None:
    path = _manifest(tmp_path) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["runs"] = {"body:abc": {"file": "fem.mp3", "duration_ms": 61_000, "engine": "espeak",
                                 "text": "Håll. Fem."}}
    path.write_text(json.dumps(data), encoding="utf-8")
    lib = ClipLibrary.load("sv-SE", tmp_path, "https://h/audio")
    run = lib.run("body:abc")
    assert run is not None and run.url == "https://h/audio/sv-SE/fem.mp3"
    assert (run.duration_ms, run.engine) == (61_000, "espeak")
    assert lib.run("body:other") is None
    assert not hasattr(lib, "combine") and not hasattr(lib, "fit")


@pytest.mark.slow
@needs_ffmpeg
def test_concat_over_240_seconds_is_refused(tmp_path: Path) -> None:
    tones.render_tone(tones.TONES["hold_start"], tmp_path / "s.mp3")
    with pytest.raises(convert.ConvertError, match="240"):
        convert.concat([tmp_path / "s.mp3"], [241_000], tmp_path / "long.mp3")
    assert not (tmp_path / "long.mp3").exists()


@needs_ffmpeg
def test_tones_are_short_soft_and_alexa_format(tmp_path: Path) -> None:
    for name, tone in tones.TONES.items():
        info = convert.probe(tones.render_tone(tone, tmp_path / f"{name}.mp3"))
        assert (info.codec, info.sample_rate, info.channels) == ("mp3", 24_000, 1)
        assert 200 < info.duration_ms < 1500


# --- blueprint ---------------------------------------------------------------------------


@pytest.fixture()
def client(tmp_path: Path):
    audio = tmp_path / "audio"
    _manifest(audio)
    (audio / "sv-SE" / "notes.txt").write_text("secret")
    (audio / "sv-SE" / ".hidden.mp3").write_bytes(b"x")
    (tmp_path / "outside.mp3").write_bytes(b"ID3 outside")
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(audio))
    return app.test_client()


def test_blueprint_serves_clips_with_long_cache(client) -> None:
    r = client.get("/audio/sv-SE/aaaa.mp3")
    assert r.status_code == 200
    assert r.mimetype == "audio/mpeg"
    assert "immutable" in r.headers["Cache-Control"]
    assert "max-age=31536000" in r.headers["Cache-Control"]
    assert r.data.startswith(b"ID3")
    m = client.get("/audio/sv-SE/manifest.json")
    assert m.status_code == 200 and m.mimetype == "application/json"
    assert "immutable" not in m.headers["Cache-Control"]


@pytest.mark.parametrize("path", [
    "/audio/", "/audio", "/audio/sv-SE", "/audio/sv-SE/",
    "/audio/../outside.mp3", "/audio/sv-SE/../../outside.mp3",
    "/audio/%2e%2e/outside.mp3", "/audio/sv-SE/%2e%2e/%2e%2e/outside.mp3",
    "/audio/sv-SE/..%2f..%2foutside.mp3", "/audio//etc/passwd",
    "/audio/sv-SE/notes.txt", "/audio/sv-SE/.hidden.mp3", "/audio/sv-SE/nope.mp3",
    "/audio/sv-SE/aaaa.mp3/", "/audio/sv-SE\\..\\..\\outside.mp3",
])
def test_blueprint_rejects_traversal_listing_and_other_files(client, path: str) -> None:
    r = client.get(path, follow_redirects=True)  # werkzeug may 308 "/audio" -> "/audio/"
    assert r.status_code == 404, path
    assert b"outside" not in r.data and b"aaaa.mp3" not in r.data


# --- player ------------------------------------------------------------------------------


def test_find_player_prefers_ffplay(monkeypatch) -> None:
    have = {"mpg123", "aplay", "ffmpeg"}
    monkeypatch.setattr(player.shutil, "which", lambda n: f"/usr/bin/{n}" if n in have else None)
    assert player.find_player() == ["mpg123", "-q"]
    have.add("ffplay")
    assert player.find_player()[:3] == ["ffplay", "-nodisp", "-autoexit"]
    have.clear()
    assert player.find_player() is None
    assert player.play("x.mp3") is False
