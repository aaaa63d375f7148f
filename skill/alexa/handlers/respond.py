"""The one translation between ask-sdk and the dialogue: event in, response out."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard

from skill.alexa.handlers.user import load_facts, run_effects
from skill.alexa.reminders import REMINDER_SCOPE
from skill.alexa.timeline import elapsed_ms, played, request_time
from skill.alexa.turn import STATE_ATTR, session_attributes, switch_speech, turn_of
from skill.core.dialogue import Decision, Event, Facts, decide, settle_place
from skill.core.effects import SaveSpeech, finish
from skill.core.playback import Answer, build_answer
from skill.core.speech import to_ssml

log = logging.getLogger(__name__)


def slot_ids(handler_input: HandlerInput) -> dict[str, str | None]:
    """Slot values of the intent, preferring the entity-resolution id over the spoken value."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    values: dict[str, str | None] = {}
    for name, slot in slots.items():
        values[name] = _resolved(slot)
    return values


def _resolved(slot: object) -> str | None:
    value = getattr(slot, "value", None)
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        status = getattr(getattr(authority, "status", None), "code", None)
        if getattr(status, "value", status) == "ER_SUCCESS_MATCH" and authority.values:
            first = authority.values[0].value
            return first.id or first.name
    return value


def deliver(handler_input: HandlerInput, answer: Answer) -> None:
    """Hand the answer's plan to our own front ends (their invocation context collects it)."""
    answers = getattr(handler_input.context, "answers", None)
    if isinstance(answers, list):
        answers.append(answer)


def build_response(handler_input: HandlerInput, decision: Decision,
                   permission_card: bool = False) -> Response:
    """Render a decision into the ask-sdk response and store the new state."""
    turn = turn_of(handler_input)
    answer = build_answer(turn.words, decision.speech, decision.reprompt, decision.card,
                          turn.clips, turn.max_audio_tags, permission_card)
    deliver(handler_input, answer)
    builder = handler_input.response_builder
    if answer.speech:
        builder.speak(to_ssml(answer.speech))
    if answer.reprompt is not None:
        builder.ask(to_ssml(answer.reprompt))
    builder.set_should_end_session(answer.reprompt is None)
    if answer.permission_card:
        builder.set_card(AskForPermissionsConsentCard(permissions=[REMINDER_SCOPE]))
    elif answer.card is not None:
        builder.set_card(SimpleCard(title=answer.card.title, content=answer.card.body))
    session = session_attributes(handler_input)
    if decision.reprompt is not None and session is not None:
        state = decision.state
        state.played = played(decision.speech, turn.words, turn.clips,
                              request_time(handler_input)) if state.mode == "stretch" else None
        session[STATE_ATTR] = state.to_dict()
    return builder.response


def respond(handler_input: HandlerInput, event: Event, facts: Facts | None = None) -> Response:
    """Decide on ``event``, carry out the effects, put their outcome into words, answer."""
    facts = facts or load_facts(handler_input)
    state = turn_of(handler_input).state
    state = settle_place(state, elapsed_ms(state, request_time(handler_input)), event.name)
    decision = decide(state, event, facts)
    outcome = run_effects(handler_input, decision.effects, facts)
    for effect in decision.effects:
        if isinstance(effect, SaveSpeech):  # this answer already speaks the new language
            switch_speech(handler_input, effect.speech)
    finished = finish(decision.speech, decision.effects, outcome)
    decision.speech = finished.speech
    return build_response(handler_input, decision, finished.consent_card)
