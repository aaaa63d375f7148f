"""Test-wide settings: progress goes to a temporary SQLite file, never the user's home."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_progress_db():
    with tempfile.TemporaryDirectory(prefix="halsporre-tests-") as tmp:
        old = os.environ.get("HALSPORRE_DB_PATH")
        os.environ["HALSPORRE_DB_PATH"] = os.path.join(tmp, "progress.sqlite3")
        yield
        if old is None:
            os.environ.pop("HALSPORRE_DB_PATH", None)
        else:
            os.environ["HALSPORRE_DB_PATH"] = old
