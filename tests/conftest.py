"""Test-wide settings: progress goes to a temporary SQLite file and trained resolvers to a
temporary cache, never the user's home."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_progress_db():
    with tempfile.TemporaryDirectory(prefix="halsporre-tests-") as tmp:
        old = os.environ.get("HALSPORRE_DB_PATH")
        os.environ["HALSPORRE_DB_PATH"] = os.path.join(tmp, "progress.sqlite3")
        old_cache = os.environ.get("HALSPORRE_NLU_CACHE")
        os.environ["HALSPORRE_NLU_CACHE"] = os.path.join(tmp, "nlu-cache")
        yield
        if old_cache is None:
            os.environ.pop("HALSPORRE_NLU_CACHE", None)
        else:
            os.environ["HALSPORRE_NLU_CACHE"] = old_cache
        if old is None:
            os.environ.pop("HALSPORRE_DB_PATH", None)
        else:
            os.environ["HALSPORRE_DB_PATH"] = old


@pytest.fixture
def alexa_api(monkeypatch):
    """A local HTTPS stand-in for the Alexa API (reminders, settings), trusted by requests."""
    from tests.alexa_api_standin import AlexaApiStandin

    with AlexaApiStandin() as standin:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_file))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield standin
