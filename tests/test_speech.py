"""The playback plan of dialogue parts and its SSML projection."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from skill.content import load_content
from skill.core.clips import Clip
from skill.core.parts import Cue, Pause, Say, ref
from skill.core.playback import ClipStep, CueStep, Silence, Words
from skill.core.speech import render, spell_phone


class FakeClips:
    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    def lookup(self, text: str) -> Clip | None:
        url = self.known.get(text)
        return Clip(url, 1200, text, engine="espeak") if url else None

    def cue(self, name: str) -> Clip | None:
        url = f"https://audio.example/{name}.mp3" if name == "hold_start" else None
        return Clip(url, 400, name) if url else None


def test_phone_number_is_spoken_digit_group_by_digit_group() -> None:
    """Not say-as telephone: Alexa documents that for US-style numbers only."""
    content = load_content("en-US")
    out = render([Say("clinic.speech")], content)
    root = ET.fromstring(out.ssml)
    assert root.find("say-as") is None
    subs = {el.text: el.get("alias") for el in root.iter("sub")}
    assert content.text("clinic.phone") == "08-123 264 44"
    assert subs["08-123 264 44"] == spell_phone("08-123 264 44") == "0 8, 1 2 3, 2 6 4, 4 4"
    assert "08-123 264 44" in out.text
    assert out.text.startswith("The clinic's number is 08-123 264 44.")


def test_english_voices_get_spoken_aliases_of_swedish_names() -> None:
    content = load_content("en-US")
    out = render([Say("clinic.speech"), Say("clinic.booking")], content)
    root = ET.fromstring(out.ssml)
    subs = {el.text: el.get("alias") for el in root.iter("sub")}
    assert subs["Öppenvård"] == content.text("pronounce.names.oppenvard.spoken") != "Öppenvård"
    assert set(subs) >= {"Öppenvård", "Norrtälje", "Tiohundra", "gamla sjukhuset"}
    # what people read keeps the real spelling
    assert "Rehab Öppenvård" in out.text and "Uppen" not in out.text
    assert "Uppen" not in out.text


def test_swedish_names_are_left_alone_for_swedish_voices() -> None:
    out = render([Say("clinic.speech")], load_content("sv-SE"))
    texts = [el.text for el in ET.fromstring(out.ssml).iter("sub")]
    assert texts == ["08-123 264 44"]


def test_cards_show_the_international_form_only_in_english() -> None:
    en = render([Say("clinic.card_text")], load_content("en-US")).text
    sv = render([Say("clinic.card_text")], load_content("sv-SE")).text
    assert "08-123 264 44" in en and "+46 8 123 264 44" in en
    assert "08-123 264 44" in sv and "+46" not in sv


def test_text_is_escaped_and_breaks_are_split_at_ten_seconds() -> None:
    content = load_content("en-US")
    out = render([Pause(25_000), Say("goodbye")], content)
    root = ET.fromstring(out.ssml)
    assert [b.get("time") for b in root.iter("break")] == ["10000ms", "10000ms", "5000ms"]
    assert "&" not in out.text or "&amp;" in out.ssml
    pause, words = out.plan.steps
    assert isinstance(pause, Silence) and (pause.start_ms, pause.duration_ms) == (0, 25_000)
    assert isinstance(words, Words) and words.start_ms == 25_000 and words.duration_ms > 0


def test_references_fill_placeholders_with_other_content() -> None:
    content = load_content("sv-SE")
    out = render([Say("info.next_offer", {"title": ref("info.sections.causes.title")})], content)
    assert content.text("info.sections.causes.title") in out.text
    assert "@" not in out.text


def test_clips_replace_sentences_and_missing_clips_fall_back_to_text(caplog) -> None:
    content = load_content("sv-SE")
    goodbye = content.text("goodbye")
    clips = FakeClips({goodbye: "https://audio.example/goodbye.mp3"})
    out = render([Cue("hold_start"), Say("goodbye"), Say("welcome.reprompt"), Cue("hold_end")],
                 content, clips)
    root = ET.fromstring(out.ssml)
    assert [a.get("src") for a in root.iter("audio")] == [
        "https://audio.example/hold_start.mp3", "https://audio.example/goodbye.mp3"]
    assert out.audio_tags == 2
    assert out.missing_clips == [content.text("welcome.reprompt")]
    start, clip, words, end = out.plan.steps
    assert isinstance(start, CueStep) and start.url and start.duration_ms == 400
    assert isinstance(clip, ClipStep) and (clip.text, clip.engine) == (goodbye, "espeak")
    assert clip.start_ms == 400 and clip.duration_ms == 1200
    assert isinstance(words, Words) and words.text == content.text("welcome.reprompt")
    assert isinstance(end, CueStep) and end.url is None
    assert end.text == content.text("cue.hold_end") and end.text in out.ssml
    assert words.text in out.ssml
    assert "no clip" in caplog.text
