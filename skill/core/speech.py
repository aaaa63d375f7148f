"""Alexa's SSML: a projection of the playback plan (:mod:`skill.core.playback`).

SSML is built with :mod:`xml.etree.ElementTree` rather than string pasting, so every
sentence is escaped and every document is well-formed. No SSML builder on PyPI is
maintained today; the standard library is. Nothing in the skill reads SSML back: the
console and the web page project the same plan their own way.

``{phone}`` runs are spoken digit group by digit group (``<sub alias="0 8, 1 2 3, ...">``),
not with ``say-as telephone``, which Alexa documents for US-style numbers only. Names a
voice would stumble on get the spoken alias of ``pronounce.names.*`` (``<sub>`` again), so
the words shown stay the written ones. Clips and cue tones become ``<audio>``; pauses
become ``<break>`` tags of at most 10 s each.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from skill.content import SPEECH_FIELDS, Content, placeholders
from skill.core.limits import MAX_BREAK_MS
from skill.core.parts import Cue, Part, Say
from skill.core.playback import (
    PHONE_KEY,
    ClipSource,
    ClipStep,
    Plan,
    Silence,
    Step,
    Words,
    build_plan,
    fill,
    plain_text,
)

__all__ = ["PHONE_KEY", "ClipSource", "Rendered", "check_parts", "fill", "name_aliases",
           "plain_text", "render", "spell_phone", "to_ssml"]


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


def _say_text(root: ET.Element, text: str, names: Mapping[str, str]) -> None:
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


def _words(root: ET.Element, step: Words, names: Mapping[str, str]) -> None:
    for piece in step.pieces:
        if piece.phone:
            ET.SubElement(root, "sub", alias=spell_phone(piece.text)).text = piece.text
        else:
            _say_text(root, piece.text, names)
    _append_text(root, " ")


def _step(root: ET.Element, step: Step, names: Mapping[str, str]) -> None:
    if isinstance(step, Words):
        _words(root, step, names)
    elif isinstance(step, ClipStep):
        ET.SubElement(root, "audio", src=step.url)
    elif isinstance(step, Silence):
        _break(root, step.duration_ms)
    elif step.url:
        ET.SubElement(root, "audio", src=step.url)
    else:
        _append_text(root, step.text + " ")


def to_ssml(plan: Plan, names: Mapping[str, str] | None = None) -> str:
    """The plan as one SSML ``<speak>`` document (``names``: written name -> spoken alias,
    see :func:`name_aliases`)."""
    root = ET.Element("speak")
    for step in plan.steps:
        _step(root, step, names or {})
    return ET.tostring(root, encoding="unicode").replace(" </speak>", "</speak>")


@dataclass(frozen=True)
class Rendered:
    """One speech as Alexa gets it (``ssml``), with its plan and the words it says."""

    plan: Plan
    ssml: str

    @property
    def text(self) -> str:
        return self.plan.text

    @property
    def audio_tags(self) -> int:
        return self.plan.audio_tags

    @property
    def missing_clips(self) -> list[str]:
        return list(self.plan.missing_clips)


def render(parts: Sequence[Part], content: Content, clips: ClipSource | None = None,
           max_audio_tags: int | None = None) -> Rendered:
    """The plan of ``parts`` and its SSML (see :func:`skill.core.playback.build_plan`)."""
    plan = build_plan(parts, content, clips, max_audio_tags)
    return Rendered(plan, to_ssml(plan, name_aliases(content)))


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
