"""`halsporre package` writes an ASK CLI skill package."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from skill.cli import main
from skill.tools.package import REMINDERS_PERMISSION, write_skill_package

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:halsporre"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_package_has_manifest_and_alexa_locales_only(tmp_path) -> None:
    config = tmp_path / "deploy.yaml"
    config.write_text(f"endpoint: {ARN}\nlegal_base_url: https://d111.cloudfront.net/\n")
    assert main(["package", "--out", str(tmp_path / "pkg"), "--config", str(config)]) == 0
    manifest = json.loads((tmp_path / "pkg" / "skill.json").read_text())["manifest"]
    assert manifest["apis"]["custom"]["endpoint"] == {"uri": ARN}
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
    assert privacy["locales"]["en-GB"] == {
        "privacyPolicyUrl": "https://d111.cloudfront.net/legal/en-GB/privacy.html",
        "termsOfUseUrl": "https://d111.cloudfront.net/legal/en-GB/terms.html"}


def test_icons_per_locale_at_108_and_512_px(tmp_path) -> None:
    out = write_skill_package(tmp_path / "skill-package", endpoint="https://c.example/alexa")
    locales = json.loads((out / "skill.json").read_text())["manifest"][
        "publishingInformation"]["locales"]
    for locale, info in locales.items():
        for field, size in (("smallIconUri", 108), ("largeIconUri", 512)):
            uri = info[field]
            assert uri == f"file://assets/images/{locale}_{field}.png"
            assert png_size(out / uri.removeprefix("file://")) == (size, size)


def test_legal_urls_follow_the_endpoints_host(tmp_path) -> None:
    out = write_skill_package(tmp_path / "pkg", endpoint="https://rehab.example.se:8443/alexa")
    urls = json.loads((out / "skill.json").read_text())["manifest"][
        "privacyAndCompliance"]["locales"]["en-US"]
    assert urls == {"privacyPolicyUrl": "https://rehab.example.se:8443/legal/en-US/privacy.html",
                    "termsOfUseUrl": "https://rehab.example.se:8443/legal/en-US/terms.html"}
    config = tmp_path / "deploy.yaml"
    config.write_text("privacy_policy_url: https://www.example.se/integritet\n")
    out = write_skill_package(tmp_path / "pkg", config_path=config)
    urls = json.loads((out / "skill.json").read_text())["manifest"][
        "privacyAndCompliance"]["locales"]["en-GB"]
    assert urls["privacyPolicyUrl"] == "https://www.example.se/integritet"
    assert urls["termsOfUseUrl"].endswith("/legal/en-GB/terms.html")


def test_a_lambda_endpoint_needs_a_home_for_the_legal_pages(tmp_path) -> None:
    with pytest.raises(ValueError, match="legal_base_url"):
        write_skill_package(tmp_path / "pkg", endpoint=ARN)
    with pytest.raises(ValueError, match="HTTPS"):
        write_skill_package(tmp_path / "pkg", endpoint=ARN, legal_base_url="http://plain.example")


def test_ask_resources_point_ask_deploy_at_the_package(tmp_path) -> None:
    resources = tmp_path / "ask-resources.json"
    resources.write_text(json.dumps({"askcliResourcesVersion": "2020-03-31", "profiles": {
        "default": {"skillMetadata": {"src": "./old"}, "code": {"default": {"src": "./x"}}},
        "clinic": {"skillMetadata": {"src": "./other"}}}}))
    write_skill_package(tmp_path / "skill-package", endpoint="https://c.example/alexa")
    data = json.loads(resources.read_text())
    assert data["profiles"]["default"]["skillMetadata"] == {"src": "./skill-package"}
    assert data["profiles"]["default"]["code"] == {"default": {"src": "./x"}}  # kept
    assert data["profiles"]["clinic"]["skillMetadata"] == {"src": "./other"}
    fresh = tmp_path / "new"
    fresh.mkdir()
    write_skill_package(fresh / "pkg", endpoint="https://c.example/alexa")
    assert json.loads((fresh / "ask-resources.json").read_text()) == {
        "askcliResourcesVersion": "2020-03-31",
        "profiles": {"default": {"skillMetadata": {"src": "./pkg"}}}}


def test_package_can_write_the_legal_pages_as_static_files(tmp_path) -> None:
    site = tmp_path / "site"
    assert main(["package", "--out", str(tmp_path / "pkg"), "--endpoint", ARN,
                 "--legal-base-url", "https://d111.cloudfront.net",
                 "--legal-out", str(site)]) == 0
    page = (site / "legal" / "en-GB" / "privacy.html").read_text()
    assert "<h1>Privacy policy</h1>" in page and "08-123 264 44" in page
    assert "<h1>Användarvillkor</h1>" in (site / "legal" / "sv-SE" / "terms.html").read_text()


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


def test_bad_settings_are_a_clear_error_not_a_traceback(tmp_path, capsys) -> None:
    (tmp_path / "ask-resources.json").write_text("{not json")
    assert main(["package", "--out", str(tmp_path / "skill-package"),
                 "--endpoint", "https://c.example/alexa"]) == 2
    assert "ask-resources.json is not valid JSON" in capsys.readouterr().err
    assert main(["package", "--out", str(tmp_path / "p2"), "--endpoint", ARN]) == 2
    assert "legal_base_url" in capsys.readouterr().err
