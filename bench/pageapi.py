"""Figure 3b: the web page's API under gunicorn against a bare Flask app with the same two
routes (``python -m bench.pageapi``; part of ``python -m bench``).

Ours: the production entry ``skill.frontends.wsgi:app`` (``--preload``, 2 sync workers,
SQLite progress and rate counters in a temp dir; the per-minute limits raised out of the
way, since this measures the work of an answer, not the refusal of a flood).  Bare:
:func:`bench.wsgi_apps.bare_page_app`.  N client threads each play browsers over and over:
``/api/start`` then two ``/api/talk`` turns with the cookie they got, Swedish on odd
threads and English on even ones; the load alternates between the two servers in 1 s
slices (order flipped every round) so a busy neighbour hits both alike.  Reports requests
per second answered 200, latency per route and locale, and the workers' peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bench.web import SLICE_S, Gunicorn, _kb, gunicorn_env
from bench.webapi import Browser

APPS = {"ours": "skill.frontends.wsgi:app", "bare": "bench.wsgi_apps:bare_page_app()"}
SCRIPTS = {"sv-SE": ["berätta om symptomen", "nästa"],
           "en-US": ["tell me about the symptoms", "next"]}
MAX_CYCLES = 1_000_000


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ok = 0
        self.other: dict[str, int] = defaultdict(int)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.seconds = 0.0


def _client(port: int, locale: str, stop: float, tally: Tally) -> None:
    ok = 0
    other: dict[str, int] = defaultdict(int)
    lat: dict[str, list[float]] = defaultdict(list)
    for _ in range(MAX_CYCLES):
        if time.perf_counter() >= stop:
            break
        b = Browser(port)
        calls = [("start", "/api/start", {"locale": locale})]
        calls += [("talk", "/api/talk", {"locale": locale, "text": t}) for t in SCRIPTS[locale]]
        for route, path, body in calls:
            try:
                status, _, dt = b.post(path, body)
            except OSError:
                other["error"] += 1
                continue
            if status == 200:
                ok += 1
                lat[f"{route} {locale}"].append(dt)
            else:
                other[str(status)] += 1
    with tally.lock:
        tally.ok += ok
        for k, v in other.items():
            tally.other[k] += v
        for k, v in lat.items():
            tally.latency[k] += v


def run_slice(port: int, clients: int, seconds: float, tally: Tally) -> None:
    stop = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, daemon=True,
                                args=(port, "sv-SE" if i % 2 else "en-US", stop, tally))
               for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    tally.seconds += time.perf_counter() - t0


def measure(tmp: Path, seconds: float, clients: int, warmup_s: float) -> dict[str, Any]:
    env = gunicorn_env(tmp, "pageapi.sqlite3")
    env.update({"GUNICORN_CMD_ARGS": "--preload", "HALSPORRE_WEB_STARTS_PER_MINUTE": "10000000",
                "HALSPORRE_WEB_STARTS_PER_MINUTE_TOTAL": "10000000",
                "HALSPORRE_WEB_TURNS_PER_MINUTE": "10000000", "HALSPORRE_LOG_LEVEL": "WARNING",
                "HALSPORRE_WEB_SECRET": "bench-page-secret-0123456789abcdef"})
    rounds = max(1, round(seconds / SLICE_S))
    tallies = {name: Tally() for name in APPS}
    rss: dict[str, list[int]] = {}
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(Gunicorn(app, env, tmp / f"gunicorn-page-{name}.log"))
                   for name, app in APPS.items()}
        for server in servers.values():
            run_slice(server.port, clients, warmup_s, Tally())
        for r in range(rounds):
            for name in (list(APPS) if r % 2 == 0 else list(APPS)[::-1]):
                run_slice(servers[name].port, clients, seconds / rounds, tallies[name])
        for name, server in servers.items():
            rss[name] = [_kb(pid, "VmHWM") for pid in server.workers()]
    result: dict[str, Any] = {"clients": clients, "seconds": seconds, "rounds": rounds}
    for name, t in tallies.items():
        result[name] = {
            "ok": t.ok, "not_ok": dict(t.other),
            "rps": t.ok / t.seconds if t.seconds else 0.0,
            "p50_ms": {k: percentile(v, 50) * 1000 for k, v in sorted(t.latency.items())},
            "peak_rss_mb": max(rss[name], default=0) / 1024,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.pageapi", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=4)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="halsporre-pageapi-") as tmp:
        print(json.dumps(measure(Path(tmp), args.seconds, args.clients, 1.0), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
