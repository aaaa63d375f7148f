"""``python -m bench.readme [RESULTS.json]``: put a run's table into README.md.

Replaces what stands between ``<!-- bench-table -->`` and ``<!-- /bench-table -->`` in the
README with the run's rows (figure, ours, bare, ratio, goal, met) as Markdown, followed by
the run's date, machine load and notes. The bench itself never writes into the repository;
this command is the one deliberate exception, run by hand after a run worth keeping.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.__main__ import DEFAULT_OUT, REPO

START, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def markdown(results: dict[str, Any]) -> str:
    lines = ["| figure | ours | bare | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for row in results["rows"]:
        cells = [str(row[k]).strip() for k in ("figure", "ours", "bare", "ratio", "goal", "met")]
        if str(row["figure"]).startswith(" "):
            cells[0] = "&nbsp;&nbsp;" + cells[0]
        lines.append("| " + " | ".join(c.replace("|", "\\\\|") for c in cells) + " |")
    machine = results.get("machine", {})
    load = machine.get("loadavg_start", [float("nan")])[0]
    lines.append("")
    lines.append(f"Run of {results.get('finished', '?')}: Python {machine.get('python')}, "
                 f"{machine.get('cpus')} CPUs, 1-min load average {load:.1f} at start; every "
                 "ratio is of ours and its twin measured interleaved in the same run.")
    home = str(Path.home())
    for note in results.get("notes", []):
        lines.append(f"* {note}".replace(home, "~"))
    return "\n".join(lines)


def replace_table(readme: str, table: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="?", type=Path, default=DEFAULT_OUT)
    p.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = p.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    args.readme.write_text(replace_table(args.readme.read_text(encoding="utf-8"),
                                         markdown(results)), encoding="utf-8")
    print(f"{args.readme}: table from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
