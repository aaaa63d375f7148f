"""The one translation between ask-sdk and the dialogue: event in, response out."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard

from skill.alexa.handlers.interceptors import STATE_ATTR, session_attributes
from skill.alexa.handlers.user import PERMISSION_CARD_ATTR, load_facts, run_effects
from skill.alexa.reminders import REMINDER_SCOPE
from skill.content import Content
from skill.core.dialogue import Decision, DialogueState, Event, UserFacts, decide
from skill.core.speech import ClipSource, card_text, plain_text, render

log = logging.getLogger(__name__)


def slot_ids(handler_input: HandlerInput) -> dict[str, str | None]:
    """Slot values of the intent, preferring the entity-resolution id over the spoken value."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    values: dict[str, str | None] = {}
    for name, slot in slots.items():
        value = getattr(slot, "value", None)
        resolutions = getattr(slot, "resolutions", None)
        for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
            status = getattr(getattr(authority, "status", None), "code", None)
            if getattr(status, "value", status) == "ER_SUCCESS_MATCH" and authority.values:
                value = authority.values[0].value.id or authority.values[0].value.name
                break
        values[name] = value
    return values


def clip_source(handler_input: HandlerInput) -> ClipSource | None:
    return handler_input.attributes_manager.request_attributes.get("clips")


def build_response(handler_input: HandlerInput, decision: Decision) -> Response:
    """Render a decision into the ask-sdk response and store the new state."""
    attrs = handler_input.attributes_manager
    content: Content = attrs.request_attributes["content"]
    clips = clip_source(handler_input)
    limit = attrs.request_attributes.get("max_audio_tags")
    builder = handler_input.response_builder
    if decision.speech:
        builder.speak(render(decision.speech, content, clips, limit).ssml)
    if decision.reprompt is not None:
        builder.ask(render(decision.reprompt, content, clips, limit).ssml)
        builder.set_should_end_session(False)
    else:
        builder.set_should_end_session(True)
    if attrs.request_attributes.get(PERMISSION_CARD_ATTR):
        builder.set_card(AskForPermissionsConsentCard(permissions=[REMINDER_SCOPE]))
    elif decision.card is not None:
        title = plain_text(content, decision.card.title)
        builder.set_card(SimpleCard(
            title=title[:1].upper() + title[1:],
            content=card_text(content, decision.card.lines),
        ))
    session = session_attributes(handler_input)
    if decision.reprompt is not None and session is not None:
        session[STATE_ATTR] = decision.state.to_dict()
    return builder.response


def respond(handler_input: HandlerInput, event: Event, facts: UserFacts | None = None) -> Response:
    """Decide on ``event`` in the current state, carry out its effects, build the response."""
    attrs = handler_input.attributes_manager.request_attributes
    state: DialogueState = attrs["state"]
    decision = decide(state, event, facts or load_facts(handler_input))
    run_effects(handler_input, decision)
    return build_response(handler_input, decision)
