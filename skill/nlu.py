"""Offline NLU: utterance -> intent + slots, read from ``interaction_models/<locale>.json``.

Used by our own front ends only (console, web page) and the tests; the Alexa path
(handlers, Lambda) never imports it - Alexa does its own NLU there.  Two steps:

1. ``exact``: the normalised utterance equals a sample with slot values filled in
   (custom slot values and synonyms resolve to the value's ``id``/``name``;
   ``AMAZON.NUMBER`` accepts digits and spelled numbers in English and Swedish), first as
   typed, then with accents folded ("hur manga ar kvar").  What Alexa does for a listed
   sample.
2. ``classifier``: an intent classifier (:mod:`skill.nlu_classifier`) trained at start-up
   from the samples with slot values expanded, plus the locale's off-topic examples
   (``interaction_models/out_of_domain/<locale>.txt``) as ``AMAZON.FallbackIntent``.  Below
   :data:`CONFIDENCE_THRESHOLD` the answer is ``AMAZON.FallbackIntent``.  Slots are then
   read from the utterance: the longest value or synonym of the intent's slot types
   (accents optional, typos snapped with rapidfuzz) and the first number.
3. ``fallback``: ``AMAZON.FallbackIntent``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rapidfuzz import fuzz, process
from unicode_rbnf import RbnfEngine

from skill import resources
from skill.core.conversation import INFO_INTENT, TOPIC_SECTIONS, WHOLE_LEAFLET

if TYPE_CHECKING:
    from skill.nlu_classifier import IntentClassifier

log = logging.getLogger(__name__)

FALLBACK_INTENT = "AMAZON.FallbackIntent"
#: Where trained resolvers are kept between runs (``HALSPORRE_NLU_CACHE``; ``off``: never).
CACHE_ENV = "HALSPORRE_NLU_CACHE"
#: Bump when the resolver's trained state changes shape (old cache files are then ignored).
CACHE_FORMAT = 1
NUMBER_TYPE = "AMAZON.NUMBER"
OUT_OF_DOMAIN_DIR = "out_of_domain"
NUMBERS_FILE = "nlu_numbers.json"

#: Minimum classifier probability for an intent; below it the utterance falls back.
CONFIDENCE_THRESHOLD = 0.40
#: Minimum similarity (0-100) for snapping a misspelt word onto a slot value's word.
WORD_SNAP_THRESHOLD = 85.0
#: At most this many slot-value variants of one sample go into the training set.
VARIANTS_PER_SAMPLE = 8
#: At most this many texts of one intent go into the training set, spread evenly over its
#: samples (the grammar-built models list thousands of carrier-phrase variants, which the
#: exact step matches anyway; training on all of them would take seconds).
TRAINING_TEXTS_PER_INTENT = 750
#: Words in the samples of at least this share of the intents ("can", "you", "tell", "me",
#: "please") do not tell intents apart: samples differing only in them are trained once.
COMMON_WORD_SHARE = 0.3
#: Largest number understood when spelled out.
MAX_SPELLED_NUMBER = 999
#: Inputs are cut to this many characters before resolving.
MAX_CHARS = 300

#: Courtesy and discourse words dropped from the start or end of a longer utterance when
#: it is not a sample as it stands ("kan du berätta om prognosen tack", "ja jag vill veta
#: mer om prognosen", "well what's the number").
COURTESY_END = frozenset({"tack", "please", "thanks", "liksom", "då", "egentligen"})
COURTESY_START = frozenset({
    "snälla", "please", "ja", "jo", "okej", "alltså", "yes", "ok", "okay", "well", "so",
    "hej", "hejsan", "hallå", "tjena", "hi", "hello", "hey", "men", "och", "but", "and",
    "right", "tack", "asså", "du", "nå", "oh", "now", "nu",
})

#: Hesitation words dropped before the classifier ("umm what are the symptoms").
FILLERS = frozenset({
    "um", "umm", "uh", "uhm", "er", "erm", "hmm", "eh", "ehm", "öh", "äh", "öhm", "mm", "ähm",
    "asså", "liksom",
})

# TOPIC_SECTIONS: the topic intents that read one leaflet section, as SECTION_SLOT ids; an
# utterance torn between one of them and InfoIntent about the same section ("vad är
# prognosen för hälsporre") is not uncertain about what to read.
SECTION_SLOT = "section"
#: The section slot's generic value (the leaflet as a whole: "hälsporre", "broschyren");
#: a specific section named in the same utterance wins over it.
GENERIC_SECTION = WHOLE_LEAFLET
#: The models' slots for courtesy words ("could you tell me ...", "... please";
#: skill.tools.models): they help a sample match and are never part of what was asked.
CARRIER_SLOTS = frozenset({"opener", "closer"})

_NUM = "xnumberx"  # placeholder token for a number in the classifier's texts
_SLOT_RE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_NON_WORD_RE = re.compile(r"[^\w' ]+")


log = logging.getLogger(__name__)


def _make_classifier(texts: list[str], labels: list[str]) -> IntentClassifier | None:
    """The statistical classifier, or None (with one log line) without the ``nlu`` extra.

    Without scikit-learn the resolver still understands every listed sample, with or
    without accents and courtesy words; anything else is ``AMAZON.FallbackIntent``.
    """
    try:
        from skill.nlu_classifier import IntentClassifier  # scikit-learn: loaded here only
    except ImportError as exc:
        log.warning("understanding only the listed phrasings: %s "
                    "(install 'halsporre[nlu]' for the classifier)", exc)
        return None
    return IntentClassifier(texts, labels)


class UnsupportedLocale(ValueError):
    """Raised for a locale without an interaction model."""


@dataclass(frozen=True)
class SlotMatch:
    """One filled slot: the spoken ``value`` and, for custom types, the resolved id/name."""

    value: str
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The result of resolving one utterance."""

    intent: str
    slots: dict[str, SlotMatch] = field(default_factory=dict)
    method: str = "fallback"  # "exact" | "classifier" | "fallback"
    score: float = 0.0


