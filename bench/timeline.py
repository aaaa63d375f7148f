"""``python -m bench.timeline``: real-time hold lengths of the console (no fake clock).

Plays one hold of exercise 1 per hold time and locale through the console's player on the
machine's clock and prints how long it took from the start cue to the release cue, and
the spacing of 5-4-3-2-1. The goal: the hold's seconds +/- 0.5 s, one second a number.
Tests use a scripted clock; this is the one check that real waiting keeps the time.
"""

from __future__ import annotations

import argparse
import io
import json
import time

from skill.content import load_content
from skill.core.playback import build_plan
from skill.core.session_plan import hold_parts
from skill.frontends.console import RealTimer, play

CUES = {"sv-SE": ("Nu.", "Släpp."), "en-US": ("Now.", "Release.")}


class _Stamped(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip() and not line.startswith("\r"):
                self.lines.append((time.monotonic(), line.strip()))
        return super().write(text)


def measure(locale: str, hold: int) -> dict[str, float]:
    plan = build_plan(hold_parts(1, hold), load_content(locale))
    out = _Stamped()
    play(plan, out, fast=False, timer=RealTimer((), interruptible=False))
    start, release = CUES[locale]
    at = {line: t for t, line in reversed(out.lines)}
    counts = [at[f"{n}."] for n in (5, 4, 3, 2, 1)]
    gaps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    return {"locale": locale, "hold_s": hold, "measured_s": round(at[release] - at[start], 3),
            "count_gap_min_s": round(min(gaps), 3), "count_gap_max_s": round(max(gaps), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--holds", default="20,30", help="hold times to play (s)")
    args = parser.parse_args()
    rows = [measure(locale, int(h)) for locale in CUES for h in args.holds.split(",")]
    for row in rows:
        ok = abs(row["measured_s"] - row["hold_s"]) <= 0.5
        print(json.dumps({**row, "met": ok}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
