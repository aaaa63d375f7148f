"""A short load of signed requests under gunicorn (2 workers) on loopback: zero failures.

The long run (60 s at 50 clients) is one command in docs/load.md. This one takes about
10 s (5 s of load at 10 clients, plus gunicorn start and a 1 s warm-up) and runs in CI.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is in the 'test' extra")

from bench.load import failed, run  # noqa: E402

pytestmark = pytest.mark.slow

SECONDS = 5.0
CLIENTS = 10
BUDGET_S = 20.0


def test_short_signed_load_under_gunicorn_has_no_errors(tmp_path):
    t0 = time.monotonic()
    result = run(tmp_path, SECONDS, CLIENTS, warmup_s=1.0)
    elapsed = time.monotonic() - t0
    assert result["errors"] == 0, result
    assert result["non_200"] == {}, result
    assert result["warmup"]["errors"] == 0 and result["warmup"]["non_200"] == {}, result
    assert result["server_log_problems"] == [], result
    assert result["ok"] == result["requests"] > CLIENTS, result
    assert not failed(result)
    assert elapsed < BUDGET_S, f"the short load took {elapsed:.1f} s"
