"""``python -m bench.webapi``: the web page's API under the production server.

The real WSGI entry (``skill.frontends.wsgi:app``) runs under gunicorn with 2 sync workers
on loopback. Three figures, printed as one JSON object:

* ``conversations``: several browsers each hold a conversation of several turns (their
  own cookie jar); a turn "loses the conversation" when its answer differs from the answer
  the same turn gets in one in-process app (the reference). Run with and without
  ``HALSPORRE_SKILL_ID`` (``--skill-id``): the share of non-200 answers.
* ``flood``: anonymous ``/api/start`` calls (no cookie) from several threads while one
  browser holds a conversation: status counts of the flood, the live turns lost, their
  latency, and the rows the flood left in the progress database.

Every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bench.web import HOST, Gunicorn, gunicorn_env

APP = "skill.frontends.wsgi:app"
COOKIE = "halsporre_web"
SCRIPT = ["berätta om symptomen", "nästa", "nästa", "nästa", "upprepa", "nästa",
          "vad är numret till kliniken", "berätta om orsakerna", "nästa"]
LOCALE = "sv-SE"


class Browser:
    """One browser: a cookie jar of one cookie, a conversation, answers and statuses."""

    def __init__(self, port: int, forwarded_for: str | None = None) -> None:
        self.port, self.cookie, self.forwarded_for = port, None, forwarded_for

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie" and value.startswith(COOKIE + "="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1] or None
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                payload = {}
            return resp.status, payload, time.perf_counter() - t0
        finally:
            conn.close()

    def start(self) -> tuple[int, dict[str, Any], float]:
        return self.post("/api/start", {"locale": LOCALE})

    def talk(self, text: str) -> tuple[int, dict[str, Any], float]:
        return self.post("/api/talk", {"locale": LOCALE, "text": text})


def reference_answers(db: Path) -> list[str]:
    """The script's answers from one in-process app (nothing lost there)."""
    from skill.alexa.builder import build_skill
    from skill.config import Settings
    from skill.frontends.web import create_app

    client = create_app(build_skill(Settings(db_path=db)), verify=False).test_client()
    texts = [client.post("/api/start", json={"locale": LOCALE}).get_json()["text"]]
    for line in SCRIPT:
        texts.append(client.post("/api/talk", json={"locale": LOCALE, "text": line})
                     .get_json()["text"])
    return texts


def conversations(port: int, reference: list[str], browsers: int) -> dict[str, Any]:
    results: list[tuple[int, bool]] = []  # (status, lost) per /api/talk
    starts: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        b = Browser(port, forwarded_for=f"10.1.0.{i + 1}")
        status, _, _ = b.start()
        mine = []
        for line, want in zip(SCRIPT, reference[1:], strict=True):
            st, body, _ = b.talk(line)
            mine.append((st, st != 200 or body.get("text") != want))
        with lock:
            starts.append(status)
            results.extend(mine)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    talks = len(results)
    return {
        "browsers": browsers, "talk_calls": talks,
        "talk_lost_share": round(sum(lost for _, lost in results) / talks, 3) if talks else None,
        "talk_status": _counts(st for st, _ in results),
        "start_status": _counts(starts),
    }


def _counts(statuses) -> dict[str, int]:
    out: dict[str, int] = {}
    for st in statuses:
        out[str(st)] = out.get(str(st), 0) + 1
    return out


class Flood:
    """``threads_n`` threads of anonymous starts until ``stop`` (perf_counter): from one
    address, or (``spread``) each from another one (``X-Forwarded-For``)."""

    def __init__(self, port: int, threads_n: int, spread: bool, stop: float) -> None:
        self.port, self.spread, self.stop = port, spread, stop
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._one, args=(i,)) for i in range(threads_n)]

    def _one(self, i: int) -> None:
        mine = []
        for n in range(100_000):
            if time.perf_counter() >= self.stop:
                break
            addr = f"10.{9 + i}.{n // 250 % 250}.{n % 250 + 1}" if self.spread else "10.9.9.9"
            b = Browser(self.port, forwarded_for=addr)
            try:
                st = (b.post("/api/talk", {"locale": LOCALE, "text": "starta stretchpasset"})
                      if i % 2 else b.start())[0]
            except OSError:
                st = 0
            mine.append(st)
        with self._lock:
            self.statuses.extend(mine)

    def __enter__(self) -> Flood:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for t in self._threads:
            t.join(timeout=max(0.0, self.stop - time.perf_counter()) + 30)


