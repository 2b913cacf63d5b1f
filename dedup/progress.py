"""A one-line progress display on a terminal, for the ``progress`` callback of :func:`dedup.scan`.

Hand-written with carriage returns: the line is redrawn in place at most ``max_rate`` times a
second (and whenever a stage starts or completes), and nothing at all is written when the stream
is not a terminal, so piped or redirected output never fills with control characters.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressBar"]

_BAR = 20


class ProgressBar:
    """Draws ``documents 120 | candidates 40 | alignments 12/40 [#####...] 30%`` on one line.

    Use it as the ``progress`` argument of :func:`dedup.scan`, then call :meth:`close` (or use it as
    a context manager) to erase the line before anything else is printed.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(out, enabled=True, clock=iter(range(100)).__next__, width=80)
        >>> bar("documents", 1, None); bar("documents", 2, None); bar("alignments", 1, 4)
        >>> out.getvalue().split("\\r")[-1].rstrip()
        'documents 2 | alignments 1/4 [#####...............]  25%'
        >>> bar.close(); out.getvalue().endswith("\\r")
        True
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool | None = None,
        max_rate: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
    ) -> None:
        self.stream = stream
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.interval = 1.0 / max_rate
        self.clock = clock
        self.width = width
        self.stages: dict[str, tuple[int, int | None]] = {}
        self.last = float("-inf")
        self.drawn = 0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Record a stage's progress and redraw if the last redraw is old enough (or a stage changed)."""
        if not self.enabled:
            return
        new_stage = stage not in self.stages
        self.stages[stage] = (done, total)
        now = self.clock()
        if new_stage or done == total or now - self.last >= self.interval:
            self.last = now
            self._draw(self.line())

    def line(self) -> str:
        """The text of the progress line as it stands.

        Example:
            >>> import io
            >>> bar = ProgressBar(io.StringIO(), enabled=True)
            >>> bar.stages = {"documents": (5, None), "candidates": (3, 3)}
            >>> bar.line()
            'documents 5 | candidates 3'
        """
        parts = []
        for stage, (done, total) in self.stages.items():
            if total is None or total == done:
                parts.append(f"{stage} {done}")
            else:
                share = done / total if total else 1.0
                filled = round(share * _BAR)
                parts.append(f"{stage} {done}/{total} [{'#' * filled}{'.' * (_BAR - filled)}] {share:4.0%}")
        return " | ".join(parts)

    def _draw(self, text: str) -> None:
        width = self.width or shutil.get_terminal_size((80, 24)).columns
        text = text[: max(0, width - 1)]  # a full-width line would wrap and break the \r redraw
        self.stream.write("\r" + text.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(text)

    def close(self) -> None:
        """Erase the progress line (if one was drawn), leaving the cursor at the start of the line."""
        if self.enabled and self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        return False
