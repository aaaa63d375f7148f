"""The words of the skill: complete, faithful to the leaflet, and fit to be spoken.

The leaflet (docs/leaflet/halsporre.txt, a copy of ../shared/leaflet) is the only source
of medical content. ``skill/content/leaflet_map.yaml`` maps each of its statements to the
content key that speaks it and to the phrases that must carry it in every locale.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from skill.content import (
    COMPILED,
    CONTENT_DIR,
    compile_locale_dir,
    load_content,
    placeholders,
    validate_all,
)
from skill.core.locales import SUPPORTED_LOCALES

REPO = Path(__file__).resolve().parents[1]
#: The clinic's leaflet as committed with the skill; the shared original sits beside the repo.
SHARED_LEAFLET = REPO.parent / "shared" / "leaflet" / "halsporre.txt"
LEAFLET_PATH = Path(
    os.environ.get("HALSPORRE_LEAFLET", str(REPO / "docs" / "leaflet" / "halsporre.txt"))
)
MAP_PATH = CONTENT_DIR / "leaflet_map.yaml"

SECTION_IDS = ("symptoms", "causes", "prognosis", "treatment", "exercises", "seek_care")

REQUIRED_KEYS = (
    "skill.name", "skill.summary", "skill.description", "skill.example_phrases",
    "disclaimer",
    "welcome.first", "welcome.back", "welcome.reprompt",
    "menu.prompt", "menu.reprompt",
    "help.menu", "help.info", "help.clinic", "help.reprompt",
    "goodbye", "fallback.general", "fallback.reprompt", "error.general", "repeat.nothing",
    *(f"info.sections.{s}.{part}" for s in SECTION_IDS for part in ("title", "body")),
    "info.next_offer", "info.booking_offer", "info.last_offer", "info.at_first",
    "info.reprompt", "clinic.phone", "clinic.phone_international", "clinic.speech",
    "clinic.booking", "clinic.repeat_offer", "clinic.number_again", "clinic.card_title",
    "clinic.card_text", "clinic.card_web", "clinic.card_web_link",
    "cue.hold_start", "cue.hold_end",
)

#: The only placeholders the core keys may (and must) use, per language where they differ:
#: English cards add the number in international form.
PLACEHOLDERS = {
    "clinic.speech": {"phone"},
    "clinic.number_again": {"phone"},
    "clinic.card_text": {"phone"},
    "clinic.card_web_link": {"url"},
    "info.next_offer": {"title"},
}
PLACEHOLDERS_EN = {**PLACEHOLDERS, "clinic.card_text": {"phone", "phone_international"}}
PHONE_INTERNATIONAL = "+46 8 123 264 44"

PHONE = "08-123 264 44"
BODY_KEYS = tuple(f"info.sections.{s}.body" for s in SECTION_IDS)
MUST_BE_COVERED = (*BODY_KEYS, "clinic.speech", "clinic.booking")
PROPER_NAMES = ("Öppenvård", "Norrtälje", "Hälsporre")

NUMBER_WORDS = {
    "sv": "två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton "
    "sjutton arton nitton tjugo trettio fyrtio femtio sextio sjuttio åttio nittio hundra "
    "tusen dussin",
    "en": "two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand dozen twice",
}
#: Data rather than sentences: numbers in any language.
NOT_PROSE = {"clinic.phone", "clinic.phone_international"}
SWEDISH_MARKERS = {"och", "att", "är", "du", "det", "vill", "inte", "jag", "som", "på", "med"}
ENGLISH_MARKERS = {"the", "and", "you", "would", "what", "is", "to", "of", "with"}


def core_keys(locale: str) -> set[str]:
    """Keys written in this module's files (other files have tests of their own)."""
    base = "en-US" if locale == "en-GB" else locale
    flat = load_content(base).strings
    tree = yaml.safe_load((CONTENT_DIR / base / "core.yaml").read_text(encoding="utf-8"))
    keys: set[str] = set()

    def walk(node: dict, prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                keys.add(f"{prefix}{k}")

    walk(tree, "")
    assert keys <= set(flat)
    return keys


def lang(locale: str) -> str:
    return locale.split("-")[0]


def norm(text: str) -> str:
    """Undo the PDF text's line breaks: join hyphenated line ends, collapse whitespace."""
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


@pytest.fixture(scope="module")
def leaflet() -> str:
    assert LEAFLET_PATH.is_file(), f"the leaflet is missing at {LEAFLET_PATH}"
    return norm(LEAFLET_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def statements() -> list[dict]:
    data = yaml.safe_load(MAP_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, "leaflet_map.yaml must be a non-empty list"
    return data


def spoken(locale: str, key: str) -> str:
    return norm(load_content(locale).text(key)).lower()


# --- loading and keys -------------------------------------------------------------------


def test_validate_all_passes():
    validate_all()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_locale_loads_with_every_required_key(locale):
    content = load_content(locale)
    missing = [k for k in REQUIRED_KEYS if not content.has(k)]
    assert not missing, f"{locale} lacks {missing}"
    empty = [k for k in REQUIRED_KEYS if not content.text(k).strip()]
    assert not empty, f"{locale} has empty {empty}"


@pytest.mark.parametrize("locale", ("sv-SE", "en-US", "en-GB"))
def test_core_files_exist_and_are_mappings(locale):
    tree = yaml.safe_load((CONTENT_DIR / locale / "core.yaml").read_text(encoding="utf-8"))
    assert isinstance(tree, dict)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_are_only_the_allowed_ones(locale):
    content = load_content(locale)
    for key in REQUIRED_KEYS:
        allowed = PLACEHOLDERS_EN if lang(locale) == "en" else PLACEHOLDERS
        assert placeholders(content.text(key)) == allowed.get(key, set()), (locale, key)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_fill_in(locale):
    content = load_content(locale)
    assert "Rehab" in content.text("clinic.speech", phone=PHONE)
    assert content.text("info.next_offer", title="x").count("x") >= 1


def test_clinic_phone_is_the_same_data_everywhere():
    assert {load_content(loc).text("clinic.phone") for loc in SUPPORTED_LOCALES} == {PHONE}
    assert {load_content(loc).text("clinic.phone_international")
            for loc in SUPPORTED_LOCALES} == {PHONE_INTERNATIONAL}


def test_international_form_is_the_same_number():
    """+46, the area code without its trunk 0, then the same digits."""
    national = re.sub(r"\D", "", PHONE)
    assert re.sub(r"\D", "", PHONE_INTERNATIONAL) == "46" + national.removeprefix("0")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_phone_digits_only_in_clinic_phone(locale):
    content = load_content(locale)
    digits = re.sub(r"\D", "", PHONE)
    for key, text in content.strings.items():
        if key not in ("clinic.phone", "clinic.phone_international"):
            assert digits not in re.sub(r"\D", "", text), f"{locale}:{key} spells the number"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_example_phrases(locale):
    phrases = [p.strip() for p in load_content(locale).text("skill.example_phrases").split("|")]
    assert len(phrases) == 3
    # Swedish writes the compound as one word (the sv-SE model's invocation name keeps
    # Alexa's two-word form, which sounds the same).
    invocation = "hälsporrecoachen" if lang(locale) == "sv" else "heel spur coach"
    assert all(p.startswith("Alexa, ") and invocation in p for p in phrases)
    assert phrases[0] == f"Alexa, {'öppna' if lang(locale) == 'sv' else 'open'} {invocation}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_card_text_keeps_its_lines_and_addresses(locale):
    content = load_content(locale)
    card = content.text("clinic.card_text")
    lines = card.splitlines()
    assert len(lines) >= 2
    assert "{phone}" in lines[0]
    assert ("{phone_international}" in lines[0]) == (lang(locale) == "en")
    for must in ("Rehab Öppenvård", "Norrtälje"):
        assert must in card, (locale, must)
    for key in ("clinic.card_web", "clinic.card_web_link"):
        web = content.text(key)
        assert "1177.se" in web and "Tiohundra" in web, (locale, key)
    assert "{url}" in content.text("clinic.card_web_link")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_leaflets_broken_address_is_never_shown(locale):
    """The leaflet's "www.tiohundra/rehabilitering" has no top-level domain: the booking
    page is a deployment setting instead (HALSPORRE_BOOKING_URL)."""
    for key, text in load_content(locale).strings.items():
        assert "www." not in text and "tiohundra/" not in text.lower(), (locale, key)


# --- leaflet fidelity -------------------------------------------------------------------


def test_statements_are_well_formed(statements):
    ids = [s["id"] for s in statements]
    assert len(ids) == len(set(ids)), "duplicate statement ids"
    for s in statements:
        assert set(s) == {"id", "leaflet", "key", "facts"}, s.get("id")
        assert set(s["facts"]) == set(SUPPORTED_LOCALES), s["id"]
        for locale, facts in s["facts"].items():
            assert facts and all(f == f.lower() for f in facts), (s["id"], locale)


def test_every_quote_is_in_the_leaflet(leaflet, statements):
    for s in statements:
        assert norm(s["leaflet"]) in leaflet, f"{s['id']}: not a quote from the leaflet"


def test_every_fact_is_spoken_in_every_locale(statements):
    for s in statements:
        for locale in SUPPORTED_LOCALES:
            assert load_content(locale).has(s["key"]), (s["id"], locale, s["key"])
            text = spoken(locale, s["key"])
            for fact in s["facts"][locale]:
                assert norm(fact) in text, f"{s['id']} {locale}:{s['key']} lacks {fact!r}"


def test_every_medical_key_is_backed_by_the_leaflet(statements):
    mapped = {s["key"] for s in statements}
    assert not set(MUST_BE_COVERED) - mapped


def test_every_leaflet_statement_is_mapped(leaflet, statements):
    """What remains of the leaflet after removing every quote is headings and glue."""
    rest = leaflet
    for s in sorted(statements, key=lambda s: -len(norm(s["leaflet"]))):
        rest = rest.replace(norm(s["leaflet"]), " ")
    # headings, the rest of the column-laid captions (carried by the exercise facts)
    # and the trailing repeat of the web address are not statements of their own
    ignored = (
        "HÄLSPORRE", "Symtom", "Skademekanism", "Prognos", "Behandling/åtgärd",
        "sträck knät på det", "och sträck ut fotsulan", "med lätt böjt knä", "bakre benet.",
        "http://www.tiohundra/rehabilitering", "utan", "eller",
    )
    for fragment in ignored:
        rest = rest.replace(fragment, " ")
    assert not re.findall(r"\w+", rest), f"unmapped leaflet text: {' '.join(rest.split())!r}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_quantities_beyond_the_leaflet(locale, statements):
    """A number in a medical body must belong to a mapped fact ("six weeks" would fail)."""
    number_words = NUMBER_WORDS[lang(locale)].split()
    pattern = re.compile(r"\d|(?<!\w)(" + "|".join(number_words) + r")(?!\w)")
    for key in BODY_KEYS:
        text = spoken(locale, key)
        for s in statements:
            if s["key"] == key:
                for fact in s["facts"][locale]:
                    text = text.replace(norm(fact), " ")
        found = pattern.search(text)
        assert not found, f"{locale}:{key}: quantity {found.group(0)!r} not in the leaflet"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_bodies_have_no_more_sentences_than_statements(locale, statements):
    for key in BODY_KEYS:
        sentences = [x for x in re.split(r"(?<=[.!?])\s+", spoken(locale, key)) if x]
        count = sum(1 for s in statements if s["key"] == key)
        assert len(sentences) <= count + 1, f"{locale}:{key}: {len(sentences)} sentences"


# --- spoken-prompt rules ----------------------------------------------------------------

QUESTION_KEYS = (
    "welcome.first", "welcome.back", "welcome.reprompt",
    "help.menu", "help.info", "help.clinic", "help.reprompt",
    "fallback.general", "error.general", "repeat.nothing",
)


def expects_answer(key: str) -> bool:
    return key.endswith(("prompt", "offer")) or key in QUESTION_KEYS


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_prompts_end_with_a_question(locale):
    content = load_content(locale)
    keys = [k for k in content.strings if expects_answer(k)]
    assert set(QUESTION_KEYS) <= set(keys)
    for key in keys:
        assert content.text(key).endswith("?"), f"{locale}:{key} must end with a question"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_reprompts_are_short(locale):
    content = load_content(locale)
    for key in core_keys(locale):
        text = content.text(key)
        if key.endswith("reprompt"):
            assert len(text.split()) <= 15, f"{locale}:{key} is too long for a reprompt"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_string_is_too_long(locale):
    for key, text in load_content(locale).strings.items():
        assert len(text) <= 600, f"{locale}:{key} has {len(text)} characters"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_clinic_speech_starts_with_the_number(locale):
    first_words = load_content(locale).text("clinic.speech").split()[:8]
    assert any("{phone}" in w for w in first_words)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_number_is_for_booking(locale):
    """The leaflet's number is for booking a time, and the skill says so with it."""
    speech = spoken(locale, "clinic.speech")
    assert ("boka tid" if lang(locale) == "sv" else "to book an appointment") in speech


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_names_have_a_spoken_form(locale):
    content = load_content(locale)
    written = {content.text(k) for k in content.keys_under("pronounce.names.")
               if k.endswith(".written")}
    assert {"Öppenvård", "Norrtälje", "Tiohundra"} <= written
    for key in content.keys_under("pronounce.names."):
        if key.endswith(".spoken"):
            same = content.text(key) == content.text(key[: -len("spoken")] + "written")
            # Swedish voices say the names as written; English voices get an alias
            assert same == (lang(locale) == "sv"), (locale, key)
            if lang(locale) == "en":
                assert not re.search("[åäöÅÄÖ]", content.text(key)), (locale, key)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_description_carries_the_disclaimer(locale):
    content = load_content(locale)
    disclaimer = norm(content.text("disclaimer"))
    assert disclaimer.count(".") == 2 and disclaimer.endswith("."), "two short sentences"
    assert disclaimer in norm(content.text("skill.description"))
    phrases = ("allmän information från mottagningens broschyr", "ingen bedömning av just dig",
               "kontakta vården") if lang(locale) == "sv" else (
        "general information from the clinic's leaflet",
        "not a substitute for professional medical advice")
    for phrase in phrases:
        assert phrase in disclaimer, (locale, phrase)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_help_carries_the_disclaimer(locale):
    from skill.core.dialogue import DialogueState, Event, decide

    decision = decide(DialogueState(), Event("AMAZON.HelpIntent"))
    assert decision.speech[0].key == "disclaimer"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_sections_are_in_leaflet_order(locale):
    content = load_content(locale)
    sections = [k.split(".")[2] for k in content.keys_under("info.sections.") if
                k.endswith(".body")]
    assert tuple(sections) == SECTION_IDS


# --- language ---------------------------------------------------------------------------


def test_swedish_is_swedish():
    content = load_content("sv-SE")
    assert re.search("[åäö]", " ".join(content.strings.values()))
    for key in core_keys("sv-SE") - NOT_PROSE:
        text = content.text(key)
        found = set(words(text))
        assert not found & ENGLISH_MARKERS, f"sv-SE:{key} has English: {found & ENGLISH_MARKERS}"
        if len(found) >= 5:
            assert found & SWEDISH_MARKERS, f"sv-SE:{key} does not read as Swedish"


@pytest.mark.parametrize("locale", ("en-US", "en-GB"))
def test_english_is_english(locale):
    content = load_content(locale)
    for key, text in content.strings.items():
        plain = text
        for name in PROPER_NAMES:
            plain = plain.replace(name, "")
        assert not re.search("[åäöÅÄÖ]", plain), f"{locale}:{key} has Swedish letters"
    for key in core_keys(locale) - NOT_PROSE:
        text = content.text(key)
        found = set(words(text))
        assert not found & SWEDISH_MARKERS, f"{locale}:{key} has Swedish: {found & SWEDISH_MARKERS}"
        if len(found) >= 5:
            assert found & ENGLISH_MARKERS, f"{locale}:{key} does not read as English"


def test_british_differences():
    us, gb = load_content("en-US"), load_content("en-GB")
    for key in ("info.sections.seek_care.body", "clinic.speech",
                "progress.checkin_not_better", "clinic.card_text"):
        assert "hysiotherapist" in gb.text(key) and "hysical therapist" not in gb.text(key), key
        assert "hysical therapist" in us.text(key) and "hysiotherapist" not in us.text(key), key
    assert "Ring this number" in gb.text("clinic.speech")
    assert "Call this number" in us.text("clinic.speech")
    assert "healthcare provider" in gb.text("disclaimer")
    assert "health care provider" in us.text("disclaimer")


def test_committed_leaflet_is_the_clinics_current_one(leaflet: str) -> None:
    """The project's copy is checked in every clone (it is there, it is text, and every
    mapped statement is in it: see the map tests); it must equal the shared original
    whenever that sits beside the repository (the developers' machines, CI)."""
    assert len(leaflet) > 1000 and "hälsporre" in leaflet.lower()
    if SHARED_LEAFLET.is_file():
        assert LEAFLET_PATH.read_bytes() == SHARED_LEAFLET.read_bytes()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_strings_are_the_yaml_files_of_today(locale: str) -> None:
    """``compiled.json`` is what the YAML parses to, key order included; when this fails,
    run ``python -m skill.content`` (the skill itself would parse the YAML meanwhile)."""
    from skill.content import _parse_yaml, _read_locale_dir, _sources

    sources, _ = _sources(CONTENT_DIR / locale)
    assert list(_read_locale_dir(CONTENT_DIR / locale).items()) == \
        list(_parse_yaml(sources).items())
    assert json.loads((CONTENT_DIR / locale / COMPILED).read_text(encoding="utf-8"))[
        "source_crc32"] == _sources(CONTENT_DIR / locale)[1]


def test_an_edited_yaml_file_wins_over_a_stale_compilation(tmp_path: Path) -> None:
    locale_dir = tmp_path / "en-US"
    shutil.copytree(CONTENT_DIR / "en-US", locale_dir)
    compile_locale_dir(locale_dir)
    core = locale_dir / "core.yaml"
    tree = yaml.safe_load(core.read_text(encoding="utf-8"))
    tree["goodbye"] = "Edited goodbye."
    core.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    assert load_content("en-US", tmp_path).text("goodbye") == "Edited goodbye."
    compile_locale_dir(locale_dir)
    core.unlink()  # the compilation is stale again: the remaining YAML files are read
    assert "goodbye" not in load_content.__wrapped__("en-US", tmp_path).strings


def test_a_compiled_file_is_read_without_pyyaml(tmp_path: Path) -> None:
    code = ("import sys, skill.content as c; c.load_content('sv-SE'); "
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert out.stdout.strip() == "False"
