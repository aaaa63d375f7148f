"""Every spoken word: per-locale YAML files, flattened to dotted keys.

Layout: ``skill/content/<locale>/*.yaml``. All files of a locale are merged; a key may
be defined only once. A locale listed in :data:`skill.core.locales.INHERITS` (en-GB) starts
from its parent's text and its own files override only what differs.

The YAML files are the source.  ``python -m skill.content`` compiles each locale's files to
``<locale>/compiled.json`` (flattened strings plus a CRC-32 of the YAML bytes); a process
uses that file only while the fingerprint matches the YAML beside it, and otherwise parses
the YAML itself - so a cold start needs neither PyYAML's import nor its parse, and an
edited YAML file is never shadowed by a stale compilation.
"""

from __future__ import annotations

import json
import string
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from skill.core.locales import INHERITS, SUPPORTED_LOCALES

CONTENT_DIR = Path(__file__).resolve().parent
#: Each locale's YAML files, flattened at build time (see the module's docstring).
COMPILED = "compiled.json"


class ContentError(ValueError):
    """The content files are inconsistent (missing keys, bad placeholders, ...)."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        elif isinstance(value, str):
            flat[dotted] = value.strip()
        else:
            raise ContentError(f"{dotted}: expected text, got {type(value).__name__}")
    return flat


def _parse_yaml(sources: list[tuple[Path, bytes]]) -> dict[str, str]:
    import yaml  # only when the compiled strings are missing or stale

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it
    merged: dict[str, str] = {}
    for path, data in sources:
        tree = yaml.load(data.decode("utf-8"), Loader=loader) or {}
        if not isinstance(tree, Mapping):
            raise ContentError(f"{path}: top level must be a mapping")
        for key, value in _flatten(tree).items():
            if key in merged:
                raise ContentError(f"{path}: key {key!r} is defined twice")
            merged[key] = value
    return merged


def _sources(directory: Path) -> tuple[list[tuple[Path, bytes]], str]:
    """The locale's YAML files with their bytes, and a fingerprint of names and bytes."""
    sources = [(path, path.read_bytes()) for path in sorted(directory.glob("*.yaml"))]
    crc = 0
    for path, data in sources:
        crc = zlib.crc32(data, zlib.crc32(path.name.encode("utf-8") + b"\0", crc))
    return sources, f"{crc:08x}"


def _compiled(directory: Path, fingerprint: str) -> dict[str, str] | None:
    try:
        data = json.loads((directory / COMPILED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("source_crc32") != fingerprint:
        return None
    strings = data.get("strings")
    return strings if isinstance(strings, dict) else None


def _read_locale_dir(directory: Path) -> dict[str, str]:
    sources, fingerprint = _sources(directory)
    compiled = _compiled(directory, fingerprint)
    return compiled if compiled is not None else _parse_yaml(sources)


def compile_locale_dir(directory: Path) -> Path:
    """Write ``directory/compiled.json`` from the YAML files in ``directory``."""
    sources, fingerprint = _sources(directory)
    out = directory / COMPILED
    text = json.dumps({"_comment": "made by `python -m skill.content` from the YAML files "
                                   "here; edit those, not this",
                       "source_crc32": fingerprint, "strings": _parse_yaml(sources)},
                      ensure_ascii=False, indent=1)
    out.write_text(text + "\n", encoding="utf-8")
    return out


#: Placeholders the speech layer fills from ``clinic.*`` itself (never dialogue params), so
#: a locale may use them or not: English cards add the international form of the number.
SPEECH_FIELDS: dict[str, str] = {
    "phone": "clinic.phone",
    "phone_international": "clinic.phone_international",
}


@lru_cache(maxsize=4096)
def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a content string expects (remembered: every turn checks the parts
    that come back in session attributes against them)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


@dataclass(frozen=True)
class Content:
    """The words of one locale."""

    locale: str
    strings: Mapping[str, str]

    def text(self, key: str, **params: object) -> str:
        """The plain text of ``key`` with its placeholders filled in."""
        try:
            template = self.strings[key]
        except KeyError:
            raise ContentError(f"{self.locale}: no content key {key!r}") from None
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self.strings

    def keys_under(self, prefix: str) -> list[str]:
        return [k for k in self.strings if k.startswith(prefix)]


@cache
def load_content(locale: str, content_dir: Path = CONTENT_DIR) -> Content:
    """Load the words of ``locale`` (a supported locale, see :mod:`skill.core.locales`)."""
    if locale not in SUPPORTED_LOCALES:
        raise ContentError(f"no content for locale {locale!r}")
    strings: dict[str, str] = {}
    parent = INHERITS.get(locale)
    if parent:
        strings.update(load_content(parent, content_dir).strings)
    own = _read_locale_dir(content_dir / locale)
    if parent:
        unknown = set(own) - set(strings)
        if unknown:
            raise ContentError(f"{locale} overrides keys its parent lacks: {sorted(unknown)}")
    strings.update(own)
    return Content(locale=locale, strings=strings)


ECHO_PREFIX = "echo."


@cache
def echo_content(locale: str) -> Content:
    """The words of ``locale`` when an English-speaking Echo listens (Swedish on an Echo):
    each ``echo.<key>`` in place of ``<key>`` (help that names the English words)."""
    base = load_content(locale)
    return Content(locale, {key: base.strings.get(ECHO_PREFIX + key, text)
                            for key, text in base.strings.items()})


def validate_all(content_dir: Path = CONTENT_DIR) -> None:
    """Raise :class:`ContentError` unless every locale has the same keys and placeholders
    (those in :data:`SPEECH_FIELDS` excepted)."""
    loaded = {loc: load_content(loc, content_dir) for loc in SUPPORTED_LOCALES}
    reference = loaded[SUPPORTED_LOCALES[0]]
    for locale, content in loaded.items():
        missing = set(reference.strings) - set(content.strings)
        extra = set(content.strings) - set(reference.strings)
        if missing or extra:
            raise ContentError(f"{locale}: missing {sorted(missing)}, extra {sorted(extra)}")
        for key, text in content.strings.items():
            if placeholders(text) - set(SPEECH_FIELDS) != \
                    placeholders(reference.strings[key]) - set(SPEECH_FIELDS):
                raise ContentError(f"{locale}:{key}: placeholders differ from {reference.locale}")


#: The per-locale data files besides the spoken words (same keys in every locale).
LOCALE_DATA = ("page", "voice")


@cache
def locale_data(locale: str, name: str, content_dir: Path = CONTENT_DIR) -> Mapping[str, Any]:
    """``<locale>/<name>.json``: the web page's labels (``page``) or the words the voice
    front ends need (``voice``: launch words, number words, "seconds left")."""
    if locale not in SUPPORTED_LOCALES or name not in LOCALE_DATA:
        raise ContentError(f"no {name!r} data for locale {locale!r}")
    data = json.loads((content_dir / locale / f"{name}.json").read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ContentError(f"{locale}/{name}.json: top level must be an object")
    return {k: v for k, v in data.items() if not k.startswith("_")}
