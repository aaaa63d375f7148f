"""halsporre audio build: hash naming, incremental rebuilds, manifest coverage, summary.

A fake engine writes WAV with Python's ``wave`` module, so these tests need ffmpeg (for
the real conversion) but neither espeak-ng nor the network.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest

from skill.content import load_content
from skill.core.clips import ClipLibrary
from skill.tools.audio import build
from skill.tools.audio.build import build_locale, cue_phrases, plan_locale, spell_phone
from skill.tools.audio.engines import Engine, EngineUnavailable

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe")
                                 is None, reason="ffmpeg is not installed")]

CONTENT = """\
welcome: "Välkommen till Hälsporre."
clinic:
  phone: "08-123 45 67"
  call: "Ring mottagningen på {phone}."
info:
  sections:
    about:
      title: "om hälsporre"
    pain:
      title: "om smärtan"
  next: "Vill du höra om {title}?"
stretch:
  intro: "Övning {number}."
  odd: "Hej {nickname}."
links:
  url: "https://example.org"
"""
COUNT = 2  # cue numbers 1..2 keep the test small


class FakeEngine(Engine):
    name = "fake"
    voices = {"sv-SE": "fake-sv"}

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def synthesize(self, text: str, locale: str, dest: Path) -> Path:
        self.spoken.append(text)
        out = dest.with_suffix(".wav")
        rate, n = 8000, 800 + 40 * len(text)
        frames = b"".join(struct.pack("<h", int(3000 * math.sin(i / 6))) for i in range(n))
        with wave.open(str(out), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(frames)
        return out


def _content(tmp_path: Path, text: str = CONTENT) -> dict[str, str]:
    d = tmp_path / "content" / "sv-SE"
    d.mkdir(parents=True, exist_ok=True)
    (d / "core.yaml").write_text(text, encoding="utf-8")
    load_content.cache_clear()
    try:
        return dict(load_content("sv-SE", tmp_path / "content").strings)
    finally:
        load_content.cache_clear()


def _build(strings, audio: Path, engine: FakeEngine | None = None, **kw):
    return build_locale("sv-SE", strings, engine or FakeEngine(), audio, progress=False,
                        count_max=COUNT, **kw)


def _expected_texts(strings: dict[str, str]) -> set[str]:
    return {
        "Välkommen till Hälsporre.",
        "08-123 45 67",
        "Ring mottagningen på 08-123 45 67.",
        "om hälsporre", "om smärtan",
        "Vill du höra om om hälsporre?", "Vill du höra om om smärtan?",
        *(f"Övning {n}." for n in range(1, 6)),
        *cue_phrases("sv-SE", COUNT).values(),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build")
    strings = _content(tmp)
    audio = tmp / "audio"
    engine = FakeEngine()
    summary = _build(strings, audio, engine)
    return tmp, strings, audio, engine, summary


def test_manifest_covers_every_string_and_variant(built) -> None:
    _, strings, audio, _, summary = built
    manifest = json.loads((audio / "sv-SE" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["clips"]) == _expected_texts(strings)
    variant = manifest["clips"]["Övning 3."]
    assert variant["sources"] == [{"key": "stretch.intro", "params": {"number": 3}}]
    assert set(variant) >= {"file", "duration_ms", "engine", "voice"}
    assert variant["engine"] == "fake" and variant["voice"] == "fake-sv"
    assert variant["duration_ms"] > 0
    assert (audio / "sv-SE" / variant["file"]).is_file()
    # cue set: tones and spoken numbers
    assert manifest["cues"]["hold_start"]["engine"] == "ffmpeg-sine"
    assert manifest["cues"]["hold_end"]["duration_ms"] > 100
    assert manifest["cues"]["count.2"]["text"] == "två"
    assert manifest["cues"]["left.2"]["text"] == "två sekunder kvar"
    # unknown placeholder and links are skipped, with reasons
    skipped = {s["key"]: s["reason"] for s in manifest["skipped"]}
    assert "nickname" in skipped["stretch.odd"] and "links.url" in skipped
    assert summary.rendered == len(manifest["clips"]) + 2 and summary.reused == 0
    assert len(summary.skipped) == 2
    files = {p.name for p in (audio / "sv-SE").glob("*.mp3")}
    assert files == {e["file"] for e in [*manifest["clips"].values(),
                                         *manifest["cues"].values()]}


def test_phone_is_spoken_digit_by_digit(built) -> None:
    _, _, _, engine, _ = built
    assert spell_phone("08-123 45 67") == "0 8, 1 2 3, 4 5, 6 7"
    assert "Ring mottagningen på 0 8, 1 2 3, 4 5, 6 7." in engine.spoken
    assert "0 8, 1 2 3, 4 5, 6 7" in engine.spoken


def test_no_change_rebuild_renders_nothing_and_edit_renders_one(tmp_path: Path) -> None:
    strings = _content(tmp_path)
    audio = tmp_path / "audio"
    first = _build(strings, audio)
    before = {p.name for p in (audio / "sv-SE").glob("*.mp3")}

    engine = FakeEngine()
    again = _build(strings, audio, engine)
    assert (again.rendered, again.removed, engine.spoken) == (0, 0, [])
    assert again.reused == first.rendered
    assert "rendered 0, reused" in again.line()

    edited = dict(strings, welcome="Välkommen tillbaka till Hälsporre.")
    engine = FakeEngine()
    third = _build(edited, audio, engine)
    assert engine.spoken == ["Välkommen tillbaka till Hälsporre."]
    assert (third.rendered, third.removed) == (1, 1)
    after = {p.name for p in (audio / "sv-SE").glob("*.mp3")}
    assert len(after - before) == 1 and len(before - after) == 1
    lib = ClipLibrary.load("sv-SE", audio, "https://x.test/audio")
    assert lib is not None
    assert lib.lookup("Välkommen till Hälsporre.") is None
    assert lib.lookup("Välkommen tillbaka till Hälsporre.") is not None

    engine = FakeEngine()
    forced = _build(edited, audio, engine, force=True)
    assert forced.rendered == first.rendered and forced.removed == 0


def test_file_names_hash_text_voice_and_engine() -> None:
    a = build.clip_name("Hej.", "sv", "espeak")
    assert a == build.clip_name("Hej.", "sv", "espeak") and a.endswith(".mp3")
    assert len({a, build.clip_name("Hej!", "sv", "espeak"),
                build.clip_name("Hej.", "sv", "gtts"),
                build.clip_name("Hej.", "en-us", "espeak")}) == 4


def test_domains_cover_real_placeholders() -> None:
    strings = {"a": "{seconds} sekunder kvar.", "b": "{remaining} kvar", "c": "{x}",
               "progress.ordinal.1": "första", "progress.ordinal.2": "andra",
               "d": "ditt {ordinal} pass"}
    plan = plan_locale(strings, "sv-SE", count_max=0)
    texts = set(plan.items)
    assert {"20 sekunder kvar.", "30 sekunder kvar.", "0 kvar", "5 kvar",
            "ditt första pass", "ditt andra pass"} <= texts
    assert "19 sekunder kvar." not in texts and "31 sekunder kvar." not in texts
    assert [s["key"] for s in plan.skipped] == ["c"]


def test_main_prints_summary_and_warnings(tmp_path: Path, capsys) -> None:
    strings = _content(tmp_path)
    rc = build.main(["build", "--engine", "espeak", "--audio-dir", str(tmp_path / "a"),
                     "--no-progress"], load=lambda loc: strings,
                    engine_factory=lambda name, **kw: FakeEngine(), count_max=COUNT)
    out = capsys.readouterr()
    assert rc == 0
    assert "sv-SE: rendered" in out.out and "skipped 2" in out.out
    assert "warning: skipped stretch.odd" in out.err


def test_main_engine_unavailable_exits_2(tmp_path: Path, capsys) -> None:
    class Down(FakeEngine):
        def check(self) -> None:
            raise EngineUnavailable("gtts: cannot reach Google; use --engine espeak")

    rc = build.main(["--audio-dir", str(tmp_path)], load=lambda loc: {"a": "Hej."},
                    engine_factory=lambda name, **kw: Down())
    assert rc == 2
    assert "--engine espeak" in capsys.readouterr().err
    assert not (tmp_path / "sv-SE" / "manifest.json").exists()


def test_runs_are_joined_once_from_the_sentence_clips(tmp_path: Path) -> None:
    """A run (skill.core.runs) becomes one clip of its sentences and silences, with a Wait
    timed on the clips' real lengths; a rebuild joins nothing; an edit joins it anew."""
    from skill.core.parts import Cue, Pause, Say, Wait
    from skill.core.runs import Run

    strings = dict(_content(tmp_path), **{"cue.hold_start": "Nu."})
    run = Run("body", (Cue("hold_start"), Say("welcome"), Wait(3000), Say("clinic.call"),
                       Pause(500), Say("info.next", {"title": "@info.sections.about.title"})))
    audio = tmp_path / "audio"
    first = _build(strings, audio, runs=[run])
    assert first.runs == 1 and first.runs_skipped == 0
    lib = ClipLibrary.load("sv-SE", audio, "https://x.test/audio")
    assert lib is not None
    clip = lib.run(run.key)
    assert clip is not None and clip.url.startswith("https://x.test/audio/sv-SE/run-")
    parts = [lib.cue("hold_start"), lib.lookup("Välkommen till Hälsporre."),
             lib.lookup("Ring mottagningen på 08-123 45 67.")]
    assert all(parts)
    # the Wait pads to 3 s after the start tone; then the call, 0.5 s, the offer
    assert clip.duration_ms >= 3000 + parts[2].duration_ms + 500
    assert (audio / "sv-SE" / clip.url.rsplit("/", 1)[1]).is_file()
    manifest = json.loads((audio / "sv-SE" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][run.key]["engine"] == "fake"
    assert "Välkommen till Hälsporre." in manifest["runs"][run.key]["text"]

    again = _build(strings, audio, runs=[run])
    assert (again.rendered, again.removed) == (0, 0)
    edited = dict(strings, welcome="Välkommen tillbaka.")
    third = _build(edited, audio, runs=[run])
    assert third.rendered == 2 and third.removed == 2  # the sentence and its run
    missing = _build(strings, audio, runs=[Run("body", (Say("no.such.key"), Say("welcome")))])
    assert missing.runs == 0 and missing.runs_skipped == 1
