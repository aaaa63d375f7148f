"""A scripted :class:`skill.frontends.console.Timer` for tests: virtual time, no sleeping."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


class ScriptedTimer:
    """Virtual seconds from 0; ``script`` lines are "typed" at their times."""

    def __init__(self, script: list[tuple[float, str]] | None = None) -> None:
        self.t = 0.0
        self.script = sorted(script or [])
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)

    def wait(self, seconds: float) -> str | None:
        self.waits.append(seconds)
        if self.script and self.script[0][0] <= self.t + seconds:
            at, line = self.script.pop(0)
            self.t = max(self.t, at)
            return line
        self.t += seconds
        return None

    def next_line(self) -> str | None:
        if not self.script:
            return None
        at, line = self.script.pop(0)
        self.t = max(self.t, at)
        return line


class TimedOutput(io.StringIO):
    """Remembers when (virtual seconds) each printed line was written."""

    def __init__(self, timer: ScriptedTimer) -> None:
        super().__init__()
        self.timer = timer
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip() and not line.startswith("\r") and "..." not in line:
                self.lines.append((self.timer.t, line.strip()))
        return super().write(text)

    def first(self, text: str, after: float = -1.0) -> float:
        return next(t for t, line in self.lines if line == text and t > after)
