"""Everything that comes back from session attributes or storage is bounded (issue 16).

Session attributes travel through Alexa and back; anyone holding a signed request or Lambda
invoke rights can choose them. Before these limits, remembered parts with 100 KB params grew
the render cache by about 200 MB per 2,000 turns.
"""

from __future__ import annotations

import pytest

from skill.alexa.builder import build_skill
from skill.alexa.envelopes import LocalDevice
from skill.alexa.invoke import invoke
from skill.config import Settings
from skill.content import load_content
from skill.core import playback
from skill.core.boundedcache import BoundedCache
from skill.core.conversation import (
    MAX_PARAM_CHARS,
    MAX_REMEMBERED_PARTS,
    DialogueState,
)
from skill.core.parts import Pause, Say
from skill.core.speech import render as speech_render
from skill.core.stretch import StretchState


def _state(**over):
    state = {"mode": "menu", "section": 0, "pending": None, "stretch": None,
             "last": [{"say": "menu.prompt", "p": {}}],
             "last_reprompt": [{"say": "menu.reprompt", "p": {}}]}
    state.update(over)
    return state


def test_a_normal_state_loads():
    state = DialogueState.from_dict(_state())
    assert state.last == [Say("menu.prompt", {})]


@pytest.mark.parametrize("change", [
    {"last": [{"say": "menu.prompt", "p": {"x": "z" * (MAX_PARAM_CHARS + 1)}}]},
    {"last": [{"say": "menu.prompt", "p": {f"k{i}": 1 for i in range(5)}}]},
    {"last": [{"say": "menu.prompt", "p": {"x": 10**9}}]},
    {"last": [{"say": "menu.prompt", "p": {"x": 1.5}}]},
    {"last": [{"say": "k" * 200, "p": {}}]},
    {"last": [{"cue": "c" * 200}]},
    {"last": [{"pause": 240_000}, {"pause": 1}]},  # more silence than one answer holds
    {"last_reprompt": [{"pause": 60_000}, {"pause": 60_000}]},  # reprompts: 90 s
    {"last": [{"say": "menu.prompt", "p": {}}] * (MAX_REMEMBERED_PARTS + 1)},
    {"stretch": {"exercise": 2}},  # not a whole stretch state
    {"stretch": {**StretchState(started="2024-05-01").to_dict(), "extra": "x" * 10_000}},
])
def test_oversized_or_malformed_state_is_refused(change):
    with pytest.raises(ValueError):
        DialogueState.from_dict(_state(**change))


def test_a_valid_stretch_state_survives():
    stretch = StretchState(exercise=2, rep=1, started="2024-05-01").to_dict()
    assert DialogueState.from_dict(_state(mode="stretch", stretch=stretch)).stretch == stretch


def test_bounded_cache_keeps_to_its_bytes():
    cache: BoundedCache[str] = BoundedCache(1000, 10_000, lambda k, v: len(v))
    for i in range(100):
        cache.put(i, "x" * 1000)
    assert cache.bytes <= 10_000 and len(cache) < 10
    assert cache.get(99) is not None and cache.get(0) is None  # least recently used went
    cache.put("huge", "x" * 20_000)  # larger than the whole budget: not kept
    assert cache.get("huge") is None
    cache.clear()
    assert cache.bytes == 0 and len(cache) == 0


def test_render_cache_stays_within_its_bytes():
    content = load_content("en-US")
    playback._cache.clear()
    for i in range(3000):
        speech_render([Say("menu.prompt", {"x": f"{i:06d}" + "z" * 58}), Pause(1000)], content)
    assert playback._cache.bytes <= playback._CACHE_BYTES
    assert len(playback._cache) <= playback._CACHE_SIZE


def test_answer_cache_stays_within_its_bounds_and_gives_the_same_answer():
    content = load_content("en-US")
    playback._answers.clear()
    first = playback.build_answer(content, [Say("menu.prompt")], [Say("menu.reprompt")])
    assert playback.build_answer(content, [Say("menu.prompt")], [Say("menu.reprompt")]) \
        is first
    assert playback.build_answer(content, [Say("menu.prompt")], None) != first
    for i in range(3000):
        playback.build_answer(content, [Say("menu.prompt", {"x": f"{i:06d}" + "z" * 58})],
                              None)
    assert playback._answers.bytes <= playback._ANSWERS_BYTES
    assert len(playback._answers) <= playback._ANSWERS_SIZE


def test_chosen_state_with_huge_params_through_the_skill_starts_afresh(caplog):
    """The attack of issue 16: the state is refused (logged) and nothing big is cached."""
    skill = build_skill(Settings(persistence="none"))
    device = LocalDevice(locale="en-US")
    playback._cache.clear()
    for i in range(20):
        device.session_id = "s"
        device.attributes = {"state": _state(
            last=[{"say": "menu.prompt", "p": {"x": f"{i}" + "z" * 100_000}}])}
        env = device.intent("AMAZON.RepeatIntent")
        env["session"]["new"] = False
        out = invoke(skill, env)
        assert "zzzz" not in out["response"]["outputSpeech"]["ssml"]
    assert playback._cache.bytes < 1_000_000
    assert "dialogue state rejected" in caplog.text
