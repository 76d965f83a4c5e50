"""Progress of long jobs (seeding, imports, coverage) on stderr.

Rules: progress never goes to stdout (stdout carries the job's data); on a terminal it redraws
one line at most every 0.2 s, elsewhere (CI, logs) it writes a line per tenth of the work.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._tty = self.stream.isatty()
        self._last_draw = 0.0
        self._last_tenth = -1
        self._started = time.monotonic()

    def advance(self, n: int = 1) -> None:
        """Count `n` more units of work done."""
        self.done += n
        if not self.enabled:
            return
        if self._tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.2:
                self._last_draw = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
        elif self.total:
            tenth = self.done * 10 // self.total
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self.stream.write(self._line() + "\n")
                self.stream.flush()

    def _line(self) -> str:
        elapsed = time.monotonic() - self._started
        if not self.total:
            return f"{self.label}: {self.done} ({elapsed:.1f}s)"
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        return f"{self.label} [{bar:<30}] {share:6.1%} {self.done}/{self.total} ({elapsed:.1f}s)"

    def finish(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self.stream.write(("\r" if self._tty else "") + self._line() + "\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
