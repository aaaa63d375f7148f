"""Build the interaction models' sample utterances from per-locale grammar files.

``interaction_models/grammar/<locale>.yaml`` lists, per intent, sample templates in the
template syntax of Home Assistant's intents (hassil): ``(a|b)`` is one of the
alternatives, ``[c]`` is optional, ``<rule>`` is a named rule of the file (or of a file
it ``include``s), and ``{slot}`` stays a slot for Alexa.  ``halsporre models build``
expands every template and writes the samples into ``interaction_models/<locale>.json``
(the carriers' slot types and slots too, see :class:`Carrier`; everything else in the
model - invocation name, other slots and types - is kept as it is);
``halsporre models check`` says whether the committed models are what the grammar gives.

A grammar file::

    include: [en]          # grammar/en.yaml: shared rules and samples (optional)
    rules:
      condition: (heel spur|heel spurs|plantar fasciitis)
    carriers:              # courtesy words as slots (optional; included files' otherwise)
      - {slot: opener, type: OpenerType, at: start, phrases: ["(so|could you)"]}
    intents:
      SymptomsIntent:
        - what are the symptoms [of <condition>]

Alexa's rules are checked while building: no sample in two intents (case-insensitive),
every ``{slot}`` declared by its intent, no digits or punctuation other than apostrophes
and the periods of spelled abbreviations, and the size budgets below.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GRAMMAR_DIR = "grammar"
#: Budgets.  SMAPI rejects a model definition over 1,000,000 characters ("Member must have
#: length less than or equal to 1000000", alexa/ask-cli issue 9); we count the committed
#: file, which ask-cli uploads as it is.  It is indented with tabs: two spaces a level cost
#: about 110,000 characters of indentation in an English model.
MAX_SAMPLE_CHARS = 200
MAX_SAMPLES_PER_INTENT = 2000
MAX_SAMPLES_PER_MODEL = 20000
MAX_MODEL_BYTES = 1_000_000
#: A template may not expand to more samples than this (a typo in a rule, not a plan).
MAX_EXPANSIONS = 5000

_SLOT_RE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_ALLOWED_RE = re.compile(r"[^\W\d_]+(?:['.][^\W\d_]*)*")


class GrammarError(ValueError):
    """A template that cannot be parsed, or samples that break a rule."""


# -- the template language (hassil's) ---------------------------------------------------


def expand(template: str, rules: dict[str, str]) -> list[str]:
    """Every sentence a template stands for, in order, whitespace collapsed, no repeats."""
    return _expand(template, {name: _parse(body) for name, body in rules.items()})


def _parse(template: str) -> Any:
    from hassil.parse_expression import parse_sentence  # build-time only (extra 'models')

    try:
        return parse_sentence(template)
    except Exception as exc:  # hassil raises its own ParseExpressionError and ValueErrors
        raise GrammarError(f"cannot parse {template!r}: {exc}") from exc


def _expand(template: str, rules: dict[str, Any]) -> list[str]:
    from hassil.errors import HassilError
    from hassil.sample import sample_expression

    out: dict[str, None] = {}
    try:
        for text in sample_expression(
            _parse(template).expression, expansion_rules=rules, expand_lists=False
        ):
            sentence = " ".join(text.split())
            if sentence:
                out.setdefault(sentence, None)
            if len(out) > MAX_EXPANSIONS:
                raise GrammarError(f"{template!r} expands to more than {MAX_EXPANSIONS} samples")
    except (HassilError, RecursionError) as exc:
        raise GrammarError(f"{template!r}: unknown or circular rule ({exc})") from exc
    return list(out)


# -- grammar files ------------------------------------------------------------------------


@dataclass
class Grammar:
    """One locale's rules and, per intent, its own templates and its included files'."""

    rules: dict[str, str] = field(default_factory=dict)
    intents: dict[str, list[str]] = field(default_factory=dict)
    shared: dict[str, list[str]] = field(default_factory=dict)
    carriers: tuple[Carrier, ...] = ()


@dataclass(frozen=True)
class Carrier:
    """Courtesy words around a request ("could you tell me ...", "... please") as a slot.

    A sample that starts (``at: start``) or ends (``at: end``) with one of the phrases is
    written as ``{slot} <the rest>`` or ``<the rest> {slot}``: the model then covers every
    phrase with every such rest (Alexa matches any value of the slot there) in one sample
    instead of one per phrase, which keeps the model inside its budgets while it grows.
    The dialogue ignores the slot.
    """

    slot: str
    type: str
    at: str
    phrases: tuple[str, ...]

    @property
    def token(self) -> str:
        """The slot as it stands in a sample: ``{opener}``."""
        return "{" + self.slot + "}"


def load_grammar(root: Path, name: str, _seen: tuple[str, ...] = ()) -> Grammar:
    """``root/grammar/<name>.yaml`` with its includes merged in (its own rules win)."""
    if name in _seen:
        raise GrammarError(f"grammar {name} includes itself")
    path = root / GRAMMAR_DIR / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    grammar = Grammar()
    included: tuple[Carrier, ...] = ()
    for other_name in data.get("include") or []:
        other = load_grammar(root, str(other_name), (*_seen, name))
        grammar.rules.update(other.rules)
        included = other.carriers or included
        for intent in {**other.intents, **other.shared}:
            grammar.shared.setdefault(intent, []).extend(
                other.intents.get(intent, []) + other.shared.get(intent, [])
            )
    grammar.rules.update({str(k): str(v) for k, v in (data.get("rules") or {}).items()})
    own = data.get("carriers") or []
    grammar.carriers = tuple(_read_carrier(c, grammar.rules) for c in own) or included
    for intent, templates in (data.get("intents") or {}).items():
        grammar.intents.setdefault(str(intent), []).extend(str(t) for t in templates or [])
    return grammar


def _read_carrier(data: Any, rules: dict[str, str]) -> Carrier:
    """``{slot, type, at: start|end, phrases: [templates]}`` from a grammar file."""
    try:
        templates = [str(t) for t in data["phrases"]]
        slot, type_name, at = str(data["slot"]), str(data["type"]), str(data["at"])
    except (KeyError, TypeError) as exc:
        raise GrammarError(f"a carrier needs slot, type, at and phrases: {exc}") from exc
    if at not in ("start", "end"):
        raise GrammarError(f"carrier {slot}: at is start or end, not {at!r}")
    phrases = {o.casefold(): o for t in templates for o in expand(t, rules)}
    return Carrier(slot, type_name, at, tuple(phrases.values()))


def with_carriers(samples: dict[str, list[str]],
                  carriers: Sequence[Carrier]) -> dict[str, list[str]]:
    """The samples with each carrier's phrases written as its slot, one carrier at a time.

    A request that can be asked with an opening can also be asked with an opening and an
    ending ("could you tell me what causes it please"): each ``{opener} <rest>`` gets its
    ``{opener} <rest> {closer}`` too.
    """
    for carrier in carriers:
        samples = _with_carrier(samples, carrier)
    starts = {c.token for c in carriers if c.at == "start"}
    ends = [c.token for c in carriers if c.at == "end"]
    return {intent: _with_both_ends(found, starts, ends) for intent, found in samples.items()}


def _with_both_ends(samples: list[str], starts: set[str], ends: list[str]) -> list[str]:
    """The samples, and each that opens with a start slot's token again with every end one."""
    have = {_key(s) for s in samples}
    out = list(samples)
    for sample in samples:
        words = sample.split()
        if words[0] not in starts or _SLOT_RE.fullmatch(words[-1]):
            continue
        for end in ends:
            both = f"{sample} {end}"
            if _key(both) not in have:
                have.add(_key(both))
                out.append(both)
    return out


