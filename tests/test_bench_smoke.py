"""The benchmark runs end to end on a tiny setting and prints every row.

Results are NOT asserted here (they depend on the machine); see bench/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ROWS = (
    "in-process p50/request sv-SE",
    "in-process p99/request sv-SE",
    "in-process p50/request en-US",
    "in-process p99/request en-US",
    "cold start",
    "web throughput",
    "web p99 latency",
    "worker peak RSS",
    "audio build sv-SE, no change",
    "audio build sv-SE, one string changed",
    *(f"nlu {what} {locale}" for locale in ("sv-SE", "en-US", "en-GB")
      for what in ("p50/utterance", "p99/utterance", "training")),
)
SUB_ROWS = (  # indented detail rows under the main ones
    "  p50 vs bare on ours' envelopes sv-SE",
    "  p50 vs bare on ours' envelopes en-US",
)


def test_bench_quick_prints_every_row(tmp_path):
    pytest.importorskip("gunicorn")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--seconds", "1", "--skip-audio",
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:6] == ["figure", "ours", "bare", "ratio", "goal", "met"]
    for row in ROWS:
        assert any(line.startswith(row) for line in lines), (row, proc.stdout)
    data = json.loads(out.read_text(encoding="utf-8"))
    for row in SUB_ROWS:
        assert any(line.startswith(row) for line in lines), (row, proc.stdout)
    main_rows = [r for r in data["rows"] if not r["figure"].startswith(" ")]
    assert len(main_rows) == len(ROWS)
    assert len(data["rows"]) == len(ROWS) + len(SUB_ROWS)
    assert not data["errors"]
    for figure in ("inprocess", "coldstart", "web", "nlu"):
        assert isinstance(data[figure], dict), figure
    assert data["web"]["ours"]["ok"] > 0 and data["web"]["bare"]["ok"] > 0
