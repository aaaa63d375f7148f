"""``halsporre audio build``: render a locale's words and cue sounds into MP3 clips.

Every content string of the locale becomes one clip per value combination of its
placeholders (domains in :data:`PLACEHOLDER_DOMAINS`), plus the cue set: the start/end
tones, the numbers 1..30 as words (``count.<n>``) and "<n> seconds left" (``left.<n>``).

Clip files are named by a hash of (spoken text, voice, engine, format), so editing one
sentence re-renders one clip and a rebuild without changes renders nothing. The manifest
``<audio-dir>/<locale>/manifest.json`` maps each TEXT (as :mod:`skill.core.speech` fills it in)
to its clip; clips no longer referenced are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import os
import re
import string
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.content import Content, locale_data
from skill.core.clips import AUDIO_DIR, MANIFEST, normalise
from skill.core.limits import (
    EXERCISES,
    HOLD_MAX,
    HOLD_MIN,
    MAX_CLIP_MS,
    REPS,
    SETUP_MAX,
    SETUP_MIN,
)
from skill.core.parts import HOLD_ANCHOR, Cue, Pause, Say, Wait, wait_gap
from skill.core.playback import plain_text
from skill.core.progress import MAX_ORDINAL, SPOKEN_COUNT_MAX
from skill.core.runs import Run, planned_runs
from skill.core.speech import spell_phone
from skill.tools.audio import convert, tones
from skill.tools.audio.engines import Engine, EngineUnavailable, get_engine

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
#: A string whose placeholders multiply out to more variants than this is skipped.
MAX_VARIANTS = 300
PHONE_KEY = "clinic.phone"

# --------------------------------------------------------------------------------------
# Placeholder domains: every value a {placeholder} can take when spoken from a clip.
# The dialogue must keep to these (e.g. hold times 1..30 s) in pre-rendered locales.
# --------------------------------------------------------------------------------------


def _values_of(pattern: str) -> Callable[[Mapping[str, str]], list[object]]:
    rx = re.compile(pattern)

    def values(strings: Mapping[str, str]) -> list[object]:
        return [text for key, text in sorted(strings.items()) if rx.fullmatch(key)]

    return values


def _phone(strings: Mapping[str, str]) -> list[object]:
    return [strings[PHONE_KEY]] if PHONE_KEY in strings else []


def _range(low: int, high: int) -> Callable[[Mapping[str, str]], list[object]]:
    return lambda _s: list(range(low, high + 1))


#: Counts the leaflet's session has: exercises, reps, and holds in all (3 and 9).
_TOTALS = sorted({REPS, len(EXERCISES), REPS * len(EXERCISES)})

PLACEHOLDER_DOMAINS: dict[str, Callable[[Mapping[str, str]], list[object]]] = {
    "seconds": _range(HOLD_MIN, HOLD_MAX),
    "number": _range(1, 5),
    "total": lambda _s: list(_TOTALS),
    "exercise": _range(1, len(EXERCISES)),
    "remaining": _range(0, 5),
    "reps": lambda _s: [REPS],
    "holds": _range(0, REPS * len(EXERCISES)),
    "count": _range(MAX_ORDINAL + 1, SPOKEN_COUNT_MAX),  # beyond the ordinal words
    "phone": _phone,
    "title": _values_of(r"info\.sections\.[^.]+\.title"),
    "ordinal": _values_of(r"progress\.ordinal\.[^.]+"),
}

_SETUPS = _range(SETUP_MIN, SETUP_MAX)
_Domain = Callable[[Mapping[str, str]], list[object]]
_ONE_SESSION: dict[str, _Domain] = {"total": lambda _s: [len(EXERCISES)]}

#: Per-key exceptions to :data:`PLACEHOLDER_DOMAINS`: the values the dialogue really uses.
KEY_DOMAINS: dict[str, dict[str, Callable[[Mapping[str, str]], list[object]]]] = {
    "progress.sessions_today": {"count": _range(1, SPOKEN_COUNT_MAX)},
    "stretch.intro": {"total": lambda _s: [len(EXERCISES)]},
    "stretch.time_left": {"seconds": lambda _s: [10, 20]},
    "stretch.setup_set": {"seconds": _SETUPS},
    "progress.prefs_setup": {"seconds": _SETUPS},
    "stretch.exercise_intro": {"number": _range(1, len(EXERCISES)), **_ONE_SESSION},
    "stretch.exercise_resume": {"number": _range(2, REPS), "total": lambda _s: [REPS]},
    "stretch.rep_done": {"number": _range(1, REPS), "total": lambda _s: [REPS]},
    "stretch.ask_continue": {"number": _range(2, REPS), "total": lambda _s: [REPS]},
    "stretch.reprompt_continue": {"number": _range(2, REPS), "total": lambda _s: [REPS]},
    "stretch.finished_partial": {"count": _range(0, len(EXERCISES) - 1), **_ONE_SESSION},
    "stretch.left.position": _ONE_SESSION,
    "stretch.left.count": {"holds": _range(0, REPS * len(EXERCISES)),
                           "total": lambda _s: [REPS, REPS * len(EXERCISES)]},
}

#: Keys that are never spoken (links, addresses and the international number shown on
#: cards; how names are pronounced).
NOT_SPOKEN = re.compile(r"(^|.*[._])(url|link|email|href|international)$|pronounce\.")

# --------------------------------------------------------------------------------------
# The cue set
# --------------------------------------------------------------------------------------

COUNT_MAX = HOLD_MAX


def cue_phrases(locale: str, count_max: int = COUNT_MAX) -> dict[str, str]:
    """Spoken cues: ``count.<n>`` -> "fem", ``left.<n>`` -> "tjugo sekunder kvar"."""
    voice = locale_data(locale, "voice")
    words = voice["number_words"]
    one_left, n_left = voice["seconds_left"]["one"], voice["seconds_left"]["many"]
    phrases: dict[str, str] = {}
    for n in range(1, count_max + 1):
        phrases[f"count.{n}"] = words[n - 1]
    for n in range(1, count_max + 1):
        phrases[f"left.{n}"] = one_left if n == 1 else n_left.format(word=words[n - 1])
    return phrases


# --------------------------------------------------------------------------------------
# Planning: which texts to render
# --------------------------------------------------------------------------------------


@dataclass
class Item:
    """One clip to have: ``text`` is the lookup key, ``spoken`` what the engine says."""

    text: str
    spoken: str
    kind: str = "speech"  # "speech" | "tone"
    sources: list[dict[str, Any]] = field(default_factory=list)
    cue: str | None = None


@dataclass
class Plan:
    items: dict[str, Item] = field(default_factory=dict)  # text -> item
    cues: dict[str, str] = field(default_factory=dict)  # cue name -> text (or tone id)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def add(self, text: str, spoken: str, source: dict[str, Any], kind: str = "speech") -> str:
        text = normalise(text)
        item = self.items.get(text)
        if item is None:
            item = self.items[text] = Item(text=text, spoken=normalise(spoken), kind=kind)
        item.sources.append(source)
        return text


def _fields(template: str) -> list[str]:
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None and name not in names:
            names.append(name)
    return names


class _Skip(Exception):
    """A content string that cannot be pre-rendered; the message is the reason."""


def _domains(key: str, names: list[str], strings: Mapping[str, str]) -> list[list[object]]:
    """The values each placeholder of ``key`` can take (raises :class:`_Skip`)."""
    if any(not n.isidentifier() for n in names):
        raise _Skip("positional or attribute placeholder")
    known = {**PLACEHOLDER_DOMAINS, **KEY_DOMAINS.get(key, {})}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _Skip(f"no domain for placeholder(s) {', '.join(unknown)}")
    domains = [known[n](strings) for n in names]
    empty = [n for n, d in zip(names, domains, strict=True) if not d]
    if empty:
        raise _Skip(f"empty domain for {', '.join(empty)}")
    total = 1
    for d in domains:
        total *= len(d)
    if total > MAX_VARIANTS:
        raise _Skip(f"{total} variants (over {MAX_VARIANTS})")
    return domains


def _variant(template: str, params: dict[str, object]) -> tuple[str, str]:
    """The text of one variant and how it is spoken (the phone number digit by digit)."""
    try:
        text = template.format(**params)
        spoken_params = dict(params)
        if "phone" in params:
            spoken_params["phone"] = spell_phone(str(params["phone"]))
        return text, template.format(**spoken_params)
    except (ValueError, KeyError, IndexError) as exc:
        raise _Skip(f"cannot format: {exc}") from None


def _plan_key(plan: Plan, key: str, template: str, strings: Mapping[str, str]) -> None:
    """Add every variant of one content string to ``plan`` (raises :class:`_Skip`)."""
    if NOT_SPOKEN.match(key):
        raise _Skip("not spoken")
    if not template.strip():
        return
    try:
        names = _fields(template)
    except ValueError as exc:
        raise _Skip(f"bad template: {exc}") from None
    if not names:
        plan.add(template, spell_phone(template) if key == PHONE_KEY else template, {"key": key})
        return
    for combo in itertools.product(*_domains(key, names, strings)):
        params = dict(zip(names, combo, strict=True))
        text, spoken = _variant(template, params)
        plan.add(text, spoken, {"key": key, "params": {k: v for k, v in params.items()
                                                       if k != "phone"}})


def plan_locale(strings: Mapping[str, str], locale: str, count_max: int = COUNT_MAX) -> Plan:
    plan = Plan()
    for key in sorted(strings):
        try:
            _plan_key(plan, key, strings[key], strings)
        except _Skip as skip:
            plan.skipped.append({"key": key, "reason": str(skip)})
    for name, phrase in cue_phrases(locale, count_max).items():
        plan.cues[name] = plan.add(phrase, phrase, {"cue": name})
    for name, tone in tones.TONES.items():
        tone_id = f"tone:{name}"
        plan.items[tone_id] = Item(text=tone_id, spoken=tone.spec(), kind="tone",
                                   sources=[{"cue": name}], cue=name)
        plan.cues[name] = tone_id
    return plan


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def clip_name(spoken: str, voice: str, engine: str) -> str:
    digest = hashlib.sha256(
        json.dumps([engine, voice, spoken, convert.FORMAT_VERSION]).encode("utf-8")
    ).hexdigest()
    return f"{digest[:20]}.mp3"


@dataclass
class Summary:
    locale: str
    engine: str
    rendered: int = 0
    reused: int = 0
    removed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    clips: int = 0
    bytes: int = 0
    runs: int = 0
    runs_skipped: int = 0
    longest_run_ms: int = 0

    def line(self) -> str:
        return (f"{self.locale}: rendered {self.rendered}, reused {self.reused}, "
                f"removed {self.removed}, skipped {len(self.skipped)} "
                f"({self.clips} clips of which {self.runs} joined runs, longest "
                f"{self.longest_run_ms / 1000:.1f} s; {self.bytes / 1_000_000:.1f} MB, "
                f"engine {self.engine})")


def _progress(total: int, enabled: bool, desc: str) -> Any:
    """A tqdm bar (stderr, only on a terminal), or a no-op if tqdm is absent."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        tqdm = None
    if tqdm is None or not enabled:
        class _Null:
            def update(self, n: int = 1) -> None: ...
            def close(self) -> None: ...
        return _Null()
    return tqdm(total=total, desc=desc, unit="clip", disable=None, leave=False)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _known_durations(old: Mapping[str, Any]) -> dict[str, int]:
    known: dict[str, int] = {}
    for entry in [*old.get("clips", {}).values(), *old.get("cues", {}).values(),
                  *old.get("runs", {}).values()]:
        if isinstance(entry, dict) and "file" in entry and "duration_ms" in entry:
            known[entry["file"]] = int(entry["duration_ms"])
    return known


