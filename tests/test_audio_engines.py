"""gTTS error handling (never the network) and a real espeak-ng render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from gtts.tts import gTTSError

from skill.tools.audio import convert
from skill.tools.audio.engines import (
    EngineUnavailable,
    EspeakEngine,
    GttsEngine,
    get_engine,
)

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
    reason="espeak-ng and ffmpeg are not installed (apt-get install espeak-ng ffmpeg)",
)


class _Rsp:
    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        self.reason = reason


class FakeTTS:
    """Stands in for gtts.gTTS: fails ``failures`` times with ``error``, then writes bytes."""

    def __init__(self, error: BaseException | None, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.made: list[dict] = []

    def __call__(self, **kwargs):
        self.made.append(kwargs)
        outer = self

        class _T:
            def save(self, path: str) -> None:
                if outer.failures > 0:
                    outer.failures -= 1
                    raise outer.error
                Path(path).write_bytes(b"ID3fake")

        return _T()


def _rate_limited() -> gTTSError:
    fake = type("T", (), {"tld": "com", "lang_check": True, "lang": "sv"})()
    return gTTSError(tts=fake, response=_Rsp(429, "Too Many Requests"))


def _no_network() -> gTTSError:
    fake = type("T", (), {"tld": "com", "lang_check": True, "lang": "sv"})()
    return gTTSError(tts=fake)  # what gTTS raises on requests.ConnectionError


def test_gtts_voices_accent_by_tld(tmp_path: Path) -> None:
    fake = FakeTTS(None, 0)
    engine = GttsEngine(tts_factory=fake, sleep=lambda s: None)
    for locale, lang, tld in [("sv-SE", "sv", "com"), ("en-US", "en", "com"),
                              ("en-GB", "en", "co.uk")]:
        out = engine.synthesize("Hej", locale, tmp_path / locale)
        assert out.read_bytes() == b"ID3fake"
        assert fake.made[-1]["lang"] == lang and fake.made[-1]["tld"] == tld
    assert engine.voice("en-GB") == "en-co.uk"


def test_gtts_rate_limit_retries_with_backoff_then_unavailable(tmp_path: Path) -> None:
    sleeps: list[float] = []
    fake = FakeTTS(_rate_limited(), failures=99)
    engine = GttsEngine(retries=3, backoff_s=0.5, sleep=sleeps.append, tts_factory=fake)
    with pytest.raises(EngineUnavailable) as err:
        engine.synthesize("Hej", "sv-SE", tmp_path / "x")
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fake.made) == 4
    msg = str(err.value)
    assert "429" in msg and "--engine espeak" in msg


def test_gtts_recovers_after_transient_429(tmp_path: Path) -> None:
    sleeps: list[float] = []
    fake = FakeTTS(_rate_limited(), failures=2)
    engine = GttsEngine(retries=3, backoff_s=1, sleep=sleeps.append, tts_factory=fake)
    out = engine.synthesize("Hej", "sv-SE", tmp_path / "x")
    assert out.exists() and sleeps == [1, 2]


@pytest.mark.parametrize("error", [_no_network(), requests.exceptions.ConnectionError("down"),
                                   ConnectionError("refused"), TimeoutError("slow")])
def test_gtts_connection_errors_become_engine_unavailable(tmp_path: Path, error) -> None:
    sleeps: list[float] = []
    engine = GttsEngine(retries=2, backoff_s=1, sleep=sleeps.append,
                        tts_factory=FakeTTS(error, failures=99))
    with pytest.raises(EngineUnavailable, match="--engine espeak") as err:
        engine.synthesize("Hej", "sv-SE", tmp_path / "x")
    assert sleeps == [1, 2]
    assert "network" in str(err.value) or "reach" in str(err.value)


def test_gtts_403_is_not_retried(tmp_path: Path) -> None:
    fake_tts = type("T", (), {"tld": "com", "lang_check": True, "lang": "sv"})()
    sleeps: list[float] = []
    fake = FakeTTS(gTTSError(tts=fake_tts, response=_Rsp(403, "Forbidden")), failures=99)
    engine = GttsEngine(retries=3, sleep=sleeps.append, tts_factory=fake)
    with pytest.raises(EngineUnavailable, match="403"):
        engine.synthesize("Hej", "sv-SE", tmp_path / "x")
    assert sleeps == [] and len(fake.made) == 1


def test_unknown_engine_and_locale() -> None:
    with pytest.raises(EngineUnavailable):
        get_engine("polly")
    with pytest.raises(EngineUnavailable):
        EspeakEngine().voice("fi-FI")


def test_espeak_missing_binary_is_clear() -> None:
    with pytest.raises(EngineUnavailable, match="apt-get install espeak-ng"):
        EspeakEngine(binary="no-such-espeak-binary").check()


@needs_espeak
def test_espeak_renders_alexa_format_clip(tmp_path: Path) -> None:
    engine = EspeakEngine()
    raw = engine.synthesize("Håll kvar i tjugo sekunder.", "sv-SE", tmp_path / "raw")
    clip = convert.to_alexa_mp3(raw, tmp_path / "clip.mp3")
    info = convert.probe(clip)
    assert info.codec == "mp3"
    assert info.sample_rate == 24_000
    assert abs(info.bit_rate - 48_000) <= 2_000
    assert info.channels == 1
    assert info.duration_ms > 500
    # MPEG-2 layer III frame sync (24 kHz is an MPEG-2 rate): 0xFFF3 after the ID3 tag.
    assert b"\xff\xf3" in clip.read_bytes()[:64]
