"""``/healthz``'s clip check reads the 250 KB manifest once, not on every probe."""

from __future__ import annotations

import json
import os
from pathlib import Path

from skill.frontends import health


def _write(audio: Path, clips: dict) -> Path:
    path = audio / health.CLIP_LOCALE / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"clips": clips}), encoding="utf-8")
    return path


def test_the_manifest_is_parsed_once_until_it_changes(tmp_path, monkeypatch):
    path = _write(tmp_path, {"hej": {"file": "a.mp3", "duration_ms": 500}})
    (path.parent / "a.mp3").write_bytes(b"ID3")
    reads: list[Path] = []
    real = Path.read_text

    def counting(self: Path, *args, **kwargs):
        reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    for _ in range(5):
        assert health.check_clips(tmp_path, served_here=True) == "ok"
    assert reads == [path]
    _write(tmp_path, {})  # a new file (other size): read again, and its verdict is fresh
    assert health.check_clips(tmp_path, served_here=True) == "failed: manifest names no clips"
    assert len(reads) == 2


def test_a_changed_manifest_of_the_same_size_is_read_again(tmp_path):
    path = _write(tmp_path, {"hej": {"file": "a.mp3"}})
    assert health.check_clips(tmp_path, served_here=True).startswith("failed: clips missing")
    (path.parent / "a.mp3").write_bytes(b"ID3")
    (path.parent / "b.mp3").write_bytes(b"ID3")
    path.write_text(json.dumps({"clips": {"hej": {"file": "b.mp3"}}}), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert health.check_clips(tmp_path, served_here=True) == "ok"


def test_missing_and_broken_manifests_fail_with_a_reason(tmp_path):
    assert health.check_clips(tmp_path, served_here=False) == \
        "failed: manifest FileNotFoundError"
    path = _write(tmp_path, {})
    path.write_text("{not json", encoding="utf-8")
    assert health.check_clips(tmp_path, served_here=False) == "failed: manifest JSONDecodeError"
