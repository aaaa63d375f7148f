"""Text-to-speech engines behind one small interface.

Two engines:

- ``gtts``: Google Translate's voice via gTTS (network; good Swedish). Rate limiting
  (HTTP 429), server errors and connection failures are retried with exponential backoff,
  then raised as :class:`EngineUnavailable` with a hint to use ``--engine espeak``.
- ``espeak``: espeak-ng (offline, robotic but always available).

An engine writes the raw audio of one sentence to a file in whatever format it produces
(MP3 for gTTS, WAV for espeak-ng); :mod:`skill.tools.audio.convert` turns it into Alexa's format.
Engines are only used at build time, never while answering a request.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

log = logging.getLogger(__name__)

ESPEAK_HINT = "use the offline engine instead: halsporre audio build --engine espeak"


class EngineUnavailable(RuntimeError):
    """The engine cannot render now (no network, rate limited, not installed)."""


@dataclass(frozen=True)
class GttsVoice:
    lang: str
    tld: str

    def __str__(self) -> str:
        return f"{self.lang}-{self.tld}"


class Engine:
    """Renders one sentence of one locale to an audio file."""

    name: ClassVar[str] = ""
    #: locale -> voice description (also part of each clip's hash).
    voices: ClassVar[dict[str, Any]] = {}

    def voice(self, locale: str) -> str:
        try:
            return str(self.voices[locale])
        except KeyError:
            raise EngineUnavailable(f"{self.name}: no voice for locale {locale!r}") from None

    def check(self) -> None:
        """Raise :class:`EngineUnavailable` if this engine cannot run on this machine."""

    def synthesize(self, text: str, locale: str, dest: Path) -> Path:  # pragma: no cover
        """Write the speech of ``text`` to ``dest`` (a suffix-less path); return the file."""
        raise NotImplementedError


def _default_gtts_factory(**kwargs: Any) -> Any:
    from gtts import gTTS

    return gTTS(**kwargs)


def _gtts_error_class() -> type[BaseException]:
    try:
        from gtts.tts import gTTSError
    except ImportError:  # pragma: no cover - gtts is a declared dependency
        return RuntimeError
    return gTTSError


def _is_retryable(exc: BaseException) -> bool:
    """429, 5xx and connection failures are worth retrying; 403/404/bad language are not."""
    rsp = getattr(exc, "rsp", None)
    status = getattr(rsp, "status_code", None)
    if status is not None:
        return status == 429 or status >= 500
    text = str(exc)
    if "429" in text or "Too Many Requests" in text:
        return True
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return True
    return "Failed to connect" in text or "not reachable" in text or rsp is None


class GttsEngine(Engine):
    """gTTS with retries and backoff. ``sleep`` and ``tts_factory`` are injectable for tests."""

    name = "gtts"
    voices = {
        "sv-SE": GttsVoice("sv", "com"),
        "en-US": GttsVoice("en", "com"),
        "en-GB": GttsVoice("en", "co.uk"),
    }

    def __init__(
        self,
        retries: int = 3,
        backoff_s: float = 2.0,
        timeout_s: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        tts_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.sleep = sleep
        self.tts_factory = tts_factory or _default_gtts_factory

    def check(self) -> None:
        try:
            import gtts  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise EngineUnavailable(f"gTTS is not installed; {ESPEAK_HINT}") from exc

    def synthesize(self, text: str, locale: str, dest: Path) -> Path:
        voice: GttsVoice = self.voices.get(locale)  # type: ignore[assignment]
        if voice is None:
            raise EngineUnavailable(f"gtts: no voice for locale {locale!r}")
        out = dest.with_suffix(".gtts.mp3")
        gtts_error = _gtts_error_class()
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                tts = self.tts_factory(text=text, lang=voice.lang, tld=voice.tld,
                                       timeout=self.timeout_s)
                tts.save(str(out))
                return out
            except (gtts_error, ConnectionError, TimeoutError, OSError) as exc:
                last = exc
                if not _is_retryable(exc):
                    break
                if attempt < self.retries:
                    delay = self.backoff_s * (2**attempt)
                    log.info("gTTS failed (%s); retry %d/%d in %.1f s",
                             exc, attempt + 1, self.retries, delay)
                    self.sleep(delay)
        reason = str(last) or type(last).__name__
        if "429" in reason or "Too Many Requests" in reason:
            what = "Google's TTS service is rate limiting us (HTTP 429)"
        elif last is not None and _is_retryable(last):
            what = "cannot reach Google's TTS service (no network?)"
        else:
            what = "gTTS refused the request"
        raise EngineUnavailable(
            f"gtts: {what} after {self.retries + 1} attempt(s): {reason}; {ESPEAK_HINT}"
        ) from last


class EspeakEngine(Engine):
    """espeak-ng, offline. ``rate`` is in words per minute (slightly slow for coaching)."""

    name = "espeak"
    voices = {"sv-SE": "sv", "en-US": "en-us", "en-GB": "en-gb"}

    def __init__(self, rate: int = 150, binary: str = "espeak-ng") -> None:
        self.rate = rate
        self.binary = binary

    def voice(self, locale: str) -> str:
        return f"{super().voice(locale)}@{self.rate}"

    def check(self) -> None:
        if shutil.which(self.binary) is None:
            raise EngineUnavailable(
                f"espeak: {self.binary} not found; install it (apt-get install espeak-ng)"
            )

    def synthesize(self, text: str, locale: str, dest: Path) -> Path:
        self.check()
        voice = self.voices.get(locale)
        if voice is None:
            raise EngineUnavailable(f"espeak: no voice for locale {locale!r}")
        out = dest.with_suffix(".espeak.wav")
        proc = subprocess.run(
            [self.binary, "-v", voice, "-s", str(self.rate), "-w", str(out), "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise EngineUnavailable(
                f"espeak: {self.binary} failed ({proc.returncode}): "
                f"{proc.stderr.decode(errors='replace').strip()}"
            )
        return out


ENGINES: dict[str, type[Engine]] = {"gtts": GttsEngine, "espeak": EspeakEngine}


def get_engine(name: str, **kwargs: Any) -> Engine:
    try:
        cls = ENGINES[name]
    except KeyError:
        raise EngineUnavailable(f"unknown engine {name!r}; choose from {sorted(ENGINES)}") from None
    return cls(**kwargs)
