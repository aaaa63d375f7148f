"""`halsporre package` writes an ASK CLI skill package."""

from __future__ import annotations

import json

import pytest

from skill.cli import main
from skill.tools.package import REMINDERS_PERMISSION, write_skill_package


def test_package_has_manifest_and_alexa_locales_only(tmp_path) -> None:
    config = tmp_path / "deploy.yaml"
    config.write_text("endpoint: arn:aws:lambda:eu-west-1:123456789012:function:halsporre\n")
    assert main(["package", "--out", str(tmp_path / "pkg"), "--config", str(config)]) == 0
    manifest = json.loads((tmp_path / "pkg" / "skill.json").read_text())["manifest"]
    assert manifest["apis"]["custom"]["endpoint"] == {
        "uri": "arn:aws:lambda:eu-west-1:123456789012:function:halsporre"}
    assert {"name": REMINDERS_PERMISSION} in manifest["permissions"]
    assert manifest["events"]["subscriptions"] == [{"eventName": "SKILL_DISABLED"}]
    info = manifest["publishingInformation"]
    assert info["category"] == "HEALTH_AND_FITNESS"
    assert set(info["locales"]) == {"en-US", "en-GB"}
    for locale in info["locales"].values():
        assert "not a substitute for professional medical advice" in locale["description"]
        assert locale["examplePhrases"][0].startswith("Alexa, open")
    models = sorted(p.name for p in (tmp_path / "pkg" / "interactionModels" / "custom").iterdir())
    assert models == ["en-GB.json", "en-US.json"]
    privacy = manifest["privacyAndCompliance"]
    assert set(privacy["locales"]) == {"en-US", "en-GB"} and privacy["isChildDirected"] is False


def test_http_endpoints_must_be_https(tmp_path) -> None:
    with pytest.raises(ValueError, match="HTTPS"):
        write_skill_package(tmp_path / "pkg", endpoint="http://insecure.example/alexa")
    out = write_skill_package(tmp_path / "pkg", endpoint="https://clinic.example/alexa")
    endpoint = json.loads((out / "skill.json").read_text())["manifest"]["apis"]["custom"]
    assert endpoint["endpoint"]["sslCertificateType"] == "Trusted"


def test_unknown_config_keys_are_refused(tmp_path) -> None:
    config = tmp_path / "deploy.yaml"
    config.write_text("endpont: https://typo.example\n")
    with pytest.raises(ValueError, match="unknown settings"):
        write_skill_package(tmp_path / "pkg", config_path=config)
