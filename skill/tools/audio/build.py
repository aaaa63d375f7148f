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

from skill.core.clips import AUDIO_DIR, JOINED_DIR, MANIFEST, normalise
from skill.core.limits import EXERCISES, HOLD_MAX, HOLD_MIN, MAX_CLIP_MS, REPS
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


PLACEHOLDER_DOMAINS: dict[str, Callable[[Mapping[str, str]], list[object]]] = {
    "seconds": lambda _s: list(range(1, HOLD_MAX + 1)),
    "number": lambda _s: list(range(1, 6)),
    "total": lambda _s: list(range(1, 6)),
    "exercise": lambda _s: list(range(1, 6)),
    "remaining": lambda _s: list(range(0, 6)),
    "reps": lambda _s: list(range(1, 6)),
    "holds": lambda _s: list(range(0, 10)),
    "count": lambda _s: list(range(6, 21)),  # sessions today beyond the ordinal words
    "phone": _phone,
    "title": _values_of(r"info\.sections\.[^.]+\.title"),
    "ordinal": _values_of(r"progress\.ordinal\.[^.]+"),
}

#: Per-key exceptions to :data:`PLACEHOLDER_DOMAINS` (``{holds} of {total}`` counts holds).
KEY_DOMAINS: dict[str, dict[str, Callable[[Mapping[str, str]], list[object]]]] = {
    "stretch.left.count": {"total": lambda _s: list(range(1, 10))},
    "progress.sessions_today": {"count": lambda _s: list(range(1, 21))},
    # the leaflet's ranges: exercises, reps, holds of HOLD_MIN..HOLD_MAX s
    "stretch.intro": {"seconds": lambda _s: list(range(HOLD_MIN, HOLD_MAX + 1)),
                      "total": lambda _s: list(range(1, len(EXERCISES) + 1)),
                      "reps": lambda _s: list(range(1, REPS + 1))},
}

#: Keys that are never spoken (links, addresses and the international number shown on
#: cards; how names are pronounced).
NOT_SPOKEN = re.compile(r"(^|.*[._])(url|link|email|href|international)$|pronounce\.")

# --------------------------------------------------------------------------------------
# The cue set
# --------------------------------------------------------------------------------------

NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "sv": ("ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio",
           "elva", "tolv", "tretton", "fjorton", "femton", "sexton", "sjutton", "arton",
           "nitton", "tjugo", "tjugoett", "tjugotvå", "tjugotre", "tjugofyra", "tjugofem",
           "tjugosex", "tjugosju", "tjugoåtta", "tjugonio", "trettio"),
    "en": ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
           "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
           "eighteen", "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-three",
           "twenty-four", "twenty-five", "twenty-six", "twenty-seven", "twenty-eight",
           "twenty-nine", "thirty"),
}
SECONDS_LEFT: dict[str, tuple[str, str]] = {
    "sv": ("en sekund kvar", "{word} sekunder kvar"),
    "en": ("one second left", "{word} seconds left"),
}
COUNT_MAX = HOLD_MAX


def cue_phrases(locale: str, count_max: int = COUNT_MAX) -> dict[str, str]:
    """Spoken cues: ``count.<n>`` -> "fem", ``left.<n>`` -> "tjugo sekunder kvar"."""
    lang = locale.split("-")[0]
    words = NUMBER_WORDS.get(lang, NUMBER_WORDS["en"])
    one_left, n_left = SECONDS_LEFT.get(lang, SECONDS_LEFT["en"])
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


def plan_locale(strings: Mapping[str, str], locale: str, count_max: int = COUNT_MAX) -> Plan:
    plan = Plan()
    for key in sorted(strings):
        template = strings[key]
        if NOT_SPOKEN.match(key):
            plan.skipped.append({"key": key, "reason": "not spoken"})
            continue
        if not template.strip():
            continue
        try:
            names = _fields(template)
        except ValueError as exc:
            plan.skipped.append({"key": key, "reason": f"bad template: {exc}"})
            continue
        if not names:
            spoken = spell_phone(template) if key == PHONE_KEY else template
            plan.add(template, spoken, {"key": key})
            continue
        if any(not n.isidentifier() for n in names):
            plan.skipped.append({"key": key, "reason": "positional or attribute placeholder"})
            continue
        known = {**PLACEHOLDER_DOMAINS, **KEY_DOMAINS.get(key, {})}
        unknown = [n for n in names if n not in known]
        if unknown:
            plan.skipped.append(
                {"key": key, "reason": f"no domain for placeholder(s) {', '.join(unknown)}"})
            continue
        domains = [known[n](strings) for n in names]
        empty = [n for n, d in zip(names, domains, strict=True) if not d]
        if empty:
            plan.skipped.append({"key": key, "reason": f"empty domain for {', '.join(empty)}"})
            continue
        total = 1
        for d in domains:
            total *= len(d)
        if total > MAX_VARIANTS:
            plan.skipped.append(
                {"key": key, "reason": f"{total} variants (over {MAX_VARIANTS})"})
            continue
        for combo in itertools.product(*domains):
            params = dict(zip(names, combo, strict=True))
            try:
                text = template.format(**params)
                spoken_params = dict(params)
                if "phone" in params:
                    spoken_params["phone"] = spell_phone(str(params["phone"]))
                spoken = template.format(**spoken_params)
            except (ValueError, KeyError, IndexError) as exc:
                plan.skipped.append({"key": key, "reason": f"cannot format: {exc}"})
                break
            shown = {k: v for k, v in params.items() if k != "phone"}
            plan.add(text, spoken, {"key": key, "params": shown})
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

    def line(self) -> str:
        return (f"{self.locale}: rendered {self.rendered}, reused {self.reused}, "
                f"removed {self.removed}, skipped {len(self.skipped)} "
                f"({self.clips} clips, {self.bytes / 1_000_000:.1f} MB, engine {self.engine})")


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