def _with_carrier(samples: dict[str, list[str]], carrier: Carrier) -> dict[str, list[str]]:
    """Samples that start (end) with a phrase, as ``{slot} <rest>`` (custom intents only).

    A rest that some other intent also has with a phrase, or that would put the slot next
    to another slot (Alexa cannot tell two slots side by side apart), keeps its samples.
    """
    phrases = sorted(carrier.phrases, key=lambda o: -len(o.split()))
    rests: dict[str, dict[str, str]] = {}  # intent -> rest key -> rest
    rest_keys: dict[str, dict[str, str]] = {}  # intent -> sample -> its rest's key
    for intent, intent_samples in samples.items():
        if intent.startswith("AMAZON."):
            continue  # Alexa's built-in intents take no slots of ours
        for sample in intent_samples:
            rest = _rest(sample, phrases, carrier)
            if rest is not None:
                rests.setdefault(intent, {})[_key(rest)] = rest
                rest_keys.setdefault(intent, {})[sample] = _key(rest)
    owners: dict[str, set[str]] = {}
    for intent, found in rests.items():
        for key in found:
            owners.setdefault(key, set()).add(intent)
    out: dict[str, list[str]] = {}
    for intent, intent_samples in samples.items():
        mine = {k: r for k, r in rests.get(intent, {}).items() if len(owners[k]) == 1}
        keys = rest_keys.get(intent, {})
        kept = [s for s in intent_samples if keys.get(s) not in mine]
        written = [f"{carrier.token} {r}" if carrier.at == "start" else f"{r} {carrier.token}"
                   for r in mine.values()]
        out[intent] = kept + written
    return out


