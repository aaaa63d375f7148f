"""Build the project's wheel from a clean copy of its sources.

The copy holds exactly what the wheel is made of (``pyproject.toml``, ``README.md``,
``skill/``, ``interaction_models/`` and the clip manifests, never the clips), so stale
``build/lib`` files of the checkout cannot leak into the wheel, and the checkout gets no
``*.egg-info``. :func:`sources_digest` hashes the same files: a build keyed on it is
redone exactly when one of them changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Top-level files and folders the wheel is built from.
SOURCES = ("pyproject.toml", "README.md", "skill", "interaction_models", "audio")
#: Only these files of ``audio/`` go into the wheel (see pyproject.toml's package-data).
AUDIO_FILES = ("__init__.py", "*/manifest.json")


def source_files(project: Path) -> Iterator[Path]:
    """The files the wheel is built from, relative to ``project``, in a stable order."""
    for name in SOURCES:
        top = project / name
        if top.is_file():
            yield Path(name)
        elif name == "audio":
            for pattern in AUDIO_FILES:
                yield from sorted(p.relative_to(project) for p in top.glob(pattern))
        else:
            yield from sorted(p.relative_to(project) for p in top.rglob("*")
                              if p.is_file() and "__pycache__" not in p.parts
                              and p.suffix != ".pyc")


def sources_digest(project: Path, *extra: bytes) -> str:
    """SHA-256 over the sources' paths and contents (and ``extra``)."""
    digest = hashlib.sha256()
    for rel in source_files(project):
        digest.update(str(rel).encode() + b"\0" + (project / rel).read_bytes() + b"\0")
    for item in extra:
        digest.update(item + b"\0")
    return digest.hexdigest()


def build_wheel(project: Path, out_dir: Path) -> Path:
    """Build ``halsporre-*.whl`` from ``project`` into ``out_dir`` and return its path.

    pip builds it in an isolated environment (setuptools from the configured index or
    pip's cache), exactly as ``pip install .`` would.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="halsporre-src-") as tmp:
        copy = Path(tmp)
        for rel in source_files(project):
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / rel, copy / rel)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--wheel-dir", str(out_dir), str(copy)],
            check=True,
        )
    wheels = sorted(out_dir.glob("halsporre-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise RuntimeError(f"pip wheel wrote no halsporre wheel into {out_dir}")
    return wheels[-1]
