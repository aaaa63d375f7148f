"""The local console: type (or pipe) what you would say, hear (read) what the skill says.

Each line is resolved against the locale's interaction model (:mod:`skill.nlu`), wrapped
in a real request envelope (:mod:`skill.alexa.envelopes`), run through the same Skill as the
webservice and Lambda, and the answer is printed as plain words. Pauses in the answer are
waited out in real time with a visible countdown unless ``--fast``.
"""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import DEFAULT_APPLICATION_ID, LocalDevice, slot_json
from skill.alexa.invoke import FrontEnd, invoke
from skill.core.clips import ClipCaptions
from skill.core.speech import ssml_to_text
from skill.nlu import Resolver

LAUNCH_WORDS = ("open", "start", "launch", "öppna", "starta")


@dataclass
class Turn:
    """One exchange: what was typed, how it was understood, and what came back."""

    utterance: str | None
    intent: str | None
    slots: dict[str, Any]
    request: dict[str, Any]
    response: dict[str, Any]
    text: str

    def to_json(self) -> str:
        return json.dumps({
            "utterance": self.utterance, "intent": self.intent, "slots": self.slots,
            "request": self.request, "response": self.response, "text": self.text,
        }, ensure_ascii=False)

    @property
    def ssml(self) -> str:
        speech = (self.response.get("response") or {}).get("outputSpeech") or {}
        return speech.get("ssml") or speech.get("text") or ""

    @property
    def card(self) -> dict[str, Any] | None:
        return (self.response.get("response") or {}).get("card")

    @property
    def session_open(self) -> bool:
        return (self.response.get("response") or {}).get("shouldEndSession") is False


class Speaker:
    """Plays clips with a local player and speaks text with espeak-ng (``--speak``)."""

    VOICES = {"sv-SE": "sv", "en-US": "en-us", "en-GB": "en-gb"}

    def __init__(self, locale: str, player: list[str], espeak: str | None) -> None:
        self.locale, self.player, self.espeak = locale, player, espeak

    @classmethod
    def find(cls, locale: str) -> Speaker | None:
        import shutil

        from skill.frontends.player import find_player

        player = find_player()
        return cls(locale, player, shutil.which("espeak-ng")) if player else None

    def describe(self) -> str:
        voice = f", text through {self.espeak}" if self.espeak else ""
        return f"(--speak: clips through {self.player[0]}{voice})"

    def play_clip(self, src: str) -> None:
        from urllib.parse import urlsplit

        from skill.core.clips import AUDIO_DIR
        from skill.frontends.player import play as play_file

        parts = urlsplit(src).path.split("/")
        if self.locale in parts:
            path = AUDIO_DIR.joinpath(*parts[parts.index(self.locale):])
            if path.is_file():
                play_file(path, self.player)

    def say_text(self, text: str) -> None:
        import subprocess

        if self.espeak:
            subprocess.run([self.espeak, "-v", self.VOICES.get(self.locale, "en-us"), text],
                           check=False, capture_output=True, timeout=120)


class ConsoleSession:
    """A simulated Alexa device talking to the Skill in-process."""

    def __init__(self, locale: str, user: str = "local-console", skill: Any = None) -> None:
        self.locale = locale
        self.skill = skill or build_skill()
        self.resolver = Resolver.for_locale(locale)
        # a skill that checks its id (HALSPORRE_SKILL_ID) gets envelopes carrying that id
        self.device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.{user}",
                                  application_id=getattr(self.skill, "skill_id", None)
                                  or DEFAULT_APPLICATION_ID)
        self.invocation = self.resolver.invocation_name.lower()
        self.captions = ClipCaptions()
        self.front_end = FrontEnd("console")

    def _run(self, utterance: str | None, intent: str | None, slots: dict[str, Any],
             envelope: dict[str, Any]) -> Turn:
        response = invoke(self.skill, envelope, self.front_end)
        self.device.absorb(response)
        turn = Turn(utterance, intent, slots, envelope, response, "")
        turn.text = ssml_to_text(turn.ssml, self.captions)
        return turn

    def launch(self) -> Turn:
        return self._run(None, "LaunchRequest", {}, self.device.launch())

    def end(self) -> Turn | None:
        if self.device.session_id is None:
            return None
        return self._run(None, "SessionEndedRequest", {}, self.device.session_ended())

    def is_launch_phrase(self, utterance: str) -> bool:
        words = utterance.lower().strip(" .!?")
        return words == self.invocation or (
            words.split(" ", 1)[0] in LAUNCH_WORDS and self.invocation in words)

    def say(self, utterance: str) -> Turn:
        """Resolve ``utterance`` like Alexa's NLU would and send it to the Skill."""
        if self.device.session_id is None and self.is_launch_phrase(utterance):
            turn = self.launch()
            turn.utterance = utterance
            return turn
        resolution = self.resolver.resolve(utterance)
        slots_out: dict[str, Any] = {}
        slots_json: dict[str, Any] = {}
        for name, match in resolution.slots.items():
            slots_out[name] = {"value": match.value, "id": match.id}
            slots_json[name] = slot_json(name, match.value, match.id, match.name,
                                         slot_type=name)
        envelope = self.device.intent(resolution.intent, slots_json)
        return self._run(utterance, resolution.intent, slots_out, envelope)


