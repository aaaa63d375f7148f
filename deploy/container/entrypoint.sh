#!/bin/sh
# The container's entry (and CI's: tests/test_webpage_gunicorn.py starts this very script).
# gunicorn with the project's config: HALSPORRE_BIND (default 127.0.0.1:8000; the image sets
# 0.0.0.0:8000), HALSPORRE_WORKERS (2), HALSPORRE_TIMEOUT (30); access log on stdout.
# Extra arguments go to gunicorn.
set -eu
exec gunicorn --config python:skill.frontends.gunicorn_conf "$@" skill.frontends.wsgi:app
