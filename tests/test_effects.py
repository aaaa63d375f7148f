"""Effects as data: which effects each decision names, and the words each outcome adds."""

from __future__ import annotations

import pytest

from skill.core.dialogue import DialogueState, Event, UserFacts, decide
from skill.core.effects import (
    ClearPlace,
    CreateReminders,
    DeleteData,
    DeleteReminders,
    MarkCheckin,
    Outcome,
    RecordSession,
    ReminderResult,
    SavePlace,
    finish,
)
from skill.core.parts import Say
from skill.core.stretch import StretchState


def keys(parts) -> list[str]:
    return [p.key for p in parts if isinstance(p, Say)]


def asked(pending: str) -> DialogueState:
    return DialogueState(pending=pending)


def stretching() -> DialogueState:
    d = decide(DialogueState(), Event("StartStretchIntent"))
    assert d.state.mode == "stretch"
    return d.state


# --- what the dialogue names ------------------------------------------------------------


def test_a_stretch_turn_saves_the_place_it_is_at() -> None:
    d = decide(DialogueState(), Event("StartStretchIntent"))
    assert d.effects == [SavePlace(d.state.stretch)]
    assert StretchState.from_dict(d.effects[0].place).exercise == 1


def test_stop_in_a_stretch_keeps_the_place_and_ends() -> None:
    state = stretching()
    d = decide(state, Event("AMAZON.StopIntent"))
    assert d.ends_session and len(d.effects) == 1 and isinstance(d.effects[0], SavePlace)
    assert keys(d.speech) == ["stretch.stopped"]


def test_session_end_in_a_stretch_saves_the_place_elsewhere_nothing() -> None:
    state = stretching()
    place = state.stretch
    assert decide(state, Event("SessionEndedRequest")).effects == [SavePlace(place)]
    assert decide(DialogueState(), Event("SessionEndedRequest")).effects == []


def test_finishing_a_session_records_it() -> None:
    state = stretching()
    for _ in range(40):
        d = decide(state, Event("AMAZON.YesIntent"))
        state = d.state
        if RecordSession() in d.effects:
            break
    else:
        raise AssertionError("the session never finished")
    assert d.effects == [RecordSession()] and "reminders.offer" in keys(d.speech)


def test_starting_afresh_clears_the_place() -> None:
    place = StretchState(exercise=2, rep=1, started="2026-05-04").to_dict()
    launch = decide(DialogueState(), Event("LaunchRequest"), UserFacts(place_today=place))
    d = decide(launch.state, Event("AMAZON.NoIntent"))
    assert d.effects == [ClearPlace()] and keys(d.speech) == ["menu.prompt"]


def test_the_checkin_question_is_marked_as_asked() -> None:
    d = decide(DialogueState(), Event("LaunchRequest"), UserFacts(checkin_due=True))
    assert d.effects == [MarkCheckin()]


@pytest.mark.parametrize("pending, yes, effects, words", [
    ("reminders", True, [CreateReminders()], ["menu.prompt"]),
    ("reminders", False, [], ["reminders.declined", "menu.prompt"]),
    ("delete_data", True, [DeleteData()], ["menu.prompt"]),
    ("delete_data", False, [], ["privacy.kept", "menu.prompt"]),
])
def test_yes_carries_out_a_confirmed_effect_no_says_so(pending, yes, effects, words) -> None:
    d = decide(asked(pending), Event("AMAZON.YesIntent" if yes else "AMAZON.NoIntent"))
    assert d.effects == effects and keys(d.speech) == words


def test_stop_reminders_deletes_them() -> None:
    assert decide(DialogueState(), Event("StopRemindersIntent")).effects == [DeleteReminders()]


def test_reading_the_leaflet_has_no_effects() -> None:
    for name in ("InfoIntent", "ClinicIntent", "AMAZON.HelpIntent", "LaunchRequest"):
        assert decide(DialogueState(), Event(name)).effects == []


# --- the words an outcome adds ----------------------------------------------------------

MENU = [Say("menu.prompt")]


@pytest.mark.parametrize("result", list(ReminderResult))
def test_every_reminder_result_is_said_before_the_question(result) -> None:
    done = finish(MENU, [CreateReminders()], Outcome(reminders=result))
    assert keys(done.speech) == [f"reminders.{result.value}", "menu.prompt"]
    assert done.consent_card is (result is ReminderResult.NEED_PERMISSION)


def test_reminders_made_but_not_remembered_says_progress_not_saved() -> None:
    done = finish(MENU, [CreateReminders()],
                  Outcome(reminders=ReminderResult.CREATED, reminder_ids_saved=False))
    assert keys(done.speech) == ["reminders.created", "progress.not_saved", "menu.prompt"]


@pytest.mark.parametrize("deleted, key", [(True, "privacy.deleted"),
                                          (False, "privacy.delete_failed")])
def test_deletion_outcome_is_said(deleted, key) -> None:
    assert keys(finish(MENU, [DeleteData()], Outcome(deleted=deleted)).speech) == [
        key, "menu.prompt"]


def test_a_failed_save_is_said_only_for_progress_effects() -> None:
    lead = [Say("stretch.finished"), Say("reminders.offer")]
    failed = Outcome(saved=False)
    assert keys(finish(lead, [RecordSession()], failed).speech) == [
        "stretch.finished", "progress.not_saved", "reminders.offer"]
    assert keys(finish(lead, [SavePlace({})], failed).speech)[1] == "progress.not_saved"
    assert keys(finish(lead, [MarkCheckin()], failed).speech) == keys(lead)
    assert keys(finish(lead, [RecordSession()], Outcome()).speech) == keys(lead)


def test_nothing_to_add_leaves_the_words_and_no_card() -> None:
    done = finish([], [], Outcome())
    assert done.speech == [] and not done.consent_card
