"""Figure 1: in-process time per request over a scripted conversation, three twins.

Ours: launch, two leaflet sections, the clinic number, a whole stretch session (StartStretch,
then Yes - or Next when Yes does not move it - until the stretch state says finished, at
most :data:`MAX_STRETCH_TURNS` turns), stop; in sv-SE and en-US, SQLite persistence in a
temp dir.  Every request is timed as a webservice or Lambda runtime does the work: the
envelope's JSON text in, the answer's JSON text out (``skill.serializer`` both ways, one
``json.loads`` and one ``json.dumps``); the text is made before the clock starts.

Twins, measured right after each conversation on the very same envelope texts, so drift
hits all alike:

* ``bare_same``: :func:`bench.bare.bare_any_skill`, a one-handler ask-sdk-core skill with
  the SDK's own ``DefaultSerializer`` answering every envelope with one sentence - what the
  SDK costs for these envelopes (it stores nothing: the SDK has no SQLite adapter; ours'
  SQLite reads and writes count against ours);
* ``floor``: ``json.loads`` of the envelope text plus ``json.dumps`` of ours' answer.

Also the bare skill's own LaunchRequest (the figure the README used to compare with).
Every answer of ours is checked against Alexa's limits (:mod:`bench.validate`) outside the
clock, and a request that starts a subprocess while timed is counted (goal: none; Swedish
answers use runs joined at build time, :mod:`skill.core.runs`).  The bench writes nothing in
the repository: SQLite lives in a temp dir.
"""

from __future__ import annotations

import contextlib
import gc
import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bare import bare_any_skill, bare_skill
from bench.stats import percentile
from bench.validate import InvalidAnswer, check_answer

LOCALES = ("sv-SE", "en-US")
MAX_STRETCH_TURNS = 40
EXERCISES = 3
REPS = 3


class Subprocesses:
    """Counts subprocesses started while ``active`` (goal: none while a request waits)."""

    def __init__(self) -> None:
        self.active = False
        self.started = 0
        self._orig = subprocess.Popen.__init__

    @contextlib.contextmanager
    def installed(self) -> Iterator[Subprocesses]:
        orig, counter = self._orig, self

        def counting(popen: Any, *args: Any, **kwargs: Any) -> None:
            if counter.active:
                counter.started += 1
            orig(popen, *args, **kwargs)

        subprocess.Popen.__init__ = counting  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            subprocess.Popen.__init__ = orig  # type: ignore[method-assign]


SPAWNS = Subprocesses()


@dataclass
class Conversation:
    """What one scripted conversation did: per-request (label, seconds), texts and notes."""

    timings: list[tuple[str, float]] = field(default_factory=list)
    spawned: list[bool] = field(default_factory=list)
    """Per request: did it start a subprocess while timed?"""
    texts: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    """Why answers broke Alexa's limits (:mod:`bench.validate`); the bench fails on any."""
    answers: list[dict[str, Any]] = field(default_factory=list)
    stretch_wired: bool = False
    stretch_finished: bool = False
    stretch_turns: int = 0


def _state(response: dict[str, Any]) -> dict[str, Any]:
    return (response.get("sessionAttributes") or {}).get("state") or {}


def _stretch_finished(stretch: dict[str, Any] | None) -> bool:
    if not stretch:
        return False
    rep, exercise = stretch.get("rep", 0), stretch.get("exercise", 0)
    return rep >= REPS and (bool(stretch.get("only")) or exercise >= EXERCISES)


def _session_open(response: dict[str, Any]) -> bool:
    return (response.get("response") or {}).get("shouldEndSession") is False


def answer_text(skill: Any, text: str, context: Any = None) -> str:
    """What a webservice does with one request: JSON text in, JSON text out."""
    from ask_sdk_model import RequestEnvelope

    envelope = skill.serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=context)
    return json.dumps(skill.serializer.serialize(response))