def _entries(plan: Plan, engine: Engine, locale: str, out_dir: Path, force: bool,
             known_ms: Mapping[str, int], summary: Summary
             ) -> tuple[dict[str, dict[str, Any]], list[tuple[Item, Path]]]:
    """Each item's manifest entry; the items whose clip must be (re)rendered."""
    speech_voice = engine.voice(locale)
    entries: dict[str, dict[str, Any]] = {}
    todo: list[tuple[Item, Path]] = []
    for text, item in plan.items.items():
        eng, voice = ("ffmpeg-sine", "tone") if item.kind == "tone" \
            else (engine.name, speech_voice)
        name = clip_name(item.spoken, voice, eng)
        entries[text] = {"file": name, "engine": eng, "voice": voice}
        path = out_dir / name
        if path.exists() and not force:
            ms = known_ms.get(name)
            entries[text]["duration_ms"] = ms if ms is not None else convert.duration_ms(path)
            summary.reused += 1
        else:
            todo.append((item, path))
    return entries, todo


def _render_one(engine: Engine, locale: str, item: Item, path: Path) -> int:
    if item.kind == "tone":
        tones.render_tone(tones.TONES[item.cue or ""], path)
    else:
        with tempfile.TemporaryDirectory(prefix="halsporre-tts-") as tmp:
            raw = engine.synthesize(item.spoken, locale, Path(tmp) / "raw")
            convert.to_alexa_mp3(raw, path)
    ms = convert.duration_ms(path)
    if ms > MAX_CLIP_MS:
        path.unlink(missing_ok=True)
        raise convert.ConvertError(
            f"{item.text[:40]!r}: {ms} ms is over Alexa's {MAX_CLIP_MS // 1000} s")
    return ms


