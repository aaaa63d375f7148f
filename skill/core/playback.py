"""The playback plan: what one answer plays, step by step, rendered once (pure Python).

:func:`build_plan` turns the dialogue's parts into a :class:`Plan` for one locale: words
(with the speaking time the stretch planner assumes), pre-rendered clips (with the words
they speak, their duration and the engine that made them), pauses and cues, each with its
start offset and duration. :func:`build_answer` adds the structured extras: the card and the
clinic's contact when the answer gives the number.

Every way out is a projection of the plan: Alexa's SSML (:func:`skill.core.speech.to_ssml`),
the console's lines and the web page's JSON. Nothing reads SSML back.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from skill.content import SPEECH_FIELDS, Content
from skill.core.boundedcache import BoundedCache, approx_size
from skill.core.limits import LIMITS
from skill.core.parts import (
    HOLD_ANCHOR,
    REF_PREFIX,
    Cue,
    Part,
    Pause,
    Say,
    Wait,
    parts_key,
    wait_gap,
)
from skill.core.runs import Run, split

log = logging.getLogger(__name__)

PHONE_KEY = "clinic.phone"
PHONE_INTERNATIONAL_KEY = "clinic.phone_international"


class Clip(Protocol):
    """A pre-rendered clip (:class:`skill.core.clips.Clip`)."""

    @property
    def url(self) -> str: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def engine(self) -> str | None: ...


class ClipSource(Protocol):
    """The pre-rendered clips of one locale (:class:`skill.core.clips.ClipLibrary`)."""

    def lookup(self, text: str) -> Clip | None: ...

    def cue(self, name: str) -> Clip | None: ...


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Piece:
    """A run of text in a sentence, as written (``text``) and, where a voice must say it
    differently, as spoken (``spoken``: the number's digit groups, a name's alias)."""

    text: str
    spoken: str | None = None
    phone: bool = False
    """The clinic's number (the answer gives it: the page shows a call link)."""

    @property
    def said(self) -> str:
        if self.spoken is not None:
            return self.spoken
        return spell_phone(self.text) if self.phone else self.text


@dataclass(frozen=True)
class Words:
    """A sentence spoken by the device's voice (no clip)."""

    key: str
    pieces: tuple[Piece, ...]
    start_ms: int
    duration_ms: int

    @property
    def text(self) -> str:
        """The sentence as written (captions, cards, the console)."""
        return "".join(p.text for p in self.pieces).strip()

    @property
    def spoken(self) -> str:
        """The sentence as a voice should say it (aliases in place of names and digits)."""
        return "".join(p.said for p in self.pieces).strip()


@dataclass(frozen=True)
class ClipStep:
    """A pre-rendered clip: its URL, the words it speaks, its length and who made it."""

    url: str
    text: str
    start_ms: int
    duration_ms: int
    engine: str | None = None


@dataclass(frozen=True)
class Silence:
    """A pause (SSML breaks of at most 10 s each)."""

    start_ms: int
    duration_ms: int


@dataclass(frozen=True)
class CueStep:
    """A non-verbal cue: its tone clip (``url``), or its words when there is none."""

    name: str
    text: str
    start_ms: int
    duration_ms: int
    url: str | None = None


Step = Words | ClipStep | Silence | CueStep


@dataclass(frozen=True)
class Plan:
    """One speech (the answer or its reprompt) as steps in playing order."""

    steps: tuple[Step, ...] = ()
    missing_clips: tuple[str, ...] = ()
    """Sentences that should have had a clip (pre-rendered locale) but spoke as text."""

    @property
    def text(self) -> str:
        """The words, for people who read (cards, logs, the console)."""
        return " ".join(s.text for s in self.steps if not isinstance(s, Silence) and s.text)

    @property
    def duration_ms(self) -> int:
        return sum(s.duration_ms for s in self.steps)

    @property
    def audio_tags(self) -> int:
        return sum(1 for s in self.steps
                   if isinstance(s, ClipStep) or (isinstance(s, CueStep) and s.url))

    def __bool__(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class CardView:
    """A simple card: its title and its text (lines as written in the content)."""

    title: str
    body: str

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.body.splitlines() if line.strip())


@dataclass(frozen=True)
class ClinicContact:
    """The clinic's number as shown (``display``), dialled (``e164``) and how to book."""

    display: str
    e164: str
    booking: tuple[str, ...]

    @property
    def tel_uri(self) -> str:
        return "tel:" + self.e164


@dataclass(frozen=True)
class Answer:
    """Everything one turn gives back, before any front end projects it."""

    locale: str
    speech: Plan
    reprompt: Plan | None
    card: CardView | None = None
    clinic: ClinicContact | None = None
    permission_card: bool = False

    @property
    def session_open(self) -> bool:
        return self.reprompt is not None


