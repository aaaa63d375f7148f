"""Build ``dist/lambda.zip`` for the AWS Lambda Python runtime (``make lambda``).

The zip holds the ``skill`` package (with its models, words and clip manifests) and the
pinned dependencies of ``deploy/aws/requirements.txt``, installed with ``--no-deps`` as
wheels for the runtime's platform (``manylinux2014_x86_64``, CPython 3.12), never built
for this machine. boto3 and botocore are left out: the runtime has them.

Every module is byte-compiled for CPython 3.12 (``unchecked-hash`` .pyc files, valid
whatever the files' dates): Lambda's ``/var/task`` is read-only, so without them each cold
start would compile some 450 modules again. This needs a ``python3.12`` on the build
machine (pyenv's is found too); without one the zip is built without them and says so.

Both layers are cached: the dependencies under ``build/lambda/deps-<hash>`` (keyed on the
requirements and the platform), the zip itself by a digest of every input written beside
it (``dist/lambda.zip.inputs``), so an unchanged re-run does nothing.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from skill.tools.wheel import build_wheel, sources_digest

log = logging.getLogger(__name__)

PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_x86_64"
MAX_BYTES = 25 * 1024 * 1024
REQUIREMENTS = Path("deploy") / "aws" / "requirements.txt"
#: Never in the zip: the runtime's own (boto3 ...), the webservice's, the console's NLU,
#: the clip tools, and build-only packages.
FORBIDDEN = frozenset({
    "boto3", "botocore", "s3transfer", "jmespath", "urllib3",
    "flask", "flask_ask_sdk", "werkzeug", "jinja2", "cryptography", "certvalidator",
    "oscrypto", "rapidfuzz", "unicode_rbnf", "gtts", "tqdm", "sklearn", "scipy", "numpy",
    "pip", "setuptools", "wheel", "_distutils_hack", "pkg_resources",
})
#: Where Lambda unpacks the zip: the paths the .pyc files name (so equal inputs give an
#: equal zip, whichever folder it was built in).
LAMBDA_TASK_ROOT = "/var/task"
#: The .pyc files of the runtime's interpreter; any other .pyc stays out of the zip.
CACHE_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")
#: Fixed timestamp for every zip entry, so equal inputs give an equal zip.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class LambdaBuildError(RuntimeError):
    """The zip could not be built, or would break a rule (size, forbidden package)."""


def runtime_python() -> str | None:
    """A CPython of the runtime's version on this machine (``python3.12``, pyenv's too)."""
    candidates = [shutil.which(f"python{PYTHON_VERSION}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{PYTHON_VERSION}*/bin/python{PYTHON_VERSION}")))
    check = f"import sys; assert sys.version_info[:2] == ({PYTHON_VERSION.replace('.', ', ')})"
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-I", "-S", "-c", check], capture_output=True,
                                  timeout=30)
        except OSError:
            continue
        if done.returncode == 0:
            return candidate
    return None


def _compile(folder: Path, python: str | None) -> None:
    """Byte-compile ``folder`` for the runtime (no-op without a matching interpreter)."""
    if python is None:
        log.warning("lambda: no python%s here: the zip carries no .pyc files and every cold "
                    "start compiles its modules", PYTHON_VERSION)
        return
    subprocess.run([python, "-I", "-S", "-W", "ignore", "-m", "compileall", "-q", "-j", "0",
                    "--invalidation-mode", "unchecked-hash",
                    "-s", str(folder), "-p", LAMBDA_TASK_ROOT, str(folder)],
                   check=True, stdout=subprocess.DEVNULL)


def pip_platform_args() -> list[str]:
    return ["--platform", PLATFORM, "--only-binary=:all:", "--python-version",
            PYTHON_VERSION, "--implementation", "cp"]


def _deps_dir(project: Path, cache: Path, python: str | None) -> Path:
    """The runtime's dependencies, installed (and compiled) once per requirements file."""
    requirements = project / REQUIREMENTS
    key = hashlib.sha256(requirements.read_bytes() + " ".join(pip_platform_args()).encode()
                         + f"{python is not None} {LAMBDA_TASK_ROOT}".encode()).hexdigest()[:16]
    target = cache / f"deps-{key}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="deps-", dir=cache))
    log.info("lambda: installing %s for %s, CPython %s", requirements, PLATFORM, PYTHON_VERSION)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--disable-pip-version-check", *pip_platform_args(), "--target", str(staging),
         "-r", str(requirements)],
        check=True,
    )
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: not importable
    _compile(staging, python)
    staging.rename(target)
    return target


def top_level_names(folder: Path) -> set[str]:
    """Importable top-level names in ``folder`` (packages and modules)."""
    names = set()
    for entry in folder.iterdir():
        if entry.name.endswith((".dist-info", ".data")) or entry.name == "__pycache__":
            continue
        names.add(entry.name.split(".")[0])
    return names


def _entries(*roots: Path) -> Iterable[tuple[str, Path]]:
    seen: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_dir() or (path.suffix == ".pyc" and f".{CACHE_TAG}." not in path.name):
                continue
            name = path.relative_to(root).as_posix()
            if name.endswith(".dist-info/RECORD"):
                continue  # pip's uninstall list; names the builder's console scripts
            if name not in seen:
                seen.add(name)
                yield name, path


def _write_zip(out: Path, roots: Sequence[Path]) -> None:
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, path in _entries(*roots):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(path, os.X_OK) and path.suffix == ".so" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)


def _app_dir(project: Path, work: Path, python: str | None) -> Path:
    """The ``skill`` package as the wheel lays it out (models and manifests inside)."""
    wheel = build_wheel(project, work / "wheel")
    app = work / "app"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(app)
    _compile(app, python)
    return app


def build(project: Path, out: Path, cache: Path | None = None, force: bool = False) -> Path:
    """Build (or keep, when its inputs did not change) the Lambda zip ``out``."""
    project = project.resolve()
    cache = cache or project / "build" / "lambda"
    requirements = project / REQUIREMENTS
    python = runtime_python()
    digest = sources_digest(project, requirements.read_bytes(),
                            " ".join(pip_platform_args()).encode(), str(python).encode())
    stamp = out.with_name(out.name + ".inputs")
    if not force and out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        log.info("lambda: %s is up to date", out)
        return out
    deps = _deps_dir(project, cache, python)
    bad = top_level_names(deps) & FORBIDDEN
    if bad:
        raise LambdaBuildError(f"{requirements} brings in {sorted(bad)}; the zip must not")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lambda-", dir=cache) as tmp:
        app = _app_dir(project, Path(tmp), python)
        _write_zip(out, [app, deps])
    size = out.stat().st_size
    if size > MAX_BYTES:
        out.unlink()
        raise LambdaBuildError(f"the zip would be {size / 1e6:.1f} MB, over {MAX_BYTES / 1e6} MB")
    stamp.write_text(digest + "\n")
    log.info("lambda: wrote %s (%.2f MB)", out, size / 1e6)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m skill.tools.lambda_zip", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--project", type=Path, default=Path("."),
                   help="the repository to build from (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("dist") / "lambda.zip",
                   help="the zip to write (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        out = build(args.project, args.out, force=args.force)
    except (LambdaBuildError, subprocess.CalledProcessError) as exc:
        print(f"make lambda: {exc}", file=sys.stderr)
        return 1
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