def play(ssml: str, out: TextIO, fast: bool, sleep: Callable[[float], None] = time.sleep,
         caption: Callable[[str], str] | None = None, speaker: Speaker | None = None) -> None:
    """Print the words of ``ssml``, waiting out its breaks with a countdown.

    ``caption`` gives the words of a pre-rendered clip; ``speaker`` plays clips and text
    aloud (``--speak``).
    """
    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        out.write(ssml + "\n")
        return
    line: list[str] = []
    pending_ms = 0

    def flush_words() -> None:
        text = " ".join("".join(line).split())
        if text:
            out.write(text + "\n")
            out.flush()
            if speaker is not None:
                speaker.say_text(text)
        line.clear()

    def wait() -> None:
        nonlocal pending_ms
        seconds = round(pending_ms / 1000)
        pending_ms = 0
        if fast or seconds <= 0:
            return
        for left in range(seconds, 0, -1):
            out.write(f"\r  ... {left:2d} s ")
            out.flush()
            sleep(1)
        out.write("\r" + " " * 14 + "\r")
        out.flush()

    def walk(element: ET.Element) -> None:
        nonlocal pending_ms
        if element.tag == "audio":
            if pending_ms:
                flush_words()
                wait()
            words = caption(element.get("src", "")) if caption else ""
            if speaker is not None:
                flush_words()
                line.append(words)
                text = " ".join("".join(line).split())
                if text:
                    out.write(text + "\n")
                    out.flush()
                line.clear()
                speaker.play_clip(element.get("src", ""))
            else:
                line.append(" " + words + " ")
        elif element.tag == "break":
            flush_words()
            time_attr = element.get("time", "0ms")
            pending_ms += int(float(time_attr[:-2])) if time_attr.endswith("ms") \
                else int(float(time_attr.rstrip("s")) * 1000)
        else:
            if pending_ms and (element.text or "").strip():
                wait()
            if element.text and element.text.strip():
                line.append(element.text)
            for child in element:
                walk(child)
        if element.tail and element.tail.strip():
            if pending_ms:
                wait()
            line.append(element.tail)

    walk(root)
    flush_words()
    wait()


def _show(turn: Turn, out: TextIO, fast: bool, caption: Callable[[str], str] | None = None,
          speaker: Speaker | None = None) -> None:
    play(turn.ssml, out, fast, caption=caption, speaker=speaker)
    card = turn.card
    if card:
        body = card.get("content") or card.get("text") or ""
        out.write(f"[card] {card.get('title', '')}\n")
        for card_line in body.splitlines():
            out.write(f"       {card_line}\n")
    out.flush()


def run_chat(locale: str, as_json: bool, fast: bool, speak: bool, user: str | None,
             stdin: Iterable[str], stdout: TextIO) -> int:
    """The ``halsporre chat`` loop; the skill is opened straight away. Without ``user``
    each run is a new user (nobody hears another run's progress)."""
    session = ConsoleSession(locale, user=user or "console-" + uuid.uuid4().hex)
    interactive = hasattr(stdin, "isatty") and stdin.isatty()  # type: ignore[attr-defined]
    speaker = Speaker.find(locale) if speak else None
    if speak:
        stdout.write((speaker.describe() if speaker else
                      "(--speak: no sound player found; showing text only)") + "\n")

    def emit(turn: Turn) -> None:
        if as_json:
            stdout.write(turn.to_json() + "\n")
            stdout.flush()
        else:
            _show(turn, stdout, fast, session.captions, speaker)

    emit(session.launch())
    while True:
        if interactive and not as_json:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline() if hasattr(stdin, "readline") else next(iter(stdin), "")
        if not line:
            break
        utterance = line.strip()
        if not utterance:
            continue
        if not as_json and not interactive:
            stdout.write(f"> {utterance}\n")
        emit(session.say(utterance))
    ended = session.end()
    if ended is not None and as_json:
        emit(ended)
    return 0