# --------------------------------------------------------------------------- filling in


#: Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_CONVERSIONS: dict[str, Callable[[object], str]] = {"r": repr, "s": str, "a": ascii}


def _param(content: Content, part: Say, name: str, spec: str, conv: str | None) -> str:
    if name not in part.params:
        raise KeyError(f"{content.locale}:{part.key} needs {{{name}}}")
    value = part.params[name]
    if isinstance(value, str) and value.startswith(REF_PREFIX):
        value = content.text(value[len(REF_PREFIX):])
    if conv:
        value = _CONVERSIONS[conv](value)
    return _XML_INVALID.sub("", format(value, spec or ""))


def spell_phone(number: str) -> str:
    """"08-123 45 67" -> "0 8, 1 2 3, 4 5, 6 7": digits one by one, groups as pauses."""
    groups = [g for g in re.split(r"[^0-9+]+", number) if g]
    return ", ".join(" ".join(g) for g in groups)


def name_aliases(content: Content) -> dict[str, str]:
    """Written name -> how the voice should say it (``pronounce.names.<id>.written`` /
    ``.spoken``), only where the two differ."""
    names: dict[str, str] = {}
    for key in content.keys_under("pronounce.names."):
        if key.endswith(".written"):
            written = content.strings[key]
            spoken = content.strings.get(key[: -len("written")] + "spoken", written)
            if written and spoken and spoken != written:
                names[written] = spoken
    return names


_aliases: dict[int, tuple[Content, dict[str, str], re.Pattern[str] | None]] = {}


def _alias_table(content: Content) -> tuple[dict[str, str], re.Pattern[str] | None]:
    hit = _aliases.get(id(content))
    if hit is None or hit[0] is not content:
        names = name_aliases(content)
        pattern = re.compile("|".join(re.escape(w) for w in sorted(names, key=len,
                                                                    reverse=True))) \
            if names else None
        hit = _aliases[id(content)] = (content, names, pattern)
    return hit[1], hit[2]


def _text_pieces(content: Content, text: str) -> list[Piece]:
    """``text`` as pieces, each written name with an alias its own piece."""
    names, pattern = _alias_table(content)
    if pattern is None:
        return [Piece(text)] if text else []
    pieces: list[Piece] = []
    pos = 0
    for match in pattern.finditer(text):
        if match.start() > pos:
            pieces.append(Piece(text[pos:match.start()]))
        pieces.append(Piece(match.group(0), names[match.group(0)]))
        pos = match.end()
    if pos < len(text):
        pieces.append(Piece(text[pos:]))
    return pieces


def _field(content: Content, name: str) -> Piece:
    value = content.text(SPEECH_FIELDS[name])
    return Piece(value, phone=name == "phone")


def fill(content: Content, part: Say) -> tuple[Piece, ...]:
    """The text of ``part`` as pieces, placeholders filled in (``{phone}`` is the clinic's,
    spoken digit group by digit group; names get their spoken alias)."""
    pieces: list[Piece] = []
    for literal, name, spec, conv in string.Formatter().parse(content.text(part.key)):
        pieces += _text_pieces(content, literal)
        if name in SPEECH_FIELDS:
            pieces.append(_field(content, name))
        elif name is not None:
            pieces += _text_pieces(content, _param(content, part, name, spec or "", conv))
    return tuple(pieces)


def plain_text(content: Content, part: Say) -> str:
    return "".join(p.text for p in fill(content, part))


def _say_ms(text: str) -> int:
    return round(LIMITS.say_seconds(text) * 1000)


# --------------------------------------------------------------------------- the plan


