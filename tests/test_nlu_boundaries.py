"""Where skill.nlu may and may not go, and what the Skill does with the new intents."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from skill.alexa.envelopes import LocalDevice, slot_json

LOCALES = ["sv-SE", "en-US", "en-GB"]
NEW_INTENTS = [
    ("GreetingIntent", {}),
    ("ThanksIntent", {}),
    ("MedicalQuestionIntent", {}),
    ("SetLanguageIntent", {"language": ("svenska", "sv", "LanguageType")}),
    ("SetLanguageIntent", {}),
    ("SetSetupTimeIntent", {"length": ("längre", "longer", "LengthType")}),
    ("SetSetupTimeIntent", {"seconds": ("10", None, None)}),
    ("SetSetupTimeIntent", {}),
]


def test_alexa_path_never_imports_the_nlu_or_scikit_learn(tmp_path) -> None:
    envelope = LocalDevice(locale="en-US").intent("GreetingIntent")
    code = (
        "import json, sys\n"
        "from skill.frontends.lambda_function import handler\n"
        "out = handler(json.load(sys.stdin), None)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')\n"
        "                or m.startswith('skill.nlu'))\n"
        "print(json.dumps({'loaded': loaded, 'out': out}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(envelope), capture_output=True,
        text=True, timeout=60, check=True,
        env={"HALSPORRE_DB_PATH": str(tmp_path / "p.sqlite3"), "PATH": "/usr/bin:/bin"},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["out"]["response"]["outputSpeech"]["ssml"]


def test_webservice_worker_loads_the_nlu_only_when_the_page_talks(tmp_path) -> None:
    """A worker answering Alexa never pays for the NLU's libraries (memory, start-up)."""
    code = (
        "import json, sys\n"
        "from skill.alexa.builder import build_skill\n"
        "from skill.config import Settings\n"
        "from skill.frontends.web import create_app\n"
        "from pathlib import Path\n"
        "settings = Settings(db_path=Path(sys.argv[1]), web_secret='a test secret, long enough')\n"
        "app = create_app(build_skill(settings), verify=True, settings=settings)\n"
        "def nlu():\n"
        "    return sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "                  ('sklearn', 'scipy', 'rapidfuzz', 'unicode_rbnf')\n"
        "                  or m.startswith('skill.nlu'))\n"
        "before = nlu()\n"
        "talk = app.test_client().post('/api/start', json={'locale': 'en-US'})\n"
        "print(json.dumps({'before': before, 'after': nlu(), 'status': talk.status_code}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "p.sqlite3")], capture_output=True,
        text=True, timeout=120, check=True,
        env={"PATH": "/usr/bin:/bin", "HALSPORRE_NLU_CACHE": "off"},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == []
    assert result["status"] == 200
    assert "skill.nlu" in result["after"]


def _speech(response: dict) -> str:
    ssml = response["response"]["outputSpeech"]["ssml"]
    return "".join(ET.fromstring(ssml).itertext())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("intent", "slots"), NEW_INTENTS)
def test_new_intents_never_give_an_error(locale: str, intent: str, slots: dict,
                                         tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HALSPORRE_DB_PATH", str(tmp_path / "p.sqlite3"))
    from skill.content import load_content
    from skill.frontends.lambda_function import handler

    sorry = load_content(locale).text("error.general")
    device = LocalDevice(locale=locale)
    device.absorb(handler(device.launch(), None))
    slot_data = {name: slot_json(name, value, sid, value, stype)
                 for name, (value, sid, stype) in slots.items()}
    response = handler(device.intent(intent, slot_data), None)
    assert response["response"]["outputSpeech"]["ssml"]
    assert _speech(response).strip() != sorry