def _rest(sample: str, phrases: list[str], carrier: Carrier) -> str | None:
    """The sample without its longest phrase, if that rest can stand beside the slot."""
    if carrier.token in sample:
        return None
    words = sample.split()
    for phrase in phrases:
        n = len(phrase.split())
        if len(words) <= n:
            continue
        said, rest = (words[:n], words[n:]) if carrier.at == "start" else (words[-n:], words[:-n])
        if _key(" ".join(said)) != _key(phrase):
            continue
        beside = rest[0] if carrier.at == "start" else rest[-1]
        own_words = [w for w in rest if not _SLOT_RE.fullmatch(w)]
        return None if _SLOT_RE.fullmatch(beside) or not own_words else " ".join(rest)
    return None


def carried_model(model: dict[str, Any], carriers: Sequence[Carrier],
                  samples: dict[str, list[str]]) -> dict[str, Any]:
    """The model with each carrier's slot type and, on every intent using it, its slot."""
    out = json.loads(json.dumps(model))
    lm = out["interactionModel"]["languageModel"]
    for carrier in carriers:
        for intent in lm["intents"]:
            slots = [s for s in intent.get("slots", []) if s["name"] != carrier.slot]
            if any(carrier.token in s for s in samples.get(intent["name"], [])):
                slots.append({"name": carrier.slot, "type": carrier.type})
            if slots or "slots" in intent:
                intent["slots"] = slots
        lm["types"] = [t for t in lm.get("types", []) if t["name"] != carrier.type]
        lm["types"].append({"name": carrier.type, "values": _values(carrier.phrases)})
    return out


def _values(phrases: Sequence[str]) -> list[dict[str, Any]]:
    ids: dict[str, None] = {}
    for phrase in phrases:
        slug = _slug(phrase)
        while slug in ids:
            slug += "_"
        ids[slug] = None
    return [{"id": i, "name": {"value": p}} for i, p in zip(ids, phrases, strict=True)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]+", "_", text.casefold()).strip("_") or "opening"


