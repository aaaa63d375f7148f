"""Flask Blueprint serving the rendered clips at ``/audio/<path>``.

Only ``.mp3`` and ``.json`` files inside the audio folder; no directory listing, no
hidden files, no ``..``, nothing but plain ASCII file-name characters (a NUL was a 500) - all
404. Clip names are content hashes, so clips are cached for
a year as ``immutable``; the manifest (not hashed) is revalidated.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

from skill.core.clips import AUDIO_DIR

ALLOWED = {".mp3": "audio/mpeg", ".json": "application/json"}
#: what a clip path may hold: ``sv-SE/joined/0a1b....mp3``, ``sv-SE/manifest.json``
SAFE_PATH = re.compile(r"[A-Za-z0-9._/-]+")
MAX_PATH_CHARS = 200
IMMUTABLE = "public, max-age=31536000, immutable"


def create_blueprint(audio_dir: Path | str | None = None, name: str = "audio") -> Blueprint:
    root = Path(audio_dir if audio_dir is not None else AUDIO_DIR).resolve()
    bp = Blueprint(name, __name__)

    @bp.route("/audio/", defaults={"relpath": ""})
    @bp.route("/audio/<path:relpath>")
    def serve(relpath: str) -> Response:
        parts = relpath.split("/")
        if not relpath or len(relpath) > MAX_PATH_CHARS or not SAFE_PATH.fullmatch(relpath) \
                or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            abort(404)  # NUL, control characters, backslashes, odd names: never a file of ours
        suffix = Path(parts[-1]).suffix.lower()
        mimetype = ALLOWED.get(suffix)
        if mimetype is None:
            abort(404)
        target = (root / relpath).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            abort(404)
        response = send_from_directory(root, relpath, mimetype=mimetype, conditional=True,
                                       max_age=0)
        if suffix == ".mp3":
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return bp


#: A ready Blueprint over the repository's ``audio/`` folder.
audio_blueprint = create_blueprint()
