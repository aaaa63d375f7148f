"""Figure 1: in-process latency per request over a scripted conversation vs bare LaunchRequest.

Ours: launch, two leaflet sections, the clinic number, a whole stretch session (StartStretch,
then Yes - or Next when Yes does not move it - until the stretch state says finished, at
most :data:`MAX_STRETCH_TURNS` turns), stop; in sv-SE and en-US, SQLite persistence in a
temp dir.  Bare: :mod:`bench.bare`'s one-handler skill answering LaunchRequest.  Both go
through the same :func:`skill.alexa.invoke.invoke` (JSON -> RequestEnvelope -> invoke ->
serialize), which is what Lambda does.  Envelopes are built outside the timed region.
A third twin, :func:`bench.bare.bare_any_skill`, answers ours' very envelopes (intents,
slots, session attributes): the gap to it is what our own code costs, the rest is the SDK's
price for the request shape.  Ours and the twins are measured in alternating blocks so
drift hits both alike.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bare import bare_any_skill, bare_skill
from bench.stats import percentile

LOCALES = ("sv-SE", "en-US")
MAX_STRETCH_TURNS = 40
EXERCISES = 3
REPS = 3


@dataclass
class Conversation:
    """What one scripted conversation did: per-request (label, seconds) and notes."""

    timings: list[tuple[str, float]] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
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


def run_conversation(skill: Any, locale: str, user: str) -> Conversation:
    """One full scripted conversation; every request timed around ``invoke``."""
    from skill.alexa.envelopes import LocalDevice, slot_json
    from skill.alexa.invoke import invoke

    device = LocalDevice(locale=locale, user_id=f"amzn1.ask.account.bench-{user}")
    conv = Conversation()

    def ask(label: str, envelope: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        response = invoke(skill, envelope)
        conv.timings.append((label, time.perf_counter() - t0))
        conv.envelopes.append(envelope)
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
    state = _state(response)
    conv.stretch_wired = state.get("mode") == "stretch" and bool(state.get("stretch"))
    if conv.stretch_wired:
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
    if device.session_id is not None:
        ask("stop", device.intent("AMAZON.StopIntent"))
    return conv


def _bare_block(skill: Any, envelopes: list[dict[str, Any]]) -> list[float]:
    from skill.alexa.invoke import invoke

    out = []
    for envelope in envelopes:
        t0 = time.perf_counter()
        invoke(skill, envelope)
        out.append(time.perf_counter() - t0)
    return out


def measure(tmp: Path, conversations: int, budget_s: float) -> dict[str, Any]:
    """Run ``conversations`` per locale (fewer if ``budget_s`` runs out) and bare twins."""
    from skill.alexa.builder import build_skill
    from skill.alexa.envelopes import LocalDevice
    from skill.config import Settings

    settings = Settings(persistence="sqlite", db_path=tmp / "inprocess.sqlite3")
    ours = build_skill(settings)
    bare = bare_skill()
    bare_same = bare_any_skill()
    bare_device = LocalDevice(locale="en-US", user_id="amzn1.ask.account.bench-bare")

    # warm-up: content, NLU tables, SQLite file, SDK caches
    notes: dict[str, Any] = {}
    for locale in LOCALES:
        warm = run_conversation(ours, locale, "warm")
        notes[locale] = {"stretch_wired": warm.stretch_wired,
                         "stretch_finished": warm.stretch_finished,
                         "stretch_turns": warm.stretch_turns,
                         "requests_per_conversation": len(warm.timings)}
    _bare_block(bare, [bare_device.launch() for _ in range(50)])

    ours_t: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    by_label: dict[str, list[float]] = defaultdict(list)
    bare_t: list[float] = []
    same_t: dict[str, list[float]] = {loc: [] for loc in LOCALES}
    deadline = time.perf_counter() + budget_s
    done = 0
    gc.collect()
    while done < conversations and time.perf_counter() < deadline:
        for locale in LOCALES:
            conv = run_conversation(ours, locale, f"{done % 8}")
            ours_t[locale] += [s for _, s in conv.timings]
            for label, s in conv.timings:
                by_label[f"{locale}:{label}"].append(s)
            envs = [bare_device.launch() for _ in conv.timings]
            bare_t += _bare_block(bare, envs)
            same_t[locale] += _bare_block(bare_same, conv.envelopes)
        done += 1

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000

    result: dict[str, Any] = {
        "conversations_per_locale": done,
        "bare": {"requests": len(bare_t), "p50_ms": ms(bare_t, 50), "p99_ms": ms(bare_t, 99)},
        "bare_same_envelopes": {loc: {"requests": len(v), "p50_ms": ms(v, 50),
                                      "p99_ms": ms(v, 99)} for loc, v in same_t.items()},
        "notes": notes,
        "persistence_wired": getattr(ours, "persistence_adapter", None) is not None,
        "by_request_p50_ms": {k: ms(v, 50) for k, v in sorted(by_label.items())},
    }
    for locale in LOCALES:
        values = ours_t[locale]
        result[locale] = {"requests": len(values), "p50_ms": ms(values, 50),
                          "p99_ms": ms(values, 99)}
    return result
