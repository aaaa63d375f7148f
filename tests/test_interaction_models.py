"""The interaction models obey Alexa's format, our schema and docs/ARCHITECTURE.md."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "interaction_models"
LOCALES = ["sv-SE", "en-US", "en-GB"]
ARCH = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")

SLOT_RE = re.compile(r"\{([^}]*)\}")
LAUNCH_WORDS = {
    "alexa",
    "amazon",
    "echo",
    "computer",
    "skill",
    "app",
    "open",
    "ask",
    "launch",
    "start",
    "begin",
    "tell",
    "load",
    "play",
    "resume",
    "run",
    "use",
    "talk",
    "to",
    "for",
    "from",
}
SECTION_IDS = {
    "about",
    "symptoms",
    "causes",
    "prognosis",
    "treatment",
    "exercises",
    "seek_care",
    "clinic",
}


def _custom_intents_from_contract() -> dict[str, dict[str, str]]:
    """Intent -> {slot: type} from the contract's custom intent table."""
    out: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"^\| `(\w+Intent)` \| ([^|]*)\|", ARCH, re.MULTILINE):
        slots = dict(re.findall(r"`(\w+)` : `([\w.]+)`", m.group(2)))
        out[m.group(1)] = slots
    return out


CUSTOM = _custom_intents_from_contract()
#: The courtesy words' slots (the contract's note under the intent table): on the custom
#: intents whose samples use them, which differ from locale to locale.
CARRIERS = dict(re.findall(r"carrier slot `(\w+)` : `(\w+)`", ARCH))
BUILTIN = sorted(set(re.findall(r"`(AMAZON\.\w+Intent)`", ARCH)))


def _load(locale: str) -> dict:
    return json.loads((MODELS / f"{locale}.json").read_text(encoding="utf-8"))


def _lm(locale: str) -> dict:
    return _load(locale)["interactionModel"]["languageModel"]


def _norm(sample: str) -> str:
    return " ".join(sample.casefold().split())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((MODELS / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_contract_parsed() -> None:
    assert len(CUSTOM) == 20
    assert CUSTOM["InfoIntent"] == {"section": "SectionType"}
    assert CUSTOM["SetLanguageIntent"] == {"language": "LanguageType"}
    assert CUSTOM["SetSetupTimeIntent"] == {"length": "LengthType", "seconds": "AMAZON.NUMBER"}
    assert CUSTOM["GreetingIntent"] == {} and CUSTOM["MedicalQuestionIntent"] == {}
    assert CUSTOM["SetHoldTimeIntent"] == {"seconds": "AMAZON.NUMBER"}
    assert "AMAZON.FallbackIntent" in BUILTIN and len(BUILTIN) == 14


@pytest.mark.parametrize("locale", LOCALES)
def test_model_validates_against_schema(locale: str, validator) -> None:
    errors = [e.message for e in validator.iter_errors(_load(locale))]
    assert errors == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"].update(
                invocatonName="heel spur coach"
            ),
            id="misspelled-key",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"]["intents"][0].update(sample=["x"]),
            id="intent-typo",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"]["intents"][0]["samples"].append(
                "hold for 20 seconds"
            ),
            id="digits-in-sample",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"]["intents"][0]["samples"].append(
                "what is it?"
            ),
            id="punctuation-in-sample",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"]["types"][0]["values"][0][
                "name"
            ].update(synonym=["x"]),
            id="value-typo",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"].update(invocationName="Coach"),
            id="bad-invocation",
        ),
        pytest.param(
            lambda m: m["interactionModel"]["languageModel"].pop("intents"), id="missing-intents"
        ),
    ],
)
def test_schema_rejects_broken_model(mutate, validator) -> None:
    model = copy.deepcopy(_load("en-US"))
    assert validator.is_valid(model)
    mutate(model)
    assert not validator.is_valid(model)


@pytest.mark.parametrize("locale", LOCALES)
def test_invocation_name_rules(locale: str) -> None:
    name = _lm(locale)["invocationName"]
    words = name.split(" ")
    assert len(words) >= 2
    assert re.fullmatch(r"[a-zåäöéü' ]+", name), name
    assert name == name.strip() and "  " not in name
    assert not LAUNCH_WORDS & set(words)


