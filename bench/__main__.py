"""``python -m bench``: every figure against its bare-SDK twin, one table, one JSON file.

Options: ``--quick`` (tiny setting, for the smoke test), ``--seconds N`` (load duration),
``--skip-audio``, ``--out PATH`` (default ``~/.cache/halsporre-bench/bench-results.json``;
the bench writes nothing into the repository).  See bench/README.md; ``python -m
bench.readme`` puts a run's table into README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("HALSPORRE_BENCH_DIR")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
             / "halsporre-bench")
"""Where the bench keeps its results and primed audio: outside the repository."""
DEFAULT_OUT = CACHE / "bench-results.json"


@dataclass
class Row:
    figure: str
    ours: str
    bare: str = "-"
    ratio: str = "-"
    goal: str = "-"
    met: str = "-"


def _ratio(ours: float, bare: float) -> float:
    return ours / bare if bare and not math.isnan(bare) else math.nan


def _cmp_row(figure: str, ours: float, bare: float, fmt: str, goal: str = "-",
             ok: Callable[[float], bool] | None = None) -> Row:
    r = _ratio(ours, bare)
    met = "-" if ok is None else ("yes" if ok(r) else "NO")
    return Row(figure, format(ours, fmt), format(bare, fmt), f"{r:.2f}x", goal, met)


def _inprocess_rows(inproc: Any) -> list[Row]:
    rows: list[Row] = []
    for locale in ("sv-SE", "en-US"):
        if not isinstance(inproc, dict):
            rows.append(Row(f"in-process p50/request {locale} (ms)", inproc or "n/a"))
            rows.append(Row(f"  vs json floor {locale} (ms)", inproc or "n/a"))
            continue
        o, same = inproc[locale], inproc["bare_same_envelopes"][locale]
        floor = inproc["floor"][locale]
        rows.append(_cmp_row(f"in-process p50/request {locale} (ms)", o["p50_ms"],
                             same["p50_ms"], ".3f", "<= 1.0x", lambda r: r <= 1.0))
        rows.append(_cmp_row(f"  vs json floor {locale} (ms)", o["p50_ms"], floor["p50_ms"],
                             ".3f", "<= 5x", lambda r: r <= 5.0))
        rows.append(_cmp_row(f"  mean/request {locale} (ms)", o["mean_ms"], same["mean_ms"],
                             ".3f"))
        rows.append(_cmp_row(f"  p99/request {locale} (ms)", o["p99_ms"], same["p99_ms"],
                             ".3f"))
        rows.append(_cmp_row(f"  vs bare LaunchRequest {locale} (ms)", o["p50_ms"],
                             inproc["bare"]["p50_ms"], ".3f"))
    if isinstance(inproc, dict):
        spawned = inproc.get("subprocesses_while_timed", 0)
        rows.append(Row("subprocesses while a timed request waited", str(spawned),
                        goal="0", met="yes" if spawned == 0 else "NO"))
        bad = inproc.get("invalid_answers", 0)
        rows.append(Row("timed answers checked against Alexa's limits",
                        f"{inproc['answers_checked'] - bad} of {inproc['answers_checked']} valid",
                        goal="all valid", met="yes" if not bad else "NO"))
    return rows


def _cold_rows(cold: Any) -> list[Row]:
    rows: list[Row] = []
    for kind in ("sqlite", "dynamodb"):
        label = f"cold start, {kind}, median of {cold['runs'] if isinstance(cold, dict) else '?'}"
        if isinstance(cold, dict) and isinstance(cold.get(kind), dict):
            pair = cold[kind]
            rows.append(_cmp_row(f"{label} (ms)", pair["ours"]["wall_ms"],
                                 pair["bare"]["wall_ms"], ".0f", "<= 1.3x",
                                 lambda r: r <= 1.3))
            rows.append(_cmp_row(f"  peak RSS, {kind} (MB)", pair["ours"]["peak_rss_mb"],
                                 pair["bare"]["peak_rss_mb"], ".1f"))
        else:
            rows.append(Row(f"{label} (ms)", cold if isinstance(cold, str) else "n/a"))
    return rows


def _web_rows(web: Any, page: Any) -> list[Row]:
    rows: list[Row] = []
    if isinstance(web, dict):
        rows.append(_cmp_row("web throughput, verified (req/s)", web["ours"]["rps"],
                             web["bare"]["rps"], ".0f", ">= 0.75x", lambda r: r >= 0.75))
        rows.append(_cmp_row("web p99 latency (ms)", web["ours"]["p99_ms"],
                             web["bare"]["p99_ms"], ".1f"))
        rows.append(_cmp_row("worker peak RSS after load (MB)", web["ours"]["peak_rss_mb"],
                             web["bare"]["peak_rss_mb"], ".1f", "<= 1.2x", lambda r: r <= 1.2))
    else:
        for name in ("web throughput, verified (req/s)", "web p99 latency (ms)",
                     "worker peak RSS after load (MB)"):
            rows.append(Row(name, web or "n/a"))
    if isinstance(page, dict):
        rows.append(_cmp_row("web page API throughput (req/s)", page["ours"]["rps"],
                             page["bare"]["rps"], ".0f", ">= 0.6x", lambda r: r >= 0.6))
        for key in ("start sv-SE", "start en-US"):
            ours_ms = page["ours"]["p50_ms"].get(key, math.nan)
            bare_ms = page["bare"]["p50_ms"].get(key, math.nan)
            rows.append(_cmp_row(f"  /api/{key} p50 (ms)", ours_ms, bare_ms, ".2f"))
    else:
        rows.append(Row("web page API throughput (req/s)", page or "n/a"))
    return rows


def rows_for(results: dict[str, Any]) -> list[Row]:
    rows = _inprocess_rows(results.get("inprocess"))
    rows += _cold_rows(results.get("coldstart"))
    rows += _web_rows(results.get("web"), results.get("pageapi"))
    audio = results.get("audio")
    if isinstance(audio, dict):
        nc, oc = audio["no_change"], audio["one_change"]
        rows.append(Row("audio build sv-SE, no change", f"{nc['rendered']} clips, "
                        f"{nc['seconds']:.2f} s", goal="0 clips, < 1 s",
                        met="yes" if nc["rendered"] == 0 and nc["seconds"] < 1 else "NO"))
        rows.append(Row("audio build sv-SE, one string changed",
                        f"{oc['rendered']} clip(s), {oc['seconds']:.2f} s", goal="1 clip",
                        met="yes" if oc["rendered"] == 1 else "NO"))
    else:
        rows.append(Row("audio build sv-SE, no change", audio or "n/a"))
        rows.append(Row("audio build sv-SE, one string changed", audio or "n/a"))
    rows.extend(_nlu_rows(results.get("nlu")))
    return rows


def _nlu_rows(nlu: Any) -> list[Row]:
    """The front ends' resolver: time per utterance and to train, absolute goals."""
    rows: list[Row] = []
    for locale in ("sv-SE", "en-US", "en-GB"):
        if not isinstance(nlu, dict):
            rows.append(Row(f"nlu p50/utterance {locale} (ms)", nlu or "n/a"))
            continue
        r = nlu[locale]
        rows.append(Row(f"nlu p50/utterance {locale} (ms)", f"{r['p50_ms']:.3f}",
                        goal="<= 1 ms", met="yes" if r["p50_ms"] <= 1 else "NO"))
        rows.append(Row(f"nlu p99/utterance {locale} (ms)", f"{r['p99_ms']:.3f}",
                        goal="<= 5 ms", met="yes" if r["p99_ms"] <= 5 else "NO"))
        rows.append(Row(f"nlu training {locale} (s)", f"{r['build_s']:.2f}", goal="< 1 s",
                        met="yes" if r["build_s"] < 1 else "NO"))
    return rows