def fold(text: str) -> str:
    """Strip accents: "hälsporre" -> "halsporre", "övning" -> "ovning", "café" -> "cafe"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Case-fold, drop punctuation (keeping in-word apostrophes), collapse whitespace."""
    text = unicodedata.normalize("NFC", text).casefold().replace("-", " ").replace("_", " ")
    text = _NON_WORD_RE.sub(" ", text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


@cache
def _number_words() -> dict[str, int]:
    """Spelled numbers (English and Swedish) -> int, from the table built by CLDR's rules.

    The table is computed once with unicode-rbnf (2 s) and kept in
    ``skill/nlu_numbers.json``; ``tests/test_nlu.py`` checks that it is current.
    """
    path = Path(__file__).with_name(NUMBERS_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("max") == MAX_SPELLED_NUMBER:
            return {str(k): int(v) for k, v in data["words"].items()}
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return compute_number_words()


def compute_number_words() -> dict[str, int]:
    """Spelled numbers (English and Swedish, all CLDR rulesets) -> int, normalised."""
    table: dict[str, int] = {}
    for lang in ("en", "sv"):
        engine = RbnfEngine.for_language(lang)
        for n in range(MAX_SPELLED_NUMBER + 1):
            forms = set(engine.format_number(n).text_by_ruleset.values())
            for form in list(forms):
                if lang == "en" and "hundred " in form:
                    forms.add(form.replace("hundred ", "hundred and "))
                if lang == "en" and form.startswith("one hundred"):
                    forms.add("a" + form[3:])
                if lang == "sv" and form.startswith("etthundra"):
                    forms.add(form[3:])
            for form in forms:
                key = normalize(form)
                for variant in (key, key.replace(" ", ""), fold(key), fold(key).replace(" ", "")):
                    table.setdefault(variant, n)
    return table


def write_number_words() -> Path:
    """Recompute ``skill/nlu_numbers.json`` (``python -c 'import skill.nlu as n;
    n.write_number_words()'``)."""
    path = Path(__file__).with_name(NUMBERS_FILE)
    data = {"max": MAX_SPELLED_NUMBER, "words": dict(sorted(compute_number_words().items()))}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path


def parse_number(text: str) -> int | None:
    """Digits or a spelled number ("tjugofem", "twenty five", "25") -> int, else None."""
    key = normalize(text)
    if key.isascii() and key.isdigit():  # "¹".isdigit() is True but int("¹") fails
        return int(key)
    table = _number_words()
    if key in table:
        return table[key]
    return table.get(key.replace(" ", ""))


def _find_number(words: list[str], smallest: int = 0) -> tuple[int, int, int] | None:
    """The longest leftmost span of normalised words that is a number >= ``smallest``.

    Returns (start, end, value).  Digits always count; ``smallest=2`` skips "en"/"ett"/"one",
    which are mostly articles.
    """
    table = _number_words()
    for start, word in enumerate(words):
        if word.isascii() and word.isdigit():  # not "¹" (int() refuses it)
            return start, start + 1, int(word)
        if word not in _number_prefixes():
            continue
        for end in range(min(len(words), start + 4), start, -1):
            span = words[start:end]
            value = table.get(" ".join(span))
            if value is None:
                value = table.get("".join(span))
            if value is not None and value >= smallest:
                return start, end, value
    return None


@cache
def _number_prefixes() -> frozenset[str]:
    """Every first word of a spelled number (a quick filter before trying spans)."""
    return frozenset(k.split()[0] for k in _number_words())




@dataclass(frozen=True)
class SlotType:
    """A custom slot type: every normalised value/synonym -> (id, canonical name)."""

    name: str
    lookup: dict[str, tuple[str, str]]
    #: accent-folded phrase -> (id, name, the phrase as written in the model)
    folded: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: ``folded`` without the generic section's phrases (read first, so they win)
    specific: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def ids(self) -> list[str]:
        """Distinct value ids in model order."""
        return list(dict.fromkeys(vid for vid, _ in self.lookup.values()))


@dataclass
class _Template:
    intent: str
    pattern: str  # regular expression over the normalised text
    folded_pattern: str  # over the accent-folded text
    slot_types: dict[str, str]  # slot name -> type name used in this sample
    priority: int  # lower wins among exact matches
    skeleton: str  # normalised sample, each slot as a marker word
    markers: dict[str, str]  # marker word -> slot name
    words: frozenset[str]  # the sample's own words, accent-folded
    _compiled: tuple[re.Pattern[str], re.Pattern[str]] | None = None

    def regex(self, folded: bool) -> re.Pattern[str]:
        """The compiled pattern (compiled on first use: most samples never get that far)."""
        if self._compiled is None:
            self._compiled = (re.compile(self.pattern), re.compile(self.folded_pattern))
        return self._compiled[1 if folded else 0]


class Resolver:
    """Resolve utterances against one locale's interaction model."""

    _cache: ClassVar[dict[tuple[str, str], Resolver]] = {}

    def __init__(
        self, locale: str, model: dict[str, Any], out_of_domain: list[str] | None = None
    ) -> None:
        self.locale = locale
        lm = model["interactionModel"]["languageModel"]
        self.invocation_name: str = lm["invocationName"]
        self.slot_types: dict[str, SlotType] = {
            t["name"]: _build_slot_type(t) for t in lm.get("types", [])
        }
        self._intents: list[str] = [i["name"] for i in lm["intents"]]
        self._intent_slots: dict[str, dict[str, str]] = {
            i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in lm["intents"]
        }
        self._templates: list[_Template] = []
        self._exact_literal: dict[str, str] = {}
        self._folded_literal: dict[str, str] = {}
        for intent in lm["intents"]:
            for sample in intent.get("samples", []):
                self._add_template(intent["name"], sample)
        self._templates.sort(key=lambda t: t.priority)
        # Each slot sample is looked up by its rarest own word and kept only if its second
        # rarest also occurs (those without words always): only samples whose words all
        # occur in the utterance are tried.
        self._template_index: dict[str, list[tuple[str | None, int]]] = {}
        self._wordless: list[int] = []
        spread: dict[str, int] = {}
        for tpl in self._templates:
            for word in tpl.words:
                spread[word] = spread.get(word, 0) + 1
        for index, tpl in enumerate(self._templates):
            if tpl.words:
                rarest = sorted(sorted(tpl.words), key=lambda w: spread[w])[:2]
                second = rarest[1] if len(rarest) > 1 else None
                self._template_index.setdefault(rarest[0], []).append((second, index))
            else:
                self._wordless.append(index)
        self._slot_words = sorted(
            {w for t in self.slot_types.values() for p in t.folded for w in p.split()}
        )
        self._slot_word_set = frozenset(self._slot_words)
        # Intents with accented slot samples or values: only these can match an accent-free
        # input in the accent-free pass that did not match it as typed.
        accented_types = {name for name, t in self.slot_types.items()
                          if not all(phrase.isascii() for phrase in t.lookup)}
        self._accented = frozenset(
            t.intent for t in self._templates
            if not t.skeleton.isascii() or accented_types & set(t.slot_types.values()))
        self._spread_cache: dict[str, list[str]] = {}
        texts, labels = self._training_set(out_of_domain or [])
        self._classifier: IntentClassifier | None = None
        if len(set(labels)) > 1:
            self._classifier = _make_classifier(texts, labels)

    # -- construction -------------------------------------------------------------

    @classmethod
    def models_dir(cls) -> Path:
        """Directory holding ``<locale>.json`` (``HALSPORRE_MODELS_DIR`` overrides)."""
        return resources.models_dir()

    @classmethod
    def available_locales(cls) -> list[str]:
        """Locales with a model file, sorted."""
        root = cls.models_dir()
        return sorted(
            p.stem for p in root.glob("*.json") if re.fullmatch(r"[a-z]{2}-[A-Z]{2}", p.stem)
        )

    @classmethod
    def for_locale(cls, locale: str) -> Resolver:
        """The (cached) resolver for ``locale``; raises UnsupportedLocale if no model.

        Training takes a second or two for the grammar-built English models, so a trained
        resolver is kept on disk (:func:`cache_dir`), keyed by the model's and the
        off-topic file's bytes and the library versions: later starts load it in
        milliseconds, and any change to the model trains afresh.
        """
        root = cls.models_dir()
        key = (str(root), locale)
        if key not in cls._cache:
            path = root / f"{locale}.json"
            if locale not in cls.available_locales() or not path.is_file():
                raise UnsupportedLocale(
                    f"no interaction model for {locale!r}; available: "
                    + ", ".join(cls.available_locales())
                )
            raw = path.read_bytes()
            ood = read_out_of_domain(root, locale)
            stored = _cache_file(locale, raw, ood)
            resolver = _load_cached(stored) if stored else None
            if resolver is None:
                resolver = cls(locale, json.loads(raw.decode("utf-8")), ood)
                if stored and resolver.has_classifier:
                    _store_cached(stored, resolver)
            cls._cache[key] = resolver
        return cls._cache[key]

    @property
    def has_classifier(self) -> bool:
        """False without the ``nlu`` extra: only the listed samples are understood."""
        return self._classifier is not None

    def intents(self) -> list[str]:
        """Intent names in model order."""
        return list(self._intents)

    def intent_slots(self, intent: str) -> dict[str, str]:
        """Slot name -> slot type for an intent (not the courtesy words' slots)."""
        slots = self._intent_slots.get(intent, {})
        return {name: kind for name, kind in slots.items() if name not in CARRIER_SLOTS}

    @staticmethod
    def _slot_pattern(type_name: str) -> str:
        """Any words; a custom type's value is checked against its table after the match."""
        if type_name == NUMBER_TYPE:
            return r"[\w' ]+?"
        return r".+?"

    def _add_template(self, intent: str, sample: str) -> None:
        if "{" not in sample:  # most samples: plain words
            norm = normalize(sample)
            self._exact_literal.setdefault(norm, intent)
            self._folded_literal.setdefault(fold(norm), intent)
            return
        slot_types = self._intent_slots.get(intent, {})
        norm = normalize(_SLOT_RE.sub(lambda m: f" SLOT{m.group(1)}SLOT ", sample))
        parts: list[str] = []
        folded_parts: list[str] = []
        used: dict[str, str] = {}
        markers: dict[str, str] = {}
        for word in norm.split():
            m = re.fullmatch(r"slot([a-z0-9_]+)slot", word)
            original = _original_slot_name(sample, m.group(1)) if m else None
            if original is None:
                parts.append(re.escape(word))
                folded_parts.append(re.escape(fold(word)))
                continue
            type_name = slot_types.get(original, "")
            used[original] = type_name
            markers[word] = original
            parts.append(f"(?P<{original}>{self._slot_pattern(type_name)})")
            folded_parts.append(f"(?P<{original}>{self._slot_pattern(type_name)})")
        if not used:
            self._exact_literal.setdefault(norm, intent)
            self._folded_literal.setdefault(fold(norm), intent)
        if any(t == NUMBER_TYPE for t in used.values()):
            priority = 2
        elif any(t not in self.slot_types for t in used.values()):
            priority = 3
        else:  # a sample whose slots are all courtesy words is as specific as a literal one
            priority = 1 if set(used) - CARRIER_SLOTS else 0
        if used:
            words = frozenset(fold(w) for w in norm.split() if w not in markers)
            self._templates.append(
                _Template(intent, " ".join(parts), " ".join(folded_parts), used, priority, norm,
                          markers, words)
            )

    def _training_set(self, out_of_domain: list[str]) -> tuple[list[str], list[str]]:
        """Samples (slot values expanded, numbers masked) and off-topic texts, labelled."""
        by_intent: dict[str, list[str]] = {}
        for text, intent in self._exact_literal.items():
            by_intent.setdefault(intent, []).append(text)
        for tpl in self._templates:
            by_intent.setdefault(tpl.intent, []).extend(self._expand(tpl))
        common = _common_words(by_intent)
        texts: list[str] = []
        labels: list[str] = []
        for intent, intent_texts in by_intent.items():
            if len(intent_texts) > TRAINING_TEXTS_PER_INTENT:
                intent_texts = _distinct_content(intent_texts, common)
            for text in _evenly(intent_texts, TRAINING_TEXTS_PER_INTENT):
                texts.append(_mask_numbers(text.split()))
                labels.append(intent)
        for text in out_of_domain:
            texts.append(_mask_numbers(normalize(text).split()))
            labels.append(FALLBACK_INTENT)
        return texts, labels

    def _expand(self, tpl: _Template) -> Iterator[str]:
        """The sample with slot values filled in, spread over the values' ids."""
        variants = [tpl.skeleton]
        for token, slot in tpl.markers.items():
            type_name = tpl.slot_types[slot]
            if slot in CARRIER_SLOTS:  # without courtesy words, and with two of them
                phrases = ["", *self._spread_phrases(type_name)[:2]]
            elif type_name in self.slot_types:
                phrases = self._spread_phrases(type_name)
            elif type_name == NUMBER_TYPE:
                phrases = [_NUM]
            else:
                phrases = ["something"]
            variants = [_replace_word(v, token, p) for v in variants for p in phrases]
        yield from variants[:VARIANTS_PER_SAMPLE]

    def _spread_phrases(self, type_name: str) -> list[str]:
        if type_name not in self._spread_cache:
            lookup = self.slot_types[type_name].lookup
            self._spread_cache[type_name] = _spread(lookup, VARIANTS_PER_SAMPLE)
        return self._spread_cache[type_name]

    # -- resolution ---------------------------------------------------------------

    def resolve(self, utterance: str) -> Resolution:
        """Resolve an utterance: exact, then the classifier, else AMAZON.FallbackIntent."""
        text = normalize(utterance[:MAX_CHARS])
        text = " ".join(w for w in text.split() if w not in FILLERS) or text
        if not text:
            return Resolution(FALLBACK_INTENT, {}, "fallback", 0.0)
        exact = self._resolve_exact(text)
        if exact is not None:
            return exact
        core = _strip_courtesy(text.split())
        if core != text:
            exact = self._resolve_exact(core)
            if exact is not None:
                return exact
        guess = self._classify(core)
        if core == text:
            return guess
        whole = self._classify(text)  # "hey how's it going": the greeting is the point
        if whole.intent != FALLBACK_INTENT and (
            guess.intent == FALLBACK_INTENT or whole.score > guess.score
        ):
            return whole
        return guess

    def _resolve_exact(self, text: str) -> Resolution | None:
        folded = fold(text)
        literal = self._exact_literal.get(text) or self._folded_literal.get(folded)
        if literal is not None:
            return Resolution(literal, {}, "exact", 1.0)
        words = frozenset(folded.split())
        candidates = set(self._wordless)
        for word in words:
            candidates.update(i for second, i in self._template_index.get(word, ())
                              if second is None or second in words)
        chosen = [t for i in sorted(candidates) if (t := self._templates[i]).words <= words]
        for use_folded, subject in ((False, text), (True, folded)):
            if use_folded and text == folded:  # typed without accents: only samples with some
                chosen = [t for t in chosen if t.intent in self._accented]
            for tpl in chosen:
                m = tpl.regex(use_folded).fullmatch(subject)
                if m is None:
                    continue
                slots = self._slots_from_match(tpl, m, use_folded)
                if slots is not None:
                    return Resolution(tpl.intent, slots, "exact", 1.0)
        return None

    def _slots_from_match(
        self, tpl: _Template, m: re.Match[str], folded: bool
    ) -> dict[str, SlotMatch] | None:
        slots: dict[str, SlotMatch] = {}
        for slot, type_name in tpl.slot_types.items():
            spoken = m.group(slot)
            if type_name in self.slot_types:
                slot_type = self.slot_types[type_name]
                if folded and spoken in slot_type.folded:
                    vid, vname, spoken = slot_type.folded[spoken]
                elif not folded and spoken in slot_type.lookup:
                    vid, vname = slot_type.lookup[spoken]
                else:
                    return None  # not a value of the type: this sample does not match
                if slot not in CARRIER_SLOTS:  # courtesy words: matched, but meaning nothing
                    slots[slot] = SlotMatch(spoken, vid, vname)
            elif type_name == NUMBER_TYPE:
                number = parse_number(spoken)
                if number is None:
                    return None
                slots[slot] = SlotMatch(str(number))
            else:
                slots[slot] = SlotMatch(spoken)
        return slots

    def _classify(self, text: str) -> Resolution:
        if self._classifier is None:
            return Resolution(FALLBACK_INTENT, {}, "fallback", 0.0)
        words = text.split()
        masked = _mask_numbers(words)
        if not self._classifier.knows_a_word(masked):
            return Resolution(FALLBACK_INTENT, {}, "fallback", 0.0)
        guess = self._classifier.predict(masked)
        section = _shared_section(guess.intent, guess.runner_up)
        if section is not None:
            named = self._read_slots(INFO_INTENT, words).get(SECTION_SLOT)
            if named is not None and named.id != section:
                section = None  # the utterance names another section (or the whole leaflet)
        probability = guess.probability
        if section is not None:
            probability += guess.runner_up_probability
        if guess.intent == FALLBACK_INTENT or probability < CONFIDENCE_THRESHOLD:
            return Resolution(FALLBACK_INTENT, {}, "fallback", round(probability, 3))
        slots = self._read_slots(guess.intent, words)
        if guess.intent == INFO_INTENT and section is not None and SECTION_SLOT not in slots:
            slots[SECTION_SLOT] = self._section_value(section)
        score = round(min(probability, 0.999), 3)
        return Resolution(guess.intent, slots, "classifier", score)

    def _section_value(self, section: str) -> SlotMatch:
        """The InfoIntent slot for a section id, named as the model names it."""
        type_name = self._intent_slots.get(INFO_INTENT, {}).get(SECTION_SLOT, "")
        slot_type = self.slot_types.get(type_name)
        names = {vid: name for vid, name in slot_type.lookup.values()} if slot_type else {}
        name = names.get(section, section)
        return SlotMatch(name, section, name)

    def _read_slots(self, intent: str, words: list[str]) -> dict[str, SlotMatch]:
        """The intent's slots as found in the words (custom values, numbers)."""
        slots: dict[str, SlotMatch] = {}
        folded = [self._snap(fold(w)) for w in words]
        for slot, type_name in self._intent_slots.get(intent, {}).items():
            if slot in CARRIER_SLOTS:
                continue
            if type_name in self.slot_types:
                slot_type = self.slot_types[type_name]
                hit = _longest_phrase(folded, slot_type.specific) or _longest_phrase(
                    folded, slot_type.folded
                )
                if hit is not None:
                    vid, vname, phrase = hit
                    slots[slot] = SlotMatch(phrase, vid, vname)
            elif type_name == NUMBER_TYPE:
                number = _find_number(words, smallest=2) or _find_number(words)
                if number is not None:
                    slots[slot] = SlotMatch(str(number[2]))
        return slots

    def _snap(self, word: str) -> str:
        """A misspelt word of 5+ letters snapped onto the closest slot-value word."""
        if len(word) < 5 or word in self._slot_word_set or word.isdigit():
            return word
        hit = process.extractOne(
            word, self._slot_words, scorer=fuzz.ratio, score_cutoff=WORD_SNAP_THRESHOLD
        )
        return hit[0] if hit else word


def cache_dir() -> Path | None:
    """Where trained resolvers are kept: ``HALSPORRE_NLU_CACHE``, else the user's cache
    folder (``$XDG_CACHE_HOME`` or ``~/.cache``) ``/halsporre/nlu``; None when set to ``off``."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "halsporre" / "nlu"


def _cache_file(locale: str, model: bytes, out_of_domain: list[str]) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        libraries = (version("scikit-learn"), version("numpy"))
    except PackageNotFoundError:  # no ``nlu`` extra: nothing worth caching
        return None
    digest = hashlib.sha256(model)
    digest.update("\n".join(out_of_domain).encode("utf-8"))
    for part in (CACHE_FORMAT, sys.version, *libraries,
                 Path(__file__).read_bytes(), Path(__file__).with_name(
                     "nlu_classifier.py").read_bytes()):
        digest.update(str(part).encode("utf-8") if not isinstance(part, bytes) else part)
    return folder / f"{locale}-{digest.hexdigest()[:24]}.pickle"


def _load_cached(path: Path) -> Resolver | None:
    """The resolver stored there, if the file is ours and private; else None."""
    try:
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None  # someone else could have written it: never unpickle that
        with path.open("rb") as fh:
            loaded = pickle.load(fh)  # noqa: S301 - our own file, checked above
    except FileNotFoundError:
        return None
    except Exception as exc:  # a stale or broken file is retrained, never fatal
        log.info("nlu cache %s unreadable (%s): training afresh", path, exc)
        return None
    return loaded if isinstance(loaded, Resolver) else None


def _store_cached(path: Path, resolver: Resolver) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(resolver, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home: run without the cache
        log.info("nlu cache %s not written (%s)", path, exc)


def _strip_courtesy(words: list[str]) -> str:
    """The words without courtesy words at either end, while at least two words remain."""
    while len(words) > 2 and words[-1] in COURTESY_END:
        words = words[:-1]
    while len(words) > 2 and words[0] in COURTESY_START:
        words = words[1:]
    return " ".join(words)


def _shared_section(intent: str, runner_up: str) -> str | None:
    """The section both intents read, when one is InfoIntent and the other a topic intent."""
    if intent == INFO_INTENT:
        return TOPIC_SECTIONS.get(runner_up)
    if runner_up == INFO_INTENT:
        return TOPIC_SECTIONS.get(intent)
    return None


def read_out_of_domain(root: Path, locale: str) -> list[str]:
    """Off-topic example utterances for ``locale`` (one a line, ``#`` comments), if any."""
    path = root / OUT_OF_DOMAIN_DIR / f"{locale}.txt"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _mask_numbers(words: list[str]) -> str:
    """The words with every spelled or written number (2 and up, any digits) as one token."""
    out = list(words)
    start = 0
    while True:
        hit = _find_number(out[start:], smallest=2)
        if hit is None:
            return " ".join(out)
        s, e, _ = hit
        out[start + s : start + e] = [_NUM]
        start += s + 1


def _longest_phrase(
    words: list[str], table: dict[str, tuple[str, str, str]]
) -> tuple[str, str, str] | None:
    """The longest run of words that is a key of ``table`` (leftmost among equals)."""
    for size in range(min(5, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            hit = table.get(" ".join(words[start : start + size]))
            if hit is not None:
                return hit
    return None


def _spread(lookup: dict[str, tuple[str, str]], limit: int) -> list[str]:
    """Up to ``limit`` phrases of a slot type, taking each value id in turn."""
    by_id: dict[str, list[str]] = {}
    for phrase, (vid, _) in lookup.items():
        if not phrase.isdigit():
            by_id.setdefault(vid, []).append(phrase)
    out: list[str] = []
    depth = 0
    while len(out) < limit and any(depth < len(p) for p in by_id.values()):
        out.extend(p[depth] for p in by_id.values() if depth < len(p))
        depth += 1
    return out[:limit]


def _common_words(by_intent: dict[str, list[str]]) -> frozenset[str]:
    """Words found in the samples of at least :data:`COMMON_WORD_SHARE` of the intents."""
    counts: dict[str, int] = {}
    for texts in by_intent.values():
        for word in {w for t in texts for w in t.split()}:
            counts[word] = counts.get(word, 0) + 1
    least = COMMON_WORD_SHARE * len(by_intent)
    return frozenset(w for w, n in counts.items() if n >= least)


def _distinct_content(texts: list[str], common: frozenset[str]) -> list[str]:
    """The first text of each distinct set of uncommon words ("can you tell me what causes
    it" adds nothing to "what causes it" for a classifier)."""
    seen: set[frozenset[str]] = set()
    out: list[str] = []
    for text in texts:
        key = frozenset(text.split()) - common
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _evenly(items: list[str], limit: int) -> list[str]:
    """At most ``limit`` of the items, spread evenly over the list (all if fewer)."""
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def _replace_word(text: str, token: str, value: str) -> str:
    return " ".join(" ".join(value if w == token else w for w in text.split()).split())


def _original_slot_name(sample: str, lowered: str) -> str | None:
    for name in _SLOT_RE.findall(sample):
        if normalize(name) == lowered:
            return name
    return None


def _build_slot_type(type_def: dict[str, Any]) -> SlotType:
    lookup: dict[str, tuple[str, str]] = {}
    for value in type_def.get("values", []):
        name = value["name"]["value"]
        vid = value.get("id") or name
        for phrase in [name, *value["name"].get("synonyms", [])]:
            lookup.setdefault(normalize(phrase), (vid, name))
    for value in type_def.get("values", []):
        vid = value.get("id")
        if vid and vid.isdigit():
            lookup.setdefault(vid, (vid, value["name"]["value"]))  # typed "övning 2"
    folded: dict[str, tuple[str, str, str]] = {}
    for phrase, (vid, vname) in lookup.items():
        folded.setdefault(fold(phrase), (vid, vname, phrase))
    specific = {k: v for k, v in folded.items() if v[0] != GENERIC_SECTION}
    return SlotType(type_def["name"], lookup, folded, specific)
