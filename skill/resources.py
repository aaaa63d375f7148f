"""Where the skill's data files are: inside the installed package, found with importlib.

``interaction_models/`` and ``audio/`` stay at the top of the repository (the product
layout and Alexa's convention) and are mapped into the package as ``skill.models`` and
``skill.audio_files`` (see ``pyproject.toml``). An editable install and a checkout read
them in place; a wheel carries the models and the clip manifests, not the clips
themselves, which a deployment points to with ``HALSPORRE_AUDIO_DIR`` (or serves from
``AUDIO_BASE_URL``).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

MODELS_ENV = "HALSPORRE_MODELS_DIR"
AUDIO_ENV = "HALSPORRE_AUDIO_DIR"


@cache
def _package_dir(package: str) -> Path:
    """The folder of ``package``: from its import spec when it is a plain folder (no
    import of ``importlib.resources``, a tenth of a cold start), else importlib's files.
    Found once per process: a package does not move (the overrides are read every call)."""
    from importlib.util import find_spec

    spec = find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if len(locations) == 1 and Path(locations[0]).is_dir():
        return Path(locations[0])
    from importlib.resources import files

    return Path(str(files(package)))


def models_dir() -> Path:
    """The folder holding ``<locale>.json`` interaction models (``HALSPORRE_MODELS_DIR``
    overrides)."""
    override = os.environ.get(MODELS_ENV)
    return Path(override) if override else _package_dir("skill.models")


def audio_dir() -> Path:
    """The folder holding ``<locale>/manifest.json`` and the clips (``HALSPORRE_AUDIO_DIR``
    overrides; a wheel alone has the manifests but not the clips)."""
    override = os.environ.get(AUDIO_ENV)
    return Path(override) if override else _package_dir("skill.audio_files")


LEGAL_ENV = "HALSPORRE_LEGAL_DIR"


def legal_dir() -> Path:
    """The folder with the privacy and terms templates and the clinic's ``clinic.yaml``
    (``HALSPORRE_LEGAL_DIR`` overrides: a copy the clinic filled in)."""
    override = os.environ.get(LEGAL_ENV)
    return Path(override) if override else _package_dir("skill.frontends") / "legal_templates"