def build_locale(
    locale: str,
    strings: Mapping[str, str],
    engine: Engine,
    audio_dir: Path = AUDIO_DIR,
    force: bool = False,
    jobs: int | None = None,
    progress: bool = True,
    count_max: int = COUNT_MAX,
) -> Summary:
    """Render everything ``locale`` needs into ``audio_dir/locale``; return the summary."""
    engine.check()
    convert.tool("ffmpeg")
    convert.tool("ffprobe")
    out_dir = audio_dir / locale
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    old = _read_manifest(manifest_path)
    known_ms: dict[str, int] = {}
    for entry in [*old.get("clips", {}).values(), *old.get("cues", {}).values()]:
        if isinstance(entry, dict) and "file" in entry and "duration_ms" in entry:
            known_ms[entry["file"]] = int(entry["duration_ms"])

    plan = plan_locale(strings, locale, count_max)
    summary = Summary(locale=locale, engine=engine.name, skipped=plan.skipped)
    speech_voice = engine.voice(locale)

    entries: dict[str, dict[str, Any]] = {}
    todo: list[tuple[Item, Path]] = []
    for text, item in plan.items.items():
        if item.kind == "tone":
            eng, voice = "ffmpeg-sine", "tone"
        else:
            eng, voice = engine.name, speech_voice
        name = clip_name(item.spoken, voice, eng)
        entries[text] = {"file": name, "engine": eng, "voice": voice}
        path = out_dir / name
        if path.exists() and not force:
            ms = known_ms.get(name)
            entries[text]["duration_ms"] = ms if ms is not None else convert.duration_ms(path)
            summary.reused += 1
        else:
            todo.append((item, path))

    def render(item: Item, path: Path) -> int:
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

    workers = jobs or (2 if engine.name == "gtts" else min(8, os.cpu_count() or 2))
    bar = _progress(len(todo), progress, f"{locale} {engine.name}")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(render, item, path): item for item, path in todo}
            try:
                for fut in as_completed(futures):
                    item = futures[fut]
                    entries[item.text]["duration_ms"] = fut.result()
                    summary.rendered += 1
                    bar.update(1)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        bar.close()

    clips: dict[str, dict[str, Any]] = {}
    for text, item in plan.items.items():
        if item.kind == "tone":
            continue
        clips[text] = {**entries[text], "sources": item.sources}
    cues: dict[str, dict[str, Any]] = {}
    for name, text in plan.cues.items():
        entry = dict(entries[text])
        if not text.startswith("tone:"):
            entry["text"] = text
        cues[name] = entry
    manifest = {
        "version": MANIFEST_VERSION,
        "locale": locale,
        "format": {"codec": "mp3", "sample_rate": convert.SAMPLE_RATE,
                   "bitrate": convert.BITRATE, "channels": convert.CHANNELS,
                   "format_version": convert.FORMAT_VERSION},
        "clips": dict(sorted(clips.items())),
        "cues": dict(sorted(cues.items())),
        "skipped": plan.skipped,
    }
    tmp_manifest = manifest_path.with_suffix(".json.part")
    tmp_manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
    tmp_manifest.replace(manifest_path)

    wanted = {e["file"] for e in entries.values()}
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and (path.suffix == ".mp3" and path.name not in wanted
                               or path.name.endswith(".part")):
            path.unlink()
            summary.removed += path.suffix == ".mp3"
    joined = out_dir / JOINED_DIR
    if joined.is_dir():  # joined answers derive from old clips; they are rebuilt on demand
        for path in joined.glob("*.mp3"):
            path.unlink()
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
        print(summary.line())
    return 0


def iter_manifest_texts(manifest: Mapping[str, Any]) -> Iterable[str]:
    """Every text a manifest has a clip for (for checks and tests)."""
    return manifest.get("clips", {}).keys()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
