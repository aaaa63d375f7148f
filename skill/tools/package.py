"""Write an ASK CLI project: ``skill-package/`` and ``ask-resources.json`` beside it.

``skill-package/skill.json`` gets the manifest (store texts from the content files,
endpoint, permissions, events, icons, privacy and compliance); ``interactionModels/custom/``
gets a model for every locale Alexa accepts; ``assets/images/`` the 108 and 512 px icons
per locale. Swedish is left out: Alexa has no Swedish skill locale (see the README).

The privacy policy and terms URLs point to the pages of :mod:`skill.frontends.legal`: on
the endpoint's host for a webservice, under ``legal_base_url`` for a Lambda endpoint
(where ``--legal-out`` writes the same pages as static files to upload), or wherever
``privacy_policy_url`` / ``terms_of_use_url`` say.

The package is generated, not committed: the endpoint, the URLs and the countries belong
to each clinic's deployment, and the models and words come from the installed package.
``ask-resources.json`` is merged into an existing one (only ``skillMetadata.src`` of the
profile is set), so a clinic's own profiles survive a re-run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from skill.content import load_content
from skill.core.locales import ALEXA_LOCALES
from skill.frontends.legal import page_path
from skill.resources import models_dir

REMINDERS_PERMISSION = "alexa::alerts:reminders:skill:readwrite"
ASK_RESOURCES = "ask-resources.json"
ASK_RESOURCES_VERSION = "2020-03-31"
ICONS_DIR = Path(__file__).resolve().parent / "icons"
#: skill.json icon field -> the committed PNG (Alexa asks for 108 and 512 px).
ICONS = {"smallIconUri": "icon-108.png", "largeIconUri": "icon-512.png"}

DEFAULTS: dict[str, Any] = {
    "endpoint": "https://halsporre.example-clinic.se/alexa",
    "ssl_certificate_type": "Trusted",
    "distribution_countries": ["SE", "US", "GB"],
    "legal_base_url": None,
    "privacy_policy_url": None,
    "terms_of_use_url": None,
    "testing_instructions": "Say 'Alexa, open heel spur coach', then 'what causes it'.",
}


def load_config(config_path: str | Path | None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    if config_path:
        loaded = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{config_path}: expected a mapping")
        unknown = set(loaded) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"{config_path}: unknown settings {sorted(unknown)}")
        config.update(loaded)
    return config


def _endpoint(uri: str, ssl_type: str) -> dict[str, str]:
    if uri.startswith("arn:aws:lambda:"):
        return {"uri": uri}
    if not uri.startswith("https://"):
        raise ValueError("the endpoint must be an HTTPS URL or a Lambda ARN")
    return {"uri": uri, "sslCertificateType": ssl_type}


def legal_urls(config: dict[str, Any], locale: str) -> dict[str, str]:
    """The privacy and terms URLs of ``locale``: given, under ``legal_base_url``, or on the
    HTTPS endpoint's host."""
    base = config.get("legal_base_url")
    if not base and str(config["endpoint"]).startswith("https://"):
        parts = urlsplit(config["endpoint"])
        base = f"https://{parts.netloc}"
    urls = {}
    for field, page in (("privacyPolicyUrl", "privacy"), ("termsOfUseUrl", "terms")):
        given = config.get("privacy_policy_url" if page == "privacy" else "terms_of_use_url")
        if given:
            urls[field] = given
        elif base:
            urls[field] = str(base).rstrip("/") + page_path(locale, page)
        else:
            raise ValueError("a Lambda endpoint has no web host for the privacy and terms "
                             "pages: set legal_base_url (e.g. the stack's SiteUrl, with "
                             "the pages of --legal-out uploaded there) or the two URLs")
        if not urls[field].startswith("https://"):
            raise ValueError(f"{field} must be an HTTPS URL, not {urls[field]!r}")
    return urls


def _icon_path(locale: str, field: str) -> str:
    return f"assets/images/{locale}_{field}.png"


def manifest(config: dict[str, Any]) -> dict[str, Any]:
    """The skill manifest (skill.json) for the Alexa locales."""
    endpoint = _endpoint(config["endpoint"], config["ssl_certificate_type"])
    locales = sorted(ALEXA_LOCALES)
    publishing: dict[str, Any] = {}
    privacy: dict[str, Any] = {}
    for locale in locales:
        content = load_content(locale)
        publishing[locale] = {
            "name": content.text("skill.name"),
            "summary": content.text("skill.summary"),
            "description": content.text("skill.description"),
            "examplePhrases": [p.strip() for p in content.text("skill.example_phrases")
                               .split("|")][:3],
            "keywords": ["heel spur", "plantar fasciitis", "stretching", "physiotherapy"],
            **{field: "file://" + _icon_path(locale, field) for field in ICONS},
        }
        privacy[locale] = legal_urls(config, locale)
    return {"manifest": {
        "manifestVersion": "1.0",
        "publishingInformation": {
            "locales": publishing,
            "isAvailableWorldwide": False,
            "distributionCountries": list(config["distribution_countries"]),
            "testingInstructions": config["testing_instructions"],
            "category": "HEALTH_AND_FITNESS",
        },
        "apis": {"custom": {"endpoint": endpoint, "interfaces": []}},
        "permissions": [{"name": REMINDERS_PERMISSION}],
        "events": {
            "endpoint": endpoint,
            "subscriptions": [{"eventName": "SKILL_DISABLED"}],
        },
        "privacyAndCompliance": {
            "allowsPurchases": False,
            "usesPersonalInfo": False,
            "isChildDirected": False,
            "isExportCompliant": True,
            "containsAds": False,
            "usesHealthInfo": False,
            "locales": privacy,
        },
    }}


def write_ask_resources(package: Path, profile: str = "default") -> Path:
    """``ask-resources.json`` beside ``package``, pointing ``ask deploy`` at it."""
    path = package.parent / ASK_RESOURCES
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object")
    data.setdefault("askcliResourcesVersion", ASK_RESOURCES_VERSION)
    entry = data.setdefault("profiles", {}).setdefault(profile, {})
    entry.setdefault("skillMetadata", {})["src"] = f"./{package.name}"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def write_skill_package(out: str | Path, endpoint: str | None = None,
                        config_path: str | Path | None = None,
                        legal_base_url: str | None = None) -> Path:
    """Write the package folder (and ``ask-resources.json`` beside it); return its path."""
    config = load_config(config_path)
    if endpoint:
        config["endpoint"] = endpoint
    if legal_base_url:
        config["legal_base_url"] = legal_base_url
    out = Path(out).resolve()
    models_out = out / "interactionModels" / "custom"
    if models_out.exists():
        shutil.rmtree(models_out)
    models_out.mkdir(parents=True, exist_ok=True)
    (out / "skill.json").write_text(
        json.dumps(manifest(config), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for locale in sorted(ALEXA_LOCALES):
        shutil.copyfile(models_dir() / f"{locale}.json", models_out / f"{locale}.json")
        for field, icon in ICONS.items():
            target = out / _icon_path(locale, field)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ICONS_DIR / icon, target)
    write_ask_resources(out)
    return out
