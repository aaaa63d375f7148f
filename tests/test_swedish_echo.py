"""Swedish on an English Echo (issue 13): a whole visit through the Lambda handler with
en-GB envelopes, the audio folder read-only and no ffmpeg on PATH, and every planned
Swedish answer within Alexa's limits.

Alexa has no Swedish locale, so a Swedish patient's Echo runs an English one; "speak
Swedish" switches the answers to the clips the build made (``audio/sv-SE``).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from skill.content import echo_content, load_content
from skill.core.clips import AUDIO_DIR, ClipLibrary
from skill.core.dialogue import ANSWERS, Event
from skill.core.limits import MAX_AUDIO_TAGS, MAX_REPROMPT_SECONDS, MAX_RESPONSE_SECONDS
from skill.core.parts import Say, parts_key
from skill.core.playback import ClipStep, Silence, build_plan
from skill.core.runs import planned_runs, split, stretch_answers, stretch_turns

MANIFEST = AUDIO_DIR / "sv-SE" / "manifest.json"
BASE = "https://clips.example.org/audio"
DRIVER = Path(__file__).with_name("swedish_visit_driver.py")

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason="no sv-SE clips committed")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _durations(manifest: dict) -> dict[str, int]:
    entries = [*manifest["clips"].values(), *manifest["cues"].values(),
               *manifest["runs"].values()]
    return {e["file"]: int(e["duration_ms"]) for e in entries}


def _read_only_copy(tmp_path: Path) -> Path:
    """The manifest alone (requests never open a clip) in a folder nobody may write."""
    audio = tmp_path / "audio"
    (audio / "sv-SE").mkdir(parents=True)
    shutil.copy(MANIFEST, audio / "sv-SE" / "manifest.json")
    for path in [audio / "sv-SE" / "manifest.json", audio / "sv-SE", audio]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return audio


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def visit(tmp_path_factory, manifest) -> dict:
    tmp = tmp_path_factory.mktemp("visit")
    audio = _read_only_copy(tmp)
    before = _listing(audio)
    no_tools = tmp / "bin"  # PATH with no ffmpeg, ffprobe or anything else
    no_tools.mkdir()
    assert shutil.which("ffmpeg", path=str(no_tools)) is None
    out = tmp / "visit.json"
    env = {"PATH": str(no_tools), "HALSPORRE_AUDIO_DIR": str(audio), "AUDIO_BASE_URL": BASE,
           "HALSPORRE_DB_PATH": str(tmp / "progress.sqlite3"), "HOME": str(tmp)}
    done = subprocess.run([sys.executable, str(DRIVER), str(audio), str(out)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    result["unchanged"] = _listing(audio) == before
    result["log"] = done.stderr
    for path in [audio, audio / "sv-SE"]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return result


def _speech(ssml: str, durations: dict[str, int]) -> tuple[list[str], float, str]:
    """The clip URLs of an SSML answer, its length in seconds, and any bare words."""
    root = ET.fromstring(ssml)
    urls = [el.get("src", "") for el in root.iter("audio")]
    ms = sum(durations[url.rsplit("/", 1)[-1]] for url in urls)
    ms += sum(int(el.get("time", "0ms").removesuffix("ms")) for el in root.iter("break"))
    words = " ".join(t.strip() for el in root.iter()
                     for t in (el.text, el.tail if el is not root else None) if t and t.strip())
    return urls, ms / 1000, words


def _swedish_turns(visit: dict) -> list[dict]:
    said = [t["says"] for t in visit["turns"]]
    first, last = said.index("speak swedish"), len(said) - 1  # "speak english" ends it
    return visit["turns"][first:last]


def test_the_visit_writes_nothing_and_starts_no_program(visit) -> None:
    assert visit["violations"] == []
    assert visit["unchanged"]
    assert "could not join" not in visit["log"] and "no clip for" not in visit["log"]


def test_every_swedish_answer_is_only_swedish_clips_within_alexas_limits(visit,
                                                                        manifest) -> None:
    durations = _durations(manifest)
    swedish = _swedish_turns(visit)
    assert len(swedish) >= 10
    for t in swedish:
        body = t["response"]["response"]
        urls, seconds, words = _speech(body["outputSpeech"]["ssml"], durations)
        assert urls and all(u.startswith(BASE + "/sv-SE/") for u in urls), t["says"]
        assert words == "", f"{t['says']}: English voice would read {words!r}"
        assert len(urls) <= MAX_AUDIO_TAGS, t["says"]
        assert seconds <= MAX_RESPONSE_SECONDS, t["says"]
        if "reprompt" in body:
            r_urls, r_seconds, r_words = _speech(body["reprompt"]["outputSpeech"]["ssml"],
                                                 durations)
            assert r_urls and r_words == "" and len(r_urls) <= MAX_AUDIO_TAGS
            assert r_seconds <= MAX_REPROMPT_SECONDS


def test_the_visit_goes_through_a_whole_stretch_session_and_keeps_swedish(visit) -> None:
    said = [t["says"] for t in visit["turns"]]
    assert said.count("yes") >= 2
    attrs = [t["response"].get("sessionAttributes") or {} for t in visit["turns"]]
    offer = next(a for a in attrs if a.get("state", {}).get("pending") == "reminders")
    assert offer["state"]["mode"] == "menu"  # the session was finished
    second_launch = visit["turns"][said.index("open heel spur coach", 1)]["response"]
    assert "<audio" in second_launch["response"]["outputSpeech"]["ssml"]
    english = visit["turns"][-1]["response"]["response"]["outputSpeech"]["ssml"]
    assert "<audio" not in english and "English" in english


def test_first_launch_is_english_and_help_names_the_english_words(visit, manifest) -> None:
    launch = visit["turns"][0]["response"]["response"]["outputSpeech"]["ssml"]
    assert "<audio" not in launch and "Welcome" in launch
    help_ssml = visit["turns"][2]["response"]["response"]["outputSpeech"]["ssml"]
    help_text = echo_content("sv-SE").text("help.menu")
    assert "'start my stretches'" in help_text and "engelska" in help_text
    clip = manifest["clips"][" ".join(help_text.split())]["file"]
    assert clip in help_ssml


def test_cards_are_swedish(visit) -> None:
    said = [t["says"] for t in visit["turns"]]
    card = visit["turns"][said.index("what's the clinic's number")]["response"]["response"]
    content = card["card"]["content"]
    assert load_content("sv-SE").text("clinic.card_web") in content
    assert load_content("en-GB").text("clinic.card_web") not in content


# --- every planned answer ---------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> ClipLibrary:
    lib = ClipLibrary.load("sv-SE", AUDIO_DIR, BASE)
    assert lib is not None
    return lib


def test_the_build_joined_every_planned_run(manifest) -> None:
    assert {run.key for run in planned_runs()} == set(manifest["runs"])


def _fits(plan, limit_seconds: float) -> None:
    assert not plan.missing_clips, plan.missing_clips
    assert 0 < plan.audio_tags <= MAX_AUDIO_TAGS, plan.text[:80]
    assert plan.duration_ms <= limit_seconds * 1000, plan.text[:80]
    assert all(isinstance(s, ClipStep | Silence) or getattr(s, "url", None)
               for s in plan.steps), "words the English voice would read"


def test_every_planned_stretch_answer_fits_alexas_limits(library) -> None:
    """Every answer of the stretch state machine, every hold time 20-30, every state,
    with the day's count and the reminders offer a finished session adds."""
    words = echo_content("sv-SE")
    # the longest ending a finished session adds: the day's count, the reminders offer
    tail = [Say("progress.count_many", {"count": 20}), Say("reminders.offer")]
    turns = {(parts_key(p), parts_key(r)): (p, r) for p, r in stretch_turns()}
    longest = 0
    for parts, reprompt in turns.values():
        for answer in (list(parts), [*parts, *tail]):
            plan = build_plan(answer, words, library, MAX_AUDIO_TAGS)
            _fits(plan, MAX_RESPONSE_SECONDS)
            longest = max(longest, plan.duration_ms)
        if reprompt:
            _fits(build_plan(reprompt, words, library, MAX_AUDIO_TAGS), MAX_REPROMPT_SECONDS)
    assert len(turns) > 500
    print(f"longest planned Swedish stretch answer: {longest / 1000:.1f} s")


