"""Which locales the skill speaks, and how an unknown one falls back."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SUPPORTED_LOCALES: tuple[str, ...] = ("sv-SE", "en-US", "en-GB")
DEFAULT_LOCALE = "en-US"

#: Locales whose text inherits from another; only the differences are written down.
INHERITS: dict[str, str] = {"en-GB": "en-US"}

#: A language without its exact locale falls back to this one ("sv-FI" -> "sv-SE"); the
#: web page gets the same table for the browser's languages.
LANGUAGE_FALLBACK: dict[str, str] = {"sv": "sv-SE", "en": "en-US"}

#: Locales Alexa can speak itself; the others need pre-rendered audio clips.
ALEXA_LOCALES: frozenset[str] = frozenset({"en-US", "en-GB"})


def resolve_locale(requested: str | None) -> str:
    """Return the supported locale to answer in; unknown ones get English, with a log line."""
    if requested is not None and requested in SUPPORTED_LOCALES:
        return requested
    if requested:
        for locale in SUPPORTED_LOCALES:
            if locale.lower() == requested.lower():
                return locale
        fallback = LANGUAGE_FALLBACK.get(requested.split("-")[0].lower())
        if fallback:
            return fallback
    log.warning("unsupported locale %r, answering in %s", requested, DEFAULT_LOCALE)
    return DEFAULT_LOCALE