def build_samples(grammar: Grammar, model: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Intent -> its samples, expanded and without repeats (case-insensitive).

    The locale's own samples come first.  A sample of an included (shared) file is left
    out where the locale gives it to another intent, or where another intent's slot sample
    says it with a value of its slot ("what is the prognosis" is ``what is {section}``):
    shared phrasings widen the model without changing what it already answers.
    """
    rules = {name: _parse(body) for name, body in grammar.rules.items()}
    own = {i: _expand_all(t, rules) for i, t in grammar.intents.items()}
    shared = {i: _expand_all(t, rules) for i, t in grammar.shared.items()}
    owner = {_key(s): intent for intent, samples in own.items() for s in samples}
    every = {i: own.get(i, []) + shared.get(i, []) for i in {**own, **shared}}
    spoken = _slot_sentences(every, model) if model else {}
    samples: dict[str, list[str]] = {}
    for intent in {**own, **shared}:
        seen = {_key(s): s for s in own.get(intent, [])}
        for sample in shared.get(intent, []):
            key = _key(sample)
            if owner.get(key, intent) == intent and spoken.get(key, intent) == intent:
                seen.setdefault(key, sample)
        samples[intent] = list(seen.values())
    return samples


def _expand_all(templates: list[str], rules: dict[str, Any]) -> list[str]:
    out: dict[str, str] = {}
    for template in templates:
        for sample in _expand(template, rules):
            out.setdefault(_key(sample), sample)
    return list(out.values())


def _slot_sentences(
    samples: dict[str, list[str]], model: dict[str, Any]
) -> dict[str, str]:
    """Every sentence a slot sample of a custom slot type stands for -> its intent."""
    lm = model["interactionModel"]["languageModel"]
    values = {
        t["name"]: [p for v in t.get("values", [])
                    for p in [v["name"]["value"], *v["name"].get("synonyms", [])]]
        for t in lm.get("types", [])
    }
    slot_types = {i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])}
                  for i in lm["intents"]}
    out: dict[str, str] = {}
    for intent, intent_samples in samples.items():
        types = slot_types.get(intent, {})
        for sample in intent_samples:
            names = _SLOT_RE.findall(sample)
            if not names or any(types.get(n) not in values for n in names):
                continue
            sentences = [sample]
            for name in names:
                sentences = [s.replace(f"{{{name}}}", v) for s in sentences
                             for v in values[types[name]]]
            for sentence in sentences:
                out.setdefault(_key(sentence), intent)
    return out


def _key(sample: str) -> str:
    return " ".join(sample.casefold().split())


def problems(model: dict[str, Any], samples: dict[str, list[str]]) -> list[str]:
    """What in these samples breaks Alexa's rules or our budgets for this model."""
    lm = model["interactionModel"]["languageModel"]
    declared = {i["name"]: {s["name"] for s in i.get("slots", [])} for i in lm["intents"]}
    found: list[str] = []
    owner: dict[str, str] = {}
    total = 0
    for intent, intent_samples in samples.items():
        if intent not in declared:
            found.append(f"{intent}: not an intent of the model")
            continue
        if len(intent_samples) > MAX_SAMPLES_PER_INTENT:
            found.append(f"{intent}: {len(intent_samples)} samples > {MAX_SAMPLES_PER_INTENT}")
        total += len(intent_samples)
        for sample in intent_samples:
            found.extend(_sample_problems(intent, sample, declared[intent]))
            other = owner.setdefault(_key(sample), intent)
            if other != intent:
                found.append(f"{sample!r} in both {other} and {intent}")
    if total > MAX_SAMPLES_PER_MODEL:
        found.append(f"{total} samples > {MAX_SAMPLES_PER_MODEL}")
    return found


def _sample_problems(intent: str, sample: str, slots: set[str]) -> Iterator[str]:
    if len(sample) > MAX_SAMPLE_CHARS:
        yield f"{intent}: {sample!r} is longer than {MAX_SAMPLE_CHARS} characters"
    for slot in _SLOT_RE.findall(sample):
        if slot not in slots:
            yield f"{intent}: {{{slot}}} in {sample!r} is not a slot of the intent"
    for word in _SLOT_RE.sub(" ", sample).split():
        if not _ALLOWED_RE.fullmatch(word):
            yield f"{intent}: {word!r} in {sample!r} (only letters, apostrophes, periods)"


def with_samples(model: dict[str, Any], samples: dict[str, list[str]]) -> dict[str, Any]:
    """A copy of the model whose intents carry these samples (intents not named: none)."""
    out = json.loads(json.dumps(model))
    for intent in out["interactionModel"]["languageModel"]["intents"]:
        built = samples.get(intent["name"], [])
        if built or "samples" in intent:
            intent["samples"] = built
    return out


def dump(model: dict[str, Any]) -> str:
    """The model as committed: JSON indented with tabs, UTF-8 letters as they are, final newline."""
    return json.dumps(model, indent="\t", ensure_ascii=False) + "\n"


def built_model(root: Path, locale: str) -> str:
    """The text ``interaction_models/<locale>.json`` should have; raises GrammarError."""
    model = json.loads((root / f"{locale}.json").read_text(encoding="utf-8"))
    grammar = load_grammar(root, locale)
    samples = build_samples(grammar, model)
    samples = with_carriers(samples, grammar.carriers)
    model = carried_model(model, grammar.carriers, samples)
    found = problems(model, samples)
    text = dump(with_samples(model, samples))
    if len(text.encode("utf-8")) > MAX_MODEL_BYTES:
        found.append(f"{locale}.json would be {len(text.encode())} bytes > {MAX_MODEL_BYTES}")
    if found:
        raise GrammarError(f"{locale}: " + "; ".join(found[:20]))
    return text


def grammar_locales(root: Path) -> list[str]:
    """Locales with both a grammar file and a model."""
    return sorted(
        p.stem for p in (root / GRAMMAR_DIR).glob("*.yaml")
        if re.fullmatch(r"[a-z]{2}-[A-Z]{2}", p.stem) and (root / f"{p.stem}.json").is_file()
    )


def default_root() -> Path:
    """The checkout's ``interaction_models/`` (grammar files are not in the wheel)."""
    return Path(__file__).resolve().parents[2] / "interaction_models"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="halsporre models", description=__doc__.split("\n")[0])
    p.add_argument("action", choices=["build", "check"])
    p.add_argument("--root", type=Path, default=default_root(), help="interaction_models/")
    p.add_argument("locales", nargs="*", help="default: every locale with a grammar")
    args = p.parse_args(argv)
    stale = []
    for locale in args.locales or grammar_locales(args.root):
        try:
            text = built_model(args.root, locale)
        except (GrammarError, OSError, yaml.YAMLError) as exc:
            print(f"halsporre models: {exc}", file=sys.stderr)
            return 2
        path = args.root / f"{locale}.json"
        if path.read_text(encoding="utf-8") == text:
            continue
        if args.action == "build":
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        else:
            stale.append(locale)
    if stale:
        print("out of date (run halsporre models build): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
