"""The interaction models' samples are what their grammar files expand to (skill.tools.models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.nlu import CARRIER_SLOTS
from skill.tools import models

ROOT = Path(__file__).resolve().parent.parent / "interaction_models"
LOCALES = ["sv-SE", "en-US", "en-GB"]


def test_expand_alternatives_optionals_and_rules_in_order() -> None:
    rules = {"ask": "(can|could) you tell me"}
    assert models.expand("[<ask>] what (is|are) {section}", rules) == [
        "can you tell me what is {section}",
        "can you tell me what are {section}",
        "could you tell me what is {section}",
        "could you tell me what are {section}",
        "what is {section}",
        "what are {section}",
    ]
    assert models.expand("(hi|hi)", {}) == ["hi"]


@pytest.mark.parametrize("template", ["what (is", "x]", "<nope> please"])
def test_broken_template_is_a_grammar_error(template: str) -> None:
    with pytest.raises(models.GrammarError):
        models.expand(template, {})


def test_a_rule_that_refers_to_itself_is_a_grammar_error() -> None:
    with pytest.raises(models.GrammarError):
        models.expand("<a>", {"a": "x [<a>]"})


def _model() -> dict:
    return json.loads((ROOT / "en-GB.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ({"ThanksIntent": ["cheers"], "AMAZON.YesIntent": ["Cheers"]}, "in both"),
        ({"ThanksIntent": ["thanks {section}"]}, "not a slot"),
        ({"ThanksIntent": ["thanks!"]}, "only letters"),
        ({"ThanksIntent": ["thanks" + " ta" * 70]}, "longer"),
        ({"ThanksIntent": ["thanks 2"]}, "only letters"),
        ({"NoSuchIntent": ["thanks"]}, "not an intent"),
    ],
)
def test_rule_breaking_samples_are_reported(samples: dict, expected: str) -> None:
    found = models.problems(_model(), samples)
    assert any(expected in problem for problem in found), found


def test_abbreviations_and_apostrophes_are_allowed() -> None:
    samples = {"ThanksIntent": ["that's grand ta", "thanks dr. smith"]}
    assert models.problems(_model(), samples) == []


def test_every_locale_has_a_grammar() -> None:
    assert models.grammar_locales(ROOT) == sorted(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_model_is_the_grammar_built(locale: str) -> None:
    committed = (ROOT / f"{locale}.json").read_text(encoding="utf-8")
    assert models.built_model(ROOT, locale) == committed, "run: halsporre models build"


def test_check_reports_a_stale_model(tmp_path: Path) -> None:
    root = tmp_path / "interaction_models"
    (root / "grammar").mkdir(parents=True)
    (root / "grammar" / "en-GB.yaml").write_text(
        "include: [shared]\nrules:\n  thanks: (thanks|cheers)\n"
        "intents:\n  ThanksIntent:\n    - <thanks> [a lot]\n",
        encoding="utf-8",
    )
    (root / "grammar" / "shared.yaml").write_text(
        "intents:\n  ThanksIntent:\n    - thank you\n    - cheers a lot\n"
        "  AMAZON.YesIntent:\n    - thanks\n", encoding="utf-8"
    )
    (root / "en-GB.json").write_text(models.dump(_model()), encoding="utf-8")
    assert models.main(["check", "--root", str(root)]) == 1
    assert models.main(["build", "--root", str(root)]) == 0
    assert models.main(["check", "--root", str(root)]) == 0
    built = json.loads((root / "en-GB.json").read_text(encoding="utf-8"))
    intents = {i["name"]: i for i in built["interactionModel"]["languageModel"]["intents"]}
    assert intents["ThanksIntent"]["samples"] == [
        "thanks a lot", "thanks", "cheers a lot", "cheers", "thank you"
    ]
    # a shared sample the locale gives to another intent is left out
    assert intents["AMAZON.YesIntent"]["samples"] == []


OPENER = models.Carrier("opener", "OpenerType", "start", ("so", "could you tell me", "could you"))
CLOSER = models.Carrier("closer", "CloserType", "end", ("please", "then"))


def test_courtesy_words_become_one_slot_sample_per_rest() -> None:
    samples = {
        "SymptomsIntent": ["what are the symptoms", "so what are the symptoms",
                           "could you tell me what are the symptoms", "could you read it",
                           "could you read it please", "the symptoms then"],
        "InfoIntent": ["could you tell me {section}", "{section} please"],  # slot beside: kept
        "AMAZON.StopIntent": ["so stop", "stop please"],  # built-ins take no slots: kept
    }
    out = models.with_carriers(samples, [OPENER, CLOSER])
    assert out["SymptomsIntent"] == [
        "what are the symptoms", "{opener} what are the symptoms", "{opener} read it",
        "the symptoms {closer}", "{opener} read it {closer}",
        "{opener} what are the symptoms {closer}"]  # an opening takes an ending too
    assert out["InfoIntent"] == ["could you tell me {section}", "{section} please"]
    assert out["AMAZON.StopIntent"] == ["so stop", "stop please"]


def test_a_rest_two_intents_share_keeps_its_samples() -> None:
    samples = {"SymptomsIntent": ["so what now"], "ProgressIntent": ["could you what now"]}
    assert models.with_carriers(samples, [OPENER]) == samples


def test_carried_model_declares_the_slot_where_used_and_the_type_once() -> None:
    samples = {"SymptomsIntent": ["{opener} what are the symptoms"], "ThanksIntent": ["ta"]}
    model = models.carried_model(_model(), [OPENER, CLOSER], samples)
    lm = model["interactionModel"]["languageModel"]
    intents = {i["name"]: i for i in lm["intents"]}
    assert {"name": "opener", "type": "OpenerType"} in intents["SymptomsIntent"]["slots"]
    assert "closer" not in {s["name"] for s in intents["SymptomsIntent"]["slots"]}
    assert "opener" not in {s["name"] for s in intents["ThanksIntent"].get("slots", [])}
    (opener,) = [t for t in lm["types"] if t["name"] == "OpenerType"]
    assert [v["name"]["value"] for v in opener["values"]] == list(OPENER.phrases)
    assert len({v["id"] for v in opener["values"]}) == 3
    assert models.problems(model, samples) == []
    again = models.carried_model(model, [OPENER], {"ThanksIntent": ["ta"]})
    assert all(s["name"] != "opener" for i in again["interactionModel"]["languageModel"][
        "intents"] for s in i.get("slots", []))


@pytest.mark.parametrize("carrier", ["{slot: opener}",
                                     "{slot: o, type: T, at: middle, phrases: [so]}"])
def test_a_carrier_without_its_parts_is_a_grammar_error(tmp_path: Path, carrier: str) -> None:
    (tmp_path / "grammar").mkdir()
    (tmp_path / "grammar" / "xx-XX.yaml").write_text(
        f"carriers: [{carrier}]\nintents: {{}}\n", encoding="utf-8")
    with pytest.raises(models.GrammarError):
        models.load_grammar(tmp_path, "xx-XX")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_resolver_leaves_out_exactly_the_grammars_carrier_slots(locale: str) -> None:
    """skill.nlu names the courtesy-word slots the build writes; the two must agree."""
    carriers = models.load_grammar(ROOT, locale).carriers
    assert {c.slot for c in carriers} == CARRIER_SLOTS
