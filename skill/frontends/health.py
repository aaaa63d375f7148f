"""``GET /healthz``: is this instance able to answer? For load balancers and container
health checks.

Two checks, each with a short reason when it fails (HTTP 503, one log line):

* ``storage`` - the skill's progress storage answers a read (SQLite: the file opens and
  the table is there; DynamoDB: the table answers a ``GetItem``); ``off`` without storage.
* ``clips`` - the Swedish clip manifest loads and names clips; when the clips are served
  from this server (no ``AUDIO_BASE_URL``), its first clip is on disk. The manifest (a few
  hundred KB) is read once per process and again only when its file changes (size and
  modification time); a health probe every few seconds costs a ``stat``, not a parse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify

log = logging.getLogger(__name__)

PROBE_USER = "amzn1.ask.account.halsporre-health-probe"
CLIP_LOCALE = "sv-SE"


def _probe_envelope() -> Any:
    from ask_sdk_model import Context, RequestEnvelope
    from ask_sdk_model.interfaces.system import SystemState
    from ask_sdk_model.user import User

    return RequestEnvelope(context=Context(system=SystemState(user=User(user_id=PROBE_USER))))


def check_storage(adapter: Any) -> str:
    """``ok``, ``off`` (no storage) or a short reason."""
    if adapter is None:
        return "off"
    try:
        adapter.get_attributes(_probe_envelope())
    except Exception as exc:  # any failure of any adapter is an unhealthy instance
        return f"failed: {type(exc).__name__}"
    return "ok"


_manifests: dict[Path, tuple[tuple[int, int], int, str | None]] = {}
"""manifest path -> ((size, mtime_ns), number of clips, the first clip's file name)."""


def _manifest(path: Path) -> tuple[int, str | None]:
    """(clips named, the first one's file) of the manifest at ``path``, parsed only when
    the file is new or changed; OSError/ValueError/AttributeError when unreadable."""
    st = path.stat()
    stamp = (st.st_size, st.st_mtime_ns)
    hit = _manifests.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1], hit[2]
    clips = json.loads(path.read_text(encoding="utf-8")).get("clips") or {}
    first = next(iter(clips.values()), None) if clips else None
    name = first.get("file") if isinstance(first, dict) else None
    _manifests[path] = (stamp, len(clips), name)
    return len(clips), name


def check_clips(audio_dir: Path, served_here: bool) -> str:
    """``ok`` or a short reason."""
    path = audio_dir / CLIP_LOCALE / "manifest.json"
    try:
        count, name = _manifest(path)
    except (OSError, ValueError, AttributeError) as exc:
        return f"failed: manifest {type(exc).__name__}"
    if not count:
        return "failed: manifest names no clips"
    if served_here:
        if not name or not (audio_dir / CLIP_LOCALE / name).is_file():
            return "failed: clips missing (set HALSPORRE_AUDIO_DIR or AUDIO_BASE_URL)"
    return "ok"


def create_blueprint(adapter: Any, audio_dir: Path, audio_base_url: str | None,
                     extra: Callable[[], dict[str, Any]] | None = None) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        checks = {"storage": check_storage(adapter),
                  "clips": check_clips(audio_dir, served_here=not audio_base_url)}
        healthy = all(v in ("ok", "off") for v in checks.values())
        if not healthy:
            log.warning("health check failed: %s", ", ".join(
                f"{k} {v}" for k, v in checks.items() if v not in ("ok", "off")))
        body = {"status": "ok" if healthy else "failing", "checks": checks, **(extra or dict)()}
        return jsonify(body), 200 if healthy else 503

    return bp
