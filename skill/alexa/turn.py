"""The one typed context of a request: everything a handler needs, set by one interceptor.

:class:`TurnInterceptor` builds a :class:`Turn` for every request and keeps it under the
single request-attribute key ``turn``; handlers read it with :func:`turn_of`. Nothing else
travels in ``request_attributes``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.interfaces.system import SystemState

from skill.config import Settings
from skill.content import Content, echo_content, load_content
from skill.core.dialogue import DialogueState
from skill.core.limits import MAX_AUDIO_TAGS
from skill.core.locales import ALEXA_LOCALES, DEFAULT_LOCALE, resolve_locale
from skill.core.playback import ClipSource
from skill.core.speech import check_parts

log = logging.getLogger(__name__)

TURN_ATTR = "turn"
STATE_ATTR = "state"
"""The session attribute that holds the serialised :class:`DialogueState`."""
SPEECH_ATTR = "speech"
"""The session attribute that holds the user's speech choice (``sv``/``en``) once read."""

#: The speech choices on an English Echo: the locale whose words (and clips) answer.
SPEECH_LOCALES: dict[str, str | None] = {"sv": "sv-SE", "en": None}


@dataclass(frozen=True)
class Turn:
    """This request's context: deployment, language, words, clips, limits and state."""

    settings: Settings
    storage: AbstractPersistenceAdapter | None
    """The persistence adapter; ``None`` when this deployment stores nothing."""
    locale: str
    words: Content
    clips: ClipSource | None
    """Pre-rendered clips for locales Alexa cannot speak (Swedish), else ``None``."""
    max_audio_tags: int | None
    """Alexa's limit (5); ``None`` for our own front ends, which have none."""
    state: DialogueState
    device_locale: str = DEFAULT_LOCALE
    """The request's locale (what the Echo hears and Alexa's reminders speak); ``locale``
    is the language of the answer, Swedish on an English Echo when the user chose it."""


def session_attributes(handler_input: HandlerInput) -> dict[str, Any] | None:
    """The session attributes, or ``None`` for out-of-session requests (skill events)."""
    if handler_input.request_envelope.session is None:
        return None
    attrs: dict[str, Any] | None = handler_input.attributes_manager.session_attributes
    return attrs


def system_state(handler_input: HandlerInput) -> SystemState:
    """``context.System`` of the request (every envelope has one; see ``check_envelope``)."""
    context = handler_input.request_envelope.context
    if context is None or context.system is None:
        raise ValueError("request without context.System")
    return context.system


def load_state(handler_input: HandlerInput, words: Content) -> DialogueState:
    """The dialogue state from session attributes; tampered state starts afresh (logged)."""
    session = session_attributes(handler_input)
    raw = session.get(STATE_ATTR) if session else None
    try:
        state = DialogueState.from_dict(raw)
        check_parts([*state.last, *state.last_reprompt], words)
    except (ValueError, TypeError) as exc:
        log.warning("dialogue state rejected (%s); starting from the menu", exc)
        return DialogueState()
    return state


def _clips(locale: str, settings: Settings) -> ClipSource | None:
    if locale in ALEXA_LOCALES:
        return None
    from skill.core.clips import ClipLibrary

    return ClipLibrary.cached(locale, base_url=settings.audio_base_url)


def _stored_speech(handler_input: HandlerInput) -> str | None:
    """The speech choice in the user's progress record (``None``: none, or unreadable)."""
    from ask_sdk_core.exceptions import PersistenceException

    from skill.core.progress import load_progress

    try:
        return load_progress(handler_input.attributes_manager.persistent_attributes).speech
    except (PersistenceException, ValueError) as exc:
        log.warning("speech choice not read (%s); using the default", exc)
        return None


def chosen_speech(handler_input: HandlerInput, settings: Settings,
                  storage: AbstractPersistenceAdapter | None) -> str:
    """``sv`` or ``en``: from the session, else the user's record (read once a session),
    else the deployment's default (``HALSPORRE_DEFAULT_SPEECH``)."""
    session = session_attributes(handler_input)
    value = session.get(SPEECH_ATTR) if session else None
    if value not in SPEECH_LOCALES:
        value = (_stored_speech(handler_input) if storage is not None else None) \
            or settings.default_speech
        if session is not None:
            session[SPEECH_ATTR] = value
    return str(value)


def speech_choice(device_locale: str, max_audio_tags: int | None) -> bool:
    """The user chooses the answers' language: an Echo with an English locale (Alexa has
    no Swedish one). Our own front ends (no tag limit) have their own language menu."""
    return device_locale in ALEXA_LOCALES and max_audio_tags is not None


def make_turn(settings: Settings, storage: AbstractPersistenceAdapter | None,
              device_locale: str, speech: str, max_audio_tags: int | None,
              state: DialogueState | None = None) -> Turn:
    """The turn for ``device_locale``; on an English Echo with ``speech`` ``sv`` the
    answer is Swedish clips, with the help that names the English words the Echo hears."""
    chosen = SPEECH_LOCALES.get(speech) if device_locale in ALEXA_LOCALES else None
    locale = chosen or device_locale
    words = echo_content(locale) if chosen else load_content(locale)
    return Turn(settings, storage, locale, words, _clips(locale, settings), max_audio_tags,
                state if state is not None else DialogueState(), device_locale)


class TurnInterceptor(AbstractRequestInterceptor):
    """Builds this request's :class:`Turn` (unknown locales fall back to English, logged)."""

    def __init__(self, settings: Settings, storage: AbstractPersistenceAdapter | None) -> None:
        self.settings, self.storage = settings, storage

    def process(self, handler_input: HandlerInput) -> None:
        requested = getattr(handler_input.request_envelope.request, "locale", None)
        device = resolve_locale(requested)
        limit = getattr(handler_input.context, "audio_tag_limit", MAX_AUDIO_TAGS)
        speech = chosen_speech(handler_input, self.settings, self.storage) \
            if speech_choice(device, limit) else "en"
        turn = make_turn(self.settings, self.storage, device, speech, limit)
        turn = replace(turn, state=load_state(handler_input, turn.words))
        handler_input.attributes_manager.request_attributes[TURN_ATTR] = turn


def switch_speech(handler_input: HandlerInput, speech: str) -> Turn:
    """Answer this request (and the rest of the session) in ``speech`` from now on."""
    turn = turn_of(handler_input)
    session = session_attributes(handler_input)
    if session is not None:
        session[SPEECH_ATTR] = speech
    new = make_turn(turn.settings, turn.storage, turn.device_locale, speech,
                    turn.max_audio_tags, turn.state)
    handler_input.attributes_manager.request_attributes[TURN_ATTR] = new
    return new


def turn_of(handler_input: HandlerInput) -> Turn:
    """This request's :class:`Turn`; a bare English one if the interceptor never ran
    (an error before it, for the error handler's sake)."""
    turn = handler_input.attributes_manager.request_attributes.get(TURN_ATTR)
    if isinstance(turn, Turn):
        return turn
    return Turn(Settings(), None, DEFAULT_LOCALE, load_content(DEFAULT_LOCALE), None,
                MAX_AUDIO_TAGS, DialogueState())
