"""Build the one ask-sdk Skill that every way in (webservice, Lambda, console) uses."""

from __future__ import annotations

from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.config import Settings
from skill.handlers.interceptors import (
    DialogueStateInterceptor,
    LocaleInterceptor,
    RequestLogInterceptor,
    ResponseLogInterceptor,
)
from skill.handlers.requests import ErrorHandler, request_handlers
from skill.persistence import make_persistence_adapter


def skill_builder(settings: Settings | None = None) -> CustomSkillBuilder:
    """The builder with handlers, interceptors, API client and (optional) skill id check."""
    settings = settings or Settings.from_env()
    builder = CustomSkillBuilder(
        persistence_adapter=make_persistence_adapter(settings),
        api_client=DefaultApiClient(),
    )
    if settings.skill_id:
        builder.skill_id = settings.skill_id
    for interceptor in (RequestLogInterceptor(), LocaleInterceptor(settings),
                        DialogueStateInterceptor()):
        builder.add_global_request_interceptor(interceptor)
    builder.add_global_response_interceptor(ResponseLogInterceptor())
    for handler in request_handlers():
        builder.add_request_handler(handler)
    builder.add_exception_handler(ErrorHandler())
    return builder


def build_skill(settings: Settings | None = None) -> CustomSkill:
    """The one Skill every way in uses."""
    return skill_builder(settings).create()