def run_conversation(skill: Any, locale: str, user: str) -> Conversation:
    """One full scripted conversation; every request timed text in to text out, and its
    answer checked against Alexa's limits (outside the clock)."""
    from skill.alexa.envelopes import LocalDevice, slot_json
    from skill.alexa.invoke import FrontEnd
    from skill.core.limits import MAX_AUDIO_TAGS

    device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.bench-{user}")
    conv = Conversation()

    def ask(label: str, envelope: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(envelope)
        front_end = FrontEnd("bench", MAX_AUDIO_TAGS)  # Alexa's limit; collects the plan
        before = SPAWNS.started
        SPAWNS.active = True
        t0 = time.perf_counter()
        out = answer_text(skill, text, front_end)
        elapsed = time.perf_counter() - t0
        SPAWNS.active = False
        conv.spawned.append(SPAWNS.started > before)
        response = json.loads(out)
        try:
            check_answer(response, front_end.answers[-1] if front_end.answers else None,
                         f"{locale} {label}")
        except InvalidAnswer as exc:
            conv.invalid.append(str(exc))
        conv.timings.append((label, elapsed))
        conv.texts.append(text)
        conv.answers.append(response)
        device.absorb(response)
        return response

    def section(sid: str) -> dict[str, Any]:
        return {"section": slot_json("section", sid, sid, sid, "SectionType")}

    ask("launch", device.launch())
    ask("info", device.intent("InfoIntent", section("symptoms")))
    ask("info", device.intent("InfoIntent", section("causes")))
    response = ask("clinic", device.intent("ClinicIntent"))
    if device.session_id is None:
        ask("launch", device.launch())
    response = ask("stretch_start", device.intent("StartStretchIntent"))
    _stretch(ask, device, response, conv)
    if device.session_id is not None:
        ask("stop", device.intent("AMAZON.StopIntent"))
    return conv


def _stretch(ask: Any, device: Any, response: dict[str, Any], conv: Conversation) -> None:
    """Yes (or Next when Yes does not move it) until the stretch session is over."""
    state = _state(response)
    conv.stretch_wired = state.get("mode") == "stretch" and bool(state.get("stretch"))
    if not conv.stretch_wired:
        return
    while conv.stretch_turns < MAX_STRETCH_TURNS:
        before = state.get("stretch")
        if _stretch_finished(before) or not _session_open(response):
            break
        response = ask("stretch_step", device.intent("AMAZON.YesIntent"))
        conv.stretch_turns += 1
        state = _state(response)
        if state.get("stretch") == before and _session_open(response):
            response = ask("stretch_step", device.intent("AMAZON.NextIntent"))
            conv.stretch_turns += 1
            state = _state(response)
        if state.get("mode") != "stretch":
            break
    conv.stretch_finished = (_stretch_finished(state.get("stretch"))
                             or state.get("mode") != "stretch")


def _bare_block(skill: Any, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        t0 = time.perf_counter()
        answer_text(skill, text)
        out.append(time.perf_counter() - t0)
    return out


def _floor_block(texts: list[str], answers: list[dict[str, Any]]) -> list[float]:
    out = []
    for text, answer in zip(texts, answers, strict=True):
        t0 = time.perf_counter()
        json.loads(text)
        json.dumps(answer)
        out.append(time.perf_counter() - t0)
    return out


def ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def measure(tmp: Path, conversations: int, budget_s: float) -> dict[str, Any]:
    """Run ``conversations`` per locale (fewer if ``budget_s`` runs out) with their twins."""
    from skill.alexa.builder import build_skill
    from skill.alexa.envelopes import LocalDevice
    from skill.config import Settings

    settings = Settings(persistence="sqlite", db_path=tmp / "inprocess.sqlite3",
                        audio_base_url="https://bench.invalid/audio")  # Alexa needs https
    ours = build_skill(settings)
    bare = bare_skill()
    bare_same = bare_any_skill()
    bare_device = LocalDevice(locale="en-US", user_id="amzn1.ask.account.bench-bare")

    with SPAWNS.installed():
        # warm-up: content, NLU tables, SQLite file, SDK caches
        notes: dict[str, Any] = {}
        for locale in LOCALES:
            for user in range(8):
                warm = run_conversation(ours, locale, f"{user}")
            notes[locale] = {"stretch_wired": warm.stretch_wired,
                             "stretch_finished": warm.stretch_finished,
                             "stretch_turns": warm.stretch_turns,
                             "requests_per_conversation": len(warm.timings)}
        launch_texts = [json.dumps(bare_device.launch()) for _ in range(50)]
        _bare_block(bare, launch_texts)
        SPAWNS.started = 0
        result = _timed(ours, bare, bare_same, launch_texts, conversations, budget_s)
        result["subprocesses_while_timed"] = SPAWNS.started
    result["notes"] = notes
    result["persistence_wired"] = getattr(ours, "persistence_adapter", None) is not None
    return result


def _timed(ours: Any, bare: Any, bare_same: Any, launch_texts: list[str],
           conversations: int, budget_s: float) -> dict[str, Any]:
    ours_t: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    same_t: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    floor_t: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    ratio_same: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    by_label: dict[str, list[float]] = defaultdict(list)
    bare_t: list[float] = []
    deadline = time.perf_counter() + budget_s
    done = answers = 0
    invalid: list[str] = []
    gc.collect()
    while done < conversations and time.perf_counter() < deadline:
        for locale in LOCALES:
            conv = run_conversation(ours, locale, f"{done % 8}")
            texts, timings = conv.texts, conv.timings
            mine = [s for _, s in timings]
            ours_t[locale] += mine
            for label, s in timings:
                by_label[f"{locale}:{label}"].append(s)
            twin = _bare_block(bare_same, texts)
            same_t[locale] += twin
            if twin:
                ratio_same[locale].append(sum(mine) / sum(twin))
            floor_t[locale] += _floor_block(texts, conv.answers)
            bare_t += _bare_block(bare, launch_texts[:len(texts)])
            answers += len(conv.answers)
            invalid += conv.invalid
        done += 1

    def summary(values: list[float]) -> dict[str, Any]:
        return {"requests": len(values), "p50_ms": ms(values, 50), "p99_ms": ms(values, 99),
                "mean_ms": sum(values) / len(values) * 1000 if values else float("nan")}

    result: dict[str, Any] = {
        "conversations_per_locale": done,
        "answers_checked": answers,
        "invalid_answers": len(invalid),
        "invalid_examples": sorted(set(invalid))[:5],
        "bare": summary(bare_t),
        "bare_same_envelopes": {loc: summary(v) for loc, v in same_t.items()},
        "floor": {loc: summary(v) for loc, v in floor_t.items()},
        "ratio_same_per_conversation_p50": {loc: percentile(v, 50)
                                            for loc, v in ratio_same.items()},
        "by_request_p50_ms": {k: ms(v, 50) for k, v in sorted(by_label.items())},
    }
    for locale in LOCALES:
        result[locale] = summary(ours_t[locale])
    return result
