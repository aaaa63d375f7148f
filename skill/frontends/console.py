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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import DEFAULT_APPLICATION_ID, LocalDevice, slot_json
from skill.alexa.invoke import invoke_answer
from skill.content import locale_data
from skill.core.playback import Answer, ClipStep, CueStep, Plan, Silence
from skill.nlu import Resolver


@dataclass
class Exchange:
    """One exchange: what was typed, how it was understood, and what came back."""

    utterance: str | None
    intent: str | None
    slots: dict[str, Any]
    request: dict[str, Any]
    response: dict[str, Any]
    answer: Answer | None

    @property
    def text(self) -> str:
        return self.answer.speech.text if self.answer else ""

    def to_json(self) -> str:
        return json.dumps({
            "utterance": self.utterance, "intent": self.intent, "slots": self.slots,
            "request": self.request, "response": self.response, "text": self.text,
        }, ensure_ascii=False)

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

    def __init__(self, locale: str, user: str = "local-console", skill: Any = None,
                 front_end: str = "console") -> None:
        self.locale = locale
        self.skill = skill or build_skill()
        self.resolver = Resolver.for_locale(locale)
        # a skill that checks its id (HALSPORRE_SKILL_ID) gets envelopes carrying that id
        self.device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.{user}",
                                  application_id=getattr(self.skill, "skill_id", None)
                                  or DEFAULT_APPLICATION_ID)
        self.invocation = self.resolver.invocation_name.lower()
        self.launch_words = frozenset(locale_data(locale, "voice")["launch_words"])
        self.front_end = front_end

    def _run(self, utterance: str | None, intent: str | None, slots: dict[str, Any],
             envelope: dict[str, Any]) -> Exchange:
        response, answer = invoke_answer(self.skill, envelope, self.front_end)
        self.device.absorb(response)
        return Exchange(utterance, intent, slots, envelope, response, answer)

    def launch(self) -> Exchange:
        return self._run(None, "LaunchRequest", {}, self.device.launch())

    def end(self) -> Exchange | None:
        if self.device.session_id is None:
            return None
        return self._run(None, "SessionEndedRequest", {}, self.device.session_ended())

    def is_launch_phrase(self, utterance: str) -> bool:
        words = utterance.lower().strip(" .!?")
        return words == self.invocation or (
            words.split(" ", 1)[0] in self.launch_words and self.invocation in words)

    def send_intent(self, intent: str) -> Exchange:
        """Send ``intent`` straight to the Skill (the page's control buttons)."""
        return self._run(None, intent, {}, self.device.intent(intent))

    def say(self, utterance: str) -> Exchange:
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


class _Printer:
    """Prints words line by line and waits out pauses with a countdown."""

    def __init__(self, out: TextIO, fast: bool, sleep: Callable[[float], None],
                 speaker: Speaker | None) -> None:
        self.out, self.fast, self.sleep, self.speaker = out, fast, sleep, speaker
        self.line: list[str] = []
        self.pending_ms = 0

    def write_line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def flush(self) -> None:
        text = " ".join(" ".join(self.line).split())
        self.line.clear()
        if text:
            self.write_line(text)
            if self.speaker is not None:
                self.speaker.say_text(text)

    def wait(self) -> None:
        seconds, self.pending_ms = round(self.pending_ms / 1000), 0
        if self.fast or seconds <= 0:
            return
        for left in range(seconds, 0, -1):
            self.out.write(f"\r  ... {left:2d} s ")
            self.out.flush()
            self.sleep(1)
        self.out.write("\r" + " " * 14 + "\r")
        self.out.flush()

    def pause(self, ms: int) -> None:
        self.flush()
        self.pending_ms += ms

    def words(self, text: str) -> None:
        if self.pending_ms:
            self.wait()
        self.line.append(text)

    def clip(self, url: str, text: str) -> None:
        if self.pending_ms:
            self.flush()
            self.wait()
        if self.speaker is None:
            self.line.append(text)
            return
        self.flush()
        if text.strip():
            self.write_line(" ".join(text.split()))
        self.speaker.play_clip(url)


def play(plan: Plan, out: TextIO, fast: bool, sleep: Callable[[float], None] = time.sleep,
         speaker: Speaker | None = None) -> None:
    """Print the words of ``plan``, waiting out its pauses with a countdown.

    ``speaker`` plays clips and says text aloud (``--speak``).
    """
    printer = _Printer(out, fast, sleep, speaker)
    for step in plan.steps:
        if isinstance(step, Silence):
            printer.pause(step.duration_ms)
        elif isinstance(step, ClipStep | CueStep) and step.url:
            printer.clip(step.url, step.text)
        else:
            printer.words(step.text)
    printer.flush()
    printer.wait()


def _show(turn: Exchange, out: TextIO, fast: bool, speaker: Speaker | None = None) -> None:
    if turn.answer is None:
        return
    play(turn.answer.speech, out, fast, speaker=speaker)
    card = turn.answer.card
    if card:
        out.write(f"[card] {card.title}\n")
        for card_line in card.body.splitlines():
            out.write(f"       {card_line}\n")
    out.flush()


def run_chat(locale: str, as_json: bool, fast: bool, speak: bool, user: str | None,
             stdin: Iterable[str], stdout: TextIO) -> int:
    """The ``halsporre chat`` loop; the skill is opened straight away. Without ``user``
    each run is a new user (nobody hears another run's progress)."""
    session = ConsoleSession(locale, user=user or "console-" + uuid.uuid4().hex)
    isatty = getattr(stdin, "isatty", None)
    interactive = bool(isatty and isatty())
    speaker = Speaker.find(locale) if speak else None
    if speak:
        stdout.write((speaker.describe() if speaker else
                      "(--speak: no sound player found; showing text only)") + "\n")

    def emit(turn: Exchange) -> None:
        if as_json:
            stdout.write(turn.to_json() + "\n")
            stdout.flush()
        else:
            _show(turn, stdout, fast, speaker)

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
