"""`halsporre chat --speak` plays the Swedish clips through a local player."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skill.core.clips import AUDIO_DIR

pytestmark = pytest.mark.slow


def fake_player(bin_dir: Path, name: str, log: Path) -> None:
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    script.chmod(0o755)


def run_chat(tmp_path: Path, path: str, text: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path, "HALSPORRE_DB_PATH": str(tmp_path / "p.sqlite3")}
    return subprocess.run([sys.executable, "-m", "skill.cli", "chat", "--locale", "sv-SE",
                           "--fast", "--speak"], input=text, capture_output=True, text=True,
                          timeout=60, env=env, check=True)


def test_speak_plays_each_clip_and_says_which_player(tmp_path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "played.txt"
    fake_player(bin_dir, "ffplay", log)
    done = run_chat(tmp_path, f"{bin_dir}:/usr/bin:/bin", "vad är prognosen\n")
    assert "clips through ffplay" in done.stdout
    assert "sex till nio månader" in done.stdout, "the words are still shown"
    played = [line.split()[-1] for line in log.read_text().splitlines()]
    assert len(played) >= 3, played  # welcome, the prognosis, the offer
    for clip in played:
        path = Path(clip)
        assert path.suffix == ".mp3" and path.is_file()
        assert AUDIO_DIR / "sv-SE" in path.parents


def test_without_a_player_it_says_so_and_shows_text(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_chat(tmp_path, str(empty), "vad är prognosen\n")
    assert "no sound player found" in done.stdout
    assert "sex till nio månader" in done.stdout
