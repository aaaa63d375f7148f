"""The ask-sdk request handlers: one for the dialogue, the special ones ask-sdk needs."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, is_request_type
from ask_sdk_model import Response

from skill.alexa.handlers.respond import build_response, respond, slot_ids
from skill.alexa.handlers.user import forget_user
from skill.alexa.turn import turn_of
from skill.core.dialogue import KNOWN_INTENTS, LAUNCH, SESSION_ENDED, Decision, Event
from skill.core.parts import Say

log = logging.getLogger(__name__)


def dialogue_event(handler_input: HandlerInput) -> Event:
    """The launch or intent as a dialogue event; an intent the dialogue does not know is
    answered as ``AMAZON.FallbackIntent`` (logged), never as an error."""
    if is_request_type(LAUNCH)(handler_input):
        return Event(LAUNCH)
    name = get_intent_name(handler_input)
    if name not in KNOWN_INTENTS:
        log.warning("unknown intent %r answered with fallback", name)
        return Event("AMAZON.FallbackIntent")
    return Event(name, slot_ids(handler_input))


class DialogueHandler(AbstractRequestHandler):
    """Every launch and every intent: one event for the dialogue's dispatcher
    (:func:`skill.core.dialogue.decide`), which picks the function that answers it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type(LAUNCH)(handler_input) \
            or is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, dialogue_event(handler_input))


class SkillDisabledHandler(AbstractRequestHandler):
    """The user disabled the skill: forget everything stored about them."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        forget_user(handler_input)
        return handler_input.response_builder.response


class SessionEndedHandler(AbstractRequestHandler):
    """The session ended (user silent, said nothing, or an error on the device)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        reason = getattr(handler_input.request_envelope.request, "reason", None)
        log.info("session ended: %s", getattr(reason, "value", reason))
        return respond(handler_input, Event(SESSION_ENDED))


class UnhandledRequestHandler(AbstractRequestHandler):
    """Any other request type (skill events we do not use ...): logged, empty answer."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.warning("unhandled request type %r",
                    getattr(handler_input.request_envelope.request, "object_type", None))
        return handler_input.response_builder.response


class ErrorHandler(AbstractExceptionHandler):
    """Never a crash: say sorry, keep the session open, log the cause."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.exception("error while handling a request: %s", exception)
        state = turn_of(handler_input).state
        decision = Decision(state=state, speech=[Say("error.general")],
                            reprompt=[Say("menu.reprompt")])
        return build_response(handler_input, decision)


def request_handlers() -> list[AbstractRequestHandler]:
    """All request handlers: the dialogue's, the two ask-sdk request types that have no
    words, and a catch-all."""
    return [DialogueHandler(), SkillDisabledHandler(), SessionEndedHandler(),
            UnhandledRequestHandler()]
