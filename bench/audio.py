"""Figure 4: incremental audio build (``skill.tools.audio.build.main``), espeak, sv-SE.

Works only on temp copies: the content dir (``skill/content``) and an audio dir.  The
audio dir is seeded from ``~/.cache/halsporre-bench/audio-espeak/sv-SE`` (a primed copy
this bench keeps
between runs; the repo's ``audio/`` is never written).  Steps:

1. prime - build until everything exists (the first run renders every clip; later runs
   reuse the kept copy and render nothing); not a figure.
2. no change - the same build again, timed: goal renders 0 clips in under a second.
3. one string changed - one sentence without placeholders gets a word appended (YAML
   round trip of the one file that defines it); goal renders exactly one clip.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
LOCALE = "sv-SE"
KEEP = Path(os.environ.get("HALSPORRE_BENCH_DIR")
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            / "halsporre-bench") / "audio-espeak"
SUMMARY = re.compile(r"rendered (\d+), reused (\d+), removed (\d+)")


class AudioUnavailable(RuntimeError):
    """The audio build module (or its engine) is not there; the rows become n/a."""


def _build(content_dir: Path, audio_dir: Path) -> dict[str, Any]:
    try:
        from skill.content import load_content
        from skill.tools.audio.build import main
    except ImportError as exc:
        raise AudioUnavailable(f"skill.tools.audio.build not importable: {exc}") from exc

    def load(locale: str):
        return load_content(locale, content_dir).strings

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["--engine", "espeak", "--locale", LOCALE, "--audio-dir",
                           str(audio_dir), "--no-progress"], load=load)
    finally:
        seconds = time.perf_counter() - t0
        for h in list(root.handlers):  # main() calls logging.basicConfig; undo it
            if h not in saved[0]:
                root.removeHandler(h)
        root.setLevel(saved[1])
    match = SUMMARY.search(out.getvalue())
    if status != 0 or match is None:
        raise AudioUnavailable(f"audio build failed (exit {status}): "
                               f"{(err.getvalue() or out.getvalue()).strip()[-300:]}")
    rendered, reused, removed = (int(g) for g in match.groups())
    return {"seconds": seconds, "rendered": rendered, "reused": reused, "removed": removed}


def _change_one_string(content_dir: Path) -> str:
    """Append a word to one unique, placeholder-free sentence; return its key."""
    from skill.content import _flatten

    files = sorted((content_dir / LOCALE).glob("*.yaml"))
    trees = {p: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in files}
    flat = {p: _flatten(t) for p, t in trees.items()}
    counts: dict[str, int] = {}
    for strings in flat.values():
        for text in strings.values():
            counts[text] = counts.get(text, 0) + 1
    preferred = ["goodbye"]
    for path, strings in flat.items():
        keys = [k for k in preferred if k in strings] + sorted(strings)
        for key in keys:
            text = strings[key]
            if "{" in text or counts[text] != 1 or not text or key.endswith(("url", "link")):
                continue
            node = trees[path]
            *parents, leaf = key.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = text + " Bänkprov."
            path.write_text(yaml.safe_dump(trees[path], allow_unicode=True, sort_keys=False,
                                           width=10_000), encoding="utf-8")
            return key
    raise AudioUnavailable("no sentence suitable for the one-string change")


def measure(tmp: Path) -> dict[str, Any]:
    from skill.content import CONTENT_DIR

    content = tmp / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    audio = tmp / "audio"
    if (KEEP / LOCALE / "manifest.json").exists():
        shutil.copytree(KEEP / LOCALE, audio / LOCALE)
    prime = _build(content, audio)
    KEEP.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(KEEP / LOCALE, ignore_errors=True)
    shutil.copytree(audio / LOCALE, KEEP / LOCALE)
    no_change = _build(content, audio)
    changed = tmp / "content-changed"  # a new dir: load_content caches per directory
    shutil.copytree(content, changed)
    key = _change_one_string(changed)
    one_change = _build(changed, audio)
    return {"locale": LOCALE, "engine": "espeak", "prime": prime, "no_change": no_change,
            "one_change": {**one_change, "key": key}}