def table(rows: list[Row]) -> str:
    head = Row("figure", "ours", "bare", "ratio", "goal", "met")
    cells = [list(asdict(r).values()) for r in [head, *rows]]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(cells[0]))]
    lines = []
    for n, c in enumerate(cells):
        lines.append("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                               for i, (v, w) in enumerate(zip(c, widths, strict=True))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def notes_for(results: dict[str, Any]) -> list[str]:
    notes = [f"{k}: {v}" for k, v in results.get("errors", {}).items()]
    machine = results.get("machine", {})
    load = machine.get("loadavg_start", [0])[0]
    if load > (machine.get("cpus") or 1) * 0.5:
        notes.append(f"machine busy: 1-min load average {load:.1f} on {machine.get('cpus')} "
                     "CPUs at start - absolute numbers are noisy, compare ratios")
    notes += _inprocess_notes(results.get("inprocess"))
    notes += _web_notes(results.get("web"))
    audio = results.get("audio")
    if isinstance(audio, dict):
        p = audio["prime"]
        notes.append(f"audio: prime step rendered {p['rendered']} clips in {p['seconds']:.1f} s "
                     f"(kept in {CACHE / 'audio-espeak'} for next runs); changed key "
                     f"{audio['one_change']['key']!r}")
    return notes


def _stretch_note(locale: str, n: dict[str, Any]) -> str:
    if not n["stretch_wired"]:
        return (f"in-process {locale}: StartStretchIntent is not wired yet (no "
                "stretch mode); the script ran the rest - re-run when it is")
    if not n["stretch_finished"]:
        return (f"in-process {locale}: stretch session not finished after "
                f"{n['stretch_turns']} turns (bound reached)")
    return f"in-process {locale}: stretch session finished in {n['stretch_turns']} turns"


def _inprocess_notes(inproc: Any) -> list[str]:
    notes: list[str] = []
    if isinstance(inproc, dict):
        for locale, n in inproc["notes"].items():
            notes.append(_stretch_note(locale, n))
        if not inproc.get("persistence_wired"):
            notes.append("in-process: build_skill() has no persistence adapter yet; "
                         "figures are without SQLite - re-run when it is wired")
        notes.append(f"in-process: {inproc['conversations_per_locale']} conversations/locale, "
                     f"{inproc['sv-SE']['requests'] + inproc['en-US']['requests']} requests "
                     "timed JSON text in to JSON text out, each followed by the bare SDK "
                     "(DefaultSerializer, one handler, no storage) on the same texts and the "
                     "json floor; ours with SQLite")
    return notes


def _web_notes(web: Any) -> list[str]:
    notes: list[str] = []
    if isinstance(web, dict):
        for name in ("ours", "bare"):
            w = web[name]
            if w["non_200"] or w["errors"]:
                notes.append(f"web {name}: non-200 {w['non_200']}, connection errors "
                             f"{w['errors']}")
        notes.append(f"web: gunicorn {web['workers']} sync workers, {web['clients']} clients, "
                     f"{web['seconds']} s; ours {web['ours']['ok']} / bare {web['bare']['ok']}"
                     " requests answered 200")
    return notes


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny setting (smoke test)")
    p.add_argument("--seconds", type=float, default=None,
                   help="load duration per app (default 10, quick 1)")
    p.add_argument("--clients", type=int, default=4, help="concurrent load clients")
    p.add_argument("--runs", type=int, default=None, help="cold-start runs (default 5)")
    p.add_argument("--conversations", type=int, default=None,
                   help="scripted conversations per locale (default 200, quick 3)")
    p.add_argument("--skip-audio", action="store_true", help="leave out the audio rows")
    p.add_argument("--only", default=None,
                   help="comma-separated steps to run: nlu,inprocess,coldstart,web,pageapi,audio")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quick = args.quick
    seconds = args.seconds if args.seconds is not None else (1.0 if quick else 10.0)
    runs = args.runs if args.runs is not None else (1 if quick else 5)
    conversations = args.conversations or (3 if quick else 200)
    budget = 5.0 if quick else 60.0
    logging.getLogger().addHandler(logging.NullHandler())  # the skill's warnings: not here

    from bench import audio, coldstart, inprocess, nlu, pageapi, web

    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "settings": {"quick": quick, "seconds": seconds, "clients": args.clients,
                     "runs": runs, "conversations": conversations},
        "errors": {},
    }
    results["machine"]["loadavg_start"] = list(os.getloadavg())
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="halsporre-bench-") as tmp_name:
        tmp = Path(tmp_name)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("nlu", lambda: nlu.measure(rounds=1 if quick else 5)),
            ("inprocess", lambda: inprocess.measure(tmp, conversations, budget)),
            ("coldstart", lambda: coldstart.measure(tmp, runs)),
            ("web", lambda: web.measure(tmp, seconds, args.clients,
                                        0.3 if quick else 2.0)),
            ("pageapi", lambda: pageapi.measure(tmp, seconds, args.clients,
                                                0.3 if quick else 1.0)),
        ]
        if not args.skip_audio:  # last: the build configures logging; its own temp dir
            steps.append(("audio", lambda: audio.measure(Path(tempfile.mkdtemp(dir=tmp)))))
        if args.only:
            wanted = set(args.only.split(","))
            steps = [(n, s) for n, s in steps if n in wanted]
        for name, step in steps:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                results[name] = step()
            except audio.AudioUnavailable as exc:
                results[name] = "n/a"
                results["errors"][name] = f"skipped: {exc}"
            except Exception as exc:  # one broken figure must not hide the others
                results[name] = "error"
                results["errors"][name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        if args.skip_audio:
            results["audio"] = "skipped"
    inproc = results.get("inprocess")
    if isinstance(inproc, dict) and inproc.get("invalid_answers"):
        results["errors"]["invalid answers"] = (
            f"{inproc['invalid_answers']} timed answers break Alexa's limits, e.g. "
            + "; ".join(inproc["invalid_examples"]))
    results["elapsed_s"] = time.time() - started
    results["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    rows = rows_for(results)
    results["rows"] = [asdict(r) for r in rows]
    notes = notes_for(results)
    results["notes"] = notes
    print(table(rows))
    for note in notes:
        print(f"  * {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"results: {args.out}")
    hard = [k for k, v in results["errors"].items() if not str(v).startswith("skipped")]
    # an answer outside Alexa's limits is an error of the inprocess step (bench.validate)
    return 1 if hard else 0


if __name__ == "__main__":
    raise SystemExit(main())
