"""ask-sdk's webservice handler and flask-ask-sdk's ``SkillAdapter``, verifying before parsing.

ask-sdk-webservice-support's ``WebserviceSkillHandler.verify_request_and_dispatch`` has the
SDK deserialize the body before any verifier runs, so an unsigned body costs a full parse
(100-300 ms for 200 KB of small objects), and flask-ask-sdk logs a full ERROR traceback per
rejection. Here the same two classes keep their roles and their verifiers, in this order:

1. size cap (``MAX_CONTENT_LENGTH``, HTTP 413 before the body is read);
2. verifiers that need only headers and raw bytes (``needs_envelope = False``: the
   signature and certificate chain) - nothing of the body is parsed before they pass;
3. JSON, and the envelope's shape (:func:`skill.alexa.invoke.check_envelope`);
4. the SDK's deserialisation into a ``RequestEnvelope``;
5. the other verifiers on it (timestamp, skill id, replays);
6. the skill.

Every rejection is HTTP 400 with a short JSON error and exactly one log line (its reason);
no traceback. A failure inside the skill itself stays a logged 500 (a bug, not bad input).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any, cast

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.alexa.compat import ensure_flask_ask_sdk_importable
from skill.alexa.invoke import check_envelope
from skill.alexa.serializer import EnvelopeError, SkillSerializer

ensure_flask_ask_sdk_importable()

from ask_sdk_webservice_support.verifier import AbstractVerifier  # noqa: E402
from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler  # noqa: E402
from flask import jsonify  # noqa: E402
from flask import request as flask_request  # noqa: E402
from flask_ask_sdk.skill_adapter import SkillAdapter  # noqa: E402
from werkzeug.exceptions import RequestEntityTooLarge  # noqa: E402

log = logging.getLogger(__name__)


class BadBody(ValueError):
    """The (verified) body is not an Alexa request envelope; the message says why."""


def split_verifiers(verifiers: Iterable[AbstractVerifier]
                    ) -> tuple[list[AbstractVerifier], list[AbstractVerifier]]:
    """(raw-body verifiers, envelope verifiers), each in the given order."""
    raw: list[AbstractVerifier] = []
    parsed: list[AbstractVerifier] = []
    for verifier in verifiers:
        (parsed if getattr(verifier, "needs_envelope", True) else raw).append(verifier)
    return raw, parsed


def parse_envelope(skill: CustomSkill, body: bytes) -> RequestEnvelope:
    """JSON, the envelope's shape and depth, the model; BadBody on any failure.

    With our :class:`~skill.alexa.serializer.SkillSerializer` that is one parse and one
    pass; any other serializer gets the JSON checked first, then the SDK's deserialisation.
    """
    serializer = skill.serializer
    if isinstance(serializer, SkillSerializer):
        try:
            return serializer.envelope_from_text(body)
        except EnvelopeError as exc:
            raise BadBody(str(exc)[:120]) from None
    try:
        text = body.decode("utf-8")
        check_envelope(json.loads(text))
    except RecursionError:
        raise BadBody("nested too deeply") from None
    except ValueError as exc:
        raise BadBody(str(exc)[:120]) from None
    try:
        return serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    except (AskSdkException, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise BadBody(f"not an Alexa request envelope ({type(exc).__name__})") from None


class VerifyFirstHandler(WebserviceSkillHandler):
    """``WebserviceSkillHandler`` whose raw-body verifiers run before anything is parsed.

    ``verifiers`` as for the SDK's handler (the SDK's default verifiers are never added:
    ours replace them); each one's ``needs_envelope`` attribute (default True) says whether
    it runs before or after parsing.
    """

    def __init__(self, skill: CustomSkill, verifiers: Iterable[AbstractVerifier] = ()) -> None:
        super().__init__(skill=skill, verify_signature=False, verify_timestamp=False,
                         verifiers=[])
        self.raw_verifiers, self.envelope_verifiers = split_verifiers(verifiers)

    def verify_request_and_dispatch(self, http_request_headers: Mapping[str, Any],
                                    http_request_body: bytes | str) -> Any:
        """Verify, parse, verify, invoke; raises ``VerificationException`` or
        :class:`BadBody` for a request to refuse. Returns the serialised response (a dict).

        The verifiers get the raw bytes (the SDK's hints say ``str``; ours read bytes, as
        the signature covers the bytes) and, before parsing, no envelope."""
        body = http_request_body
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = dict(http_request_headers)
        raw_body = cast(Any, body)
        for verifier in self.raw_verifiers:
            verifier.verify(headers=headers, serialized_request_env=raw_body,
                            deserialized_request_env=cast(Any, None))
        envelope = parse_envelope(self._skill, body)
        for verifier in self.envelope_verifiers:
            verifier.verify(headers=headers, serialized_request_env=raw_body,
                            deserialized_request_env=envelope)
        response = self._skill.invoke(request_envelope=envelope, context=None)
        return self._skill.serializer.serialize(response)


class VerifyFirstSkillAdapter(SkillAdapter):
    """flask-ask-sdk's ``SkillAdapter`` around :class:`VerifyFirstHandler`; a refused request
    is HTTP 400 (413 when too large) with one log line, never a traceback."""

    def _create_webservice_handler(self, skill: CustomSkill,
                                   verifiers: list[AbstractVerifier] | None) -> None:
        self._webservice_handler = VerifyFirstHandler(skill, verifiers or [])
        self._webservice_handler._add_custom_user_agent("flask-ask-sdk")

    def dispatch_request(self) -> Any:
        from ask_sdk_webservice_support.verifier import VerificationException

        try:
            body = flask_request.get_data(cache=False)  # capped by MAX_CONTENT_LENGTH
        except RequestEntityTooLarge:
            log.warning("Alexa request rejected: body larger than %s bytes",
                        flask_request.max_content_length)
            return jsonify({"error": "request too large"}), 413
        try:
            response = self._webservice_handler.verify_request_and_dispatch(
                http_request_headers=dict(flask_request.headers), http_request_body=body)
        except VerificationException:  # its reason is logged where it was raised
            return jsonify({"error": "request verification failed"}), 400
        except BadBody as exc:
            log.warning("Alexa request rejected: malformed request body (%s)", exc)
            return jsonify({"error": "malformed request body"}), 400
        return jsonify(response)
