"""Logging for the webservice: one format, to stdout, where gunicorn and containers look.

Under gunicorn nothing configures Python's logging, so the skill's lines (requests,
rejections, storage failures) would vanish; :func:`setup_logging` gives the root logger one
stdout handler unless something (a test runner, an operator's config) already did.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
