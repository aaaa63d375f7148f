"""Request and response interceptors: deployment, locale and content, state, logging."""

from __future__ import annotations

import logging

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.config import Settings
from skill.content import load_content
from skill.core.dialogue import DialogueState
from skill.core.locales import ALEXA_LOCALES, resolve_locale
from skill.core.privacy import hash_id, loggable
from skill.core.speech import check_parts

log = logging.getLogger(__name__)

STATE_ATTR = "state"


def pseudonym(handler_input: HandlerInput) -> str:
    """A short one-way hash of the user id, for logs (never the id itself)."""
    user = getattr(handler_input.request_envelope.context.system.user, "user_id", None)
    return hash_id(user)


def session_attributes(handler_input: HandlerInput) -> dict | None:
    """The session attributes, or ``None`` for out-of-session requests (skill events)."""
    if handler_input.request_envelope.session is None:
        return None
    return handler_input.attributes_manager.session_attributes


ALEXA_AUDIO_TAG_LIMIT = 5


class DeploymentInterceptor(AbstractRequestInterceptor):
    """Puts this deployment's settings and storage adapter where the handlers find them
    (request attributes ``settings`` and ``adapter``; the adapter is ``None`` without
    storage), rather than reaching into the SDK's private attributes manager."""

    def __init__(self, settings: Settings, adapter: AbstractPersistenceAdapter | None) -> None:
        self.settings, self.adapter = settings, adapter

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        attrs["settings"], attrs["adapter"] = self.settings, self.adapter


class LocaleInterceptor(AbstractRequestInterceptor):
    """Choose the locale (unknown -> English, logged), load its words and, for locales
    Alexa cannot speak (Swedish), the pre-rendered clips that speak them."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    def process(self, handler_input: HandlerInput) -> None:
        requested = getattr(handler_input.request_envelope.request, "locale", None)
        locale = resolve_locale(requested)
        attrs = handler_input.attributes_manager.request_attributes
        attrs["locale"] = locale
        attrs["content"] = load_content(locale)
        attrs["max_audio_tags"] = getattr(handler_input.context, "audio_tag_limit",
                                          ALEXA_AUDIO_TAG_LIMIT)
        if locale not in ALEXA_LOCALES:
            from skill.core.clips import ClipLibrary

            attrs["clips"] = ClipLibrary.cached(locale, base_url=self.settings.audio_base_url)


class DialogueStateInterceptor(AbstractRequestInterceptor):
    """Load the dialogue state from session attributes; tampered state starts afresh."""

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager
        session = session_attributes(handler_input)
        raw = session.get(STATE_ATTR) if session else None
        try:
            state = DialogueState.from_dict(raw)
            content = attrs.request_attributes["content"]
            check_parts([*state.last, *state.last_reprompt], content)
            reset = False
        except (ValueError, TypeError) as exc:
            log.warning("dialogue state rejected (%s); starting from the menu", exc)
            state, reset = DialogueState(), True
        attrs.request_attributes["state"] = state
        attrs.request_attributes["state_reset"] = reset


class RequestLogInterceptor(AbstractRequestInterceptor):
    """One log line per request: type, intent, locale and a pseudonym of the user.

    Never the user or device id in clear, and never the answer to a health question (the
    weekly "is your heel better?") at info level: that one is logged only at debug.
    """

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        intent = getattr(getattr(request, "intent", None), "name", None)
        state = handler_input.attributes_manager.request_attributes.get("state")
        if getattr(state, "pending", None) == "checkin" and intent:
            log.debug("answer to the health check-in: %s", intent)
            intent = "(answer to a health question)"
        log.info("request %s intent=%s locale=%s user=%s", loggable(request.object_type),
                 loggable(intent), loggable(getattr(request, "locale", None)),
                 pseudonym(handler_input))


class ResponseLogInterceptor(AbstractResponseInterceptor):
    """One log line per response: whether the session stays open."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if response is not None:
            log.info("response end_session=%s", response.should_end_session)
