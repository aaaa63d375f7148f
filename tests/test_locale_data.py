"""One language's data lives together in skill/content/<locale>/, with the same keys
everywhere: the words, the web page's labels and the voice front ends' words."""

from __future__ import annotations

import pytest

from skill.content import CONTENT_DIR, LOCALE_DATA, load_content, locale_data
from skill.core.limits import HOLD_MAX
from skill.core.locales import SUPPORTED_LOCALES
from skill.frontends.console import ConsoleSession
from skill.tools.audio.build import cue_phrases

REFERENCE = SUPPORTED_LOCALES[0]


def _shape(value: object) -> object:
    """Keys (recursively) and the length of lists: what every locale must share."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return ("list", len(value) if value and isinstance(value[0], str) and
                len(value) == HOLD_MAX else "any")
    return type(value).__name__


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_locale_has_the_same_words_keys(locale) -> None:
    assert set(load_content(locale).strings) == set(load_content(REFERENCE).strings)


@pytest.mark.parametrize("name", LOCALE_DATA)
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_locale_has_the_same_data_keys(locale, name) -> None:
    assert (CONTENT_DIR / locale / f"{name}.json").is_file()
    assert _shape(dict(locale_data(locale, name))) == _shape(dict(locale_data(REFERENCE, name)))


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_number_words_cover_the_longest_hold(locale) -> None:
    voice = locale_data(locale, "voice")
    assert len(voice["number_words"]) >= HOLD_MAX
    assert "{word}" in voice["seconds_left"]["many"]
    phrases = cue_phrases(locale)
    assert phrases[f"count.{HOLD_MAX}"] == voice["number_words"][HOLD_MAX - 1]


def test_swedish_cues_and_launch_words_come_from_the_swedish_data() -> None:
    assert cue_phrases("sv-SE")["left.20"] == "tjugo sekunder kvar"
    assert cue_phrases("en-GB")["count.5"] == "five"
    assert ConsoleSession("sv-SE", user="t").is_launch_phrase("öppna hälsporre coachen")
    assert not ConsoleSession("en-US", user="t").is_launch_phrase("öppna heel spur coach")


def test_unknown_locale_data_is_refused() -> None:
    with pytest.raises(ValueError):
        locale_data("fr-FR", "page")
    with pytest.raises(ValueError):
        locale_data("sv-SE", "secrets")
