"""Alexa's exact clip format, with ffmpeg and ffprobe called directly.

SSML ``<audio>`` takes MP3 (MPEG-2 layer III), 48 kbps, 16000/22050/24000 Hz, at most
240 s per clip and per response. We always write 24000 Hz mono 48 kbps CBR, bit-exact
(no encoder version in the file) so the same input gives the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.core.limits import MAX_CLIP_MS

SAMPLE_RATE = 24_000
BITRATE = "48k"
BITRATE_BPS = 48_000
CHANNELS = 1
#: Bumped whenever the encoding below changes, so every clip is re-rendered.
FORMAT_VERSION = "mp3-24000-48k-mono-1"

_ENCODE_ARGS = [
    "-ac", str(CHANNELS),
    "-ar", str(SAMPLE_RATE),
    "-codec:a", "libmp3lame",
    "-b:a", BITRATE,
    "-map_metadata", "-1",
    "-fflags", "+bitexact",
    "-flags:a", "+bitexact",
    "-f", "mp3",
]


class ToolMissing(RuntimeError):
    """ffmpeg or ffprobe is not installed."""


class ConvertError(RuntimeError):
    """ffmpeg failed."""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} not found; install it (apt-get install ffmpeg)")
    return path


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise ConvertError(f"{Path(args[0]).name} failed ({proc.returncode}): {' | '.join(err)}")


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly with ``args``; raise :class:`ConvertError` on failure."""
    _run([tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args])


def to_alexa_mp3(src: Path, dest: Path, audio_filter: str | None = None) -> Path:
    """Re-encode any audio file ffmpeg reads into Alexa's clip format at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    af = ["-af", audio_filter] if audio_filter else []
    ffmpeg("-i", str(src), "-vn", *af, *_ENCODE_ARGS, str(tmp))
    tmp.replace(dest)
    return dest


@dataclass(frozen=True)
class Probe:
    codec: str
    sample_rate: int
    bit_rate: int
    channels: int
    duration_ms: int


def probe(path: Path) -> Probe:
    """Codec, rate, bit rate, channels and duration of an audio file (ffprobe)."""
    proc = subprocess.run(
        [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", "-select_streams", "a:0", str(path)],
        capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise ConvertError(f"ffprobe failed on {path}: {proc.stderr.decode(errors='replace')}")
    data = json.loads(proc.stdout or b"{}")
    streams = data.get("streams") or [{}]
    stream, fmt = streams[0], data.get("format", {})
    duration = float(stream.get("duration") or fmt.get("duration") or 0.0)
    return Probe(
        codec=stream.get("codec_name", ""),
        sample_rate=int(stream.get("sample_rate") or 0),
        bit_rate=int(stream.get("bit_rate") or fmt.get("bit_rate") or 0),
        channels=int(stream.get("channels") or 0),
        duration_ms=round(duration * 1000),
    )


def duration_ms(path: Path) -> int:
    return probe(path).duration_ms


def silence(ms: int, dest: Path) -> Path:
    """A clip of ``ms`` milliseconds of silence in Alexa's format."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=mono",
           "-t", f"{ms / 1000:.3f}", *_ENCODE_ARGS, str(dest))
    return dest


def concat_parts(parts: Sequence[Path | int], dest: Path) -> Path:
    """Join clips (paths) and silences (ints, ms) in order into ONE clip at ``dest``.

    This is how an answer with more than 5 audio parts becomes a single ``<audio>`` tag.
    Raises :class:`ConvertError` if the result would exceed Alexa's 240 s.
    """
    if not parts:
        raise ValueError("concat needs at least one part")
    inputs: list[str] = []
    labels: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, int):
            inputs += ["-f", "lavfi", "-t", f"{max(part, 1) / 1000:.3f}",
                       "-i", f"anullsrc=r={SAMPLE_RATE}:cl=mono"]
        else:
            inputs += ["-i", str(part)]
        labels.append(f"[{i}:a]")
    # Normalise every input to one rate/layout before joining.
    pre = ";".join(
        f"{lab}aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=mono[p{i}]"
        for i, lab in enumerate(labels)
    )
    joined = "".join(f"[p{i}]" for i in range(len(labels)))
    graph = f"{pre};{joined}concat=n={len(labels)}:v=0:a=1[out]"
    dest.parent.mkdir(parents=True, exist_ok=True)
    # unique per writer: two requests may join the same clips at the same time
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", *_ENCODE_ARGS, str(tmp))
        length = duration_ms(tmp)
        if length > MAX_CLIP_MS:
            raise ConvertError(f"joined clip is {length} ms, over Alexa's {MAX_CLIP_MS} ms")
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def concat(clips: Sequence[Path], silences: Sequence[int] | None, dest: Path) -> Path:
    """Join ``clips`` with ``silences[i]`` ms after ``clips[i]`` (missing -> no gap)."""
    gaps = list(silences or [])
    parts: list[Path | int] = []
    for i, clip in enumerate(clips):
        parts.append(Path(clip))
        if i < len(gaps) and gaps[i] > 0:
            parts.append(int(gaps[i]))
    return concat_parts(parts, dest)