def _menu_states() -> list:
    from skill.core.conversation import SECTIONS, DialogueState

    states = [DialogueState(), DialogueState(mode="clinic")]
    states += [DialogueState(mode="info", section=i) for i in range(len(SECTIONS))]
    states += [DialogueState(pending=p) for p in ANSWERS]
    return states


def _facts() -> list:
    from skill.core.conversation import UserFacts
    from skill.core.progress import Preferences
    from skill.core.session_plan import AudioMode
    from skill.core.stretch import StretchState

    place = StretchState(exercise=2, rep=1, hold_seconds=25, started="2026-01-01").to_dict()
    merged = AudioMode.MERGED
    return [UserFacts(audio_mode=merged),
            UserFacts(audio_mode=merged, returning=True, place_today=place, checkin_due=True,
                      sessions_today=25, preferences=Preferences(22, 15)),
            UserFacts(audio_mode=merged, returning=True, checkin_due=True, sessions_today=3,
                      has_reminders=True, booking_url="https://boka.example.org")]


def test_every_answer_outside_a_session_fits_alexas_limits(library) -> None:
    """Launch and every intent in every menu state (sections, the clinic, each pending
    question) with new, returning and busy users: only clips, within the limits."""
    from skill.core.dialogue import KNOWN_INTENTS, LAUNCH, decide
    from skill.core.effects import Outcome, finish

    words = echo_content("sv-SE")
    slots = [{}, {"section": "prognosis", "language": "sv", "exercise": "2", "seconds": "25",
                  "length": "longer"}]
    checked = 0
    for facts in _facts():
        for state in _menu_states():
            for name in sorted(KNOWN_INTENTS | {LAUNCH}):
                for slot in slots:
                    decision = decide(copy.deepcopy(state), Event(name, slot), facts)
                    for outcome in (Outcome(), Outcome(saved=False)):
                        speech = finish(decision.speech, decision.effects, outcome).speech
                        _fits(build_plan(speech, words, library, MAX_AUDIO_TAGS),
                              MAX_RESPONSE_SECONDS)
                    if decision.reprompt:
                        _fits(build_plan(decision.reprompt, words, library, MAX_AUDIO_TAGS),
                              MAX_REPROMPT_SECONDS)
                    checked += 1
    assert checked > 1000


