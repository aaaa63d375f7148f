"""The AWS Lambda entry point runs the same Skill."""

from __future__ import annotations

import json
import subprocess
import sys

from skill.alexa.envelopes import LocalDevice


def test_lambda_handler_answers_in_a_fresh_process(tmp_path) -> None:
    envelope = LocalDevice(locale="en-US").intent("PrognosisIntent")
    code = (
        "import json, sys\n"
        "from skill.frontends.lambda_function import handler\n"
        "print(json.dumps(handler(json.load(sys.stdin), None)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(envelope), capture_output=True,
        text=True, timeout=60, check=True,
        env={"HALSPORRE_DB_PATH": str(tmp_path / "p.sqlite3"), "PATH": "/usr/bin:/bin"},
    )
    response = json.loads(done.stdout.strip().splitlines()[-1])
    assert "six to nine months" in response["response"]["outputSpeech"]["ssml"]
    assert response["response"]["shouldEndSession"] is False


def test_lambda_handler_in_process() -> None:
    from skill.frontends.lambda_function import handler

    device = LocalDevice(locale="sv-SE")
    launch = handler(device.launch(), None)
    assert launch["response"]["shouldEndSession"] is False
    device.absorb(launch)
    clinic = handler(device.intent("ClinicIntent"), None)
    assert clinic["response"]["card"]["title"] == "Rehab Öppenvård, Norrtälje"
