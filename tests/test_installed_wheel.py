"""An installed package works: the wheel built from this repository, installed in a fresh
virtual environment, runs ``chat``, ``serve`` (with the web page) and ``package`` from a
folder outside the repository. Its models, words, labels and clip manifests come from
inside the wheel; the clips themselves through ``HALSPORRE_AUDIO_DIR``.

pip installs the dependencies from the index configured on the machine (or its cache),
as any ``pip install`` would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from skill.tools.wheel import build_wheel

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh venv with the wheel and its dependencies, with the
    ``nlu`` extra that the console and the web page need (scikit-learn)."""
    root = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(REPO, root / "dist")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", f"{wheel}[nlu]"], check=True, timeout=900)
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path) -> tuple[Path, dict[str, str]]:
    """A working folder outside the repository and an environment without the checkout."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "HALSPORRE_DB_PATH": str(tmp_path / "progress.sqlite3")}
    return tmp_path, env


def _run(bin_dir: Path, args: list[str], cwd: Path, env: dict[str, str],
         stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "halsporre"), *args], input=stdin, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_wheel_runs_outside_the_repository(installed) -> None:
    done = subprocess.run(
        [str(installed / "python"), "-c",
         "import skill, skill.resources as r; print(skill.__file__); "
         "print(r.models_dir()); print(r.audio_dir())"],
        capture_output=True, text=True, check=True, cwd="/")
    for line in done.stdout.split():
        assert not line.startswith(str(REPO)), line
        assert "site-packages" in line


def test_chat_in_swedish_and_english(installed, elsewhere) -> None:
    cwd, env = elsewhere
    sv = _run(installed, ["chat", "--locale", "sv-SE", "--fast"], cwd, env,
              "vad är numret till kliniken\n")
    assert sv.returncode == 0, sv.stderr
    assert "Välkommen till Hälsporre" in sv.stdout and "08-123 264 44" in sv.stdout
    en = _run(installed, ["chat", "--locale", "en-GB", "--fast", "--json"], cwd, env,
              "what causes it\nstop\n")
    assert en.returncode == 0, en.stderr
    turns = [json.loads(line) for line in en.stdout.splitlines() if line.startswith("{")]
    assert [t["intent"] for t in turns[1:]] == ["CausesIntent", "AMAZON.StopIntent"]
    assert "tendons under the foot" in turns[1]["text"]
    assert "UnsupportedLocale" not in sv.stderr + en.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def _post_json(url: str, body: dict, origin: str) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Origin": origin})
    with urllib.request.urlopen(req, timeout=20) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


class _Server:
    def __init__(self, bin_dir: Path, cwd: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**env, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        self.proc = subprocess.Popen(
            [str(bin_dir / "halsporre"), "serve", "--host", "127.0.0.1", "--port",
             str(self.port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)

    def __enter__(self) -> _Server:
        deadline = time.monotonic() + 180  # serve trains the NLU at start; slow when loaded
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read()
            try:
                # up: 200, or 503 when no clips are on disk (the manifests-only case)
                if _get(self.base + "/healthz")[0] in (200, 503):
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError("halsporre serve did not come up")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def _first_clip(answer: dict) -> str:
    clips = [s["audio"] for s in answer["steps"] if "audio" in s]
    assert clips, answer
    return clips[0]


@pytest.mark.parametrize("with_clips", [True, False], ids=["audio-dir", "manifests-only"])
def test_serve_the_web_page_and_its_api(installed, elsewhere, with_clips) -> None:
    cwd, env = elsewhere
    if with_clips:
        env = {**env, "HALSPORRE_AUDIO_DIR": str(REPO / "audio")}
    with _Server(installed, cwd, env) as server:
        status, page, kind = _get(server.base + "/")
        assert status == 200 and kind.startswith("text/html") and b"<html" in page
        status, locales, _ = _get(server.base + "/api/locales")  # the page's labels
        assert status == 200 and {"sv-SE", "en-US"} <= set(json.loads(locales)["labels"])
        sv = _post_json(server.base + "/api/start", {"locale": "sv-SE"}, server.base)
        assert sv["intent"] == "LaunchRequest" and sv["session_open"] is True
        status, legal, _ = _get(server.base + "/legal/sv-SE/privacy.html")
        assert status == 200 and "Integritetspolicy" in legal.decode()
        en = _post_json(server.base + "/api/start", {"locale": "en-US"}, server.base)
        assert "Welcome to Heel Spur Coach" in en["text"]
        clip = _first_clip(sv)  # the Swedish welcome is a clip from the wheel's manifest
        path = clip[clip.index("/audio/"):] if "/audio/" in clip else clip
        status, body, kind = _get(server.base + path)
        if with_clips:
            assert status == 200 and kind == "audio/mpeg" and len(body) > 1000
        else:
            assert status == 404  # the wheel has manifests, never the clips


def test_package_writes_an_ask_skill_package(installed, elsewhere) -> None:
    cwd, env = elsewhere
    done = _run(installed, ["package", "--endpoint", "https://clinic.example/alexa"], cwd, env)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((cwd / "skill-package" / "skill.json").read_text())["manifest"]
    assert manifest["apis"]["custom"]["endpoint"]["uri"] == "https://clinic.example/alexa"
    models = cwd / "skill-package" / "interactionModels" / "custom"
    assert sorted(p.name for p in models.iterdir()) == ["en-GB.json", "en-US.json"]
    model = json.loads((models / "en-US.json").read_text())
    assert model["interactionModel"]["languageModel"]["invocationName"]
    assert os.path.getsize(models / "en-GB.json") > 1000
    resources = json.loads((cwd / "ask-resources.json").read_text())
    assert resources["profiles"]["default"]["skillMetadata"]["src"] == "./skill-package"
    icons = sorted(p.name for p in (cwd / "skill-package" / "assets" / "images").iterdir())
    assert icons == [f"{loc}_{kind}IconUri.png" for loc in ("en-GB", "en-US")
                     for kind in ("large", "small")]
