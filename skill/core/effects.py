"""Side effects as data, their outcome, and the words an outcome adds (pure Python).

The dialogue names what must happen beside the answer as frozen effect objects in
``Decision.effects``. The Alexa layer carries them out (:func:`skill.alexa.handlers.user.
run_effects`) and reports an :class:`Outcome` - it never touches words. :func:`finish` then
turns the decision and the outcome into the final words and card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from skill.core.parts import Part, Say


@dataclass(frozen=True)
class SavePlace:
    """Keep where the stretch session is, for "continue where you left off" today."""

    place: Mapping[str, Any]
    """The serialised :class:`skill.core.stretch.StretchState`."""


@dataclass(frozen=True)
class SavePreferences:
    """Keep the user's hold and setup times for every later session."""

    hold_seconds: int
    setup_seconds: int


@dataclass(frozen=True)
class SaveSpeech:
    """Keep the language the user chose on an English Echo (``sv`` or ``en``); the answer
    that names it is already in that language."""

    speech: str


@dataclass(frozen=True)
class ClearPlace:
    """Forget the stored place (the user chose to start afresh)."""


@dataclass(frozen=True)
class RecordSession:
    """A whole stretch session was done: count it for today."""


@dataclass(frozen=True)
class MarkCheckin:
    """The weekly "is your heel better?" was asked."""


@dataclass(frozen=True)
class CreateReminders:
    """Create the daily stretch reminders (Alexa Reminders API)."""


@dataclass(frozen=True)
class DeleteReminders:
    """Delete the reminders this skill made."""


@dataclass(frozen=True)
class DeleteData:
    """Forget everything stored about the user."""


Effect = SavePlace | ClearPlace | RecordSession | MarkCheckin | CreateReminders \
    | DeleteReminders | DeleteData | SavePreferences | SaveSpeech

#: Effects whose failure to save the user is told about ("progress not saved").
PROGRESS_EFFECTS = (SavePlace, RecordSession, SavePreferences, SaveSpeech)


class ReminderResult(StrEnum):
    CREATED = "created"
    STOPPED = "stopped"
    NONE_TO_STOP = "none_to_stop"
    NEED_PERMISSION = "need_permission"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "error"


@dataclass(frozen=True)
class Outcome:
    """What carrying out the effects did."""

    saved: bool = True
    """Progress was read and every write succeeded."""
    reminders: ReminderResult | None = None
    reminder_ids_saved: bool = True
    """The new reminders' ids were stored (so "stop my reminders" finds them)."""
    deleted: bool | None = None
    """``DeleteData``: True when done (or nothing was stored), False when it failed."""



@dataclass(frozen=True)
class Finished:
    """The final words of a turn once its effects are done."""

    speech: list[Part]
    consent_card: bool = False
    """Ask for the reminders permission with a consent card in the Alexa app."""


def _reminder_words(outcome: Outcome) -> list[Part]:
    if outcome.reminders is None:
        return []
    words: list[Part] = [Say(f"reminders.{outcome.reminders.value}")]
    if outcome.reminders is ReminderResult.CREATED and not outcome.reminder_ids_saved:
        words.append(Say("progress.not_saved"))
    return words


def outcome_words(effects: Sequence[Effect], outcome: Outcome) -> list[Part]:
    """The words the outcome adds: deletion, reminders, and "not saved" after a failure."""
    words: list[Part] = []
    if outcome.deleted is not None:
        words.append(Say("privacy.deleted" if outcome.deleted else "privacy.delete_failed"))
    words += _reminder_words(outcome)
    if not outcome.saved and any(isinstance(e, PROGRESS_EFFECTS) for e in effects):
        words.append(Say("progress.not_saved"))
    return words


def finish(speech: Sequence[Part], effects: Sequence[Effect], outcome: Outcome) -> Finished:
    """The decision's words with the outcome's words before its last part (the question)."""
    extra = outcome_words(effects, outcome)
    final = list(speech)
    at = max(len(final) - 1, 0)
    final[at:at] = extra
    return Finished(final, outcome.reminders is ReminderResult.NEED_PERMISSION)
