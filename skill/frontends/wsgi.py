"""WSGI entry for production servers: ``gunicorn -w 2 -b 127.0.0.1:8000 skill.frontends.wsgi:app``.

Verification is always on here; settings come from the environment (:mod:`skill.config`).
"""

from __future__ import annotations

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.frontends.web import create_app

_settings = Settings.from_env()
app = create_app(build_skill(_settings), verify=True, skill_id=_settings.skill_id)
