"""gunicorn settings for the webservice: ``gunicorn -c python:skill.frontends.gunicorn_conf
skill.frontends.wsgi:app`` (the container's entry script does exactly this).

Every value can be changed with an environment variable (gunicorn's own ``GUNICORN_CMD_ARGS``
works too). The access log is one line per request on stdout, without the client's address
or query string (nothing that identifies a patient), with the time taken in milliseconds.
"""

from __future__ import annotations

import os

bind = os.environ.get("HALSPORRE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HALSPORRE_WORKERS", "2"))
# sync workers: the skill's work is short and CPU-bound; a stuck request is killed
worker_class = "sync"
# load the app (and warm the web page's NLU, seconds of scikit-learn) once in the master,
# then fork: workers start at once and share those pages; storage connections are opened
# by each worker after the fork (the SQLite adapter checks its process id)
preload_app = True
timeout = int(os.environ.get("HALSPORRE_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 2
# a worker is replaced after this many requests (bounded memory, however long it runs)
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
loglevel = os.environ.get("HALSPORRE_LOG_LEVEL", "info").lower()
access_log_format = '%(m)s %(U)s %(s)s %(B)sB %(M)sms'
# gunicorn's own lines (start, workers, timeouts) and the access lines both on stdout,
# where the skill's lines go too (skill.frontends.logs)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {"format": "%(message)s"},
        "server": {"format": "%(asctime)s %(levelname)s gunicorn [%(process)d]: %(message)s"},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "access"},
        "server": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                   "formatter": "server"},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["server"], "level": loglevel.upper(),
                           "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
    # the root logger is the skill's: skill.frontends.wsgi gives it its stdout handler
    "root": {"level": "INFO", "handlers": []},
}
# the skill's own logging is set up by skill.frontends.wsgi; no capture of print output
capture_output = False
# no control socket in the home folder (gunicorn >= 24): the service user may have none
control_socket_disable = True
