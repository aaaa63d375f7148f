"""The privacy policy and terms of use pages that the skill's store listing points to.

``GET /legal/<locale>/privacy.html`` and ``GET /legal/<locale>/terms.html`` render the
per-locale templates in ``skill/frontends/legal_templates/`` (or ``HALSPORRE_LEGAL_DIR``,
a copy the clinic filled in) with the clinic's facts from its ``clinic.yaml`` and the
clinic's name and number from the spoken words. en-GB uses the en-US pages. The same
pages can be written as static files (``halsporre package --legal-out``) for a
deployment without a webservice, such as Lambda with the clips bucket.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import jinja2
import yaml
from flask import Blueprint, Response, abort

from skill.content import load_content
from skill.core.locales import INHERITS, SUPPORTED_LOCALES
from skill.resources import legal_dir

log = logging.getLogger(__name__)

PAGES = ("privacy", "terms")
CLINIC_FILE = "clinic.yaml"
CLINIC_KEYS = ("organisation", "contact_email", "address", "updated")


def page_path(locale: str, page: str) -> str:
    """The URL path of one page, e.g. ``/legal/en-US/privacy.html``."""
    return f"/legal/{locale}/{page}.html"


def _template_locale(locale: str, folder: Path) -> str:
    while not (folder / locale).is_dir() and locale in INHERITS:
        locale = INHERITS[locale]
    return locale


def clinic_facts(folder: Path) -> dict[str, str]:
    """The clinic's ``clinic.yaml``: every key of :data:`CLINIC_KEYS`, as text."""
    data = yaml.safe_load((folder / CLINIC_FILE).read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{folder / CLINIC_FILE}: expected a mapping")
    missing = [k for k in CLINIC_KEYS if not str(data.get(k) or "").strip()]
    if missing:
        raise ValueError(f"{folder / CLINIC_FILE}: missing {missing}")
    return {k: str(data[k]).strip() for k in CLINIC_KEYS}


def unfilled(facts: Mapping[str, str]) -> list[str]:
    """The clinic facts still showing the template's ``[placeholder]``."""
    return [k for k, v in facts.items() if v.startswith("[")]


@cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)),
                              autoescape=True, undefined=jinja2.StrictUndefined)


def render_page(locale: str, page: str, folder: Path | None = None) -> str:
    """The HTML of ``page`` (``privacy`` or ``terms``) in ``locale``."""
    if locale not in SUPPORTED_LOCALES or page not in PAGES:
        raise KeyError(f"no legal page {page!r} in {locale!r}")
    folder = (folder or legal_dir()).resolve()
    content = load_content(locale)
    template = _environment(folder).get_template(
        f"{_template_locale(locale, folder)}/{page}.html")
    return template.render(
        lang=locale.split("-")[0], skill_name=content.text("skill.name"),
        clinic_name=content.text("clinic.card_title"), phone=content.text("clinic.phone"),
        disclaimer=content.text("disclaimer"), **clinic_facts(folder))


def write_static(out: Path, folder: Path | None = None) -> list[Path]:
    """Write every page under ``out`` at its URL path; return the files written."""
    written = []
    for locale in SUPPORTED_LOCALES:
        for page in PAGES:
            path = out / page_path(locale, page).lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_page(locale, page, folder), encoding="utf-8")
            written.append(path)
    return written


def create_blueprint(folder: Path | None = None) -> Blueprint:
    """The two pages for every supported locale; unknown ones are a 404 and a log line."""
    folder = folder or legal_dir()
    gaps = unfilled(clinic_facts(folder))
    if gaps:
        log.warning("legal pages: %s still has template placeholders for %s; fill them in "
                    "(HALSPORRE_LEGAL_DIR)", folder / CLINIC_FILE, ", ".join(gaps))
    bp = Blueprint("legal", __name__)

    @bp.get("/legal/<locale>/<page>.html")
    def legal_page(locale: str, page: str) -> Response:
        if locale not in SUPPORTED_LOCALES or page not in PAGES:
            log.info("legal pages: no page %r for locale %r", page[:40], locale[:20])
            abort(404)
        response = Response(render_page(locale, page, folder), mimetype="text/html")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    return bp
