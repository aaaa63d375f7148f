"""The console ways in: `halsporre chat` (typed or piped) and `halsporre invoke`."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from skill.frontends.console import ConsoleSession, run_chat

HALSPORRE = [sys.executable, "-m", "skill.cli"]

SWEDISH = {
    "vad är symtomen": "kraftig smärta under hälen",
    "vad orsakar det": "fettkudde",
    "hur länge tar det att bli bra": "sex till nio månader",
    "hur behandlar man hälsporre": "Kortisonspruta",
    "vilka övningar ska jag göra": "fyra till fem gånger om dagen",
    "när ska jag söka vård": "tre till fyra veckor",
    "vad är numret till kliniken": "08-123 264 44",
}
ENGLISH = {
    "what are the symptoms": "severe pain under the heel",
    "what causes it": "fat pad",
    "how long does it take to get better": "six to nine months",
    "what can I do about it": "cortisone",
    "which exercises should I do": "four to five times a day",
    "when should I see a physio": "three to four weeks",
    "what's the clinic's number": "08-123 264 44",
}


def chat_json(locale: str, lines: list[str]) -> list[dict]:
    out = io.StringIO()
    run_chat(locale=locale, as_json=True, fast=True, speak=False, user="test",
             stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("locale,phrases", [("sv-SE", SWEDISH), ("en-US", ENGLISH)])
def test_every_section_and_the_number_by_natural_phrasing(locale, phrases) -> None:
    turns = chat_json(locale, list(phrases))
    assert turns[0]["intent"] == "LaunchRequest"
    for turn, (utterance, expected) in zip(turns[1:], phrases.items(), strict=False):
        assert turn["utterance"] == utterance
        assert expected.lower() in turn["text"].lower(), (utterance, turn["text"])
        assert set(turn) == {"utterance", "intent", "slots", "request", "response", "text"}
        assert turn["request"]["request"]["locale"] == locale
        assert turn["response"]["response"]["shouldEndSession"] is False


def test_session_state_carries_across_turns_next_and_back() -> None:
    turns = chat_json("sv-SE", ["vad är prognosen", "nästa", "gå tillbaka", "upprepa"])
    assert "sex till nio månader" in turns[1]["text"]
    assert "Kortisonspruta" in turns[2]["text"]
    assert "sex till nio månader" in turns[3]["text"]
    assert turns[4]["text"] == turns[3]["text"]
    assert turns[3]["slots"] == {} and turns[1]["intent"] in ("InfoIntent", "PrognosisIntent")


def test_stop_ends_the_session_and_a_launch_phrase_opens_it_again() -> None:
    session = ConsoleSession("en-US", user="test")
    session.launch()
    assert not session.say("stop").session_open
    reopened = session.say("open heel spur coach")
    assert reopened.intent == "LaunchRequest" and reopened.session_open
    one_shot = ConsoleSession("en-US", user="test")
    turn = one_shot.say("what causes it")
    assert "fat pad" in turn.text and turn.request["session"]["new"] is True


@pytest.mark.slow
def test_chat_command_with_piped_stdin() -> None:
    done = subprocess.run([*HALSPORRE, "chat", "--locale", "en-US", "--fast"],
                          input="what causes it\nstop\n", capture_output=True, text=True,
                          timeout=60, check=True)
    assert "Welcome" in done.stdout and "fat pad" in done.stdout
    assert "> what causes it" in done.stdout


@pytest.mark.slow
def test_invoke_command(tmp_path) -> None:
    from skill.alexa.envelopes import LocalDevice

    envelope = LocalDevice(locale="en-US").intent("ClinicIntent")
    done = subprocess.run([*HALSPORRE, "invoke"], input=json.dumps(envelope),
                          capture_output=True, text=True, timeout=60, check=True)
    response = json.loads(done.stdout)
    assert '<sub alias="0 8, 1 2 3, 2 6 4, 4 4">08-123 264 44</sub>' in \
        response["response"]["outputSpeech"]["ssml"]
    bad = subprocess.run([*HALSPORRE, "invoke"], input="{not json", capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr and bad.stdout == ""
    wrong = subprocess.run([*HALSPORRE, "invoke"], input='{"request": 5}',
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "request" in wrong.stderr
