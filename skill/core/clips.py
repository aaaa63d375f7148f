"""Runtime lookup of pre-rendered clips: finished sentence text -> clip URL.

The library reads ``<audio_dir>/<locale>/manifest.json`` (written by
``halsporre audio build``). URLs are ``base_url + "/" + <locale>/<file>``; ``base_url`` is
``Settings.audio_base_url`` (for example ``https://example.org/audio``, where
:mod:`skill.frontends.audio_route` serves the folder). Without a base URL the URLs are
site-relative (``/audio/...``), which suits the local web page but not a real Echo.

:class:`ClipLibrary` satisfies :class:`skill.core.playback.ClipSource` (``lookup`` and
``cue``) and gives the runs the build pre-joined (``run``, see :mod:`skill.core.runs`),
so an Alexa answer fits its 5 ``<audio>`` tags with nothing made at request time.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.resources import audio_dir

log = logging.getLogger(__name__)

AUDIO_DIR = audio_dir()
MANIFEST = "manifest.json"
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
                 cues: Mapping[str, Mapping[str, Any]],
                 runs: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.locale = locale
        self.root = root  # <audio_dir>/<locale>
        self.base_url = base_url.rstrip("/")
        self._clips = dict(clips)
        self._cues = dict(cues)
        self._runs = dict(runs or {})

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
                   data.get("clips", {}), data.get("cues", {}), data.get("runs", {}))

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

    def run(self, key: str) -> Clip | None:
        """The clip the build joined for run ``key`` (:mod:`skill.core.runs`), or None."""
        entry = self._runs.get(key)
        return self._clip(entry, entry.get("text", key)) if entry else None

    def clip_url(self, text: str) -> str | None:
        clip = self.lookup(text)
        return clip.url if clip else None

    def cue_url(self, name: str) -> str | None:
        clip = self.cue(name)
        return clip.url if clip else None
