"""AWS Lambda entry point: the function's handler is
``skill.frontends.lambda_function.handler``.

Configuration comes from the environment (see :mod:`skill.config`); on Lambda set
``HALSPORRE_PERSISTENCE=dynamodb`` and ``HALSPORRE_SKILL_ID``.
"""

from __future__ import annotations

import logging

from skill.alexa.builder import skill_builder

logging.getLogger().setLevel(logging.INFO)

handler = skill_builder().lambda_handler()
