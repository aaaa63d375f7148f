"""Request and response interceptors: the turn context, and one log line each way."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.turn import TurnInterceptor, session_attributes, system_state, turn_of
from skill.core.privacy import hash_id, loggable

log = logging.getLogger(__name__)

__all__ = ["RequestLogInterceptor", "ResponseLogInterceptor", "TurnInterceptor", "pseudonym",
           "session_attributes"]


def pseudonym(handler_input: HandlerInput) -> str:
    """A short one-way hash of the user id, for logs (never the id itself)."""
    user = getattr(system_state(handler_input).user, "user_id", None)
    return hash_id(user)


class RequestLogInterceptor(AbstractRequestInterceptor):
    """One log line per request: type, intent, locale and a pseudonym of the user.

    Never the user or device id in clear, and never the answer to a health question (the
    weekly "is your heel better?") at info level: that one is logged only at debug.
    """

    def process(self, handler_input: HandlerInput) -> None:
        if not log.isEnabledFor(logging.INFO):  # then not DEBUG either
            return  # no line will be written: hash and escape nothing
        request = handler_input.request_envelope.request
        intent = getattr(getattr(request, "intent", None), "name", None)
        if turn_of(handler_input).state.pending == "checkin" and intent:
            log.debug("answer to the health check-in: %s", intent)
            intent = "(answer to a health question)"
        log.info("request %s intent=%s locale=%s user=%s",
                 loggable(getattr(request, "object_type", None)), loggable(intent),
                 loggable(getattr(request, "locale", None)), pseudonym(handler_input))


class ResponseLogInterceptor(AbstractResponseInterceptor):
    """One log line per response: whether the session stays open."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if response is not None and log.isEnabledFor(logging.INFO):
            log.info("response end_session=%s", response.should_end_session)
