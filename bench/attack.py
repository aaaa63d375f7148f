"""``python -m bench.attack``: the attack figures of issue 16, measured on loopback.

The real app (``bench.wsgi_apps:ours_app()``) under gunicorn (2 sync workers), verification
ON, the test PKI of ``tests/certs.py`` trusted, the chain "fetched" through
:mod:`bench.wsgi_apps`'s fetcher (which records every fetch in a file and fails for URLs
whose name contains ``missing``, as S3 would with a 403). Prints one JSON object:

* ``unsigned_ms``: an unsigned 200 KB envelope against an unsigned small one (p50, max);
* ``signed_p50_ms``: legitimate signed requests alone and while 6 attacker connections send
  unsigned 200 KB bodies;
* ``log_bytes_per_rejection``: server log growth per unsigned rejection (short certificate
  URL and a 7 KB one), and whether a traceback was logged;
* ``failed_fetches``: fetch attempts for 100 requests naming a certificate that cannot be
  fetched, and fetches for five spellings of one good URL;
* ``replay``: statuses of one signed request sent three times;
* ``bad_input``: statuses of the 5xx cases of the issue;
* ``render_cache_mb``: in-process memory growth after 2,100 turns with chosen session state;
* ``privacy``: whether a deleted user's id is still in the SQLite files, and the log salt.

Bounded in time and count everywhere; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bench.web import HOST, Gunicorn, Signer, gunicorn_env, write_pki

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"
TIMEOUT_S = 15.0


def _post(port: int, path: str, body: bytes, hdrs: dict[str, str]) -> tuple[int, float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_S)
    t0 = time.perf_counter()
    try:
        conn.request("POST", path, body=body, headers=hdrs)
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0
    finally:
        conn.close()


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_S)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _envelope(attributes: dict[str, Any] | None = None, *, system_app: bool = True
              ) -> dict[str, Any]:
    from skill.alexa.envelopes import LocalDevice

    device = LocalDevice(locale="en-US", application_id=SKILL_ID)
    env = device.launch()
    if attributes is not None:
        env["session"]["attributes"] = attributes
    if not system_app:
        del env["context"]["System"]["application"]
    return env


def big_body(size: int = 200 * 1024) -> bytes:
    """A well-formed envelope of about ``size`` bytes: many small objects (costly to parse)."""
    items, body = [], b""
    n = size // 24
    items = [{"a": i, "b": "yy"} for i in range(n)]
    body = json.dumps(_envelope({"x": items})).encode()
    while len(body) > size and items:
        items = items[: len(items) * 9 // 10]
        body = json.dumps(_envelope({"x": items})).encode()
    return body


def _stats(lat: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(lat, 50) * 1000, 1), "max": round(max(lat) * 1000, 1),
            "n": len(lat)}


def unsigned_cost(port: int, big: bytes, rounds: int = 30) -> dict[str, Any]:
    small = json.dumps(_envelope()).encode()
    hdr = {"Content-Type": "application/json"}
    res: dict[str, Any] = {"big_bytes": len(big)}
    for name, body in (("small", small), ("big", big)):
        lat, statuses = [], set()
        for _ in range(rounds):
            status, dt = _post(port, "/alexa", body, hdr)
            lat.append(dt)
            statuses.add(status)
        res[name] = {**_stats(lat), "statuses": sorted(statuses)}
    return res


def _attack(port: int, big: bytes, seconds: float, threads: int, counter) -> None:
    """Attacker process: ``threads`` connections posting ``big`` unsigned until the end."""
    stop = time.perf_counter() + seconds

    def attacker() -> None:
        for _ in range(1_000_000):
            if time.perf_counter() >= stop:
                break
            try:
                _post(port, "/alexa", big, {"Content-Type": "application/json"})
                with counter.get_lock():
                    counter.value += 1
            except OSError:
                pass

    workers = [threading.Thread(target=attacker, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=seconds + TIMEOUT_S)


def signed_latency(port: int, signer: Signer, seconds: float, attackers: int,
                   big: bytes) -> dict[str, Any]:
    """One legitimate client (this process) while ``attackers`` connections run in another
    process (so they do not share this client's interpreter lock)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    proc = None
    if attackers:
        proc = ctx.Process(target=_attack, args=(port, big, seconds + 0.3, attackers, counter))
        proc.start()
        time.sleep(0.3)
    stop = time.perf_counter() + seconds
    lat: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(100_000):
        if time.perf_counter() >= stop:
            break
        body, hdrs = signer.body(0)
        status, dt = _post(port, "/alexa", body, hdrs)
        lat.append(dt)
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(0.02)
    if proc is not None:
        proc.join(timeout=seconds + TIMEOUT_S)
    return {**_stats(lat), "statuses": statuses, "attacker_requests": counter.value}


def log_per_rejection(port: int, log: Path, rounds: int = 20) -> dict[str, Any]:
    body = json.dumps(_envelope()).encode()
    out: dict[str, Any] = {}
    long_url = "https://s3.amazonaws.com/echo.api/missing-" + "a" * 7000 + ".pem"
    cases = {"unsigned": {"Content-Type": "application/json"},
             "7kb_cert_url": {"Content-Type": "application/json",
                              "SignatureCertChainUrl": long_url, "Signature-256": "AAAA"}}
    for name, hdrs in cases.items():
        time.sleep(0.3)
        before = log.stat().st_size
        for _ in range(rounds):
            _post(port, "/alexa", body, hdrs)
        time.sleep(0.5)
        text = log.read_bytes()[before:]
        out[name] = {"bytes": round(len(text) / rounds), "traceback": b"Traceback" in text,
                     "lines": round(text.count(b"\n") / rounds, 1)}
    return out


def fetch_figures(port: int, fetch_log: Path, signer: Signer) -> dict[str, Any]:
    from tests.certs import headers

    def fetches() -> list[str]:
        return fetch_log.read_text().splitlines() if fetch_log.exists() else []

    before = len(fetches())
    body = json.dumps(_envelope()).encode()
    for _ in range(100):
        hdrs = headers(signer._pki, body,  # noqa: SLF001 - the bench's own signer
                       url="https://s3.amazonaws.com/echo.api/missing-cert.pem")
        _post(port, "/alexa", body, hdrs)
    failed = len(fetches()) - before
    base = "s3.amazonaws.com/echo.api/echo-api-cert-spelling.pem"
    spellings = [f"https://{base}",
                 "https://s3.amazonaws.com:443/echo.api/echo-api-cert-spelling.pem",
                 "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert-spelling.pem",
                 f"https://user@{base}",
                 "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-spelling.pem",
                 f"https://{base}?q#f"]
    before = len(fetches())
    statuses = []
    for url in spellings:
        body = json.dumps(_envelope()).encode()
        statuses.append(_post(port, "/alexa", body, headers(signer._pki, body, url=url))[0])  # noqa: SLF001
    # two workers: each may fetch once
    return {"missing_cert_100_requests_fetches": failed,
            "six_spellings_fetches": len(fetches()) - before,
            "six_spellings_statuses": statuses}


def replay(port: int, signer: Signer) -> list[int]:
    from tests.certs import headers

    body = json.dumps(_envelope()).encode()
    hdrs = headers(signer._pki, body)  # noqa: SLF001
    return [_post(port, "/alexa", body, hdrs)[0] for _ in range(3)]


def bad_input(port: int, signer: Signer) -> dict[str, int]:
    from tests.certs import headers

    body = json.dumps(_envelope(system_app=False)).encode()
    return {
        "api_talk_100k_brackets": _post(port, "/api/talk", b"[" * 100_000,
                                        {"Content-Type": "application/json"})[0],
        "audio_path_nul": _get(port, "/audio/sv-SE/%00.mp3"),
        "no_system_application_with_skill_id": _post(
            port, "/alexa", body, headers(signer._pki, body))[0],  # noqa: SLF001
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def render_cache_growth(turns: int = 2100, param_bytes: int = 100_000) -> dict[str, Any]:
    """Memory after ``turns`` repeat turns, each with a different chosen remembered part."""
    from skill.alexa.builder import build_skill
    from skill.alexa.envelopes import LocalDevice
    from skill.alexa.invoke import invoke
    from skill.config import Settings

    skill = build_skill(Settings(persistence="none"))
    device = LocalDevice(locale="en-US")
    start = _rss_mb()
    statuses: dict[str, int] = {}
    for i in range(turns):
        state = {"mode": "menu", "section": 0, "pending": None, "stretch": None,
                 "last": [{"say": "menu.prompt", "p": {"x": f"{i:08d}" + "z" * param_bytes}},
                          {"pause": 240_000}],
                 "last_reprompt": [{"say": "menu.reprompt", "p": {}}]}
        device.session_id = "s"
        device.attributes = {"state": state}
        env = device.intent("AMAZON.RepeatIntent")
        env["session"]["new"] = False
        out = invoke(skill, env)
        ssml = out.get("response", {}).get("outputSpeech", {}).get("ssml", "")
        kind = "replayed" if "<break" in ssml else "menu"
        statuses[kind] = statuses.get(kind, 0) + 1
    return {"turns": turns, "param_bytes": param_bytes,
            "rss_growth_mb": round(_rss_mb() - start, 1), "answers": statuses}


def privacy(tmp: Path) -> dict[str, Any]:
    from skill.alexa.persistence import SQLitePersistenceAdapter

    db = tmp / "privacy.sqlite3"
    adapter = SQLitePersistenceAdapter(db)
    uid = "amzn1.ask.account.PRIVACY-PROBE-0123456789"
    for i in range(3):
        adapter.save_by_key(uid, {"history": [i] * 50, "who": uid})
    adapter.save_by_key("amzn1.ask.account.other", {"n": 1})
    adapter.delete_by_key(uid)
    found = {p.name: uid.encode() in p.read_bytes()
             for p in sorted(tmp.glob("privacy.sqlite3*"))}
    from skill.core import privacy as priv

    salt = priv.salt() if hasattr(priv, "salt") else getattr(priv, "_SALT", None)
    return {"id_in_files_after_delete": found, "public_default_salt": salt == b"halsporre"}


def run(tmp: Path, seconds: float) -> dict[str, Any]:
    pki = write_pki(tmp)
    signer = Signer(pki, application_id=SKILL_ID)
    env = gunicorn_env(tmp, "attack.sqlite3")
    fetch_log = tmp / "fetches.log"
    env.update({"HALSPORRE_SKILL_ID": SKILL_ID, "HALSPORRE_BENCH_FETCH_LOG": str(fetch_log),
                "HALSPORRE_LOG_SALT": "bench-attack-salt"})
    log = tmp / "gunicorn-attack.log"
    big = big_body()
    result: dict[str, Any] = {}
    with Gunicorn("bench.wsgi_apps:ours_app()", env, log) as server:
        port = server.port
        signed_latency(port, signer, 1.0, 0, big)  # warm up
        result["unsigned_ms"] = unsigned_cost(port, big)
        result["signed_p50_ms"] = {
            "alone": signed_latency(port, signer, seconds, 0, big),
            "with_6_attackers": signed_latency(port, signer, seconds, 6, big),
        }
        result["log_bytes_per_rejection"] = log_per_rejection(port, log)
        result["failed_fetches"] = fetch_figures(port, fetch_log, signer)
        result["replay_statuses"] = replay(port, signer)
        result["bad_input"] = bad_input(port, signer)
    text = log.read_text(errors="replace")
    result["server_log_500s_or_tracebacks"] = text.count("Traceback")
    result["raw_nul_in_log"] = "\x00" in text
    result["render_cache"] = render_cache_growth()
    result["privacy"] = privacy(tmp)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attack",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="seconds of signed load, alone and under attack")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    with tempfile.TemporaryDirectory(prefix="halsporre-attack-") as tmp:
        result = run(Path(tmp), args.seconds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
