"""The production entry under real gunicorn (2 workers) on loopback: the container's own
entry script, the skill id set, a proxy in front. Conversations of several turns from
several browsers at once never lose their place; every request is one access-log line, the
skill's log lines are there, and nothing logs a traceback."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is in the 'server' extra")

from bench.web import HOST, _children, free_port  # noqa: E402
from bench.webapi import SCRIPT, Browser, conversations, reference_answers  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ENTRY = REPO / "deploy" / "container" / "entrypoint.sh"
WORKERS = 2


class Entry:
    """``deploy/container/entrypoint.sh`` on a free loopback port; a context manager."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.port = free_port()
        self.log, self.err = tmp / "server.log", tmp / "server.err"
        full = dict(os.environ)
        full.update({
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), full.get("PATH", "")]),
            "HALSPORRE_BIND": f"{HOST}:{self.port}", "HALSPORRE_WORKERS": str(WORKERS),
            "HALSPORRE_DB_PATH": str(tmp / "progress.sqlite3"),
            "HALSPORRE_PERSISTENCE": "sqlite", **env})
        full.pop("HALSPORRE_WEB_SECRET", None)  # the key file is made once and shared
        self._out, self._err = self.log.open("w"), self.err.open("w")
        self.proc = subprocess.Popen(["sh", str(ENTRY)], cwd=tmp, env=full,
                                     stdout=self._out, stderr=self._err)

    def __enter__(self) -> Entry:
        deadline = time.monotonic() + 90  # the app loads once (preload), NLU included
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok and len(_children(self.proc.pid)) >= WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise AssertionError("the entry script did not start:\n" + self.log.read_text()
                             + self.err.read_text())

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        self._err.close()


def test_web_conversations_survive_two_workers_with_the_skill_id_set(tmp_path):
    reference = reference_answers(tmp_path / "reference.sqlite3")
    with Entry(tmp_path, HALSPORRE_SKILL_ID="amzn1.ask.skill.gunicorn-test",
               HALSPORRE_PROXIES="1") as server:
        assert len(_children(server.proc.pid)) == WORKERS
        result = conversations(server.port, reference, browsers=6)
        # anonymous starts from one address (new browsers: no cookie): 20 a minute pass;
        # 45 of them span at most two one-minute windows, so at least 5 are refused
        flood = [Browser(server.port, forwarded_for="198.51.100.1").start()[0]
                 for _ in range(45)]
    assert result["talk_status"] == {"200": 6 * len(SCRIPT)}, result
    assert result["start_status"] == {"200": 6}, result
    assert result["talk_lost_share"] == 0, result
    assert set(flood) == {200, 429} and flood.count(429) >= 5 and 20 <= flood.count(200) <= 40
    log = server.log.read_text(errors="replace")
    access = [line for line in log.splitlines() if line.startswith("POST /api/talk ")]
    assert len(access) == 6 * len(SCRIPT)
    assert all(line.split()[2] == "200" and line.endswith("ms") for line in access)
    assert "skill.alexa.handlers.interceptors: request IntentRequest" in log
    assert "rate limit of new conversations" in log
    assert "Traceback" not in log and " ERROR " not in log
    assert "gunicorn" in log and "Booting worker" in log  # the server's own lines: stdout
    assert server.err.read_text() == ""  # everything logs to stdout
    assert "198.51.100.1" not in log and "10.1.0." not in log  # no client addresses
