"""The floor: a one-handler ask-sdk-core skill (LaunchRequest -> one sentence).

Used in-process (:func:`bare_skill`), as a Lambda handler (:data:`handler`, for the
cold-start twin) and behind flask-ask-sdk (:mod:`bench.wsgi_apps`).  Imports nothing but
ask-sdk, on purpose: it is what "the bare SDK" costs.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type

SPEECH = "Welcome to the bare skill. What would you like to do?"


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        return (handler_input.response_builder.speak(SPEECH).ask(SPEECH)
                .set_should_end_session(False).response)


class AnyRequestHandler(AbstractRequestHandler):
    """The same one sentence for any request: the twin for "the SDK on our envelopes"."""

    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        return (handler_input.response_builder.speak(SPEECH).ask(SPEECH)
                .set_should_end_session(False).response)


def bare_builder() -> SkillBuilder:
    sb = SkillBuilder()
    sb.add_request_handler(LaunchHandler())
    return sb


def bare_skill() -> CustomSkill:
    return bare_builder().create()


def bare_any_skill() -> CustomSkill:
    """One handler answering every request: ours' envelopes cost the SDK this much."""
    sb = SkillBuilder()
    sb.add_request_handler(AnyRequestHandler())
    return sb.create()


handler = bare_builder().lambda_handler()