class _Builder:
    """Appends steps with running start offsets."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.missing: list[str] = []
        self.at = 0
        self.anchor = 0
        """Start of the current hold (its start cue): what :class:`Wait` parts count from."""

    def add(self, step: Step) -> None:
        self.steps.append(step)
        self.at += step.duration_ms

    def say(self, content: Content, part: Say, clips: ClipSource | None) -> None:
        pieces = fill(content, part)
        sentence = "".join(p.text for p in pieces).strip()
        clip = clips.lookup(sentence) if clips is not None else None
        if clip is not None:
            self.add(ClipStep(clip.url, sentence, self.at, clip.duration_ms or _say_ms(sentence),
                              clip.engine))
            return
        if clips is not None:
            self.missing.append(sentence)
            log.warning("no clip for %s:%s, using text speech", content.locale, part.key)
        self.add(Words(part.key, pieces, self.at, _say_ms(sentence)))

    def silence(self, ms: int) -> None:
        """``ms`` of silence as steps of at most one SSML break each."""
        while ms > 0:
            chunk = min(ms, LIMITS.max_break_ms)
            self.add(Silence(self.at, chunk))
            ms -= chunk

    def wait(self, part: Wait) -> None:
        self.silence(wait_gap(self.at, self.anchor, part))

    def cue(self, content: Content, part: Cue, clips: ClipSource | None) -> None:
        if part.name == HOLD_ANCHOR:
            self.anchor = self.at
        text = content.text(f"cue.{part.name}")
        clip = clips.cue(part.name) if clips is not None else None
        if clip is not None:
            ms = clip.duration_ms or round(LIMITS.cue_seconds * 1000)
            self.add(CueStep(part.name, text, self.at, ms, clip.url))
        else:
            ms = max(round(LIMITS.cue_seconds * 1000), _say_ms(text))
            self.add(CueStep(part.name, text, self.at, ms))

    def plan(self) -> Plan:
        return Plan(tuple(self.steps), tuple(self.missing))


def _run_step(builder: _Builder, content: Content, run: Run, clips: ClipSource) -> bool:
    """The run's one pre-joined clip (``False`` when the build made none: logged)."""
    lookup: Callable[[str], Clip | None] | None = getattr(clips, "run", None)
    clip = lookup(run.key) if lookup is not None else None
    if clip is None:
        log.warning("%s: no clip for %s run %s", content.locale, run.kind, run.key)
        return False
    words = " ".join(plain_text(content, p).strip() for p in run.parts if isinstance(p, Say))
    builder.add(ClipStep(clip.url, words, builder.at, clip.duration_ms, clip.engine))
    return True


def _build_runs(parts: Sequence[Part], content: Content, clips: ClipSource,
                max_audio_tags: int) -> Plan:
    """An Alexa answer of clips: each run of :func:`skill.core.runs.split` is one clip made
    by the build, every other sentence its own clip, silences SSML breaks."""
    builder = _Builder()
    for chunk in split(parts):
        if isinstance(chunk, Run):
            if not _run_step(builder, content, chunk, clips):
                builder.missing.append(chunk.key)
                for part in chunk.parts:
                    _add_part(builder, content, part, clips)
        else:
            _add_part(builder, content, chunk, clips)
    return _within(builder.plan(), content, max_audio_tags)


def _within(plan: Plan, content: Content, max_audio_tags: int) -> Plan:
    """``plan`` with at most ``max_audio_tags`` clips: Alexa refuses the whole answer
    otherwise. Never expected (the runs keep every planned answer within it, tested);
    if it happens the clips before the last one are dropped, with a log line."""
    if plan.audio_tags <= max_audio_tags:
        return plan
    log.error("%s: answer of %d clips cut to %d: %s", content.locale, plan.audio_tags,
              max_audio_tags, plan.text[:80])
    clips = [i for i, s in enumerate(plan.steps) if isinstance(s, ClipStep | CueStep)
             and (not isinstance(s, CueStep) or s.url)]
    drop = set(clips[max_audio_tags - 1:-1])
    builder = _Builder()
    for i, step in enumerate(plan.steps):
        if i not in drop:
            builder.add(replace(step, start_ms=builder.at))
    return Plan(tuple(builder.steps), plan.missing_clips)


def _add_part(builder: _Builder, content: Content, part: Part, clips: ClipSource | None
              ) -> None:
    if isinstance(part, Say):
        builder.say(content, part, clips)
    elif isinstance(part, Pause):
        builder.silence(part.ms)
    elif isinstance(part, Wait):
        builder.wait(part)
    else:
        builder.cue(content, part, clips)


def _build(parts: Sequence[Part], content: Content, clips: ClipSource | None,
           max_audio_tags: int | None) -> Plan:
    if clips is not None and max_audio_tags is not None:
        return _build_runs(parts, content, clips, max_audio_tags)
    builder = _Builder()
    for part in parts:
        if isinstance(part, Pause):
            builder.add(Silence(builder.at, part.ms))
        else:
            _add_part(builder, content, part, clips)
    return builder.plan()


_CACHE_SIZE = 2048
_CACHE_BYTES = 8 * 1024 * 1024


def _plan_size(key: Any, plan: Plan) -> int:
    """Roughly what a cached plan holds: its key's parts, its words, its steps."""
    return approx_size(key[-1]) + 2 * len(plan.text) + 120 * len(plan.steps) + sum(
        len(m) for m in plan.missing_clips)


_cache: BoundedCache[Plan] = BoundedCache(_CACHE_SIZE, _CACHE_BYTES, _plan_size)