def _render_all(todo: list[tuple[Item, Path]], engine: Engine, locale: str, jobs: int | None,
                progress: bool, entries: dict[str, dict[str, Any]], summary: Summary) -> None:
    workers = jobs or (2 if engine.name == "gtts" else min(8, os.cpu_count() or 2))
    bar = _progress(len(todo), progress, f"{locale} {engine.name}")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(_render_one, engine, locale, item, path): item
                       for item, path in todo}
            try:
                for fut in as_completed(futures):
                    entries[futures[fut].text]["duration_ms"] = fut.result()
                    summary.rendered += 1
                    bar.update(1)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        bar.close()


def _manifest(locale: str, plan: Plan, entries: Mapping[str, dict[str, Any]],
              runs: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    clips = {text: {**entries[text], "sources": item.sources}
             for text, item in plan.items.items() if item.kind != "tone"}
    cues: dict[str, dict[str, Any]] = {}
    for name, text in plan.cues.items():
        entry = dict(entries[text])
        if not text.startswith("tone:"):
            entry["text"] = text
        cues[name] = entry
    return {
        "version": MANIFEST_VERSION,
        "locale": locale,
        "format": {"codec": "mp3", "sample_rate": convert.SAMPLE_RATE,
                   "bitrate": convert.BITRATE, "channels": convert.CHANNELS,
                   "format_version": convert.FORMAT_VERSION},
        "clips": dict(sorted(clips.items())),
        "cues": dict(sorted(cues.items())),
        "runs": dict(sorted(runs.items())),
        "skipped": plan.skipped,
    }


def _remove_stale(out_dir: Path, wanted: set[str], summary: Summary) -> None:
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and (path.suffix == ".mp3" and path.name not in wanted
                               or path.name.endswith(".part")):
            path.unlink()
            summary.removed += path.suffix == ".mp3"
    stale = out_dir / "joined"  # answers joined at request time by older versions
    if stale.is_dir():
        for path in stale.glob("*.mp3"):
            path.unlink()
        if not any(stale.iterdir()):
            stale.rmdir()


# --------------------------------------------------------------------------------------
# Runs: fixed sequences pre-joined into one clip (skill.core.runs)
# --------------------------------------------------------------------------------------


def _run_items(run: Run, content: Content, entries: Mapping[str, dict[str, Any]],
               cues: Mapping[str, str]) -> list[tuple[str, int] | int]:
    """The run as (clip file, ms) and silences (ms), each Wait timed on the clips' real
    lengths exactly as the playback plan times it."""
    items: list[tuple[str, int] | int] = []
    at = anchor = 0
    for part in run.parts:
        if isinstance(part, Pause | Wait):
            ms = part.ms if isinstance(part, Pause) else wait_gap(at, anchor, part)
            if ms > 0:
                items.append(ms)
            at += ms
            continue
        if isinstance(part, Cue) and part.name == HOLD_ANCHOR:
            anchor = at
        text = plain_text(content, part) if isinstance(part, Say) else cues[part.name]
        entry = entries[normalise(text)]
        items.append((entry["file"], int(entry["duration_ms"])))
        at += int(entry["duration_ms"])
    return items


def run_name(items: Sequence[tuple[str, int] | int]) -> str:
    spec = json.dumps([i if isinstance(i, int) else i[0] for i in items])
    digest = hashlib.sha256(json.dumps([spec, convert.FORMAT_VERSION]).encode()).hexdigest()
    return f"run-{digest[:20]}.mp3"


def _join_runs(content: Content, plan: Plan, entries: Mapping[str, dict[str, Any]],
               out_dir: Path, known_ms: Mapping[str, int], summary: Summary,
               runs: Sequence[Run], force: bool = False) -> dict[str, dict[str, Any]]:
    """Every planned run as one clip in ``out_dir`` (made only when missing)."""
    joined: dict[str, dict[str, Any]] = {}
    for run in runs:
        try:
            items = _run_items(run, content, entries, plan.cues)
        except (KeyError, ValueError) as exc:  # content without the run's words (tests)
            log.debug("run %s not joined: %s", run.key, exc)
            summary.runs_skipped += 1
            continue
        name = run_name(items)
        path = out_dir / name
        if path.exists() and name in known_ms and not force:
            ms = known_ms[name]
            summary.reused += 1
        else:
            convert.concat_parts([i if isinstance(i, int) else out_dir / i[0] for i in items],
                                 path)
            ms = convert.duration_ms(path)
            summary.rendered += 1
        words = " ".join(plain_text(content, p).strip() for p in run.parts
                         if isinstance(p, Say))
        engines = sorted({entries[normalise(plain_text(content, p))]["engine"]
                          for p in run.parts if isinstance(p, Say)})
        joined[run.key] = {"file": name, "duration_ms": ms, "engine": "+".join(engines),
                           "text": words, "kind": run.kind}
    return joined


def build_locale(
    locale: str,
    strings: Mapping[str, str],
    engine: Engine,
    audio_dir: Path = AUDIO_DIR,
    force: bool = False,
    jobs: int | None = None,
    progress: bool = True,
    count_max: int = COUNT_MAX,
    runs: Sequence[Run] | None = None,
) -> Summary:
    """Render everything ``locale`` needs into ``audio_dir/locale``; return the summary.

    ``runs`` (default: :func:`skill.core.runs.planned_runs`) are joined into one clip each
    from the sentence clips, once: a rebuild with no change renders nothing."""
    engine.check()
    convert.tool("ffmpeg")
    convert.tool("ffprobe")
    out_dir = audio_dir / locale
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    plan = plan_locale(strings, locale, count_max)
    summary = Summary(locale=locale, engine=engine.name, skipped=plan.skipped)
    known_ms = _known_durations(_read_manifest(manifest_path))
    entries, todo = _entries(plan, engine, locale, out_dir, force, known_ms, summary)
    _render_all(todo, engine, locale, jobs, progress, entries, summary)
    joined = _join_runs(Content(locale, dict(strings)), plan, entries, out_dir, known_ms,
                        summary, planned_runs() if runs is None else runs, force)
    summary.runs = len(joined)
    summary.longest_run_ms = max((e["duration_ms"] for e in joined.values()), default=0)
    tmp_manifest = manifest_path.with_suffix(".json.part")
    tmp_manifest.write_text(json.dumps(_manifest(locale, plan, entries, joined),
                                       ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp_manifest.replace(manifest_path)
    wanted = {e["file"] for e in entries.values()} | {e["file"] for e in joined.values()}
    _remove_stale(out_dir, wanted, summary)
    summary.clips = len(wanted)
    summary.bytes = sum((out_dir / f).stat().st_size for f in wanted)
    return summary


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halsporre audio build",
        description="Render a locale's sentences and cue sounds into Alexa-ready MP3 clips.",
    )
    p.add_argument("--engine", choices=["gtts", "espeak"], default="gtts",
                   help="gtts (network, natural voice) or espeak (offline). Default: gtts")
    p.add_argument("--locale", action="append", dest="locales", metavar="LOCALE",
                   help="locale to build (repeatable). Default: sv-SE")
    p.add_argument("--force", action="store_true", help="re-render every clip")
    p.add_argument("--audio-dir", type=Path, default=AUDIO_DIR,
                   help=f"output folder (default: {AUDIO_DIR})")
    p.add_argument("--jobs", type=int, default=None, help="parallel renders")
    p.add_argument("--retries", type=int, default=3, help="gTTS retries (with backoff)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None, *,
         load: Callable[[str], Mapping[str, str]] | None = None,
         engine_factory: Callable[..., Engine] = get_engine,
         count_max: int = COUNT_MAX) -> int:
    """Entry point of ``halsporre audio build`` (``argv`` = the arguments after it).

    A leading ``build`` is accepted too (``halsporre audio`` passes its remainder).
    Returns 0 on success, 2 if the engine is unavailable, 1 on other failures.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["build"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if load is None:
        from skill.content import load_content

        def load(locale: str) -> Mapping[str, str]:
            return load_content(locale).strings

    kwargs: dict[str, Any] = {"retries": args.retries} if args.engine == "gtts" else {}
    for locale in args.locales or ["sv-SE"]:
        try:
            engine = engine_factory(args.engine, **kwargs)
            summary = build_locale(locale, load(locale), engine, args.audio_dir,
                                   force=args.force, jobs=args.jobs,
                                   progress=not args.no_progress, count_max=count_max)
        except EngineUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (convert.ToolMissing, convert.ConvertError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for skip in summary.skipped:
            print(f"warning: skipped {skip['key']}: {skip['reason']}", file=sys.stderr)
        if summary.runs_skipped:
            print(f"warning: {summary.runs_skipped} planned runs not joined: their words are "
                  "not in this content", file=sys.stderr)
        print(summary.line())
    return 0


def iter_manifest_texts(manifest: Mapping[str, Any]) -> Iterable[str]:
    """Every text a manifest has a clip for (for checks and tests)."""
    return manifest.get("clips", {}).keys()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
