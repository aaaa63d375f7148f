"""The floor: a one-handler ask-sdk-core skill (LaunchRequest -> one sentence).

Used in-process (:func:`bare_skill`), as a Lambda handler (:data:`handler`, for the
cold-start twin) and behind flask-ask-sdk (:mod:`bench.wsgi_apps`).  Imports nothing but
ask-sdk, on purpose: it is what "the bare SDK" costs.

Persistence, as documented in bench/README.md: the SDK has no SQLite adapter, so with
``HALSPORRE_PERSISTENCE=sqlite`` (or unset) the twin stores nothing and ours' SQLite work
counts against ours. With ``HALSPORRE_PERSISTENCE=dynamodb`` the Lambda twin uses the SDK's
own ``DynamoDbAdapter`` (table ``HALSPORRE_DYNAMODB_TABLE``) and reads the user's
persistent attributes on launch, as ours does (it asks "continue where you left off?").
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
        if handler_input.attributes_manager._persistence_adapter is not None:
            handler_input.attributes_manager.persistent_attributes  # noqa: B018 - the read
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


def bare_dynamodb_builder():
    """The twin with the SDK's DynamoDB adapter (the documented Lambda setting)."""
    import os

    from ask_sdk_core.skill_builder import CustomSkillBuilder
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    table = os.environ.get("HALSPORRE_DYNAMODB_TABLE", "halsporre")
    sb = CustomSkillBuilder(persistence_adapter=DynamoDbAdapter(table_name=table))
    sb.add_request_handler(LaunchHandler())
    return sb


def _lambda_builder():
    import os

    if os.environ.get("HALSPORRE_PERSISTENCE", "").strip().lower() == "dynamodb":
        return bare_dynamodb_builder()
    return bare_builder()


def bare_skill() -> CustomSkill:
    return bare_builder().create()


def bare_any_skill() -> CustomSkill:
    """One handler answering every request: ours' envelopes cost the SDK this much."""
    sb = SkillBuilder()
    sb.add_request_handler(AnyRequestHandler())
    return sb.create()


handler = _lambda_builder().lambda_handler()
