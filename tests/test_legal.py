"""The privacy and terms pages the skill's store listing points to (skill.frontends.legal)."""

from __future__ import annotations

import html
import logging
import shutil

import pytest

from skill.alexa.builder import build_skill
from skill.config import Settings
from skill.content import load_content
from skill.core.locales import SUPPORTED_LOCALES
from skill.frontends.legal import PAGES, clinic_facts, page_path
from skill.frontends.web import create_app
from skill.resources import legal_dir


@pytest.fixture
def client():
    app = create_app(build_skill(Settings(persistence="none")), verify=True)
    return app.test_client()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_every_locale(client, locale, page) -> None:
    resp = client.get(page_path(locale, page))
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert f'<html lang="{locale[:2]}">' in html
    assert "08-123 264 44" in html and "Rehab Öppenvård, Norrtälje" in html
    assert "{{" not in html and "{%" not in html


def test_words_follow_the_locale(client) -> None:
    sv = client.get("/legal/sv-SE/privacy.html").get_data(as_text=True)
    assert "Integritetspolicy" in sv and "glöm mina uppgifter" in sv
    gb = client.get("/legal/en-GB/terms.html").get_data(as_text=True)
    assert "Terms of use" in gb and "Heel Spur Coach" in gb
    disclaimer = " ".join(load_content("en-GB").text("disclaimer").split())
    assert disclaimer in " ".join(html.unescape(gb).split())  # the skill's own words


@pytest.mark.parametrize("path", ["/legal/xx-XX/privacy.html", "/legal/en-US/cookies.html",
                                  "/legal/sv-SE/base.html", "/legal/en-US/clinic.html"])
def test_unknown_pages_are_404_with_a_log_line(client, path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="skill.frontends.legal"):
        assert client.get(path).status_code == 404
    assert [r for r in caplog.records if "no page" in r.getMessage()]
    assert client.get("/legal/en-US/../../etc/passwd").status_code == 404


def test_the_clinic_fills_in_its_own_copy(tmp_path, monkeypatch, caplog) -> None:
    own = tmp_path / "legal"
    shutil.copytree(legal_dir(), own)
    (own / "clinic.yaml").write_text(
        'organisation: "Region <Test> & Co"\ncontact_email: "dpo@example.se"\n'
        'address: "Box 1, 761 00 Norrtälje"\nupdated: "2026-12-01"\n', encoding="utf-8")
    monkeypatch.setenv("HALSPORRE_LEGAL_DIR", str(own))
    with caplog.at_level(logging.WARNING, logger="skill.frontends.legal"):
        app = create_app(build_skill(Settings(persistence="none")), verify=True)
    assert not [r for r in caplog.records if "placeholders" in r.getMessage()]
    html = app.test_client().get("/legal/en-US/privacy.html").get_data(as_text=True)
    assert "dpo@example.se" in html and "2026-12-01" in html
    assert "Region &lt;Test&gt; &amp; Co" in html and "<Test>" not in html  # escaped


def test_the_templates_placeholders_are_logged_until_filled(caplog) -> None:
    assert all(v.startswith("[") for v in clinic_facts(legal_dir()).values())
    with caplog.at_level(logging.WARNING, logger="skill.frontends.legal"):
        create_app(build_skill(Settings(persistence="none")), verify=True)
    (record,) = [r for r in caplog.records if "placeholders" in r.getMessage()]
    assert "contact_email" in record.getMessage()


def test_a_clinic_file_without_a_fact_is_refused(tmp_path) -> None:
    own = tmp_path / "legal"
    shutil.copytree(legal_dir(), own)
    (own / "clinic.yaml").write_text('organisation: "X"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="contact_email"):
        clinic_facts(own)
