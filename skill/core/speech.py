"""Render dialogue parts as SSML (for Alexa) and plain text (for the console and cards).

SSML is built with :mod:`xml.etree.ElementTree` rather than string pasting, so every
sentence is escaped and every document is well-formed. No SSML builder on PyPI is
maintained today; the standard library is.

Placeholders: ``{phone}`` is always the clinic's number from the content key
``clinic.phone`` (``{phone_international}`` its international form, for cards). The number
is spoken digit group by digit group (``<sub alias="0 8, 1 2 3, ...">``), not with
``say-as telephone``, which Alexa documents for US-style numbers only. Names a voice would
stumble on get the spoken alias of ``pronounce.names.*`` (``<sub>`` again), so the words
shown stay the written ones.
For pre-rendered locales (Swedish) a :class:`ClipSource` turns each finished sentence into
an ``<audio>`` clip; a sentence without a clip falls back to text speech with a log line.
"""

from __future__ import annotations

import logging
import re
import string
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from skill.content import SPEECH_FIELDS, Content, placeholders
from skill.core.parts import REF_PREFIX, Cue, Part, Pause, Say, parts_key

log = logging.getLogger(__name__)

MAX_BREAK_MS = 10_000
PHONE_KEY = "clinic.phone"


class ClipSource(Protocol):
    """Finds the pre-rendered clip of a finished sentence (or cue) for a locale."""

    def clip_url(self, text: str) -> str | None: ...

    def cue_url(self, name: str) -> str | None: ...


@dataclass
class Rendered:
    """One rendered speech: the SSML for Alexa and the words for people who read."""

    ssml: str
    text: str
    audio_tags: int = 0
    missing_clips: list[str] = field(default_factory=list)


#: Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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


def fill(content: Content, part: Say) -> list[tuple[str, bool]]:
    """The text of ``part`` as ``(chunk, is_phone)`` pieces, placeholders filled in."""
    template = content.text(part.key)
    pieces: list[tuple[str, bool]] = []
    for literal, name, spec, conv in string.Formatter().parse(template):
        if literal:
            pieces.append((literal, False))
        if name is None:
            continue
        if name in SPEECH_FIELDS:
            pieces.append((content.text(SPEECH_FIELDS[name]), name == "phone"))
            continue
        if name not in part.params:
            raise KeyError(f"{content.locale}:{part.key} needs {{{name}}}")
        value = part.params[name]
        if isinstance(value, str) and value.startswith(REF_PREFIX):
            value = content.text(value[len(REF_PREFIX):])
        if conv:
            value = {"r": repr, "s": str, "a": ascii}[conv](value)
        pieces.append((_XML_INVALID.sub("", format(value, spec or "")), False))
    return pieces


def check_parts(parts: Sequence[Part], content: Content) -> None:
    """Raise ValueError unless every part can be rendered with ``content`` (known keys,
    every placeholder given): for parts that come back from session storage."""
    for part in parts:
        if isinstance(part, Say):
            if not content.has(part.key):
                raise ValueError(f"unknown content key {part.key!r}")
            needed = placeholders(content.strings[part.key]) - set(SPEECH_FIELDS)
            if not needed <= set(part.params):
                raise ValueError(f"{part.key} needs {sorted(needed)}")
        elif isinstance(part, Cue) and not content.has(f"cue.{part.name}"):
            raise ValueError(f"unknown cue {part.name!r}")


def plain_text(content: Content, part: Say) -> str:
    return "".join(chunk for chunk, _ in fill(content, part))


def _append_text(parent: ET.Element, text: str) -> None:
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _break(parent: ET.Element, ms: int) -> None:
    while ms > 0:
        chunk = min(ms, MAX_BREAK_MS)
        ET.SubElement(parent, "break", time=f"{chunk}ms")
        ms -= chunk


def _join_sentence(words: list[str], text: str) -> None:
    text = text.strip()
    if text:
        words.append(text)


def _say_text(root: ET.Element, text: str, names: dict[str, str]) -> None:
    """Append ``text``, each written name in ``names`` wrapped in ``<sub alias=spoken>``."""
    pos = 0
    if names:
        pattern = re.compile("|".join(re.escape(w) for w in sorted(names, key=len,
                                                                   reverse=True)))
        for match in pattern.finditer(text):
            _append_text(root, text[pos:match.start()])
            ET.SubElement(root, "sub", alias=names[match.group(0)]).text = match.group(0)
            pos = match.end()
    _append_text(root, text[pos:])


def _say_ssml(root: ET.Element, pieces: list[tuple[str, bool]],
              names: dict[str, str]) -> None:
    for chunk, is_phone in pieces:
        if is_phone:
            ET.SubElement(root, "sub", alias=spell_phone(chunk)).text = chunk
        else:
            _say_text(root, chunk, names)
    _append_text(root, " ")