def test_a_run_split_is_the_same_on_both_sides() -> None:
    for parts in list(stretch_answers(holds=(25,)))[:200]:
        chunks = split(parts)
        flat = [p for c in chunks for p in (c.parts if hasattr(c, "parts") else [c])]
        assert flat == list(parts)


def test_swedish_clips_are_at_most_60_mb() -> None:
    total = sum(p.stat().st_size for p in AUDIO_DIR.rglob("*") if p.is_file())
    assert total <= 60 * 2**20
    assert not (AUDIO_DIR / "sv-SE" / "joined").exists()


@pytest.mark.parametrize("env_value", ["sv", "SV "])
def test_a_deployment_can_make_swedish_the_default(env_value, tmp_path) -> None:
    from skill.alexa.envelopes import LocalDevice

    code = ("import json, sys\n"
            "from skill.frontends.lambda_function import handler\n"
            "print(json.dumps(handler(json.load(sys.stdin), None)))\n")
    envelope = LocalDevice(locale="en-GB").launch()
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(envelope), capture_output=True,
        text=True, timeout=120, check=True,
        env={"HALSPORRE_DB_PATH": str(tmp_path / "p.sqlite3"), "PATH": os.defpath,
             "HALSPORRE_DEFAULT_SPEECH": env_value, "AUDIO_BASE_URL": BASE})
    ssml = json.loads(done.stdout.strip().splitlines()[-1])["response"]["outputSpeech"]["ssml"]
    assert f'src="{BASE}/sv-SE/' in ssml


def test_the_speech_choice_is_part_of_the_progress_record() -> None:
    from skill.core.progress import Progress, set_speech

    progress = Progress()
    assert progress.to_dict()["speech"] is None
    set_speech(progress, "sv")
    assert Progress.from_dict(progress.to_dict()).speech == "sv"
    old = {k: v for k, v in progress.to_dict().items() if k != "speech"}
    assert Progress.from_dict(old).speech is None  # records stored before the choice
    with pytest.raises(ValueError):
        Progress.from_dict({**progress.to_dict(), "speech": "fi"})
    with pytest.raises(ValueError):
        set_speech(progress, "<script>")


def test_the_default_speech_setting_is_checked() -> None:
    from skill.config import Settings

    assert Settings.from_env({}).default_speech == "en"
    assert Settings.from_env({"HALSPORRE_DEFAULT_SPEECH": "sv"}).default_speech == "sv"
    with pytest.raises(ValueError, match="HALSPORRE_DEFAULT_SPEECH"):
        Settings.from_env({"HALSPORRE_DEFAULT_SPEECH": "swedish"})


def test_a_tampered_session_speech_is_ignored() -> None:
    from skill.alexa.builder import build_skill
    from skill.alexa.envelopes import LocalDevice
    from skill.alexa.invoke import invoke
    from skill.config import Settings

    skill = build_skill(Settings(persistence="none"))
    device = LocalDevice(locale="en-GB")
    envelope = device.intent("AMAZON.HelpIntent")
    envelope["session"]["attributes"] = {"speech": "<svenska>"}
    out = invoke(skill, envelope)
    assert "<audio" not in out["response"]["outputSpeech"]["ssml"]
    assert out["sessionAttributes"]["speech"] == "en"


def test_an_answer_of_too_many_clips_is_cut_to_five_with_a_log_line(library, caplog) -> None:
    """Never planned (the tests above); should it happen, Alexa would refuse the whole
    answer, so the clips before the last one are dropped and the error is logged."""
    words = echo_content("sv-SE")
    parts = [Say("stretch.resume"), Say("stretch.daily"), Say("stretch.rest"),
             Say("progress.not_saved"), Say("stretch.no_more"), Say("reminders.offer")]
    with caplog.at_level("ERROR", logger="skill.core.playback"):
        plan = build_plan(parts, words, library, MAX_AUDIO_TAGS)
    assert plan.audio_tags == MAX_AUDIO_TAGS
    assert plan.steps[-1].text == words.text("reminders.offer")
    assert "cut to 5" in caplog.text
