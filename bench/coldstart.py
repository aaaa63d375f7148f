"""Figure 2: cold start - a fresh Python process imports a Lambda handler and answers one
LaunchRequest; wall time measured from outside (like hyperfine), median of N runs.

Ours: ``skill.frontends.lambda_function.handler``; bare: ``bench.bare.handler``.  Both
persistence settings, each against its twin (bench/README.md, "the twins"): ``sqlite`` (a
temp file; the bare twin stores nothing) and ``dynamodb`` (a local moto server holding the
table, reached through ``AWS_ENDPOINT_URL_DYNAMODB``; the bare twin uses the SDK's
``DynamoDbAdapter`` and reads the user's attributes on launch, as ours does).  Runs
alternate ours/bare; one untimed run of each first writes the ``.pyc`` files, as a
deployed package would ship them.  The child also reports its own import and
first-request times and its peak RSS.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.stats import median

REPO = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT_S = 60

CHILD = r"""
import importlib, json, os, sys, time
t0 = time.perf_counter()
mod = importlib.import_module(sys.argv[1])
t1 = time.perf_counter()
out = mod.handler(json.loads(os.environ["BENCH_EVENT"]), None)
t2 = time.perf_counter()
ok = isinstance(out, dict) and isinstance(out.get("response"), dict)
rss = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:")) / 1024
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000, "ok": ok,
                  "peak_rss_mb": rss}))
"""

MODULES = {"ours": "skill.frontends.lambda_function", "bare": "bench.bare"}


def _event() -> dict[str, Any]:
    from skill.alexa.envelopes import LocalDevice

    return LocalDevice(locale="sv-SE", user_id="amzn1.ask.account.bench-cold").launch()


def _run_once(module: str, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, module], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    wall = (time.perf_counter() - t0) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"cold start of {module} failed:\n{proc.stderr[-2000:]}")
    inner = json.loads(proc.stdout.strip().splitlines()[-1])
    if not inner.get("ok"):
        raise RuntimeError(f"cold start of {module}: handler returned no response")
    return {"wall_ms": wall, **inner}


KEYS = ("wall_ms", "import_ms", "first_ms", "peak_rss_mb")
PERSISTENCE = ("sqlite", "dynamodb")


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        "HALSPORRE_PERSISTENCE": "sqlite",
        "HALSPORRE_DB_PATH": str(tmp / "coldstart.sqlite3"),
        "BENCH_EVENT": json.dumps(_event()),
        "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),  # .pyc files outside the repository
    })
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@contextlib.contextmanager
def dynamodb_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``env`` pointing at a local moto server with the progress table made."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        aws = {"AWS_ENDPOINT_URL_DYNAMODB": url, "AWS_ENDPOINT_URL": url,
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "eu-north-1", "AWS_REGION": "eu-north-1",
               "AWS_EC2_METADATA_DISABLED": "true", "HALSPORRE_PERSISTENCE": "dynamodb",
               "HALSPORRE_DYNAMODB_TABLE": "halsporre-bench"}
        boto3.client("dynamodb", endpoint_url=url, region_name="eu-north-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing"
                     ).create_table(
            TableName="halsporre-bench", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        yield {**{k: v for k, v in env.items() if k != "AWS_PROFILE"}, **aws}
    finally:
        server.stop()


def _pair(env: dict[str, str], runs: int) -> dict[str, Any]:
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in MODULES}
    for module in MODULES.values():
        _run_once(module, env)  # writes .pyc files; not timed
    for _ in range(max(1, runs)):
        for name, module in MODULES.items():
            samples[name].append(_run_once(module, env))
    return {name: {key: median([r[key] for r in runs_]) for key in KEYS}
            for name, runs_ in samples.items()}


def measure(tmp: Path, runs: int, persistence: tuple[str, ...] = PERSISTENCE
            ) -> dict[str, Any]:
    env = _env(tmp)
    result: dict[str, Any] = {"runs": max(1, runs)}
    for kind in persistence:
        if kind == "sqlite":
            result[kind] = _pair(env, runs)
        else:
            with dynamodb_env(env) as denv:
                result[kind] = _pair(denv, runs)
    # the rows of earlier runs: sqlite is the default setting
    result["ours"], result["bare"] = result[persistence[0]]["ours"], \
        result[persistence[0]]["bare"]
    return result
