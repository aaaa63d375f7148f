"""Request and response interceptors: locale and content, dialogue state, logging."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.config import Settings
from skill.content import load_content
from skill.dialogue import DialogueState
from skill.locales import ALEXA_LOCALES, resolve_locale

log = logging.getLogger(__name__)

STATE_ATTR = "state"


ALEXA_AUDIO_TAG_LIMIT = 5


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
            from skill.audio.clips import ClipLibrary

            attrs["clips"] = ClipLibrary.cached(locale, base_url=self.settings.audio_base_url)


class DialogueStateInterceptor(AbstractRequestInterceptor):
    """Load the dialogue state from session attributes; tampered state starts afresh."""

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager
        raw = attrs.session_attributes.get(STATE_ATTR) if attrs.session_attributes else None
        try:
            state = DialogueState.from_dict(raw)
            reset = False
        except (ValueError, TypeError) as exc:
            log.warning("dialogue state rejected (%s); starting from the menu", exc)
            state, reset = DialogueState(), True
        attrs.request_attributes["state"] = state
        attrs.request_attributes["state_reset"] = reset


class RequestLogInterceptor(AbstractRequestInterceptor):
    """One log line per request: type, intent and locale, never the user id."""

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        intent = getattr(getattr(request, "intent", None), "name", None)
        log.info("request %s intent=%s locale=%s", request.object_type, intent,
                 getattr(request, "locale", None))


class ResponseLogInterceptor(AbstractResponseInterceptor):
    """One log line per response: whether the session stays open."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if response is not None:
            log.info("response end_session=%s", response.should_end_session)