def _live_rounds(live: Browser, reference: list[str], stop: float) -> tuple[list[float], int]:
    """The script over and over until ``stop``, a person's pace; latencies and lost turns."""
    lost, lat = 0, []
    for _ in range(50):
        if time.perf_counter() >= stop:
            break
        live.start()
        for line, want in zip(SCRIPT, reference[1:], strict=True):
            st, body, dt = live.talk(line)
            lat.append(dt)
            lost += st != 200 or body.get("text") != want
            time.sleep(0.2)
    return lat, lost


def _rows(db: Path) -> int | None:
    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM attributes").fetchone()[0])
        except sqlite3.Error:
            return None


def flood(port: int, reference: list[str], seconds: float, threads_n: int,
          db: Path, spread: bool = False) -> dict[str, Any]:
    """Anonymous starts from ``threads_n`` threads while one browser talks."""
    live = Browser(port, forwarded_for="10.2.0.1")
    live.start()
    quiet = []  # the same conversation without a flood, for comparison
    for line in SCRIPT:
        quiet.append(live.talk(line)[2])
        time.sleep(0.2)
    stop = time.perf_counter() + seconds
    with Flood(port, threads_n, spread, stop) as flooders:
        time.sleep(min(1.0, seconds / 4))
        lat, lost = _live_rounds(live, reference, stop)
    return {
        "seconds": seconds, "flood_threads": threads_n, "spread": spread,
        "flood_requests": len(flooders.statuses),
        "flood_status": _counts(flooders.statuses), "live_turns": len(lat), "live_lost": lost,
        "live_p50_ms": round(percentile(lat, 50) * 1000, 1) if lat else None,
        "live_p50_ms_without_flood": round(percentile(quiet, 50) * 1000, 1),
        "live_max_ms": round(max(lat) * 1000, 1) if lat else None,
        "rows_in_progress_db": _rows(db),
    }


def run(tmp: Path, browsers: int, flood_s: float, flood_threads: int,
        extra_env: dict[str, str] | None = None, spread: bool = False) -> dict[str, Any]:
    reference = reference_answers(tmp / "reference.sqlite3")
    out: dict[str, Any] = {}
    for label, env_extra in (("no_skill_id", {}),
                             ("skill_id", {"HALSPORRE_SKILL_ID": "amzn1.ask.skill.bench"})):
        env = gunicorn_env(tmp, f"{label}.sqlite3")
        env["GUNICORN_CMD_ARGS"] = "--preload"  # as skill.frontends.gunicorn_conf does
        env.update(extra_env or {})
        env.update(env_extra)
        with Gunicorn(APP, env, tmp / f"gunicorn-{label}.log") as server:
            out[label] = conversations(server.port, reference, browsers)
            if label == "no_skill_id" and flood_s > 0:
                out["flood"] = flood(server.port, reference, flood_s, flood_threads,
                                     Path(env["HALSPORRE_DB_PATH"]), spread)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.webapi",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--browsers", type=int, default=10, help="concurrent conversations")
    p.add_argument("--flood-seconds", type=float, default=10.0, help="0: no flood")
    p.add_argument("--flood-threads", type=int, default=6, help="anonymous flooders")
    p.add_argument("--spread", action="store_true",
                   help="each flood request from another client address")
    args = p.parse_args(argv)
    if not 0 < args.browsers <= 100 or not 0 <= args.flood_seconds <= 300 \
            or not 0 < args.flood_threads <= 50:
        p.error("--browsers in (0, 100], --flood-seconds in [0, 300], --flood-threads in (0, 50]")
    with tempfile.TemporaryDirectory(prefix="halsporre-webapi-") as tmp:
        result = run(Path(tmp), args.browsers, args.flood_seconds, args.flood_threads,
                     {"HALSPORRE_PROXIES": "1"}, args.spread)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
