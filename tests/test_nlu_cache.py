"""Trained resolvers are kept on disk and reused only while the model stays the same."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from skill import nlu
from skill.nlu import Resolver


def _model(samples: dict[str, list[str]]) -> dict:
    return {"interactionModel": {"languageModel": {
        "invocationName": "heel coach",
        "intents": [{"name": name, "samples": s} for name, s in samples.items()],
        "types": [],
    }}}


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    (root / "en-GB.json").write_text(json.dumps(_model(
        {"GreetingIntent": ["hello", "hi there"], "ThanksIntent": ["thanks", "thank you"]}
    )), encoding="utf-8")
    monkeypatch.setenv("HALSPORRE_MODELS_DIR", str(root))
    monkeypatch.setenv(nlu.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(Resolver, "_cache", {})
    return root


def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained again")
    monkeypatch.setattr(Resolver, "__init__", refuse)


def test_a_trained_resolver_is_loaded_next_time(models: Path, monkeypatch) -> None:
    first = Resolver.for_locale("en-GB").resolve("thank you very much")
    files = list((models.parent / "cache").glob("en-GB-*.pickle"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0
    monkeypatch.setattr(Resolver, "_cache", {})
    _no_training(monkeypatch)
    assert Resolver.for_locale("en-GB").resolve("thank you very much") == first


def test_a_changed_model_is_trained_afresh(models: Path, monkeypatch) -> None:
    Resolver.for_locale("en-GB")
    (models / "en-GB.json").write_text(json.dumps(_model(
        {"GreetingIntent": ["hello", "hiya"], "ThanksIntent": ["cheers", "thank you"]}
    )), encoding="utf-8")
    monkeypatch.setattr(Resolver, "_cache", {})
    assert Resolver.for_locale("en-GB").resolve("hiya").intent == "GreetingIntent"
    assert len(list((models.parent / "cache").glob("en-GB-*.pickle"))) == 2


def test_a_file_others_could_write_is_not_loaded(models: Path, monkeypatch) -> None:
    Resolver.for_locale("en-GB")
    (stored,) = (models.parent / "cache").glob("en-GB-*.pickle")
    os.chmod(stored, 0o666)
    monkeypatch.setattr(Resolver, "_cache", {})
    _no_training(monkeypatch)
    with pytest.raises(AssertionError, match="trained again"):
        Resolver.for_locale("en-GB")


def test_the_cache_can_be_switched_off(models: Path, monkeypatch) -> None:
    monkeypatch.setenv(nlu.CACHE_ENV, "off")
    assert nlu.cache_dir() is None
    Resolver.for_locale("en-GB")
    assert not (models.parent / "cache").exists()
