"""Write an ASK CLI skill package from ``interaction_models/`` and a small deploy config.

``skill-package/skill.json`` gets the manifest (store texts from the content files,
endpoint, permissions, events, privacy and compliance); ``interactionModels/custom/``
gets a model for every locale Alexa accepts. Swedish is left out: Alexa has no Swedish
skill locale (see the README).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from skill.content import load_content
from skill.core.locales import ALEXA_LOCALES
from skill.resources import models_dir

REMINDERS_PERMISSION = "alexa::alerts:reminders:skill:readwrite"

DEFAULTS: dict[str, Any] = {
    "endpoint": "https://halsporre.example-clinic.se/alexa",
    "ssl_certificate_type": "Trusted",
    "distribution_countries": ["SE", "US", "GB"],
    "privacy_policy_url": "https://halsporre.example-clinic.se/privacy",
    "terms_of_use_url": "https://halsporre.example-clinic.se/terms",
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


def manifest(config: dict[str, Any]) -> dict[str, Any]:
    """The skill manifest (skill.json) for the Alexa locales."""
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
        }
        privacy[locale] = {
            "privacyPolicyUrl": config["privacy_policy_url"],
            "termsOfUseUrl": config["terms_of_use_url"],
        }
    endpoint = _endpoint(config["endpoint"], config["ssl_certificate_type"])
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


def write_skill_package(out: str | Path, endpoint: str | None = None,
                        config_path: str | Path | None = None) -> Path:
    """Write the package folder and return its path."""
    config = load_config(config_path)
    if endpoint:
        config["endpoint"] = endpoint
    out = Path(out)
    models_out = out / "interactionModels" / "custom"
    if models_out.exists():
        shutil.rmtree(models_out)
    models_out.mkdir(parents=True, exist_ok=True)
    (out / "skill.json").write_text(
        json.dumps(manifest(config), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for locale in sorted(ALEXA_LOCALES):
        shutil.copyfile(models_dir() / f"{locale}.json", models_out / f"{locale}.json")
    return out