def build_plan(parts: Sequence[Part], content: Content, clips: ClipSource | None = None,
               max_audio_tags: int | None = None) -> Plan:
    """The plan of ``parts`` in ``content.locale``; with ``clips``, sentences become clips.

    ``max_audio_tags`` (Alexa: 5) plays the runs the build joined
    (:mod:`skill.core.runs`) as one clip each; ``None`` (our own front ends) keeps one clip
    per sentence so pauses stay visible. Plans are
    pure functions of (content, clips, limit, parts) and are cached: the same few dozen
    answers make up nearly every conversation (a missing clip is logged once per answer).
    The cache holds at most 2,048 plans and 8 MB (session attributes choose some parts).
    """
    try:
        # content is one of load_content's kept objects; clips is held by the key itself
        key = (clips, max_audio_tags, id(content), parts_key(parts))
        hit = _cache.get(key)
    except TypeError:  # an unhashable param: build without the cache
        return _build(parts, content, clips, max_audio_tags)
    if hit is None:
        hit = _build(parts, content, clips, max_audio_tags)
        _cache.put(key, hit)
    return hit


# --------------------------------------------------------------------------- the answer


def _card_view(content: Content, title: Say, lines: Sequence[Say]) -> CardView:
    head = plain_text(content, title)
    return CardView(head[:1].upper() + head[1:],
                    "\n".join(plain_text(content, p) for p in lines))


def _gives_number(plan: Plan, card: CardView | None, phone: str) -> bool:
    for step in plan.steps:  # one pass: spoken as a phone piece, or said in a clip
        if isinstance(step, Words):
            if any(p.phone for p in step.pieces):
                return True
        elif isinstance(step, ClipStep) and phone in step.text:
            return True
    return bool(card and any(phone in line for line in card.lines))


def clinic_contact(content: Content, plan: Plan, card: CardView | None) -> ClinicContact | None:
    """The clinic's contact when ``plan`` or ``card`` gives its number, else ``None``."""
    phone = content.text(PHONE_KEY)
    if not _gives_number(plan, card, phone):
        return None
    booking = tuple(line for line in (card.lines if card else ()) if phone not in line)
    return ClinicContact(phone, e164(content.text(PHONE_INTERNATIONAL_KEY)), booking)


def e164(international: str) -> str:
    """"+46 8 123 264 44" -> "+46812326444" (the form a ``tel:`` link dials)."""
    return "+" + re.sub(r"\D", "", international)


@dataclass(frozen=True)
class Card:
    """A simple card in the Alexa app, as the dialogue names it: a title and lines."""

    title: Say
    lines: tuple[Say, ...]


_ANSWERS_SIZE = 1024
_ANSWERS_BYTES = 4 * 1024 * 1024


def _answer_size(key: Any, answer: Answer) -> int:
    """What a cached answer adds to the plan cache's plans (shared): its key and card."""
    card = answer.card
    return approx_size(key[3:]) + 300 + (2 * (len(card.title) + len(card.body)) if card else 0)


_answers: BoundedCache[Answer] = BoundedCache(_ANSWERS_SIZE, _ANSWERS_BYTES, _answer_size)


def build_answer(content: Content, speech: Sequence[Part], reprompt: Sequence[Part] | None,
                 card: Card | None = None, clips: ClipSource | None = None,
                 max_audio_tags: int | None = None, permission_card: bool = False) -> Answer:
    """The whole answer of one turn: both speeches as plans, the card, the clinic.

    A pure function of its arguments, remembered like the plans (at most 1,024 answers and
    4 MB besides the plans they share with :func:`build_plan`'s cache)."""
    try:
        key = (clips, max_audio_tags, id(content), parts_key(speech),
               None if reprompt is None else parts_key(reprompt),
               None if card is None else parts_key((card.title, *card.lines)), permission_card)
        hit = _answers.get(key)
    except TypeError:  # an unhashable param: build without the cache
        return _build_answer(content, speech, reprompt, card, clips, max_audio_tags,
                             permission_card)
    if hit is None:
        hit = _build_answer(content, speech, reprompt, card, clips, max_audio_tags,
                            permission_card)
        _answers.put(key, hit)
    return hit


def _build_answer(content: Content, speech: Sequence[Part], reprompt: Sequence[Part] | None,
                  card: Card | None, clips: ClipSource | None, max_audio_tags: int | None,
                  permission_card: bool) -> Answer:
    plan = build_plan(speech, content, clips, max_audio_tags)
    again = build_plan(reprompt, content, clips, max_audio_tags) if reprompt is not None \
        else None
    view = _card_view(content, card.title, card.lines) if card is not None else None
    return Answer(content.locale, plan, again, None if permission_card else view,
                  clinic_contact(content, plan, view), permission_card)
