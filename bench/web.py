"""Figures 3 and 5: webservice throughput and p99 on loopback under gunicorn (2 sync
workers), verification ON, then the workers' peak RSS.

Each app (:mod:`bench.wsgi_apps`) runs in its own gunicorn on ``127.0.0.1`` (a free port);
both run at once but only one is loaded at a time: the load alternates between them in
1-second slices (order flipped every round), so a busy neighbour hits both alike.
The load generator is N Python threads, each sending signed
LaunchRequests (test PKI from ``tests/certs.py``; a fresh requestId, timestamp and RSA
signature per request, as Alexa sends them) over a new ``http.client`` connection per request
(sync workers close after each response).  Every loop is bounded in time and count.
Peak RSS is ``VmHWM`` from ``/proc/<pid>/status`` of each worker after the load.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import percentile

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
WORKERS = 2
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 10.0
MAX_REQUESTS_PER_CLIENT = 1_000_000
SLICE_S = 1.0  # load alternates between the apps in slices this long
APPS = {"ours": "bench.wsgi_apps:ours_app()", "bare": "bench.wsgi_apps:bare_app()"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def write_pki(tmp: Path):
    """Make the test PKI; write its root and chain where the apps read them."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.certs import TestPKI, pem

    pki = TestPKI(prefix="bench-")
    (tmp / "root.pem").write_bytes(pem(pki.root))
    (tmp / "chain.pem").write_bytes(pki.chain_pem())
    return pki


class Signer:
    """Signed LaunchRequest bodies, a fresh one (new requestId, fresh timestamp) per call:
    the skill refuses a requestId it has seen (replay protection)."""

    def __init__(self, pki: Any, application_id: str | None = None) -> None:
        from skill.alexa.envelopes import DEFAULT_APPLICATION_ID, LocalDevice

        self._pki = pki
        self._device = LocalDevice
        self._application_id = application_id or DEFAULT_APPLICATION_ID

    def body(self, client: int) -> tuple[bytes, dict[str, str]]:
        from tests.certs import headers

        device = self._device(locale="sv-SE" if client % 2 else "en-US",
                              user_id=f"amzn1.ask.account.bench-web-{client}",
                              application_id=self._application_id)
        body = json.dumps(device.launch()).encode("utf-8")
        return body, headers(self._pki, body)


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _post(port: int, body: bytes, hdrs: dict[str, str]) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", "/alexa", body=body, headers=hdrs)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def run_load(port: int, signer: Signer, clients: int, seconds: float) -> Load:
    load = Load()
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        lat: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                break
            body, hdrs = signer.body(i)
            t0 = time.perf_counter()
            try:
                status = _post(port, body, hdrs)
            except OSError:
                errors += 1
                continue
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
        with load.lock:
            load.latencies += lat
            load.errors += errors
            for k, v in statuses.items():
                load.statuses[k] = load.statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT_S + 5)
    load.seconds = time.perf_counter() - t0
    return load


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(entry))
    return kids


def _kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Gunicorn:
    """One gunicorn serving ``app`` on a free loopback port; a context manager."""

    def __init__(self, app: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind",
             f"{HOST}:{self.port}", "--log-level", "warning", "--timeout", "30", app],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Gunicorn:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    if len(self.workers()) >= WORKERS:
                        return self
                conn.close()
            except OSError:
                pass
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not start; see {self._log.name}")

    def workers(self) -> list[int]:
        return _children(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


def gunicorn_env(tmp: Path, db_name: str) -> dict[str, str]:
    """The environment of a gunicorn run: the repo importable, the test PKI written to
    ``tmp`` and trusted by the apps, progress in a fresh SQLite file."""
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        "HALSPORRE_BENCH_ROOT": str(tmp / "root.pem"),
        "HALSPORRE_BENCH_CHAIN": str(tmp / "chain.pem"),
        "HALSPORRE_PERSISTENCE": "sqlite",
        "HALSPORRE_DB_PATH": str(tmp / db_name),
    })
    return env


def measure(tmp: Path, seconds: float, clients: int, warmup_s: float) -> dict[str, Any]:
    pki = write_pki(tmp)
    signer = Signer(pki)
    env = gunicorn_env(tmp, "web.sqlite3")
    result: dict[str, Any] = {"workers": WORKERS, "clients": clients, "seconds": seconds}
    rounds = max(1, round(seconds / SLICE_S))
    loads = {name: Load() for name in APPS}
    rss: dict[str, dict[int, int]] = {}
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(Gunicorn(app, env, tmp / f"gunicorn-{name}.log"))
                   for name, app in APPS.items()}
        for server in servers.values():
            run_load(server.port, signer, clients, warmup_s)
        for r in range(rounds):  # alternate slices (and their order) so drift hits both
            for name in (list(APPS) if r % 2 == 0 else list(APPS)[::-1]):
                part = run_load(servers[name].port, signer, clients, seconds / rounds)
                total = loads[name]
                total.latencies += part.latencies
                total.errors += part.errors
                total.seconds += part.seconds
                for k, v in part.statuses.items():
                    total.statuses[k] = total.statuses.get(k, 0) + v
        for name, server in servers.items():
            rss[name] = {pid: _kb(pid, "VmHWM") for pid in server.workers()}
    result["rounds"] = rounds
    for name, load in loads.items():
        ok = load.statuses.get(200, 0)
        result[name] = {
            "requests": len(load.latencies),
            "ok": ok,
            "non_200": {str(k): v for k, v in load.statuses.items() if k != 200},
            "errors": load.errors,
            "rps": ok / load.seconds if load.seconds else 0.0,
            "p50_ms": percentile(load.latencies, 50) * 1000,
            "p99_ms": percentile(load.latencies, 99) * 1000,
            "peak_rss_mb": max(rss[name].values(), default=0) / 1024,
            "peak_rss_mb_per_worker": [v / 1024 for v in rss[name].values()],
        }
    return result
