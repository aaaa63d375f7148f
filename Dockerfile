# Hälsporre's webservice: the Alexa endpoint, the web page and the clips, under gunicorn.
#   docker build -t halsporre .
#   docker compose up -d          (compose.yaml: the service, its data volume, a TLS proxy)
# Settings come from the environment (docs/deploy.md has the table).

# --- build: the wheel of this project (models, words and manifests inside) -------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY skill ./skill
COPY interaction_models ./interaction_models
COPY audio ./audio
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- run ----------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HALSPORRE_BIND=0.0.0.0:8000 \
    HALSPORRE_DB_PATH=/data/progress.sqlite3 \
    HALSPORRE_AUDIO_DIR=/srv/halsporre/audio
# the pinned, hashed dependencies first (a layer that changes only with the lock file)
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
# the clips (the wheel carries only their manifests), the entry script, a non-root user
COPY audio /srv/halsporre/audio
COPY deploy/container/entrypoint.sh /usr/local/bin/halsporre-entrypoint
RUN useradd --system --uid 10001 --home-dir /srv/halsporre halsporre \
    && mkdir -p /data && chown halsporre /data && chmod 0750 /data
USER halsporre
WORKDIR /srv/halsporre
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["halsporre-entrypoint"]
