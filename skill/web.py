"""Flask app hosting the skill as an Alexa web service (flask-ask-sdk).

Routes:

* ``POST /alexa`` - the Alexa endpoint (``POST /`` is an alias; ``GET /`` stays free for the
  web page).  Verified by :class:`skill.verify.AlexaRequestVerifier` (signature, cert chain),
  ask-sdk's timestamp check, and the skill id when one is configured.  Failed verification
  and malformed bodies -> HTTP 400 with a short JSON error; no handler runs.
* ``GET /healthz`` -> ``{"status": "ok"}``.

flask-ask-sdk's own default verifiers (which need certvalidator/oscrypto) are switched off
through its app config, and ours are passed in instead.
"""

from __future__ import annotations

import json
import logging

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from flask import Flask, jsonify, request
from werkzeug.exceptions import BadRequest

from skill.compat import ensure_flask_ask_sdk_importable

log = logging.getLogger(__name__)

ALEXA_ROUTE = "/alexa"
MAX_BODY_BYTES = 256 * 1024

NO_VERIFY_WARNING = (
    "REQUEST VERIFICATION IS OFF (--no-verify): anyone who can reach this server can "
    "impersonate Alexa. Use only on a trusted local network for development."
)


def _error(message: str, status: int = 400):
    return jsonify({"error": message}), status


def create_app(
    skill: CustomSkill,
    *,
    verify: bool = True,
    skill_id: str | None = None,
    verifier=None,
) -> Flask:
    """Build the Flask app around ``skill``.

    :param verify: verify Alexa signatures and timestamps (default; required by Amazon).
    :param skill_id: if set, requests for another skill id are rejected with HTTP 400.
    :param verifier: an :class:`~skill.verify.AlexaRequestVerifier` to use (tests inject
        one with their own fetcher and trusted roots); default: a fresh one.
    """
    ensure_flask_ask_sdk_importable()
    from flask_ask_sdk.skill_adapter import (
        VERIFY_SIGNATURE_APP_CONFIG,
        VERIFY_TIMESTAMP_APP_CONFIG,
        SkillAdapter,
    )

    from skill.verify import AlexaRequestVerifier, LoggedTimestampVerifier, SkillIdVerifier

    app = Flask("halsporre")
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False  # the SDK's own ones: replaced by ours
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    verifiers = []
    if verify:
        verifiers += [verifier or AlexaRequestVerifier(), LoggedTimestampVerifier()]
    else:
        log.warning(NO_VERIFY_WARNING)
    if skill_id:
        verifiers.append(SkillIdVerifier(skill_id))
    adapter = SkillAdapter(
        skill=skill, skill_id=skill_id or "halsporre", verifiers=verifiers, app=app
    )
    app.extensions["halsporre_verify"] = verify

    def alexa():
        raw = request.get_data(cache=True)
        try:
            text = raw.decode("utf-8")
            if not isinstance(json.loads(text), dict):
                raise ValueError("not a JSON object")
            skill.serializer.deserialize(payload=text, obj_type=RequestEnvelope)
        except (ValueError, AskSdkException):
            log.warning("Alexa request rejected: malformed request body")
            return _error("malformed request body")
        try:
            return adapter.dispatch_request()
        except BadRequest:
            return _error("request verification failed")

    app.add_url_rule(ALEXA_ROUTE, "alexa", alexa, methods=["POST"])
    app.add_url_rule("/", "alexa_root", alexa, methods=["POST"])

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok", "verify": verify})

    return app


def run_server(
    skill: CustomSkill,
    host: str = "127.0.0.1",
    port: int = 5000,
    verify: bool = True,
    skill_id: str | None = None,
) -> None:
    """Serve the skill (``halsporre serve``); blocks.  Threaded werkzeug server."""
    app = create_app(skill, verify=verify, skill_id=skill_id)  # logs NO_VERIFY_WARNING
    log.info("Alexa endpoint on http://%s:%s%s", host, port, ALEXA_ROUTE)
    app.run(host=host, port=port, threaded=True, use_reloader=False)
