"""Set-up hygiene and the deployable files: the CLI's help and version, the Makefile's two
installs, the lock file, the Dockerfile and the compose file (no container engine runs
here: tests/test_webpage_gunicorn.py runs the image's entry script itself)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from skill.cli import main, parser

REPO = Path(__file__).resolve().parents[1]


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_version_and_help_with_defaults():
    out = _run_cli("--version")
    assert out.returncode == 0 and re.fullmatch(r"halsporre \d+\.\d+\.\d+\S*\n", out.stdout)
    serve = _run_cli("serve", "-h").stdout
    assert "(default: 127.0.0.1)" in serve and "(default: 5000)" in serve
    chat = " ".join(_run_cli("chat", "-h").stdout.split())
    assert "(default: sv-SE)" in chat and "each run is a new user" in chat


def test_audio_alone_prints_help_and_builds_nothing(tmp_path, capsys):
    assert main(["audio"]) == 0
    out = capsys.readouterr().out
    assert "halsporre audio build" in out and "--engine" in out


def test_each_console_run_is_its_own_user(monkeypatch):
    seen: list[str | None] = []

    def fake_run_chat(**kw):
        seen.append(kw["user"])
        return 0

    monkeypatch.setattr("skill.frontends.console.run_chat", fake_run_chat)
    assert main(["chat", "--locale", "en-US"]) == 0
    assert main(["chat", "--user", "anna"]) == 0
    assert seen == [None, "anna"]
    args = parser().parse_args(["chat"])
    assert args.user is None


def test_console_users_differ_between_runs(tmp_path, monkeypatch):
    import io

    from skill.frontends import console

    users: list[str] = []
    real = console.ConsoleSession.__init__

    def spy(self, locale, user="x", skill=None, **kwargs):
        users.append(user)
        real(self, locale, user=user, skill=skill, **kwargs)

    monkeypatch.setattr(console.ConsoleSession, "__init__", spy)
    for _ in range(2):
        console.run_chat("en-US", as_json=True, fast=True, speak=False, user=None,
                         stdin=io.StringIO(""), stdout=io.StringIO())
    assert len(set(users)) == 2 and all(u.startswith("console-") for u in users)


def test_make_chat_installs_only_the_package():
    make = (REPO / "Makefile").read_text()
    chat_stamp = re.search(r"^\$\(BASE_STAMP\):.*?(?=^\S)", make, re.S | re.M).group(0)
    assert "pip install --quiet -e '.[nlu]'\n" in chat_stamp  # the front ends' NLU only
    assert re.search(r"^chat: \$\(BASE_STAMP\)$", make, re.M)
    assert re.search(r"^test: .*\$\(TEST_STAMP\)", make, re.M)
    assert "-e '.[nlu,test,dynamodb,server]'" in make


def test_server_extra_and_lock_file_cover_the_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    server = project["optional-dependencies"]["server"]
    assert any(d.startswith("gunicorn") for d in server)
    # the web page resolves words with the NLU: the server install brings it
    assert set(project["optional-dependencies"]["nlu"]) <= set(server)
    lock = (REPO / "requirements.lock").read_text()
    pinned = {m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.M)}
    wanted = project["dependencies"] + project["optional-dependencies"]["server"] \
        + project["optional-dependencies"]["dynamodb"]
    for dep in wanted:
        name = re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} is not in requirements.lock (run: make lock)"
    assert "--hash=sha256:" in lock and "file:" not in lock and "/opt/" not in lock


def test_dockerfile_runs_the_tested_entry_script_as_a_non_root_user():
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines()]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert froms and all(re.match(r"FROM python:3\.\d+-slim\b", ln) for ln in froms)
    users = [ln for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    assert any(ln.startswith("HEALTHCHECK") for ln in lines)
    assert "/healthz" in (REPO / "Dockerfile").read_text()
    assert "COPY deploy/container/entrypoint.sh /usr/local/bin/halsporre-entrypoint" in lines
    assert 'ENTRYPOINT ["halsporre-entrypoint"]' in lines
    assert any("--require-hashes -r /tmp/requirements.lock" in ln for ln in lines)
    db = next(ln for ln in lines if "HALSPORRE_DB_PATH=" in ln)
    assert "/data/" in db and 'VOLUME ["/data"]' in lines


def test_compose_has_the_service_its_volume_and_a_tls_proxy():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    service = compose["services"]["halsporre"]
    assert "halsporre-data:/data" in service["volumes"]
    assert "halsporre-data" in compose["volumes"]
    assert service["environment"]["HALSPORRE_PROXIES"] == "1"
    assert "ports" not in service  # only the proxy is published
    caddy = compose["services"]["caddy"]
    assert "443:443" in caddy["ports"]
    caddyfile = (REPO / "deploy" / "container" / "Caddyfile").read_text()
    assert "reverse_proxy halsporre:8000" in caddyfile
