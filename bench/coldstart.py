"""Figure 2: cold start - a fresh Python process imports a Lambda handler and answers one
LaunchRequest; wall time measured from outside (like hyperfine), median of N runs.

Ours: ``skill.frontends.lambda_function.handler`` (SQLite persistence in a temp dir, as
configured by
``HALSPORRE_*``).  Bare: ``bench.bare.handler``.  Runs alternate ours/bare; one untimed run
of each first writes the ``.pyc`` files, as a deployed package would ship them.
The child also reports its own import and first-request times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000, "ok": ok}))
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


def measure(tmp: Path, runs: int) -> dict[str, Any]:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        "HALSPORRE_PERSISTENCE": "sqlite",
        "HALSPORRE_DB_PATH": str(tmp / "coldstart.sqlite3"),
        "BENCH_EVENT": json.dumps(_event()),
    })
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in MODULES}
    for module in MODULES.values():
        _run_once(module, env)  # writes .pyc files; not timed
    for _ in range(max(1, runs)):
        for name, module in MODULES.items():
            samples[name].append(_run_once(module, env))
    result: dict[str, Any] = {"runs": max(1, runs)}
    for name, runs_ in samples.items():
        result[name] = {key: median([r[key] for r in runs_])
                        for key in ("wall_ms", "import_ms", "first_ms")}
    return result
