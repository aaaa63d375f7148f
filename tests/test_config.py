"""Deployment settings read from the environment."""

from __future__ import annotations

import pytest

from skill.config import Settings


def test_booking_page_is_unset_by_default() -> None:
    assert Settings.from_env({}).booking_url is None
    assert Settings.from_env({"HALSPORRE_BOOKING_URL": "  "}).booking_url is None


def test_booking_page_from_the_environment() -> None:
    url = "https://www.tiohundra.se/rehabilitering"
    assert Settings.from_env({"HALSPORRE_BOOKING_URL": url}).booking_url == url


@pytest.mark.parametrize("bad", ["www.tiohundra/rehabilitering", "ftp://example.se/x",
                                 "https://", "javascript:alert(1)", "https://a b.se/"])
def test_a_booking_page_that_is_not_a_web_address_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="HALSPORRE_BOOKING_URL"):
        Settings.from_env({"HALSPORRE_BOOKING_URL": bad})
