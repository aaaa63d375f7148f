"""The one dispatcher of the conversation (pure Python, no ask-sdk).

``decide(state, event, facts)`` picks ONE small named function for the turn and returns
its :class:`Decision` (the next state, the parts to say, the reprompt, a card and the
effects the Alexa layer carries out). The function is found in tables, by intent name:

1. :data:`REQUESTS` - launch and session end, in any mode;
2. :data:`IN_STRETCH` - while a stretch session runs (:mod:`skill.core.stretch_turns`);
   an intent not listed there leaves the session for the menu;
3. :data:`ANSWERS` - the answer to the yes/no question in ``state.pending``;
4. :data:`ANYWHERE` - everything else (:mod:`skill.core.menu_turns`);
5. :func:`~skill.core.menu_turns.not_understood` - any other name (never an error).

So "pause in a stretch session" is ``IN_STRETCH["AMAZON.PauseIntent"]`` =
:func:`~skill.core.stretch_turns.pause_stretch`.
"""

from __future__ import annotations

from collections.abc import Mapping

from skill.core import menu_turns as m
from skill.core import stretch_turns as s
from skill.core.conversation import (  # re-exported: the dialogue's vocabulary
    INTENT_SECTIONS,
    LAUNCH,
    MAX_REMEMBERED_PARTS,
    MODES,
    PENDING,
    SECTIONS,
    SESSION_ENDED,
    Decision,
    DialogueState,
    Event,
    Facts,
    Handler,
    UserFacts,
    part_from_dict,
    part_to_dict,
)
from skill.core.stretch_turns import settle_place

__all__ = ["ANSWERS", "ANYWHERE", "INTENT_SECTIONS", "IN_STRETCH", "KNOWN_INTENTS", "LAUNCH",
           "MAX_REMEMBERED_PARTS", "MODES", "PENDING", "REQUESTS", "SECTIONS", "SESSION_ENDED",
           "Decision", "DialogueState", "Event", "Facts", "Handler", "UserFacts", "decide",
           "handler_for", "part_from_dict", "part_to_dict", "settle_place"]

YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"
RESUME, START_OVER = "AMAZON.ResumeIntent", "AMAZON.StartOverIntent"

REQUESTS: Mapping[str, Handler] = {
    LAUNCH: m.launch,
    SESSION_ENDED: m.session_ended,
}

IN_STRETCH: Mapping[str, Handler] = {
    "AMAZON.NextIntent": s.next_in_stretch,
    "AMAZON.PreviousIntent": s.previous_in_stretch,
    "AMAZON.RepeatIntent": s.repeat_in_stretch,
    "AMAZON.PauseIntent": s.pause_stretch,
    "AMAZON.ResumeIntent": s.resume_stretch,
    YES: s.go_on_in_stretch,
    "AMAZON.MoreIntent": s.go_on_in_stretch,
    "StartStretchIntent": s.go_on_in_stretch,
    NO: s.no_in_stretch,
    "AMAZON.StopIntent": s.stop_stretch,
    "AMAZON.CancelIntent": s.stop_stretch,
    "AMAZON.HelpIntent": s.help_in_stretch,
    "AMAZON.FallbackIntent": s.help_in_stretch,
    "ProgressIntent": s.holds_left,
    "SetHoldTimeIntent": s.set_hold_in_stretch,
    "SetSetupTimeIntent": s.set_setup_in_stretch,
    "ExerciseIntent": s.only_exercise_in_stretch,
    START_OVER: s.restart_in_stretch,
    "GreetingIntent": s.greet_in_stretch,
    "ThanksIntent": s.thank_in_stretch,
    "MedicalQuestionIntent": s.medical_question_in_stretch,
}

ANSWERS: Mapping[str, Mapping[str, Handler]] = {
    "continue_place": {YES: m.continue_place, RESUME: m.continue_place,
                       NO: m.start_afresh, START_OVER: m.restart_stretch},
    "checkin": {YES: m.heel_better, RESUME: m.heel_better,
                NO: m.heel_not_better, START_OVER: m.heel_not_better},
    "reminders": {YES: m.create_reminders, RESUME: m.create_reminders,
                  NO: m.decline_reminders, START_OVER: m.decline_reminders},
    "offer_stretch": {YES: m.restart_stretch, RESUME: m.restart_stretch},
    "delete_data": {YES: m.delete_data, RESUME: m.delete_data,
                    NO: m.keep_data, START_OVER: m.keep_data},
}

ANYWHERE: Mapping[str, Handler] = {
    "StartStretchIntent": m.begin_stretch,
    "SetHoldTimeIntent": m.begin_stretch_with_hold,
    "SetSetupTimeIntent": m.set_setup_time,
    "ExerciseIntent": m.begin_one_exercise,
    "ProgressIntent": m.tell_progress,
    "SetRemindersIntent": m.offer_reminders,
    "StopRemindersIntent": m.stop_reminders,
    "DeleteDataIntent": m.confirm_delete_data,
    "AMAZON.StopIntent": m.goodbye,
    "AMAZON.CancelIntent": m.goodbye,
    "AMAZON.HelpIntent": m.help_for_mode,
    "AMAZON.RepeatIntent": m.repeat_last,
    "AMAZON.NavigateHomeIntent": m.show_menu,
    "InfoIntent": m.read_named_section,
    **dict.fromkeys(INTENT_SECTIONS, m.read_section_of_intent),
    "ClinicIntent": m.give_clinic_number,
    YES: m.yes_to_offer,
    NO: m.show_menu,
    "AMAZON.NextIntent": m.next_section,
    "AMAZON.MoreIntent": m.next_section,
    "AMAZON.PreviousIntent": m.previous_section,
    START_OVER: m.start_over,
    "GreetingIntent": m.greet,
    "ThanksIntent": m.thank,
    "MedicalQuestionIntent": m.medical_question,
    "SetLanguageIntent": m.set_language,
    "AMAZON.FallbackIntent": m.not_understood,
}


#: Every intent some table answers; any other name is answered as the fallback.
KNOWN_INTENTS: frozenset[str] = frozenset(IN_STRETCH) | frozenset(ANYWHERE) | frozenset(
    name for table in ANSWERS.values() for name in table)


def _in_stretch(state: DialogueState, name: str) -> Handler | None:
    """The session's function for ``name``; leaving the session when there is none."""
    if s.current(state) is None:
        return None
    handler = IN_STRETCH.get(name)
    if handler is None:
        state.mode = "menu"
    return handler


def handler_for(state: DialogueState, name: str) -> Handler:
    """The one function that answers ``name`` in ``state`` (see the module docstring)."""
    if name in REQUESTS:
        return REQUESTS[name]
    if state.mode == "stretch" and state.stretch:
        handler = _in_stretch(state, name)
        if handler is not None:
            return handler
    answer = ANSWERS.get(state.pending or "", {}).get(name)
    return answer or ANYWHERE.get(name, m.not_understood)


def decide(state: DialogueState, event: Event, facts: Facts | None = None) -> Decision:
    """The one place where the conversation moves on."""
    return handler_for(state, event.name)(state, event, facts or UserFacts())
