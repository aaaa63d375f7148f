"""Issue 16's attacks against the real app under gunicorn (2 sync workers) on loopback.

Behaviour only (figures are ``python -m bench.attack``): a replay is refused whichever worker
gets it (the SQLite replay store is shared by the workers), an unsigned body is refused
before it is parsed with one log line, a certificate that cannot be fetched is fetched at
most once per worker for a burst of requests, and none of the issue's bad inputs is a 5xx.
"""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is in the 'test' extra")

from bench.attack import SKILL_ID, _envelope, _get, _post, big_body  # noqa: E402
from bench.web import Gunicorn, Signer, gunicorn_env, write_pki  # noqa: E402
from tests.certs import headers  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attack")
    pki = write_pki(tmp)
    env = gunicorn_env(tmp, "attack.sqlite3")
    env.update({"HALSPORRE_SKILL_ID": SKILL_ID, "HALSPORRE_LOG_SALT": "test-attack-salt",
                "HALSPORRE_BENCH_FETCH_LOG": str(tmp / "fetches.log")})
    log = tmp / "gunicorn.log"
    with Gunicorn("bench.wsgi_apps:ours_app()", env, log) as srv:
        yield srv, pki, log, tmp / "fetches.log"


def _log_after(log, start: int) -> str:
    time.sleep(0.3)
    return log.read_bytes()[start:].decode("utf-8", "backslashreplace")


def test_a_replay_is_refused_by_every_worker(server) -> None:
    srv, pki, log, _ = server
    body = json.dumps(_envelope()).encode()
    hdrs = headers(pki, body)
    statuses = [_post(srv.port, "/alexa", body, hdrs)[0] for _ in range(12)]
    assert statuses == [200] + [400] * 11
    fresh, fresh_headers = Signer(pki, application_id=SKILL_ID).body(0)
    assert _post(srv.port, "/alexa", fresh, fresh_headers)[0] == 200


def test_unsigned_big_bodies_cost_one_short_log_line_each(server) -> None:
    srv, _, log, _ = server
    start = log.stat().st_size
    big = big_body()
    for _ in range(5):
        assert _post(srv.port, "/alexa", big, {"Content-Type": "application/json"})[0] == 400
    text = _log_after(log, start)
    assert text.count("missing SignatureCertChainUrl header") == 5
    assert "Traceback" not in text and len(text) < 5 * 200


def test_a_missing_certificate_is_fetched_once_per_worker(server) -> None:
    srv, pki, _, fetches = server
    before = len(fetches.read_text().splitlines()) if fetches.exists() else 0
    url = "https://s3.amazonaws.com/echo.api/missing-for-test.pem"
    for _ in range(30):
        body = json.dumps(_envelope()).encode()
        assert _post(srv.port, "/alexa", body, headers(pki, body, url=url))[0] == 400
    assert 1 <= len(fetches.read_text().splitlines()) - before <= 2


def test_the_issues_bad_inputs_are_4xx(server) -> None:
    srv, pki, log, _ = server
    start = log.stat().st_size
    assert _post(srv.port, "/api/talk", b"[" * 100_000,
                 {"Content-Type": "application/json"})[0] == 400
    assert _get(srv.port, "/audio/sv-SE/%00.mp3") == 404
    body = json.dumps(_envelope(system_app=False)).encode()
    assert _post(srv.port, "/alexa", body, headers(pki, body))[0] == 400
    text = _log_after(log, start)
    assert "Traceback" not in text and "\x00" not in text
