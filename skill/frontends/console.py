"""The local console: type (or pipe) what you would say, hear (read) what the skill says.

Each line is resolved against the locale's interaction model (:mod:`skill.nlu`), wrapped
in a real request envelope (:mod:`skill.alexa.envelopes`), run through the same Skill as the
webservice and Lambda, and the answer is printed as plain words. Pauses in the answer are
waited out in real time with a visible countdown unless ``--fast``.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import DEFAULT_APPLICATION_ID, LocalDevice, slot_json
from skill.alexa.invoke import invoke_answer
from skill.content import locale_data
from skill.core.playback import Answer, ClipStep, CueStep, Plan, Silence, Step

if TYPE_CHECKING:
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
                 front_end: str = "console",
                 clock: Callable[[], datetime] | None = None) -> None:
        self.locale = locale
        self.skill = skill or build_skill()
        # imported here: an Alexa-only worker never loads the NLU's libraries
        from skill.nlu import Resolver

        self.resolver: Resolver = Resolver.for_locale(locale)
        # a skill that checks its id (HALSPORRE_SKILL_ID) gets envelopes carrying that id
        self.device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.{user}",
                                  application_id=getattr(self.skill, "skill_id", None)
                                  or DEFAULT_APPLICATION_ID)
        self.invocation = self.resolver.invocation_name.lower()
        self.launch_words = frozenset(locale_data(locale, "voice")["launch_words"])
        self.front_end = front_end
        self.clock = clock or (lambda: datetime.now(UTC))
        self.last_sent: datetime | None = None
        """When the last request was sent: its answer started playing then."""

    def _now(self, played_ms: int | None = None) -> datetime:
        """The request's timestamp: now, or ``played_ms`` after the last stretch answer
        began (the web page says exactly how far playback got; the answer's start is in
        the session attributes, so a conversation rebuilt from a cookie has it too)."""
        began = self._answer_start() if played_ms is not None else None
        now = began + timedelta(milliseconds=played_ms or 0) if began else self.clock()
        self.last_sent = now
        return now

    def _answer_start(self) -> datetime | None:
        played = (self.device.attributes.get("state") or {}).get("played") or {}
        try:
            return datetime.fromisoformat(str(played["at"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return self.last_sent

    def _run(self, utterance: str | None, intent: str | None, slots: dict[str, Any],
             envelope: dict[str, Any]) -> Exchange:
        response, answer = invoke_answer(self.skill, envelope, self.front_end)
        self.device.absorb(response)
        return Exchange(utterance, intent, slots, envelope, response, answer)

    def launch(self) -> Exchange:
        return self._run(None, "LaunchRequest", {}, self.device.launch(self._now()))

    def end(self) -> Exchange | None:
        if self.device.session_id is None:
            return None
        return self._run(None, "SessionEndedRequest", {},
                         self.device.session_ended(now=self._now()))

    def is_launch_phrase(self, utterance: str) -> bool:
        words = utterance.lower().strip(" .!?")
        return words == self.invocation or (
            words.split(" ", 1)[0] in self.launch_words and self.invocation in words)

    def send_intent(self, intent: str, played_ms: int | None = None) -> Exchange:
        """Send ``intent`` straight to the Skill (the page's control buttons);
        ``played_ms``: how far the last answer had played when the button was pressed."""
        return self._run(None, intent, {}, self.device.intent(intent, now=self._now(played_ms)))

    def say(self, utterance: str, played_ms: int | None = None) -> Exchange:
        """Resolve ``utterance`` like Alexa's NLU would and send it to the Skill
        (``played_ms``: how far the last answer had played when the user spoke)."""
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
        envelope = self.device.intent(resolution.intent, slots_json, self._now(played_ms))
        return self._run(utterance, resolution.intent, slots_out, envelope)


class Timer(Protocol):
    """Time and typed lines for the console (real, or scripted in tests: no sleeping)."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime:
        """Wall-clock time (UTC), for the request envelopes' timestamps."""
        ...

    def wait(self, seconds: float) -> str | None:
        """Wait up to ``seconds``; a line typed meanwhile ends the wait and is returned."""
        ...

    def next_line(self) -> str | None:
        """The next typed line (blocking); ``None`` at the end of input."""
        ...


class RealTimer:
    """The machine's clock; with ``interruptible`` a reader thread takes lines typed while
    the skill speaks, so "pause" or "stop" during a hold acts within a second."""

    def __init__(self, stdin: Iterable[str], interruptible: bool) -> None:
        self.stdin = stdin
        self.lines: queue.Queue[str | None] | None = None
        if interruptible:
            self.lines = queue.Queue()
            threading.Thread(target=self._read, daemon=True, name="console-input").start()

    def _read(self) -> None:
        assert self.lines is not None
        for line in self.stdin:
            self.lines.put(line)
        self.lines.put(None)

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> str | None:
        if seconds <= 0:
            return None
        if self.lines is None:
            time.sleep(seconds)
            return None
        try:
            line = self.lines.get(timeout=seconds)
        except queue.Empty:
            return None
        if line is None:  # end of input: keep it for next_line
            self.lines.put(None)
            return None
        return line if line.strip() else None

    def next_line(self) -> str | None:
        if self.lines is not None:
            return self.lines.get()
        stdin = self.stdin
        line = stdin.readline() if hasattr(stdin, "readline") else next(iter(stdin), "")
        return line or None


COUNTDOWN_FROM_S = 2
"""Silences at least this long show a seconds countdown while they are waited out."""


class _Timeline:
    """Plays a plan's steps at their start times on a :class:`Timer`."""

    def __init__(self, out: TextIO, timer: Timer, speaker: Speaker | None) -> None:
        self.out, self.timer, self.speaker = out, timer, speaker

    def until(self, deadline: float) -> str | None:
        """Wait until ``deadline`` (monotonic s), a countdown showing in long silences;
        a line typed meanwhile stops the wait and is returned."""
        left = deadline - self.timer.monotonic()
        counting = left >= COUNTDOWN_FROM_S
        while left > 0:
            if counting:
                self.out.write(f"\r  ... {math.ceil(left):2d} s ")
                self.out.flush()
            line = self.timer.wait(left - (math.ceil(left) - 1))  # to the next whole second
            if line is not None:
                self.clear(counting)
                return line
            left = deadline - self.timer.monotonic()
        self.clear(counting)
        return None

    def clear(self, counting: bool) -> None:
        if counting:
            self.out.write("\r" + " " * 14 + "\r")
            self.out.flush()

    def show(self, step: Step) -> None:
        text = " ".join(step.text.split()) if not isinstance(step, Silence) else ""
        if text:
            self.out.write(text + "\n")
            self.out.flush()
        if self.speaker is None:
            return
        if isinstance(step, ClipStep | CueStep) and step.url:
            self.speaker.play_clip(step.url)
        elif text:
            self.speaker.say_text(text)


def play(plan: Plan, out: TextIO, fast: bool, timer: Timer | None = None,
         speaker: Speaker | None = None) -> str | None:
    """Print (``speaker``: play) each step of ``plan`` at its start time, and wait out the
    time the words take to say, so a hold lasts as long as on Alexa.

    With ``--speak`` clips play for their real length and the next step starts when both
    the clip and its planned time are over. Returns a line typed during playback (which
    stops it), else ``None``. ``fast`` prints everything at once.
    """
    timeline = _Timeline(out, timer or RealTimer((), False), speaker)
    began = timeline.timer.monotonic()
    for step in plan.steps:
        if isinstance(step, Silence):
            continue
        if not fast:
            line = timeline.until(began + step.start_ms / 1000)
            if line is not None:
                return line
        timeline.show(step)
    return None if fast else timeline.until(began + plan.duration_ms / 1000)


def _show(turn: Exchange, out: TextIO, fast: bool, timer: Timer,
          speaker: Speaker | None = None) -> str | None:
    """Play the answer; a line typed meanwhile stops it and is returned."""
    if turn.answer is None:
        return None
    line = play(turn.answer.speech, out, fast, timer, speaker)
    if line is not None:
        return line
    card = turn.answer.card
    if card:
        out.write(f"[card] {card.title}\n")
        for card_line in card.body.splitlines():
            out.write(f"       {card_line}\n")
    out.flush()
    return None


def _speaker(locale: str, stdout: TextIO) -> Speaker | None:
    """The local player for ``--speak`` (said on the console), or ``None``."""
    speaker = Speaker.find(locale)
    stdout.write((speaker.describe() if speaker else
                  "(--speak: no sound player found; showing text only)") + "\n")
    return speaker


def run_chat(locale: str, as_json: bool, fast: bool, speak: bool, user: str | None,
             stdin: Iterable[str], stdout: TextIO, timer: Timer | None = None) -> int:
    """The ``halsporre chat`` loop; the skill is opened straight away. Without ``user``
    each run is a new user (nobody hears another run's progress).

    Typed at a terminal, a line entered while the answer plays stops it and is sent at
    once, with the moment it was typed as the request's timestamp: the skill settles
    the place from it as on Alexa. Piped input waits for each answer to finish.
    """
    isatty = getattr(stdin, "isatty", None)
    interactive = bool(isatty and isatty())
    timer = timer or RealTimer(stdin, interruptible=interactive and not fast and not as_json)
    session = ConsoleSession(locale, user=user or "console-" + uuid.uuid4().hex, clock=timer.now)
    speaker = _speaker(locale, stdout) if speak else None

    def emit(turn: Exchange) -> str | None:
        if as_json:
            stdout.write(turn.to_json() + "\n")
            stdout.flush()
            return None
        return _show(turn, stdout, fast, timer, speaker)

    def next_line(typed: str | None) -> str | None:
        """A line typed during the last answer, else the next one (prompting at a tty)."""
        if typed is not None:
            return typed
        if interactive and not as_json:
            stdout.write("> ")
            stdout.flush()
        return timer.next_line()

    typed = emit(session.launch())
    while (line := next_line(typed)) is not None:
        typed, utterance = None, line.strip()
        if not utterance:
            continue
        if not as_json and not interactive:
            stdout.write(f"> {utterance}\n")
        typed = emit(session.say(utterance))
    ended = session.end()
    if ended is not None and as_json:
        emit(ended)
    return 0
