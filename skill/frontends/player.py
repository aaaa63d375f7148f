"""Play a clip on this machine (for ``halsporre chat`` in pre-rendered locales)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: Players tried in order; the path to play is appended. aplay/paplay get WAV from ffmpeg.
CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"),
    ("mpg123", "-q"),
    ("mpv", "--no-video", "--really-quiet"),
    ("paplay",),
    ("aplay", "-q"),
)
_NEEDS_WAV = {"paplay", "aplay"}


def find_player() -> list[str] | None:
    """The command (without the file) of the first player installed, or None."""
    for cmd in CANDIDATES:
        if shutil.which(cmd[0]) is None:
            continue
        if cmd[0] in _NEEDS_WAV and shutil.which("ffmpeg") is None:
            continue
        return list(cmd)
    return None


def play(path: Path | str, player: list[str] | None = None, timeout: float = 300) -> bool:
    """Play ``path`` and wait; False if no player is installed or playing failed."""
    cmd = player or find_player()
    if not cmd:
        return False
    if Path(cmd[0]).name in _NEEDS_WAV:
        decode = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "quiet", "-i", str(path), "-f", "wav", "-"],
            stdout=subprocess.PIPE,
        )
        try:
            result = subprocess.run([*cmd, "-"] if cmd[0] == "aplay" else cmd,
                                    stdin=decode.stdout, check=False, timeout=timeout,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            if decode.stdout:
                decode.stdout.close()
            decode.wait()
        return result.returncode == 0
    result = subprocess.run([*cmd, str(path)], check=False, timeout=timeout,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return result.returncode == 0
