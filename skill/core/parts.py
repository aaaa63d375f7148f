"""What the dialogue decides to say, before it becomes SSML, text or audio.

The dialogue and the stretch planner produce a list of parts; :mod:`skill.core.speech`
renders them for a locale (SSML for Alexa, plain text for the console, audio clips for
pre-rendered locales). Nothing here knows about ask-sdk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Phone:
    """A phone number placeholder value, spoken digit by digit (SSML say-as telephone)."""

    number: str

    def __str__(self) -> str:
        return self.number


@dataclass(frozen=True)
class Say:
    """Speak the content string ``key`` with ``params`` filled in."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """Silence of ``ms`` milliseconds (rendered as SSML breaks of at most 10 s each)."""

    ms: int


@dataclass(frozen=True)
class Cue:
    """A non-verbal sound (``hold_start``, ``hold_end``); its text fallback is ``cue.<name>``."""

    name: str


@dataclass(frozen=True)
class Wait:
    """Silence until ``ms`` after the start of the current hold (its ``hold_start`` cue).

    The words spoken during a hold take the time the locale's text takes; a ``Wait``
    absorbs the difference, so every cue of a hold falls on its second whatever the
    language (resolved into plain silences by the planner's estimate and the plan).
    """

    ms: int


HOLD_ANCHOR = "hold_start"
"""The cue a hold's :class:`Wait` parts count from."""

Part = Say | Pause | Cue | Wait


def wait_gap(at_ms: int, anchor_ms: int, part: Wait) -> int:
    """The silence a :class:`Wait` needs when playback is at ``at_ms``."""
    return max(0, anchor_ms + part.ms - at_ms)

#: A string param starting with this marks a reference to another content key.
REF_PREFIX = "@"


def parts_key(parts: Sequence[Part]) -> tuple:
    """A hashable value equal for equal part lists (for caches); TypeError if a param is
    unhashable."""
    return tuple((p.key, tuple(sorted(p.params.items())) if p.params else ())
                 if isinstance(p, Say) else p for p in parts)


def ref(key: str) -> str:
    """A param value that the speech layer replaces by the text of content ``key``."""
    return REF_PREFIX + key
