"""The local console: type (or pipe) what you would say, hear (read) what the skill says.

Each line is resolved against the locale's interaction model (:mod:`skill.nlu`), wrapped
in a real request envelope (:mod:`skill.envelopes`), run through the same Skill as the
webservice and Lambda, and the answer is printed as plain words. Pauses in the answer are
waited out in real time with a visible countdown unless ``--fast``.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from skill.builder import build_skill
from skill.envelopes import LocalDevice, slot_json
from skill.invoke import invoke
from skill.nlu import Resolver
from skill.speech import ssml_to_text

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


class ConsoleSession:
    """A simulated Alexa device talking to the Skill in-process."""

    def __init__(self, locale: str, user: str = "local-console", skill: Any = None) -> None:
        self.locale = locale
        self.skill = skill or build_skill()
        self.resolver = Resolver.for_locale(locale)
        self.device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.{user}")
        self.invocation = self.resolver.invocation_name.lower()

    def _run(self, utterance: str | None, intent: str | None, slots: dict[str, Any],
             envelope: dict[str, Any]) -> Turn:
        response = invoke(self.skill, envelope)
        self.device.absorb(response)
        turn = Turn(utterance, intent, slots, envelope, response, "")
        turn.text = ssml_to_text(turn.ssml)
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


def play(ssml: str, out: TextIO, fast: bool, sleep: Callable[[float], None] = time.sleep) -> None:
    """Print the words of ``ssml``, waiting out its breaks with a countdown."""
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
        if element.tag == "break":
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


def _show(turn: Turn, out: TextIO, fast: bool) -> None:
    play(turn.ssml, out, fast)
    card = turn.card
    if card:
        body = card.get("content") or card.get("text") or ""
        out.write(f"[card] {card.get('title', '')}\n")
        for card_line in body.splitlines():
            out.write(f"       {card_line}\n")
    out.flush()


def run_chat(locale: str, as_json: bool, fast: bool, speak: bool, user: str,
             stdin: Iterable[str], stdout: TextIO) -> int:
    """The ``halsporre chat`` loop; the skill is opened straight away."""
    session = ConsoleSession(locale, user=user)
    interactive = hasattr(stdin, "isatty") and stdin.isatty()  # type: ignore[attr-defined]

    def emit(turn: Turn) -> None:
        if as_json:
            stdout.write(turn.to_json() + "\n")
            stdout.flush()
        else:
            _show(turn, stdout, fast)

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
