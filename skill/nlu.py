"""Offline NLU: utterance -> intent + slots, read from ``interaction_models/<locale>.json``.

Mirrors how Alexa resolves an utterance against an interaction model, so the console,
the web page and the tests understand exactly what the published model declares:

1. ``exact``: the normalised utterance equals a sample with slot values filled in
   (custom slot values and synonyms resolve to the value's ``id``/``name``;
   ``AMAZON.NUMBER`` accepts digits and spelled numbers in English and Swedish).
2. ``tolerant``: misspelt words are first snapped to the model's vocabulary, then every
   expanded sample is scored with rapidfuzz (mean of ``ratio`` and ``token_set_ratio``),
   which tolerates small extra or missing words and typos; the best above a threshold wins.
3. ``fallback``: ``AMAZON.FallbackIntent``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from rapidfuzz import fuzz, process
from unicode_rbnf import RbnfEngine

from skill import resources

FALLBACK_INTENT = "AMAZON.FallbackIntent"
NUMBER_TYPE = "AMAZON.NUMBER"

#: Minimum tolerant score (0-100) for a match; below it the utterance falls back.
TOLERANT_THRESHOLD = 80.0
#: Minimum similarity (0-100) for snapping an unknown word onto the model's vocabulary.
WORD_SNAP_THRESHOLD = 80.0
#: Largest number understood when spelled out.
MAX_SPELLED_NUMBER = 999

_NUM = "xnumberx"  # placeholder token for a number in tolerant matching
_SLOT_RE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_NON_WORD_RE = re.compile(r"[^\w' ]+")


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
    method: str = "fallback"  # "exact" | "tolerant" | "fallback"
    score: float = 0.0


def normalize(text: str) -> str:
    """Case-fold, drop punctuation (keeping in-word apostrophes), collapse whitespace."""
    text = unicodedata.normalize("NFC", text).casefold().replace("-", " ").replace("_", " ")
    text = _NON_WORD_RE.sub(" ", text)
    words = [w.strip("'") for w in text.split()]
    return " ".join(w for w in words if w)


@cache
def _number_words() -> dict[str, int]:
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
                table.setdefault(key, n)
                table.setdefault(key.replace(" ", ""), n)
    return table


def parse_number(text: str) -> int | None:
    """Digits or a spelled number ("tjugofem", "twenty five", "25") -> int, else None."""
    key = normalize(text)
    if key.isascii() and key.isdigit():  # "¹".isdigit() is True but int("¹") fails
        return int(key)
    table = _number_words()
    if key in table:
        return table[key]
    return table.get(key.replace(" ", ""))


def _find_number(words: list[str]) -> tuple[int, int, int] | None:
    """The longest leftmost word span that is a number: (start, end, value)."""
    for start in range(len(words)):
        for end in range(min(len(words), start + 4), start, -1):
            value = parse_number(" ".join(words[start:end]))
            if value is not None:
                return start, end, value
    return None


@dataclass(frozen=True)
class SlotType:
    """A custom slot type: every normalised value/synonym -> (id, canonical name)."""

    name: str
    lookup: dict[str, tuple[str, str]]

    def ids(self) -> list[str]:
        """Distinct value ids in model order."""
        return list(dict.fromkeys(vid for vid, _ in self.lookup.values()))


@dataclass(frozen=True)
class _Template:
    intent: str
    sample: str
    regex: re.Pattern[str]
    slot_types: dict[str, str]  # slot name -> type name used in this sample
    priority: int  # lower wins among exact matches
    skeleton: str  # normalised sample, each slot as a marker word
    markers: dict[str, str]  # marker word -> slot name


@dataclass(frozen=True)
class _Candidate:
    text: str
    intent: str
    slots: dict[str, SlotMatch]
    number_slot: str | None  # slot that takes the utterance's number, if any


class Resolver:
    """Resolve utterances against one locale's interaction model."""

    _cache: ClassVar[dict[tuple[str, str], Resolver]] = {}

    def __init__(self, locale: str, model: dict[str, Any]) -> None:
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
        for intent in lm["intents"]:
            for sample in intent.get("samples", []):
                self._add_template(intent["name"], sample)
        self._candidates: list[_Candidate] = list(self._expand_candidates())
        self._plain = [c for c in self._candidates if c.number_slot is None]
        self._numbered = [c for c in self._candidates if c.number_slot is not None]
        self._vocabulary: list[str] = sorted(
            {w for c in self._candidates for w in c.text.split() if w != _NUM}
        )
        self._vocab_set = frozenset(self._vocabulary)

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
        """The (cached) resolver for ``locale``; raises UnsupportedLocale if no model."""
        root = cls.models_dir()
        key = (str(root), locale)
        if key not in cls._cache:
            path = root / f"{locale}.json"
            if locale not in cls.available_locales() or not path.is_file():
                raise UnsupportedLocale(
                    f"no interaction model for {locale!r}; available: "
                    + ", ".join(cls.available_locales())
                )
            model = json.loads(path.read_text(encoding="utf-8"))
            cls._cache[key] = cls(locale, model)
        return cls._cache[key]

    def intents(self) -> list[str]:
        """Intent names in model order."""
        return list(self._intents)

    def intent_slots(self, intent: str) -> dict[str, str]:
        """Slot name -> slot type for an intent."""
        return dict(self._intent_slots.get(intent, {}))

    def _slot_pattern(self, type_name: str) -> str:
        if type_name in self.slot_types:
            phrases = sorted(self.slot_types[type_name].lookup, key=len, reverse=True)
            return "|".join(re.escape(p) for p in phrases)
        if type_name == NUMBER_TYPE:
            return r"[\w' ]+?"
        return r".+?"  # other built-in types: take the words as spoken

    def _add_template(self, intent: str, sample: str) -> None:
        slot_types = self._intent_slots.get(intent, {})
        norm = normalize(_SLOT_RE.sub(lambda m: f" SLOT{m.group(1)}SLOT ", sample))
        parts: list[str] = []
        used: dict[str, str] = {}
        markers: dict[str, str] = {}
        for word in norm.split():
            m = re.fullmatch(r"slot([a-z0-9_]+)slot", word)
            original = _original_slot_name(sample, m.group(1)) if m else None
            if original is None:
                parts.append(re.escape(word))
                continue
            type_name = slot_types.get(original, "")
            used[original] = type_name
            markers[word] = original
            parts.append(f"(?P<{original}>{self._slot_pattern(type_name)})")
        if not used:
            self._exact_literal.setdefault(norm, intent)
        if any(t == NUMBER_TYPE for t in used.values()):
            priority = 2
        elif any(t not in self.slot_types for t in used.values()):
            priority = 3
        else:
            priority = 1 if used else 0
        self._templates.append(
            _Template(intent, sample, re.compile(" ".join(parts)), used, priority, norm, markers)
        )

    def _expand_candidates(self) -> Iterator[_Candidate]:
        """Every sample with custom slot values filled in (numbers as a placeholder)."""
        seen: set[str] = set()
        for tpl in sorted(self._templates, key=lambda t: t.priority):
            variants: list[tuple[str, dict[str, SlotMatch], str | None]] = [
                (tpl.skeleton, {}, None)
            ]
            for token, slot in tpl.markers.items():
                type_name = tpl.slot_types[slot]
                expanded: list[tuple[str, dict[str, SlotMatch], str | None]] = []
                for text, slots, num in variants:
                    if type_name in self.slot_types:
                        for phrase, (vid, vname) in self.slot_types[type_name].lookup.items():
                            if phrase.isdigit():
                                continue  # ids are accepted in exact matching only
                            new = dict(slots, **{slot: SlotMatch(phrase, vid, vname)})
                            expanded.append((_replace_word(text, token, phrase), new, num))
                    elif type_name == NUMBER_TYPE:
                        expanded.append((_replace_word(text, token, _NUM), slots, slot))
                    # other built-in types are not expanded for tolerant matching
                variants = expanded
            for text, slots, num in variants:
                text = " ".join(text.split())
                if text and text not in seen:
                    seen.add(text)
                    yield _Candidate(text, tpl.intent, slots, num)

    # -- resolution ---------------------------------------------------------------

    def resolve(self, utterance: str) -> Resolution:
        """Resolve an utterance: exact, then tolerant, else AMAZON.FallbackIntent."""
        text = normalize(utterance)
        if not text:
            return Resolution(FALLBACK_INTENT, {}, "fallback", 0.0)
        exact = self._resolve_exact(text)
        if exact is not None:
            return exact
        tolerant = self._resolve_tolerant(text)
        if tolerant is not None:
            return tolerant
        return Resolution(FALLBACK_INTENT, {}, "fallback", 0.0)

    def _resolve_exact(self, text: str) -> Resolution | None:
        literal = self._exact_literal.get(text)
        if literal is not None:
            return Resolution(literal, {}, "exact", 1.0)
        best: tuple[int, Resolution] | None = None
        for tpl in self._templates:
            if best is not None and tpl.priority >= best[0]:
                continue
            m = tpl.regex.fullmatch(text)
            if m is None:
                continue
            slots = self._slots_from_match(tpl, m)
            if slots is None:
                continue
            best = (tpl.priority, Resolution(tpl.intent, slots, "exact", 1.0))
        return best[1] if best else None

    def _slots_from_match(self, tpl: _Template, m: re.Match[str]) -> dict[str, SlotMatch] | None:
        slots: dict[str, SlotMatch] = {}
        for slot, type_name in tpl.slot_types.items():
            spoken = m.group(slot)
            if type_name in self.slot_types:
                vid, vname = self.slot_types[type_name].lookup[spoken]
                slots[slot] = SlotMatch(spoken, vid, vname)
            elif type_name == NUMBER_TYPE:
                number = parse_number(spoken)
                if number is None:
                    return None
                slots[slot] = SlotMatch(str(number))
            else:
                slots[slot] = SlotMatch(spoken)
        return slots

    def _snap_words(self, words: list[str]) -> tuple[list[str], float]:
        """Snap unknown words (typos) to the closest vocabulary word, if close enough.

        Returns the words and the mean word similarity (1.0 when nothing was snapped),
        which scales the tolerant score so a corrected typo never scores as exact.
        """
        out: list[str] = []
        similarity = 0.0
        for word in words:
            if word in self._vocab_set or len(word) < 4 or word.isdigit():
                out.append(word)
                similarity += 100.0
                continue
            hit = process.extractOne(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SNAP_THRESHOLD
            )
            out.append(hit[0] if hit else word)
            similarity += hit[1] if hit else 100.0
        return out, (similarity / len(words) / 100.0) if words else 1.0

    def _resolve_tolerant(self, text: str) -> Resolution | None:
        words = text.split()
        snapped, fidelity = self._snap_words(words)
        best = _best(" ".join(snapped), self._plain)
        number = _find_number(words)
        if number is not None and self._numbered:
            start, end, value = number
            before, f_before = self._snap_words(words[:start])
            after, f_after = self._snap_words(words[end:])
            hit = _best(" ".join([*before, _NUM, *after]), self._numbered)
            if hit is not None and (best is None or hit[1] > best[1]):
                cand, score = hit
                assert cand.number_slot is not None
                slots = dict(cand.slots)
                slots[cand.number_slot] = SlotMatch(str(value))
                fid = min(f_before, f_after)
                return Resolution(cand.intent, slots, "tolerant", _report(score, fid))
        if best is None:
            return None
        cand, score = best
        return Resolution(cand.intent, dict(cand.slots), "tolerant", _report(score, fidelity))


def _report(score: float, fidelity: float) -> float:
    """Tolerant score in 0..1, below 1.0 (1.0 is reserved for exact matches)."""
    return round(min(score / 100.0 * fidelity, 0.999), 3)


def _score(query: str, choice: str, **_: Any) -> float:
    """Mean of whole-string similarity (typos) and token-set similarity (extra words)."""
    return (fuzz.ratio(query, choice) + fuzz.token_set_ratio(query, choice)) / 2


def _best(query: str, candidates: list[_Candidate]) -> tuple[_Candidate, float] | None:
    if not candidates:
        return None
    hit = process.extractOne(
        query,
        [c.text for c in candidates],
        scorer=_score,
        score_cutoff=TOLERANT_THRESHOLD,
    )
    if hit is None:
        return None
    _, score, index = hit
    return candidates[index], float(score)


def _replace_word(text: str, token: str, value: str) -> str:
    return " ".join(value if w == token else w for w in text.split())


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
    return SlotType(type_def["name"], lookup)