@pytest.mark.parametrize("locale", LOCALES)
def test_contract_intents_present(locale: str) -> None:
    intents = {i["name"]: i for i in _lm(locale)["intents"]}
    for name, slots in CUSTOM.items():
        assert name in intents, f"{locale}: {name} missing"
        assert len(intents[name]["samples"]) >= 15, f"{locale}: {name} has too few samples"
        declared = {s["name"]: s["type"] for s in intents[name].get("slots", [])}
        for slot, slot_type in CARRIERS.items():
            assert declared.pop(slot, slot_type) == slot_type, f"{locale}: {name}: {slot}"
        assert declared == slots, f"{locale}: {name} slots {declared} != {slots}"
    for name in BUILTIN:
        assert name in intents, f"{locale}: {name} missing"
        if name == "AMAZON.FallbackIntent":
            assert intents[name].get("samples", []) == []
        else:
            assert len(intents[name]["samples"]) >= 3, f"{locale}: {name} needs samples"
    assert set(intents) == set(CUSTOM) | set(BUILTIN)


def test_same_intents_and_types_everywhere() -> None:
    shapes = []
    for locale in LOCALES:
        lm = _lm(locale)
        shapes.append(
            (
                sorted(
                    (i["name"], tuple(sorted((s["name"], s["type"]) for s in i.get("slots", [])
                                             if s["name"] not in CARRIERS)))
                    for i in lm["intents"]
                ),
                sorted(t["name"] for t in lm["types"]),
            )
        )
    assert all(shape == shapes[0] for shape in shapes)


@pytest.mark.parametrize("locale", LOCALES)
def test_slots_in_samples_are_declared(locale: str) -> None:
    lm = _lm(locale)
    types = {t["name"] for t in lm["types"]}
    for intent in lm["intents"]:
        declared = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for slot_type in declared.values():
            assert slot_type in types or slot_type.startswith("AMAZON."), slot_type
        for sample in intent.get("samples", []):
            for slot in SLOT_RE.findall(sample):
                assert slot in declared, f"{locale} {intent['name']}: {{{slot}}} in {sample!r}"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_claimed_by_two_intents(locale: str) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for intent in _lm(locale)["intents"]:
        for sample in intent.get("samples", []):
            key = _norm(sample)
            if key in owner and owner[key] != intent["name"]:
                clashes.append((sample, owner[key], intent["name"]))
            owner.setdefault(key, intent["name"])
    assert clashes == []


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_spoken_form(locale: str) -> None:
    for intent in _lm(locale)["intents"]:
        for sample in intent.get("samples", []):
            assert not re.search(r"\d", SLOT_RE.sub("", sample)), sample
            assert sample == sample.strip() and "  " not in sample, sample


@pytest.mark.parametrize("locale", LOCALES)
def test_synonyms_unique_within_type(locale: str) -> None:
    for slot_type in _lm(locale)["types"]:
        seen: dict[str, str] = {}
        for value in slot_type["values"]:
            for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                key = _norm(phrase)
                assert seen.setdefault(key, value["id"]) == value["id"], (
                    f"{locale} {slot_type['name']}: {phrase!r} maps to two ids"
                )


def _ids(locale: str, type_name: str) -> list[str]:
    (slot_type,) = [t for t in _lm(locale)["types"] if t["name"] == type_name]
    return sorted(v["id"] for v in slot_type["values"])


def test_slot_type_ids_match_contract_everywhere() -> None:
    for locale in LOCALES:
        assert set(_ids(locale, "SectionType")) == SECTION_IDS
        assert _ids(locale, "ExerciseType") == ["1", "2", "3"]
        assert _ids(locale, "LanguageType") == ["en", "sv"]
        assert _ids(locale, "LengthType") == ["longer", "shorter"]


@pytest.mark.parametrize(
    ("locale", "phrases"),
    [
        (
            "sv-SE",
            {
                "about": ["hälsporre", "hälsmärta", "plantar fasciit", "ont i hälen"],
                "symptoms": ["symtomen"],
                "causes": ["orsaken"],
                "prognosis": ["prognosen"],
                "treatment": ["behandlingen"],
                "exercises": ["övningarna"],
                "seek_care": ["när ska jag söka vård"],
            },
        ),
        (
            "en-US",
            {
                "about": ["heel spur", "heel pain", "plantar fasciitis"],
                "prognosis": ["the prognosis"],
            },
        ),
        (
            "en-GB",
            {"about": ["heel spur", "heel pain", "plantar fasciitis"], "seek_care": ["physio"]},
        ),
    ],
)
def test_section_synonyms(locale: str, phrases: dict[str, list[str]]) -> None:
    (slot_type,) = [t for t in _lm(locale)["types"] if t["name"] == "SectionType"]
    by_id = {
        v["id"]: {_norm(p) for p in [v["name"]["value"], *v["name"].get("synonyms", [])]}
        for v in slot_type["values"]
    }
    for vid, words in phrases.items():
        assert set(words) <= by_id[vid], (vid, set(words) - by_id[vid])
