"""Thin ask-sdk request handlers: each turns a request into a dialogue event."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, is_request_type
from ask_sdk_model import Response

from skill.alexa.handlers.respond import build_response, respond, slot_ids
from skill.alexa.handlers.user import forget_user
from skill.alexa.turn import turn_of
from skill.core.dialogue import (
    INTENT_SECTIONS,
    LAUNCH,
    SESSION_ENDED,
    Decision,
    Event,
)
from skill.core.parts import Say

log = logging.getLogger(__name__)

NAVIGATION_INTENTS = (
    "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
    "AMAZON.NavigateHomeIntent", "AMAZON.YesIntent", "AMAZON.NoIntent",
    "AMAZON.NextIntent", "AMAZON.MoreIntent", "AMAZON.PreviousIntent",
    "AMAZON.RepeatIntent", "AMAZON.StartOverIntent", "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
)


def _intent_event(handler_input: HandlerInput) -> Event:
    return Event(get_intent_name(handler_input), slot_ids(handler_input))


class LaunchHandler(AbstractRequestHandler):
    """"Alexa, open heel spur coach": the welcome and the three offers."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, Event(LAUNCH))


class IntentGroupHandler(AbstractRequestHandler):
    """Handles the intents in ``INTENTS`` by passing them to the dialogue as events."""

    INTENTS: tuple[str, ...] = ()

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input) \
            and get_intent_name(handler_input) in self.INTENTS

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, _intent_event(handler_input))


class InfoHandler(IntentGroupHandler):
    """A section of the leaflet, named by the user or by its own intent."""

    INTENTS = ("InfoIntent", *INTENT_SECTIONS)


class ClinicHandler(IntentGroupHandler):
    """How to reach the clinic: the number first, then the booking ways."""

    INTENTS = ("ClinicIntent",)


class StretchHandler(IntentGroupHandler):
    """The guided stretch session: start, hold time, one exercise, how many are left."""

    INTENTS = ("StartStretchIntent", "SetHoldTimeIntent", "SetSetupTimeIntent", "ExerciseIntent",
               "ProgressIntent")


class RemindersHandler(IntentGroupHandler):
    """Daily stretch reminders through the Alexa Reminders API: set or stop them."""

    INTENTS = ("SetRemindersIntent", "StopRemindersIntent")


class PrivacyHandler(IntentGroupHandler):
    """"Delete my data": forget the user's stored progress after a spoken yes."""

    INTENTS = ("DeleteDataIntent",)


class NavigationHandler(IntentGroupHandler):
    """The built-in intents that work in every state: help, stop, yes, next, repeat ..."""

    INTENTS = NAVIGATION_INTENTS


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
        request = handler_input.request_envelope.request
        log.info("session ended: %s", getattr(request.reason, "value", request.reason))
        return respond(handler_input, Event(SESSION_ENDED))


class FallbackHandler(AbstractRequestHandler):
    """Anything else: AMAZON.FallbackIntent, unknown intents, unexpected request types."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        if request.object_type == "IntentRequest":
            name = get_intent_name(handler_input)
            if name != "AMAZON.FallbackIntent":
                log.warning("unknown intent %r answered with fallback", name)
        else:
            log.warning("unhandled request type %r", request.object_type)
        if request.object_type not in ("IntentRequest", "LaunchRequest"):
            return handler_input.response_builder.response
        return respond(handler_input, Event("AMAZON.FallbackIntent"))


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
    """All request handlers, most specific first; the fallback catches the rest."""
    return [
        LaunchHandler(),
        InfoHandler(),
        ClinicHandler(),
        StretchHandler(),
        RemindersHandler(),
        PrivacyHandler(),
        SkillDisabledHandler(),
        NavigationHandler(),
        SessionEndedHandler(),
        FallbackHandler(),
    ]
