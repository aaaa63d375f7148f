"""WSGI entry for production servers.

``gunicorn -c python:skill.frontends.gunicorn_conf skill.frontends.wsgi:app`` (the config
sets workers, timeouts and one access-log line per request on stdout). Verification is
always on here; settings come from the environment (:mod:`skill.config`), and the skill's
own log lines go to stdout at ``HALSPORRE_LOG_LEVEL``.
"""

from __future__ import annotations

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.frontends.logs import setup_logging
from skill.frontends.web import create_app


def warm_up() -> None:
    """Build every locale's resolver (the web page's NLU) and read its words now, as each
    worker starts, so the first patient does not wait for them."""
    from skill.content import load_content
    from skill.core.locales import SUPPORTED_LOCALES
    from skill.nlu import Resolver

    for locale in SUPPORTED_LOCALES:
        Resolver.for_locale(locale)
        load_content(locale)


_settings = Settings.from_env()
setup_logging(_settings.log_level)
app = create_app(build_skill(_settings), verify=True, skill_id=_settings.skill_id,
                 settings=_settings)
if _settings.web_page:
    warm_up()
