"""A plain ``pip install halsporre`` (no ``nlu`` extra) still understands and never fails.

scikit-learn lives in the ``nlu`` extra. Without it the resolver says so in one log line
and keeps its exact steps: every listed sample (with or without accents and courtesy
words) is understood, and anything else is ``AMAZON.FallbackIntent`` - never a traceback
in the console or a 500 from the web page.
"""

from __future__ import annotations

import json
import logging
import sys

import pytest

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.frontends.web import create_app
from skill.frontends.webpage import web_config
from skill.frontends.webpage.limits import MemoryRateStore
from skill.nlu import Resolver
from skill.resources import models_dir


@pytest.fixture
def no_sklearn(monkeypatch):
    """Imports of scikit-learn fail, as where the extra is not installed."""
    for name in [m for m in sys.modules if m.split(".")[0] == "sklearn"] + ["sklearn"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "skill.nlu_classifier", raising=False)
    monkeypatch.setattr(Resolver, "_cache", {})
    monkeypatch.setenv("HALSPORRE_NLU_CACHE", "off")  # a cached resolver holds a classifier
    # an earlier test's logging setup may have switched this logger off
    monkeypatch.setattr(logging.getLogger("skill.nlu"), "disabled", False)
    monkeypatch.setattr(logging.getLogger("skill.nlu"), "propagate", True)


def _first_sample(locale: str, intent: str) -> str:
    model = json.loads((models_dir() / f"{locale}.json").read_text(encoding="utf-8"))
    intents = model["interactionModel"]["languageModel"]["intents"]
    return next(s for i in intents if i["name"] == intent for s in i["samples"] if "{" not in s)


def test_listed_phrasings_are_understood_and_the_rest_falls_back(no_sklearn, caplog):
    with caplog.at_level(logging.WARNING, logger="skill.nlu"):
        resolver = Resolver.for_locale("sv-SE")
    lines = [r for r in caplog.records if r.name == "skill.nlu"]
    assert len(lines) == 1 and "halsporre[nlu]" in lines[0].getMessage()
    sample = _first_sample("sv-SE", "ClinicIntent")
    assert resolver.resolve(sample).intent == "ClinicIntent"
    assert resolver.resolve(sample.upper() + " tack").intent == "ClinicIntent"
    assert resolver.resolve("blå elefanter dansar tango").intent == "AMAZON.FallbackIntent"
    assert not resolver.has_classifier


def test_web_page_answers_without_the_classifier(no_sklearn, tmp_path):
    settings = Settings(db_path=tmp_path / "progress.sqlite3",
                        web_secret="a test secret, long enough")
    app = create_app(build_skill(settings), verify=True, settings=settings,
                     web=web_config(settings, rate_store=MemoryRateStore()))
    client = app.test_client()
    assert client.post("/api/start", json={"locale": "en-US"}).status_code == 200
    sample = _first_sample("en-US", "ClinicIntent")
    reply = client.post("/api/talk", json={"locale": "en-US", "text": sample})
    assert reply.status_code == 200
    odd = client.post("/api/talk", json={"locale": "en-US", "text": "purple elephants dance tango"})
    assert odd.status_code == 200
