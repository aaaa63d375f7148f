"""Alexa's SSML: a projection of the playback plan (:mod:`skill.core.playback`).

SSML is built with :mod:`xml.etree.ElementTree` rather than string pasting, so every
sentence is escaped and every document is well-formed. No SSML builder on PyPI is
maintained today; the standard library is. Nothing in the skill reads SSML back: the
console and the web page project the same plan their own way.

A piece with a spoken form becomes ``<sub alias="spoken">written</sub>``: the clinic's
number digit group by digit group (not ``say-as telephone``, which Alexa documents for
US-style numbers only) and names a voice would stumble on (``pronounce.names.*``). Clips
and cue tones become ``<audio>``; pauses become ``<break>`` tags of at most 10 s each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from skill.content import SPEECH_FIELDS, Content, placeholders
from skill.core.boundedcache import BoundedCache
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
    name_aliases,
    plain_text,
    spell_phone,
)

__all__ = ["PHONE_KEY", "ClipSource", "Rendered", "check_parts", "fill", "name_aliases",
           "plain_text", "render", "spell_phone", "to_ssml"]


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


def _words(root: ET.Element, step: Words) -> None:
    for piece in step.pieces:
        if piece.said != piece.text:
            ET.SubElement(root, "sub", alias=piece.said).text = piece.text
        else:
            _append_text(root, piece.text)
    _append_text(root, " ")


def _step(root: ET.Element, step: Step) -> None:
    if isinstance(step, Words):
        _words(root, step)
    elif isinstance(step, ClipStep):
        ET.SubElement(root, "audio", src=step.url)
    elif isinstance(step, Silence):
        _break(root, step.duration_ms)
    elif step.url:
        ET.SubElement(root, "audio", src=step.url)
    else:
        _append_text(root, step.text + " ")


_SSML_ENTRIES = 1024
_SSML_BYTES = 2 * 1024 * 1024
_ssml: BoundedCache[tuple[Plan, str]] = BoundedCache(
    _SSML_ENTRIES, _SSML_BYTES, lambda key, value: 300 + len(value[1]))
"""Finished SSML per plan object. Plans come from the plan cache
(:func:`skill.core.playback.build_plan`), so a repeated answer is the same object: keyed
by its identity (no hash of every step), and the entry keeps the plan alive, so the
identity cannot be reused by another plan while the entry exists."""


def to_ssml(plan: Plan) -> str:
    """The plan as one SSML ``<speak>`` document."""
    hit = _ssml.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    ssml = _render_ssml(plan)
    _ssml.put(id(plan), (plan, ssml))
    return ssml


def _render_ssml(plan: Plan) -> str:
    root = ET.Element("speak")
    for step in plan.steps:
        _step(root, step)
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
    return Rendered(plan, to_ssml(plan))


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
