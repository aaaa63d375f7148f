"""Flask app hosting the skill as an Alexa web service (flask-ask-sdk).

Routes:

* ``POST /alexa`` - the Alexa endpoint (``POST /`` is an alias; ``GET /`` stays free for the
  web page), served by :class:`skill.alexa.webservice.VerifyFirstSkillAdapter`: size cap,
  signature and cert chain over the raw bytes (:class:`skill.alexa.verify.AlexaRequestVerifier`),
  then JSON and the SDK, then ask-sdk's timestamp check, the skill id when one is configured
  and replays (:class:`skill.alexa.verify.ReplayVerifier`).  Failed verification and
  malformed bodies -> HTTP 400 with a short JSON error and one log line; no handler runs.
* ``GET /healthz`` - storage and clip manifest checked (:mod:`skill.frontends.health`).
* ``GET /`` - the web voice page, and its JSON API ``POST /api/start`` / ``POST /api/talk``
  (:mod:`skill.frontends.webpage`; no Alexa signatures there - they never reach the Alexa endpoint).
* ``GET /audio/<path>`` - the pre-rendered clips (:mod:`skill.frontends.audio_route`).

flask-ask-sdk's own default verifiers (which need certvalidator/oscrypto) are switched off
through its app config, and ours are passed in instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ask_sdk_core.skill import CustomSkill
from flask import Flask

from skill.alexa.compat import ensure_flask_ask_sdk_importable
from skill.config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from skill.frontends.webpage import WebConfig

log = logging.getLogger(__name__)

ALEXA_ROUTE = "/alexa"
MAX_BODY_BYTES = 256 * 1024

NO_VERIFY_WARNING = (
    "REQUEST VERIFICATION IS OFF (--no-verify): anyone who can reach this server can "
    "impersonate Alexa. Use only on a trusted local network for development."
)


def create_app(
    skill: CustomSkill,
    *,
    verify: bool = True,
    skill_id: str | None = None,
    verifier=None,
    web_page: bool | None = None,
    audio_base_url: str | None = None,
    settings: Settings | None = None,
    web: WebConfig | None = None,
    web_skill: CustomSkill | None = None,
    replay_store=None,
) -> Flask:
    """Build the Flask app around ``skill``.

    :param verify: verify Alexa signatures and timestamps (default; required by Amazon).
    :param skill_id: if set, requests for another skill id are rejected with HTTP 400.
    :param verifier: an :class:`~skill.alexa.verify.AlexaRequestVerifier` to use (tests inject
        one with their own fetcher and trusted roots); default: a fresh one.
    :param web_page: also serve the web voice page at ``GET /`` and its ``/api/`` routes
        (default: ``settings.web_page``, ``HALSPORRE_WEB_PAGE``).
    :param audio_base_url: where clips are served from, when not this server (for the page's
        Content-Security-Policy); default: ``settings.audio_base_url``.
    :param settings: the deployment's settings (default: from the environment): the web
        page, the proxy setting (:func:`trust_proxies`).
    :param web: the web page's :class:`~skill.frontends.webpage.WebConfig` (tests); default:
        made from ``settings``.
    :param web_skill: a Skill for the web page to answer with instead of its own (tests).
    :param replay_store: where answered request ids are kept (:mod:`skill.alexa.replay`);
        default: :func:`skill.alexa.replay.make_replay_store` for ``settings``.
    """
    settings = settings if settings is not None else Settings.from_env()
    ensure_flask_ask_sdk_importable()
    from flask_ask_sdk.skill_adapter import (
        VERIFY_SIGNATURE_APP_CONFIG,
        VERIFY_TIMESTAMP_APP_CONFIG,
    )

    from skill.alexa.webservice import VerifyFirstSkillAdapter

    app = Flask("halsporre")
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False  # the SDK's own ones: replaced by ours
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    verifiers = _verifiers(verify, verifier, skill_id,
                           replay_store or _replay_store(settings) if verify else None)
    adapter = VerifyFirstSkillAdapter(
        skill=skill, skill_id=skill_id or "halsporre", verifiers=verifiers, app=app
    )
    app.extensions["halsporre_verify"] = verify

    def alexa():
        return adapter.dispatch_request()

    app.add_url_rule(ALEXA_ROUTE, "alexa", alexa, methods=["POST"])
    app.add_url_rule("/", "alexa_root", alexa, methods=["POST"])

    if web is None and web_skill is not None:
        from skill.frontends.webpage import web_config

        web = web_config(settings, skill=web_skill)
    _add_parts(app, skill, settings, verify=verify, web_page=web_page, web=web,
               audio_base_url=audio_base_url)
    return app


def _add_parts(app: Flask, skill: CustomSkill, settings: Settings, *, verify: bool,
               web_page: bool | None, web: WebConfig | None,
               audio_base_url: str | None) -> None:
    """Health check, clips, the web page and the proxy setting."""
    from skill.frontends.audio_route import create_blueprint as audio_blueprint
    from skill.frontends.health import create_blueprint as health_blueprint
    from skill.resources import audio_dir

    if audio_base_url is None:
        audio_base_url = settings.audio_base_url
    app.register_blueprint(health_blueprint(skill.persistence_adapter, audio_dir(),
                                            audio_base_url, lambda: {"verify": verify}))
    app.register_blueprint(audio_blueprint())
    if web_page if web_page is not None else settings.web_page:
        from skill.frontends.webpage import create_blueprint as web_blueprint
        from skill.frontends.webpage import web_config

        if web is None:
            web = web_config(settings)
        web.audio_base_url = audio_base_url
        app.register_blueprint(web_blueprint(web))
    trust_proxies(app, settings.proxies)


def trust_proxies(app: Flask, proxies: int) -> None:
    """Behind ``proxies`` reverse proxies, take the client address, scheme, host and port
    from their ``X-Forwarded-*`` headers (werkzeug's ProxyFix); 0: trust none."""
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,  # type: ignore[method-assign]
                                x_proto=proxies, x_host=proxies, x_port=proxies)


def _verifiers(verify: bool, verifier: Any, skill_id: str | None,
               replay_store: Any) -> list[Any]:
    """Signature (raw body), timestamp, skill id, replays - in the order they run."""
    from skill.alexa.verify import (
        AlexaRequestVerifier,
        LoggedTimestampVerifier,
        ReplayVerifier,
        SkillIdVerifier,
    )

    verifiers: list[Any] = []
    if verify:
        verifiers += [verifier or AlexaRequestVerifier(), LoggedTimestampVerifier()]
    else:
        log.warning(NO_VERIFY_WARNING)
    if skill_id:
        verifiers.append(SkillIdVerifier(skill_id))
    if verify:
        verifiers.append(ReplayVerifier(replay_store))
    return verifiers


def _replay_store(settings: Settings) -> Any:
    from skill.alexa.replay import make_replay_store

    return make_replay_store(settings)


def run_server(
    skill: CustomSkill,
    host: str = "127.0.0.1",
    port: int = 5000,
    verify: bool = True,
    skill_id: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Serve the skill (``halsporre serve``); blocks.  Threaded werkzeug server."""
    app = create_app(skill, verify=verify, skill_id=skill_id,  # logs NO_VERIFY_WARNING
                     settings=settings)
    log.info("Alexa endpoint on http://%s:%s%s", host, port, ALEXA_ROUTE)
    if "webpage" in app.blueprints:
        log.info("web voice page on http://%s:%s/", host, port)
    app.run(host=host, port=port, threaded=True, use_reloader=False)
