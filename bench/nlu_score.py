"""Score :mod:`skill.nlu` on a YAML file of utterances and list the misses.

``python -m bench.nlu_score tests/data/nlu_dev/sv-SE.yaml [--locale sv-SE]``

The file: ``utterances: [{text, intent, slots?, scope}]`` (scope ``in``, ``out`` or
``medical``).  An utterance counts as right when the intent matches and every expected
slot has the expected id (or number).  The locale defaults to the file's stem.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml


def _got(resolution: Any) -> dict[str, str]:
    return {k: (v.id if v.id is not None else v.value) for k, v in resolution.slots.items()}


def score(path: Path, locale: str) -> tuple[dict[str, list[int]], list[str]]:
    """Per scope [right, total], and one line per miss."""
    from skill.nlu import Resolver

    resolver = Resolver.for_locale(locale)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for item in data["utterances"]:
        res = resolver.resolve(str(item["text"]))
        want = {k: str(v) for k, v in (item.get("slots") or {}).items()}
        got = _got(res)
        ok = res.intent == item["intent"] and all(got.get(k) == v for k, v in want.items())
        scope = item.get("scope", "in")
        tally[scope][0] += ok
        tally[scope][1] += 1
        if not ok:
            misses.append(f"{item['text']!r}: want {item['intent']} {want or ''} got "
                          f"{res.intent} {got or ''} ({res.method} {res.score})")
    return dict(tally), misses


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.nlu_score")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--locale", default=None)
    args = p.parse_args(argv)
    for path in args.files:
        locale = args.locale or path.stem
        tally, misses = score(path, locale)
        summary = ", ".join(f"{s} {r}/{n} ({100 * r / n:.0f}%)" for s, (r, n) in tally.items())
        print(f"{path} [{locale}]: {summary}")
        for line in misses:
            print(f"  miss {line}")


if __name__ == "__main__":
    main()
