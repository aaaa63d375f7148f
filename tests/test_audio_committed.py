"""The committed sv-SE clips: Alexa's format, durations as in the manifest, full coverage.

Every clip's MPEG header is read in Python (fast); ffprobe checks a spread sample and must
agree with the header reader. Set ``HALSPORRE_FULL_AUDIO_CHECK=1`` to ffprobe every clip.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from skill.content import load_content
from skill.core.clips import AUDIO_DIR, ClipLibrary
from skill.tools.audio import convert
from skill.tools.audio.build import NOT_SPOKEN, plan_locale

LOCALE = "sv-SE"
MANIFEST = AUDIO_DIR / LOCALE / "manifest.json"
TOLERANCE_MS = 60
SAMPLE = 25

pytestmark = pytest.mark.skipif(not MANIFEST.exists(),
                                reason=f"no clips committed yet ({MANIFEST} missing)")

_BITRATES_MPEG2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
_RATES_MPEG2 = [22050, 24000, 16000]


def read_mp3_header(path: Path) -> dict[str, object]:
    """MPEG version, layer, bit rate, rate, channels and (Info/Xing) duration of a CBR MP3."""
    data = path.read_bytes()
    pos = 0
    if data[:3] == b"ID3":
        size = 0
        for b in data[6:10]:
            size = (size << 7) | (b & 0x7F)
        pos = 10 + size
    while pos < len(data) - 4 and not (data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0):
        pos += 1
    h = int.from_bytes(data[pos:pos + 4], "big")
    version = {0b10: "MPEG-2", 0b11: "MPEG-1", 0b00: "MPEG-2.5"}.get((h >> 19) & 3, "?")
    layer = {0b01: 3, 0b10: 2, 0b11: 1}.get((h >> 17) & 3, 0)
    bitrate = _BITRATES_MPEG2_L3[(h >> 12) & 0xF] * 1000 if version == "MPEG-2" else 0
    rate = _RATES_MPEG2[(h >> 10) & 3] if version == "MPEG-2" and (h >> 10) & 3 < 3 else 0
    channels = 1 if (h >> 6) & 3 == 3 else 2
    side_info = 9 if channels == 1 else 17
    tag = pos + 4 + side_info
    duration_ms = None
    if data[tag:tag + 4] in (b"Info", b"Xing"):
        flags = int.from_bytes(data[tag + 4:tag + 8], "big")
        if flags & 1 and rate:
            frames = int.from_bytes(data[tag + 8:tag + 12], "big")
            duration_ms = round(frames * 576 * 1000 / rate)
        # LAME may give the tag frame a higher bit rate to fit it: read the next frame.
        info_bitrate = _BITRATES_MPEG2_L3[(h >> 12) & 0xF] * 1000
        pos += 72 * info_bitrate // rate + ((h >> 9) & 1)
        h = int.from_bytes(data[pos:pos + 4], "big")
        assert h >> 21 == 0x7FF, f"{path.name}: no frame after the Info tag"
        bitrate = _BITRATES_MPEG2_L3[(h >> 12) & 0xF] * 1000 if version == "MPEG-2" else 0
    return {"version": version, "layer": layer, "bit_rate": bitrate, "sample_rate": rate,
            "channels": channels, "duration_ms": duration_ms}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _entries(manifest: dict) -> list[dict]:
    return [*manifest["clips"].values(), *manifest["cues"].values(),
            *manifest.get("runs", {}).values()]


def test_every_committed_clip_is_alexa_format(manifest: dict) -> None:
    files = set()
    for entry in _entries(manifest):
        path = AUDIO_DIR / LOCALE / entry["file"]
        assert path.is_file(), entry["file"]
        files.add(entry["file"])
        head = read_mp3_header(path)
        assert (head["version"], head["layer"]) == ("MPEG-2", 3), entry["file"]
        assert head["bit_rate"] == 48_000, entry["file"]
        assert head["sample_rate"] == 24_000, entry["file"]
        assert head["channels"] == 1, entry["file"]
        assert head["duration_ms"] is not None
        assert abs(head["duration_ms"] - entry["duration_ms"]) <= TOLERANCE_MS, entry["file"]
        assert 0 < entry["duration_ms"] <= convert.MAX_CLIP_MS
    on_disk = {p.name for p in (AUDIO_DIR / LOCALE).glob("*.mp3")}
    assert on_disk == files, "stale or unlisted clips in audio/sv-SE"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_ffprobe_confirms_format_and_duration(manifest: dict) -> None:
    entries = sorted(_entries(manifest), key=lambda e: e["file"])
    if os.environ.get("HALSPORRE_FULL_AUDIO_CHECK") != "1":
        step = max(1, len(entries) // SAMPLE)
        entries = entries[::step]
    for entry in entries:
        path = AUDIO_DIR / LOCALE / entry["file"]
        info = convert.probe(path)
        assert info.codec == "mp3", entry["file"]
        assert info.sample_rate == 24_000, entry["file"]
        assert abs(info.bit_rate - 48_000) <= 1_000, entry["file"]
        assert info.channels == 1, entry["file"]
        assert abs(info.duration_ms - entry["duration_ms"]) <= TOLERANCE_MS, entry["file"]
        assert abs(info.duration_ms - read_mp3_header(path)["duration_ms"]) <= TOLERANCE_MS


def test_manifest_covers_every_sv_content_string(manifest: dict) -> None:
    strings = load_content(LOCALE).strings
    plan = plan_locale(strings, LOCALE)
    skipped = {s["key"] for s in plan.skipped}
    covered_keys = {src["key"] for e in manifest["clips"].values()
                    for src in e.get("sources", []) if "key" in src}
    missing_keys = sorted(set(strings) - covered_keys - skipped)
    assert not missing_keys, f"rebuild: halsporre audio build --engine espeak ({missing_keys})"
    missing = sorted(t for t, item in plan.items.items()
                     if item.kind == "speech" and t not in manifest["clips"])
    assert not missing, f"{len(missing)} texts lack clips, e.g. {missing[:3]}"
    # only what is never spoken (card-only lines, how names are pronounced) may be left out
    unrenderable = [s for s in plan.skipped if s["reason"] != "not spoken"]
    assert not unrenderable, f"content strings that cannot be pre-rendered: {unrenderable}"
    for name in ["hold_start", "hold_end", "count.5", "count.1", "left.20"]:
        assert name in manifest["cues"], name
    assert manifest["cues"]["count.5"]["text"] == "fem"
    assert manifest["cues"]["left.20"]["text"] == "tjugo sekunder kvar"


def test_runtime_library_finds_filled_in_sentences() -> None:
    content = load_content(LOCALE)
    lib = ClipLibrary.load(LOCALE, AUDIO_DIR, "https://example.test/audio")
    assert lib is not None
    for key, text in content.strings.items():
        if "{" not in text and not NOT_SPOKEN.match(key):
            assert lib.lookup(text) is not None, key
    if content.has("stretch.time_left"):
        assert lib.lookup(content.text("stretch.time_left", seconds=20)) is not None
    assert lib.cue_url("hold_start").startswith("https://example.test/audio/sv-SE/")