def _joined(parts: Sequence[Part], content: Content, clips: Any,
            max_audio_tags: int) -> str | None:
    """One ``<audio>`` for the whole answer when it needs more clips than Alexa allows.

    Only when every sentence and cue has a clip; silences are joined in too. ``None``
    when joining is not needed or not possible (then each clip gets its own tag).
    """
    if not hasattr(clips, "fit"):
        return None
    items: list[Any] = []
    for part in parts:
        if isinstance(part, Say):
            clip = clips.lookup(plain_text(content, part))
        elif isinstance(part, Cue):
            clip = clips.cue(part.name)
        else:
            items.append(part.ms)
            continue
        if clip is None:
            return None
        items.append(clip)
    if sum(not isinstance(i, int) for i in items) <= max_audio_tags:
        return None
    fitted = clips.fit(items, max_audio_tags)
    if not fitted or len(fitted) != 1 or isinstance(fitted[0], int):
        log.warning("%s: could not join %d clips into one", content.locale, len(items))
        return None
    return fitted[0].url


_CACHE_SIZE = 2048
_cache: dict[tuple, Rendered] = {}


def render(
    parts: Sequence[Part],
    content: Content,
    clips: ClipSource | None = None,
    max_audio_tags: int | None = None,
) -> Rendered:
    """Render ``parts`` for ``content.locale``; with ``clips``, sentences become audio.

    ``max_audio_tags`` (Alexa: 5) joins an answer of more clips into one clip; ``None``
    (our own front ends) keeps one tag per clip so pauses stay visible. Answers are pure
    functions of (content, clips, limit, parts) and are cached: the same few dozen answers
    make up nearly every conversation. (A missing clip is therefore logged once per
    answer, not on every request.)
    """
    try:
        # content is one of load_content's kept objects; clips is held by the key itself
        key = (clips, max_audio_tags, id(content), parts_key(parts))
        hit = _cache.get(key)
    except TypeError:  # an unhashable param: render without the cache
        return _render(parts, content, clips, max_audio_tags)
    if hit is None:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        hit = _cache[key] = _render(parts, content, clips, max_audio_tags)
    return Rendered(hit.ssml, hit.text, hit.audio_tags, list(hit.missing_clips))


def _render(
    parts: Sequence[Part],
    content: Content,
    clips: ClipSource | None,
    max_audio_tags: int | None,
) -> Rendered:
    root = ET.Element("speak")
    words: list[str] = []
    audio_tags = 0
    missing: list[str] = []
    joined = _joined(parts, content, clips, max_audio_tags) \
        if clips is not None and max_audio_tags is not None else None
    names = name_aliases(content)
    if joined:
        ET.SubElement(root, "audio", src=joined)
        audio_tags = 1
    for part in parts:
        if isinstance(part, Say):
            pieces = fill(content, part)
            sentence = "".join(chunk for chunk, _ in pieces)
            _join_sentence(words, sentence)
            if joined:
                continue
            url = clips.clip_url(sentence) if clips else None
            if url:
                ET.SubElement(root, "audio", src=url)
                audio_tags += 1
                continue
            if clips is not None:
                missing.append(sentence)
                log.warning("no clip for %s:%s, using text speech", content.locale, part.key)
            _say_ssml(root, pieces, names)
        elif isinstance(part, Pause):
            if not joined:
                _break(root, part.ms)
        elif isinstance(part, Cue):
            _join_sentence(words, content.text(f"cue.{part.name}"))
            if joined:
                continue
            url = clips.cue_url(part.name) if clips else None
            if url:
                ET.SubElement(root, "audio", src=url)
                audio_tags += 1
            else:
                _append_text(root, content.text(f"cue.{part.name}") + " ")
        else:  # pragma: no cover - the Part union is closed
            raise TypeError(f"unknown part {part!r}")
    ssml = ET.tostring(root, encoding="unicode")
    ssml = ssml.replace(" </speak>", "</speak>")
    return Rendered(ssml=ssml, text=" ".join(words), audio_tags=audio_tags,
                    missing_clips=missing)


def ssml_to_text(ssml: str, caption: Callable[[str], str] | None = None) -> str:
    """The words an SSML document says, for logs and consoles.

    ``caption`` gives the words of an ``<audio>`` clip from its URL (pre-rendered speech).
    """
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        return ssml
    chunks: list[str] = []

    def walk(element: ET.Element) -> None:
        if element.tag == "audio" and caption is not None:
            chunks.append(" " + caption(element.get("src", "")) + " ")
        elif element.text:
            chunks.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                chunks.append(child.tail)

    walk(root)
    return " ".join("".join(chunks).split())


def card_text(content: Content, parts: Iterable[Say]) -> str:
    """Plain text for an Alexa app card."""
    return "\n".join(plain_text(content, p) for p in parts)

