"""Build the one ask-sdk Skill that every way in (webservice, Lambda, console) uses."""

from __future__ import annotations

from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from skill.alexa.handlers.interceptors import (
    RequestLogInterceptor,
    ResponseLogInterceptor,
    TurnInterceptor,
)
from skill.alexa.handlers.requests import ErrorHandler, request_handlers
from skill.alexa.persistence import make_persistence_adapter
from skill.alexa.serializer import install
from skill.config import Settings


class LazyApiClient(ApiClient):
    """ask-sdk's ``DefaultApiClient``, imported on the first Alexa API call.

    ``DefaultApiClient`` pulls in ``requests`` (about 80 ms of a cold start), and only the
    reminders and time-zone calls need it; most requests never do.
    """

    def __init__(self) -> None:
        self._client: Any = None

    def invoke(self, request: Any) -> Any:
        if self._client is None:
            from ask_sdk_core.api_client import DefaultApiClient

            self._client = DefaultApiClient()
        return self._client.invoke(request)


_FROM_SETTINGS: Any = object()


def skill_builder(settings: Settings | None = None,
                  adapter: AbstractPersistenceAdapter | None = _FROM_SETTINGS,
                  ) -> CustomSkillBuilder:
    """The builder with handlers, interceptors, API client and (optional) skill id check.

    ``adapter``: the storage (default: the one ``settings`` asks for); the web page passes
    its own wrapper around that one.
    """
    settings = settings or Settings.from_env()
    if adapter is _FROM_SETTINGS:
        adapter = make_persistence_adapter(settings)
    # ask-sdk's annotations say the adapter and the skill id are never None; both may be
    builder = CustomSkillBuilder(api_client=LazyApiClient())
    builder.persistence_adapter = adapter  # type: ignore[assignment]
    builder.skill_id = settings.skill_id or None  # type: ignore[assignment]
    for interceptor in (TurnInterceptor(settings, adapter), RequestLogInterceptor()):
        builder.add_global_request_interceptor(interceptor)
    builder.add_global_response_interceptor(ResponseLogInterceptor())
    for handler in request_handlers():
        builder.add_request_handler(handler)
    builder.add_exception_handler(ErrorHandler())
    return builder


def build_skill(settings: Settings | None = None,
                adapter: AbstractPersistenceAdapter | None = _FROM_SETTINGS) -> CustomSkill:
    """The one Skill every way in uses, with our serializer (:mod:`skill.alexa.serializer`)."""
    return install(skill_builder(settings, adapter).create())
