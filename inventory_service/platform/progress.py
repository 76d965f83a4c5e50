"""Progress of long jobs (seeding, imports, coverage) on stderr, drawn by `rich.progress`.

Rules: progress never goes to stdout (stdout carries the job's data); on a terminal rich
redraws one live bar; elsewhere (CI, logs) the same bar is printed as a line per tenth of the
work, so a log shows how far a job got without a line per row.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """A progress bar for `label`; `total` may be set once it is known."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.done = 0
        self.enabled = enabled
        stream = stream or sys.stderr
        self._live = stream.isatty()
        console = Console(file=stream, force_terminal=self._live, width=None if self._live else 100)
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            auto_refresh=self._live,
            disable=not enabled,
        )
        self._task: TaskID = self._bar.add_task(label, total=total)
        self._last_tenth = -1
        self._printed = -1
        if enabled and self._live:
            self._bar.start()

    @property
    def total(self) -> int | None:
        total = self._bar.tasks[0].total
        return None if total is None else int(total)

    @total.setter
    def total(self, value: int | None) -> None:
        self._bar.update(self._task, total=value)

    def advance(self, n: int = 1) -> None:
        """Count `n` more units of work done."""
        self.done += n
        if not self.enabled:
            return  # a disabled bar costs a counter: reports call this once per row
        self._bar.update(self._task, completed=self.done)
        if self._live or not self.total:
            return
        tenth = self.done * 10 // self.total
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self._print()

    def _print(self) -> None:
        self._printed = self.done
        self._bar.console.print(self._bar.get_renderable())

    def finish(self) -> None:
        """Draw the final state and end the line."""
        if not self.enabled:
            return
        if self._live:
            self._bar.refresh()
            self._bar.stop()
        elif self._printed != self.done or self.done == 0:
            self._bar.update(self._task, completed=self.done)
            self._print()

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
        elif self.enabled and self._live:
            self._bar.stop()
