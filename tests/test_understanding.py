"""Understanding, scored on an independent test set (``tests/<locale>/utterances.yaml``).

The test sets were written by someone who had seen only the leaflet and the feature list,
never the interaction models' samples; nobody tunes the samples or the resolver to them.
Per locale: at least 95% of in-scope utterances resolve to the expected intent and slots
(a topic intent and InfoIntent with its section count as one request: they get one answer),
and at least 90% of medical and off-topic ones are handled as such (a medical question the
leaflet does not cover -> ``MedicalQuestionIntent``; off-topic -> ``AMAZON.FallbackIntent``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.core.conversation import TOPIC_SECTIONS, as_info_request
from skill.nlu import FILLERS, Resolution, Resolver, SlotMatch, normalize
from skill.resources import models_dir

TESTS = Path(__file__).resolve().parent
LOCALES = ("sv-SE", "en-US", "en-GB")
IN_SCOPE_GOAL = 0.95
OUT_OF_SCOPE_GOAL = 0.90
#: Stock phrases ("ja", "next", "thank you") may coincide; longer ones must not.
MIN_WORDS_TO_BE_A_COPY = 3


@cache
def cases(locale: str) -> tuple[dict[str, Any], ...]:
    data = yaml.safe_load((TESTS / locale / "utterances.yaml").read_text(encoding="utf-8"))
    assert data["locale"] == locale
    return tuple(data["utterances"])


def slot_value(resolution: Resolution, name: str) -> str | None:
    match = resolution.slots.get(name)
    if match is None:
        return None
    return str(match.id or match.value)


def understood(case: dict[str, Any], resolution: Resolution) -> bool:
    """The expected request, compared as the dialogue answers it (``as_info_request``)."""
    want = {name: str(value) for name, value in (case.get("slots") or {}).items()}
    got = {name: slot_value(resolution, name) or "" for name in resolution.slots}
    want_intent, want = as_info_request(case["intent"], want)
    got_intent, got = as_info_request(resolution.intent, got)
    return got_intent == want_intent and all(got.get(k) == v for k, v in want.items())


def score(locale: str, scope: str) -> tuple[float, list[str]]:
    resolver = Resolver.for_locale(locale)
    chosen = [c for c in cases(locale) if (c["scope"] == "in") == (scope == "in")]
    misses = []
    for case in chosen:
        res = resolver.resolve(case["text"])
        if not understood(case, res):
            misses.append(f"{case['text']!r}: expected {case['intent']} {case.get('slots') or ''}"
                          f", got {res.intent} {dict((k, slot_value(res, k)) for k in res.slots)}")
    return 1 - len(misses) / len(chosen), misses


def test_one_request_under_two_names_counts_once_and_nothing_else_does() -> None:
    symptoms = Resolution("InfoIntent", {"section": SlotMatch("symptom", id="symptoms")})
    assert understood({"intent": "SymptomsIntent"}, symptoms)
    assert understood({"intent": "InfoIntent", "slots": {"section": "symptoms"}},
                      Resolution("SymptomsIntent"))
    assert not understood({"intent": "CausesIntent"}, symptoms)
    assert not understood({"intent": "InfoIntent", "slots": {"section": "about"}}, symptoms)
    assert understood({"intent": "InfoIntent", "slots": {"section": "about"}},
                      Resolution("InfoIntent"))
    assert not understood({"intent": "StartStretchIntent", "slots": {"seconds": 25}},
                          Resolution("StartStretchIntent", {"seconds": SlotMatch("20")}))


def test_strict_matcher_knows_the_same_two_names() -> None:
    """bench/strict_match.js compares requests the way ``understood`` does."""
    script = (TESTS.parent / "bench" / "strict_match.js").read_text(encoding="utf-8")
    table = dict(re.findall(r'^\s+(\w+Intent): "(\w+)",', script, re.MULTILINE))
    assert table == TOPIC_SECTIONS
    fillers = re.search(r"const FILLERS = new Set\(\[([^\]]*)\]", script)
    assert fillers is not None
    assert set(re.findall(r'"(\w+)"', fillers.group(1))) <= FILLERS  # what we drop too


def test_test_sets_are_big_enough_and_cover_every_scope() -> None:
    for locale in LOCALES:
        scopes = Counter(c["scope"] for c in cases(locale))
        assert set(scopes) == {"in", "medical", "off_topic"}
        assert scopes["in"] >= (150 if locale == "sv-SE" else 100)


#: Measured and not yet at the goal (issue 12): strict, so reaching the goal fails the
#: test until this mark is removed.
NOT_YET: dict[tuple[str, str], str] = {}


def _goal(locale: str, scope: str) -> pytest.param:
    reason = NOT_YET.get((locale, scope))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(locale, marks=marks, id=locale)


@pytest.mark.parametrize("locale", [_goal(locale, "in") for locale in LOCALES])
def test_in_scope_accuracy(locale: str) -> None:
    accuracy, misses = score(locale, "in")
    assert accuracy >= IN_SCOPE_GOAL, f"{accuracy:.1%} in-scope:\n" + "\n".join(misses)


@pytest.mark.parametrize("locale", [_goal(locale, "out") for locale in LOCALES])
def test_out_of_scope_handling(locale: str) -> None:
    accuracy, misses = score(locale, "out")
    assert accuracy >= OUT_OF_SCOPE_GOAL, f"{accuracy:.1%} out of scope:\n" + "\n".join(misses)


GRAMMAR_SYNTAX = re.compile(r"[()\[\]|<>{}]")


def _written_phrases(locale: str) -> set[str]:
    """Every literal run of words somebody wrote into the samples' sources.

    The English models' ~16,000 samples are built from a grammar (carrier phrases x topic
    phrases, ``interaction_models/grammar/``), so some built sentences coincide word for
    word with test utterances; that is the breadth a strict matcher needs, not a copy.  A
    copy is a test utterance written into a source: a grammar line or alternative (the
    text between the grammar's ``( | ) [ ] < > { }``), or an off-topic example.
    """
    root = models_dir()
    sources = [root / "grammar" / f"{locale}.yaml"]
    sources += [root / "grammar" / f"{name}.yaml" for name in _includes(sources[0])]
    texts: list[str] = []
    for path in sources:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [str(v) for v in (data.get("rules") or {}).values()]
        texts += [str(line) for lines in (data.get("intents") or {}).values() for line in lines]
    ood = root / "out_of_domain" / f"{locale}.txt"
    if ood.is_file():
        texts += ood.read_text(encoding="utf-8").splitlines()
    return {normalize(run) for text in texts for run in GRAMMAR_SYNTAX.split(text)
            if normalize(run)}


def _includes(path: Path) -> list[str]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")).get("include") or [])


@pytest.mark.parametrize("locale", LOCALES)
def test_no_test_utterance_is_copied_into_the_samples(locale: str) -> None:
    written = _written_phrases(locale)
    copied = [c["text"] for c in cases(locale)
              if len(normalize(c["text"]).split()) >= MIN_WORDS_TO_BE_A_COPY
              and normalize(c["text"]) in written]
    assert not copied, f"test utterances written into the {locale} samples: {copied}"

