"""docs/deploy.md's settings table names exactly the variables the code reads, with the
code's defaults; the systemd unit runs what the container's entry script runs."""

from __future__ import annotations

import re
from pathlib import Path

from skill.config import _WEB_ENV, Settings

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "deploy.md"


def table() -> dict[str, str]:
    """variable -> default cell of the settings table."""
    text = DOC.read_text(encoding="utf-8").split("## Settings", 1)[1]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*) \|", text, re.M)
    assert rows, "no settings table in docs/deploy.md"
    return {name: default.strip() for name, default in rows}


def variables_in_code() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "skill").rglob("*.py"):
        found |= set(re.findall(r"""["'](HALSPORRE_[A-Z0-9_]+|AUDIO_BASE_URL)["']""",
                                path.read_text(encoding="utf-8")))
    return found


def test_the_table_names_every_setting_the_code_reads_and_no_other():
    documented, read = set(table()), variables_in_code()
    assert read - documented == set(), "settings the code reads but the table lacks"
    assert documented - read == set(), "settings in the table that the code never reads"
    for must in ("HALSPORRE_LOG_SALT", "HALSPORRE_MODELS_DIR", "HALSPORRE_AUDIO_DIR",
                 "AUDIO_BASE_URL", "HALSPORRE_SKILL_ID", "HALSPORRE_PROXIES"):
        assert must in documented


def test_the_table_gives_the_code_defaults():
    rows, defaults = table(), Settings()
    for attr, name in _WEB_ENV.items():
        value = getattr(defaults, attr)
        shown = ("on" if value else "off") if isinstance(value, bool) else str(value)
        assert f"`{shown}`" in rows[name], (name, rows[name], shown)
    assert f"`{defaults.persistence}`" in rows["HALSPORRE_PERSISTENCE"]
    assert f"`{defaults.dynamodb_table}`" in rows["HALSPORRE_DYNAMODB_TABLE"]
    assert f"`{defaults.default_timezone}`" in rows["HALSPORRE_DEFAULT_TIMEZONE"]
    assert f"`{defaults.log_level}`" in rows["HALSPORRE_LOG_LEVEL"]
    assert rows["HALSPORRE_SKILL_ID"] == rows["AUDIO_BASE_URL"] == "unset"
    conf = (REPO / "skill" / "frontends" / "gunicorn_conf.py").read_text()
    for name in ("HALSPORRE_BIND", "HALSPORRE_WORKERS", "HALSPORRE_TIMEOUT"):
        default = re.search(rf'"{name}", "([^"]+)"', conf).group(1)
        assert f"`{default}`" in rows[name]


def test_systemd_runs_what_the_container_runs():
    unit = (REPO / "deploy" / "systemd" / "halsporre.service").read_text()
    entry = (REPO / "deploy" / "container" / "entrypoint.sh").read_text()
    command = "--config python:skill.frontends.gunicorn_conf"
    assert command in unit and command in entry
    assert "skill.frontends.wsgi:app" in unit and "skill.frontends.wsgi:app" in entry
    assert re.search(r"^User=halsporre$", unit, re.M)
