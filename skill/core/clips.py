"""Runtime lookup of pre-rendered clips: finished sentence text -> clip URL.

The library reads ``<audio_dir>/<locale>/manifest.json`` (written by
``halsporre audio build``). URLs are ``base_url + "/" + <locale>/<file>``; ``base_url`` is
``Settings.audio_base_url`` (for example ``https://example.org/audio``, where
:mod:`skill.frontends.audio_route` serves the folder). Without a base URL the URLs are
site-relative (``/audio/...``), which suits the local web page but not a real Echo.

:class:`ClipLibrary` satisfies :class:`skill.core.playback.ClipSource` (``lookup`` and
``cue``), and :meth:`ClipLibrary.combine` joins many clips into one so an answer with
more than 5 audio parts still fits Alexa's limit of 5 ``<audio>`` tags.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.core.limits import MAX_AUDIO_TAGS
from skill.resources import audio_dir

log = logging.getLogger(__name__)

AUDIO_DIR = audio_dir()
MANIFEST = "manifest.json"
JOINED_DIR = "joined"
DEFAULT_BASE_URL = "/audio"

_warned: set[str] = set()
_warn_lock = threading.Lock()
_cache: dict[tuple[str, str, str | None], tuple[int | None, ClipLibrary | None]] = {}
_cache_lock = threading.Lock()


def normalise(text: str) -> str:
    """The lookup form of a sentence: whitespace collapsed and trimmed."""
    return " ".join(text.split())


def _warn_once(key: str, msg: str, *args: object) -> None:
    with _warn_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(msg, *args)


MAX_JOINED_FILES = 5000
MAX_JOINED_MB = 500


class _JoinedBudget:
    """How many joined clips a folder holds, counted once per process and then kept up to
    date: the pauses in an answer come back in session attributes, so the joined clips a
    chosen state could ask for are many; the disk they take is bounded."""

    def __init__(self) -> None:
        self._usage: dict[Path, list[int]] = {}
        self._lock = threading.Lock()

    def _count(self, folder: Path) -> list[int]:
        usage = self._usage.get(folder)
        if usage is None:
            files = list(folder.glob("*.mp3")) if folder.is_dir() else []
            usage = self._usage[folder] = [len(files),
                                           sum(f.stat().st_size for f in files)]
        return usage

    def usage(self, folder: Path) -> tuple[int, int, int, int]:
        with self._lock:
            files, size = self._count(folder)
        return files, MAX_JOINED_FILES, size // 2**20, MAX_JOINED_MB

    def allows(self, folder: Path) -> bool:
        with self._lock:
            files, size = self._count(folder)
        return files < MAX_JOINED_FILES and size < MAX_JOINED_MB * 2**20

    def add(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError:
            return  # nothing was written
        with self._lock:
            usage = self._count(path.parent)
            usage[0] += 1
            usage[1] += size


_joined_budget = _JoinedBudget()


@dataclass(frozen=True)
class Clip:
    url: str
    duration_ms: int
    text: str
    path: Path | None = None
    engine: str | None = None


class ClipLibrary:
    """The clips of one locale."""

    def __init__(self, locale: str, root: Path, base_url: str,
                 clips: Mapping[str, Mapping[str, Any]],
                 cues: Mapping[str, Mapping[str, Any]]) -> None:
        self.locale = locale
        self.root = root  # <audio_dir>/<locale>
        self.base_url = base_url.rstrip("/")
        self._clips = dict(clips)
        self._cues = dict(cues)

    @classmethod
    def load(cls, locale: str, audio_dir: Path | str | None = None,
             base_url: str | None = None) -> ClipLibrary | None:
        """The library of ``locale``, or None (logged once) if it has no manifest."""
        root = Path(audio_dir if audio_dir is not None else AUDIO_DIR) / locale
        path = root / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            _warn_once(str(path), "no audio manifest at %s; run: halsporre audio build "
                       "--locale %s", path, locale)
            return None
        except (OSError, ValueError) as exc:
            _warn_once(str(path), "unreadable audio manifest %s: %s", path, exc)
            return None
        return cls(locale, root, base_url or DEFAULT_BASE_URL,
                   data.get("clips", {}), data.get("cues", {}))

    @classmethod
    def cached(cls, locale: str, audio_dir: Path | str | None = None,
               base_url: str | None = None) -> ClipLibrary | None:
        """Like :meth:`load`, but kept in memory until the manifest file changes."""
        root = Path(audio_dir if audio_dir is not None else AUDIO_DIR)
        try:
            stamp = (root / locale / MANIFEST).stat().st_mtime_ns
        except OSError:
            stamp = None
        key = (locale, str(root), base_url)
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        lib = cls.load(locale, root, base_url)
        with _cache_lock:
            _cache[key] = (stamp, lib)
        return lib

    def __len__(self) -> int:
        return len(self._clips)

    def _clip(self, entry: Mapping[str, Any], text: str) -> Clip:
        file = entry["file"]
        return Clip(url=f"{self.base_url}/{self.locale}/{file}",
                    duration_ms=int(entry.get("duration_ms", 0)), text=text,
                    path=self.root / file, engine=entry.get("engine"))

    def lookup(self, text: str) -> Clip | None:
        """The clip that speaks exactly ``text`` (whitespace-insensitive), or None."""
        key = normalise(text)
        entry = self._clips.get(key)
        return self._clip(entry, key) if entry else None

    def cue(self, name: str) -> Clip | None:
        """A cue: ``hold_start``/``hold_end`` tones, ``count.<n>``, ``left.<n>``."""
        entry = self._cues.get(name)
        return self._clip(entry, entry.get("text", name)) if entry else None

    def clip_url(self, text: str) -> str | None:
        clip = self.lookup(text)
        return clip.url if clip else None

    def cue_url(self, name: str) -> str | None:
        clip = self.cue(name)
        return clip.url if clip else None

    def combine(self, parts: Sequence[Clip | int]) -> Clip | None:
        """ONE clip of ``parts`` (clips, and ints = silence in ms), made once and cached.

        Written to ``<locale>/joined/<hash>.mp3`` (served like every clip). Returns None if
        ffmpeg is missing, the folder is read-only or the result would exceed 240 s.
        """
        from skill.tools.audio import convert

        clips = [p for p in parts if isinstance(p, Clip)]
        if not clips:
            return None
        if len(parts) == 1 and isinstance(parts[0], Clip):
            return parts[0]
        paths: list[Path | int] = []
        for p in parts:
            if isinstance(p, Clip):
                if p.path is None:
                    return None
                paths.append(p.path)
            else:
                paths.append(int(p))
        spec = json.dumps([p.name if isinstance(p, Path) else p for p in paths])
        name = hashlib.sha256(spec.encode()).hexdigest()[:20] + ".mp3"
        dest = self.root / JOINED_DIR / name
        text = " ".join(c.text for c in clips)
        if not dest.exists():
            if not _joined_budget.allows(dest.parent):
                _warn_once(f"joined-full:{dest.parent}", "%s holds %d joined clips (limit %d) "
                           "or %d MB (limit %d): no more are made", dest.parent,
                           *_joined_budget.usage(dest.parent))
                return None
            try:
                convert.concat_parts(paths, dest)
                _joined_budget.add(dest)
            except (OSError, convert.ToolMissing, convert.ConvertError) as exc:
                _warn_once(f"combine:{self.root}:{type(exc).__name__}",
                           "cannot join clips in %s: %s", self.root, exc)
                return None
        total = sum(c.duration_ms for c in clips) + sum(p for p in parts if isinstance(p, int))
        return Clip(url=f"{self.base_url}/{self.locale}/{JOINED_DIR}/{name}",
                    duration_ms=total, text=text, path=dest)

    def fit(self, parts: Sequence[Clip | int], max_tags: int = MAX_AUDIO_TAGS
            ) -> list[Clip | int] | None:
        """``parts`` unchanged if they hold at most ``max_tags`` clips, else joined into one.

        The ints stay as pauses (SSML ``<break>``) when nothing is joined. None if joining
        was needed and failed.
        """
        if sum(isinstance(p, Clip) for p in parts) <= max_tags:
            return list(parts)
        joined = self.combine(parts)
        return [joined] if joined else None
