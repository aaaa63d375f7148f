"""WSGI app factories for the webservice figure (gunicorn: ``'bench.wsgi_apps:ours_app()'``).

Both apps verify every request with the same :class:`skill.alexa.verify.AlexaRequestVerifier`,
trusting only the bench's test root and "fetching" the chain from a local file (read once,
then served from the verifier's cache), plus ask-sdk's timestamp check.

Environment:

* ``HALSPORRE_BENCH_ROOT`` - PEM file with the test root CA (required)
* ``HALSPORRE_BENCH_CHAIN`` - PEM file with leaf + intermediate, what S3 would serve (required)
* ``HALSPORRE_DB_PATH`` / ``HALSPORRE_PERSISTENCE`` / ``HALSPORRE_SKILL_ID`` - ours only, see
  :mod:`skill.config`
* ``HALSPORRE_BENCH_FETCH_LOG`` - a file to append every certificate fetch to (bench.attack);
  URLs naming ``missing`` fail like a 403 from S3
"""

from __future__ import annotations

import os
from pathlib import Path

ALEXA_ROUTE = "/alexa"


def _verifier():
    from cryptography import x509

    from skill.alexa.verify import AlexaRequestVerifier

    root = x509.load_pem_x509_certificate(Path(os.environ["HALSPORRE_BENCH_ROOT"]).read_bytes())
    chain_path = Path(os.environ["HALSPORRE_BENCH_CHAIN"])

    fetch_log = os.environ.get("HALSPORRE_BENCH_FETCH_LOG")

    def fetch(url: str) -> bytes:  # the URL was checked by the verifier before this call
        if fetch_log:  # bench.attack counts fetches
            with open(fetch_log, "a", encoding="utf-8") as f:
                f.write(url + "\n")
        if "missing" in url:  # bench.attack: a certificate S3 does not have
            raise OSError("HTTP Error 403: Forbidden")
        return chain_path.read_bytes()

    return AlexaRequestVerifier(fetcher=fetch, trusted_roots=[root])


def ours_app():
    """The real app: :func:`skill.frontends.web.create_app` around
    :func:`skill.alexa.builder.build_skill`."""
    from skill.alexa.builder import build_skill
    from skill.config import Settings
    from skill.frontends.web import create_app

    settings = Settings.from_env()
    return create_app(build_skill(settings), verify=True, verifier=_verifier(),
                      skill_id=settings.skill_id)


def bare_app():
    """A bare flask-ask-sdk ``SkillAdapter`` around :mod:`bench.bare`, same verifiers."""
    from skill.alexa.compat import ensure_flask_ask_sdk_importable

    ensure_flask_ask_sdk_importable()
    from ask_sdk_webservice_support.verifier import TimestampVerifier
    from flask import Flask, jsonify
    from flask_ask_sdk.skill_adapter import (
        VERIFY_SIGNATURE_APP_CONFIG,
        VERIFY_TIMESTAMP_APP_CONFIG,
        SkillAdapter,
    )

    from bench.bare import bare_skill

    app = Flask("bare")
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    adapter = SkillAdapter(skill=bare_skill(), skill_id="bare",
                           verifiers=[_verifier(), TimestampVerifier()], app=app)
    adapter.register(app=app, route=ALEXA_ROUTE)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app


def bare_page_app():
    """The web page API's bare twin: a Flask app with the same two routes, ``POST
    /api/start`` and ``POST /api/talk``, reading the same JSON, keeping a turn count in
    Flask's signed session cookie and answering one fixed sentence as the page's JSON."""
    from flask import Flask, jsonify, request, session

    app = Flask("bare-page")
    app.secret_key = os.environ.get("HALSPORRE_WEB_SECRET", "bare-page-bench")

    def answer(turns: int):
        data = request.get_json(silent=True) or {}
        session["turns"] = turns
        return jsonify({"locale": str(data.get("locale", "en-US")),
                        "text": "Welcome to the bare skill. What would you like to do?",
                        "steps": [{"kind": "say", "text": "Welcome to the bare skill."}],
                        "end": False, "turns": turns})

    @app.post("/api/start")
    def start():
        return answer(0)

    @app.post("/api/talk")
    def talk():
        return answer(int(session.get("turns", 0)) + 1)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
