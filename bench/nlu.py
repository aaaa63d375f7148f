"""Figure: time to resolve one typed utterance with :mod:`skill.nlu` (console, web page).

The utterances are the dev set (``tests/data/nlu_dev/<locale>.yaml``) plus longer inputs
built from it (dev utterances joined up to 60..300 characters), so the timing
covers short commands and rambling sentences alike.  The resolver is built (and trained)
once outside the timed region; its build time is reported separately.  Each utterance is
resolved ``rounds`` times; p50/p99 are over every single call.

``python -m bench.nlu`` prints the figures alone.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import yaml

from bench.stats import percentile

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "tests" / "data" / "nlu_dev"
LOCALES = ("sv-SE", "en-US", "en-GB")
MAX_CHARS = 300


def utterances(locale: str, long_ones: int = 40, seed: int = 12) -> list[str]:
    """The dev set's texts plus ``long_ones`` joined inputs of up to 300 characters."""
    data = yaml.safe_load((DEV / f"{locale}.yaml").read_text(encoding="utf-8"))
    texts = [u["text"] for u in data["utterances"]]
    rng = random.Random(seed)
    out = list(texts)
    for _ in range(long_ones):
        target = rng.randint(60, MAX_CHARS)
        joined = rng.choice(texts)
        while len(joined) < target:
            joined += " " + rng.choice(texts)
        out.append(joined[:MAX_CHARS].strip())
    return out


def measure(rounds: int = 5, locales: tuple[str, ...] = LOCALES) -> dict[str, Any]:
    """Per locale: build (train) seconds, wall and CPU p50/p99/max ms per utterance.

    CPU time (this thread's) is reported next to wall time: on a busy machine the wall
    figures include time the process spent waiting for a CPU.
    """
    start = time.perf_counter()
    from skill.nlu import Resolver

    try:
        import skill.nlu_classifier  # noqa: F401  (scikit-learn: imported once per process)
    except ImportError:
        pass
    result: dict[str, Any] = {"import_s": time.perf_counter() - start}
    for locale in locales:
        Resolver._cache.clear()
        start = time.perf_counter()
        resolver = Resolver.for_locale(locale)
        build_s = time.perf_counter() - start
        texts = utterances(locale)
        for text in texts:  # warm caches, as a running front end would be
            resolver.resolve(text)
        timings: list[float] = []
        cpu: list[float] = []
        for _ in range(rounds):
            for text in texts:
                c0, t0 = time.thread_time(), time.perf_counter()
                resolver.resolve(text)
                timings.append(time.perf_counter() - t0)
                cpu.append(time.thread_time() - c0)
        result[locale] = {
            "build_s": build_s,
            "p50_ms": percentile(timings, 50) * 1000,
            "p99_ms": percentile(timings, 99) * 1000,
            "cpu_p50_ms": percentile(cpu, 50) * 1000,
            "cpu_p99_ms": percentile(cpu, 99) * 1000,
            "max_ms": max(timings) * 1000,
            "utterances": len(texts),
            "calls": len(timings),
            "longest_chars": max(len(t) for t in texts),
        }
    return result


def main() -> None:
    import os

    results = measure()
    print(f"import {results.pop('import_s'):.2f} s; load average {os.getloadavg()[0]:.1f}")
    for locale, r in results.items():
        print(f"{locale}: build {r['build_s']:.3f} s, p50 {r['p50_ms']:.3f} ms, "
              f"p99 {r['p99_ms']:.3f} ms, max {r['max_ms']:.2f} ms; CPU p50 "
              f"{r['cpu_p50_ms']:.3f} ms, p99 {r['cpu_p99_ms']:.3f} ms "
              f"({r['utterances']} utterances up to {r['longest_chars']} chars, "
              f"{r['calls']} calls)")


if __name__ == "__main__":
    main()
