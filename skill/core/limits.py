"""Every number the skill must respect, in one place: Alexa's limits and the leaflet's ranges.

Imported wherever a limit is used (the stretch planner, speech, the audio build, the
interceptors, the benchmarks); nothing else writes these numbers down. Alexa's limits are
explained in ``/work/shared/DESIGN.md`` and ``docs/stretch-timing.md``; the leaflet's
ranges are quoted from ``halsporre.txt`` beside each constant.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Alexa ------------------------------------------------------------------------------

MAX_AUDIO_TAGS = 5
"""``<audio>`` tags per response (older docs; newer ones do not contradict it)."""
MAX_RESPONSE_SECONDS = 240.0
"""All speech and audio in one response; also the longest one clip may be."""
MAX_REPROMPT_SECONDS = 90.0
MAX_BREAK_MS = 10_000
"""One SSML ``<break>``."""
MAX_SSML_CHARS = 8_000
ANSWER_DEADLINE_SECONDS = 8.0
"""Alexa waits about 8 s for the skill's answer."""
MAX_CLIP_MS = int(MAX_RESPONSE_SECONDS * 1000)
"""The longest ``<audio>`` clip Alexa plays."""


@dataclass(frozen=True)
class AlexaLimits:
    """Alexa's limits (and our estimate constants) the stretch plan must respect."""

    max_response_seconds: float = MAX_RESPONSE_SECONDS
    max_reprompt_seconds: float = MAX_REPROMPT_SECONDS
    max_break_ms: int = MAX_BREAK_MS
    """:mod:`skill.core.speech` splits longer Pause parts into several breaks."""
    max_pause_ms: int = MAX_BREAK_MS
    """Longest single Pause the planner emits (one break each; no splitting needed)."""
    max_audio_tags: int = MAX_AUDIO_TAGS
    max_ssml_chars: int = MAX_SSML_CHARS
    words_per_second: float = 2.2
    """Conservative (slow) speaking rate for estimates."""
    sentence_overhead_seconds: float = 0.3
    """Added per spoken sentence (clip lead-in, prosody pause)."""
    cue_seconds: float = 1.0
    """Assumed length of one cue tone clip."""
    prefix_reserve_seconds: float = 30.0
    """Head room kept free in every segment for words the state machine puts before it."""

    def say_seconds(self, text: str) -> float:
        """Estimated speaking time of one sentence (the planner's and the plan's)."""
        return len(text.split()) / self.words_per_second + self.sentence_overhead_seconds

    @property
    def segment_budget_seconds(self) -> float:
        return self.max_response_seconds - self.prefix_reserve_seconds


LIMITS = AlexaLimits()

# --- The leaflet (the only medical source) ----------------------------------------------

EXERCISES: tuple[int, ...] = (1, 2, 3)
"""The leaflet's three exercises, in order."""
REPS = 3
"""'upprepa 3 ggr/tillfälle': three holds of each exercise per session."""
HOLD_MIN = 20
HOLD_MAX = 30
"""'Håll kvar 20-30 sek'."""
HOLD_DEFAULT = HOLD_MAX
DAILY_TARGET = 4
DAILY_MAX = 5
"""'4-5 ggr/dag'."""
CHECKIN_AFTER_DAYS = 21
"""No better within three to four weeks -> contact the physiotherapist."""

# --- Our own pacing choices (no medical claim) ------------------------------------------

SETUP_DEFAULT = 8
"""Seconds to get into position before the first hold of each exercise (a preference)."""
SETUP_MIN = 5
SETUP_MAX = 20
SETUP_STEP = 5
""""Longer (shorter) pause before each exercise" adds (takes) this many seconds."""
