"""The start/end cue tones, synthesised with ffmpeg's ``sine`` source (nothing downloaded).

Each tone is a short sequence of soft sine notes with fade-in/fade-out so it never clicks:
``hold_start`` rises (660 -> 880 Hz), ``hold_end`` falls (880 -> 587 Hz).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from skill.tools.audio import convert


@dataclass(frozen=True)
class Note:
    hz: float
    ms: int


@dataclass(frozen=True)
class Tone:
    notes: tuple[Note, ...]
    volume: float = 0.35
    fade_ms: int = 25
    gap_ms: int = 40

    def spec(self) -> str:
        """A stable description (part of the clip's hash)."""
        return json.dumps(
            {"notes": [[n.hz, n.ms] for n in self.notes], "volume": self.volume,
             "fade": self.fade_ms, "gap": self.gap_ms},
            sort_keys=True,
        )


TONES: dict[str, Tone] = {
    "hold_start": Tone((Note(659.25, 160), Note(880.0, 260))),
    "hold_end": Tone((Note(880.0, 160), Note(587.33, 320))),
}


def _note_filter(i: int, note: Note, tone: Tone) -> str:
    secs = note.ms / 1000
    fade = min(tone.fade_ms, note.ms // 3) / 1000
    out_fade = min(tone.fade_ms * 3, note.ms // 2) / 1000
    return (
        f"sine=frequency={note.hz}:sample_rate={convert.SAMPLE_RATE}:duration={secs:.3f},"
        f"volume={tone.volume},"
        f"afade=t=in:st=0:d={fade:.3f},afade=t=out:st={secs - out_fade:.3f}:d={out_fade:.3f}"
        f"[n{i}]"
    )


def render_tone(tone: Tone, dest: Path) -> Path:
    """Write ``tone`` as an Alexa-format MP3 clip at ``dest``."""
    chains: list[str] = []
    labels: list[str] = []
    for i, note in enumerate(tone.notes):
        chains.append(_note_filter(i, note, tone))
        labels.append(f"[n{i}]")
        if tone.gap_ms and i < len(tone.notes) - 1:
            chains.append(
                f"anullsrc=r={convert.SAMPLE_RATE}:cl=mono,"
                f"atrim=duration={tone.gap_ms / 1000:.3f}[g{i}]"
            )
            labels.append(f"[g{i}]")
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={len(labels)}:v=0:a=1[out]"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    convert.ffmpeg("-filter_complex", graph, "-map", "[out]", *convert._ENCODE_ARGS, str(tmp))
    tmp.replace(dest)
    return dest
