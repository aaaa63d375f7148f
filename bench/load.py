"""``python -m bench.load --seconds 60 --clients 50``: a bounded load of SIGNED requests
against the real app under gunicorn (2 sync workers) on loopback, verification ON.

Only wires :mod:`bench.web`'s pieces (test PKI, :class:`~bench.web.Signer`,
:class:`~bench.web.Gunicorn`, :func:`~bench.web.run_load`) around
``bench.wsgi_apps:ours_app()`` (trusts the test root, chain "fetched" once from a file and
cached). Prints one JSON object; exit status 1 when any request failed, any answer was not
HTTP 200, or the server logged a traceback or a handler error. See docs/load.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bench.web import APPS, WORKERS, Gunicorn, Signer, gunicorn_env, run_load, write_pki
from skill.core.limits import ANSWER_DEADLINE_SECONDS

LOG_PROBLEMS = ("Traceback", "error while handling a request", "[ERROR]", "WORKER TIMEOUT")


def run(tmp: Path, seconds: float, clients: int, warmup_s: float = 1.0) -> dict[str, Any]:
    """Serve ``ours`` from gunicorn and load it; figures as a dict (see :func:`main`)."""
    signer = Signer(write_pki(tmp))
    env = gunicorn_env(tmp, "load.sqlite3")
    log = tmp / "gunicorn-load.log"
    with Gunicorn(APPS["ours"], env, log) as server:
        warm = run_load(server.port, signer, clients, warmup_s)
        load = run_load(server.port, signer, clients, seconds)
    problems = [line for line in log.read_text(errors="replace").splitlines()
                if any(p in line for p in LOG_PROBLEMS)]
    ok = load.statuses.get(200, 0)
    return {
        "workers": WORKERS, "clients": clients, "seconds": round(load.seconds, 2),
        "requests": len(load.latencies), "ok": ok,
        "non_200": {str(k): v for k, v in load.statuses.items() if k != 200},
        "errors": load.errors,
        "warmup": {"requests": len(warm.latencies), "errors": warm.errors,
                   "non_200": {str(k): v for k, v in warm.statuses.items() if k != 200}},
        "rps": ok / load.seconds if load.seconds else 0.0,
        "p50_ms": percentile(load.latencies, 50) * 1000,
        "p99_ms": percentile(load.latencies, 99) * 1000,
        "max_ms": max(load.latencies, default=0.0) * 1000,
        "over_answer_deadline": sum(t > ANSWER_DEADLINE_SECONDS for t in load.latencies),
        "server_log_problems": problems[:20],
    }


def failed(result: dict[str, Any]) -> bool:
    return bool(result["errors"] or result["non_200"] or result["warmup"]["errors"]
                or result["warmup"]["non_200"] or result["server_log_problems"]
                or not result["ok"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600 or not 0 < args.clients <= 1000:
        parser.error("--seconds must be in (0, 3600] and --clients in (0, 1000]")
    with tempfile.TemporaryDirectory(prefix="halsporre-load-") as tmp:
        result = run(Path(tmp), args.seconds, args.clients, args.warmup)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if failed(result) else 0


if __name__ == "__main__":
    sys.exit(main())
