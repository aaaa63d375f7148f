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
    "in-process p50/request en-US",
    "subprocesses while a timed request waited",
    "timed answers checked against Alexa's limits",
    "cold start, sqlite",
    "cold start, dynamodb",
    "web throughput",
    "web p99 latency",
    "worker peak RSS",
    "web page API throughput",
    "audio build sv-SE, no change",
    "audio build sv-SE, one string changed",
    *(f"nlu {what} {locale}" for locale in ("sv-SE", "en-US", "en-GB")
      for what in ("p50/utterance", "p99/utterance", "training")),
)
SUB_ROWS = (  # indented detail rows under the main ones
    *(f"  {what} {locale}" for locale in ("sv-SE", "en-US")
      for what in ("vs json floor", "mean/request", "p99/request", "vs bare LaunchRequest")),
    "  peak RSS, sqlite",
    "  peak RSS, dynamodb",
    "  /api/start sv-SE p50",
    "  /api/start en-US p50",
)


def test_bench_quick_prints_every_row(tmp_path):
    pytest.importorskip("gunicorn")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--seconds", "1", "--skip-audio",
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
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
    for figure in ("inprocess", "coldstart", "web", "pageapi", "nlu"):
        assert isinstance(data[figure], dict), figure
    assert data["web"]["ours"]["ok"] > 0 and data["web"]["bare"]["ok"] > 0
    assert data["pageapi"]["ours"]["ok"] > 0 and data["pageapi"]["bare"]["ok"] > 0
    assert data["inprocess"]["answers_checked"] > 0 and data["inprocess"]["invalid_answers"] == 0
