"""Progress reporting for long imports: phases (reading, validating, loading) with a bar each.

The importer talks to a :class:`ProgressSink`; the CLI passes a :class:`RichProgress`, the web
page and tests pass nothing (:class:`NoProgress`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class ProgressSink(Protocol):
    """Receives the importer's progress."""

    def phase(self, name: str, total: float) -> None:
        """A new phase starts; ``total`` steps will follow."""

    def advance(self, steps: float = 1) -> None:
        """``steps`` more steps of the current phase are done."""


class NoProgress:
    """Discards progress."""

    def phase(self, name: str, total: float) -> None:
        """Ignore the phase."""

    def advance(self, steps: float = 1) -> None:
        """Ignore the steps."""


class RichProgress:
    """One rich progress bar per phase, on stderr; use as a context manager."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self._finish()
        self._progress.stop()

    def _finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, completed=task.total)

    def phase(self, name: str, total: float) -> None:
        """Close the previous bar and open one for phase ``name``."""
        self._finish()
        self._task = self._progress.add_task(name, total=max(total, 1))

    def advance(self, steps: float = 1) -> None:
        """Move the current bar on."""
        if self._task is not None:
            self._progress.advance(self._task, steps)
