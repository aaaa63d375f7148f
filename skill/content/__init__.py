"""Every spoken word: per-locale YAML files, flattened to dotted keys.

Layout: ``skill/content/<locale>/*.yaml``. All files of a locale are merged; a key may
be defined only once. A locale listed in :data:`skill.core.locales.INHERITS` (en-GB) starts
from its parent's text and its own files override only what differs.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from skill.core.locales import INHERITS, SUPPORTED_LOCALES

CONTENT_DIR = Path(__file__).resolve().parent
#: libyaml's safe loader when PyYAML was built with it (several times faster at start-up).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _read_locale_dir(directory: Path) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        tree = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        if not isinstance(tree, Mapping):
            raise ContentError(f"{path}: top level must be a mapping")
        for key, value in _flatten(tree).items():
            if key in merged:
                raise ContentError(f"{path}: key {key!r} is defined twice")
            merged[key] = value
    return merged


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
