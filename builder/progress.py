"""What a build is doing, shown on a terminal: one live status line, stages kept as lines with their time.
Silent when output is not a terminal (CI, pipes, logs) or with --quiet, so only problems and results remain."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

CLEAR = "\r\x1b[K"  # carriage return, then erase to the end of the line


class Progress:
    """Stage lines (`[ 1.2 s] rendering`) and a live counter line that the next output replaces."""

    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.live = False  # whether the cursor sits at the end of a live line

    @classmethod
    def for_terminal(cls, quiet: bool, stream: TextIO | None = None) -> Progress:
        """On when the stream is a terminal, not --quiet, and not in CI (which sets CI=true)."""
        stream = stream or sys.stderr
        tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(tty and not quiet and not os.environ.get("CI") and os.environ.get("TERM") != "dumb", stream)

    def step(self, message: str) -> None:
        """Start a stage: its line stays on screen, with the time since the build began."""
        if self.enabled:
            self._write(f"{CLEAR}[{time.monotonic() - self.started:5.1f} s] {message}\n")
            self.live = False

    def count(self, done: int, total: int, what: str) -> None:
        """Update the live line: `  37/100 parsing chapters/037.txt` (without the count when total is 0)."""
        if self.enabled:
            self._write(f"{CLEAR}  {f'{done}/{total} ' if total else ''}{what}")
            self.live = True

    def done(self) -> None:
        """Remove the live line before the build's results are printed."""
        if self.enabled and self.live:
            self._write(CLEAR)
            self.live = False

    def guard(self, stream: TextIO) -> TextIO:
        """A stream for diagnostics that first clears the live line, so a warning never lands after it."""
        return _Guarded(self, stream)

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


class _Guarded:
    """Writes through to a stream, clearing the progress line first."""

    def __init__(self, progress: Progress, stream: TextIO):
        self.progress, self.stream = progress, stream

    def write(self, text: str) -> int:
        self.progress.done()
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()
