"""Where the user is in a stretch answer, from request timestamps (Alexa says nothing else).

Alexa never tells a skill how far its speech got. The request timestamps do: each stretch
answer keeps its request's timestamp, its planned length and when each hold's release
cue ends (``DialogueState.played``); the next request's timestamp minus that start is how
far the answer had played when the user spoke (:func:`skill.core.dialogue.settle_place`
decides what that means for the place). Our own front ends send the same envelopes, with
the moment playback really stopped as the timestamp.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill.content import Content
from skill.core.dialogue import DialogueState
from skill.core.parts import Part
from skill.core.playback import ClipSource, CueStep, Plan, build_plan

log = logging.getLogger(__name__)

RELEASE_CUE = "hold_end"


def request_time(handler_input: HandlerInput) -> datetime | None:
    """This request's timestamp (UTC), or ``None`` when it has none."""
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if not isinstance(stamp, datetime):
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def elapsed_ms(state: DialogueState, now: datetime | None) -> int | None:
    """Milliseconds from the start of the last stretch answer to ``now`` (``None``: unknown)."""
    if now is None or not state.played:
        return None
    try:
        began = datetime.fromisoformat(state.played["at"].replace("Z", "+00:00"))
    except ValueError:
        log.warning("stored answer timestamp unreadable; place not settled")
        return None
    if began.tzinfo is None:
        began = began.replace(tzinfo=UTC)
    return round((now - began).total_seconds() * 1000)


def hold_ends(plan: Plan) -> list[int]:
    """When each hold's release cue ends, in ms from the start of ``plan``."""
    return [s.start_ms + s.duration_ms for s in plan.steps
            if isinstance(s, CueStep) and s.name == RELEASE_CUE]


def played(speech: list[Part], words: Content, clips: ClipSource | None,
           now: datetime | None) -> dict[str, Any] | None:
    """The timeline to keep for a stretch answer that starts playing at ``now``.

    Timed on the unjoined plan (one step per sentence, real clip lengths), which is
    what a joined Alexa clip is made of.
    """
    if now is None:
        return None
    plan = build_plan(speech, words, clips)
    return {"at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "ms": plan.duration_ms, "holds": hold_ends(plan)}
