"""Progress of a long loop (training steps, updates from a bag): a live bar on a terminal, plain lines in a log.

A tqdm bar redraws itself with carriage returns, which a terminal shows as one moving line but a log file keeps
as one line per redraw. So the bar is drawn only when the stream is a terminal; anywhere else (a redirect, a
pipe, a service's journal) a plain line is printed each time the loop passes another 1/``lines`` of its total
(every 5 %, so at most 20 lines a run), carrying the step, the rate and the latest notes (the last
evaluation's return, say).
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

LOG_LINES = 20  # a plain line each time another 5 % of the total is done


class Progress:
    """Silent progress (``--quiet``): the interface the loops call, doing nothing."""

    def update(self, n: int = 1) -> None:
        """``n`` more units are done."""

    def note(self, label: str, value: str) -> None:
        """Show ``label value`` with the progress from now on (replacing an earlier note of that label)."""

    def close(self) -> None:
        """The loop is over."""


class BarProgress(Progress):
    """A tqdm bar, for a terminal."""

    def __init__(self, total: int, initial: int, desc: str, unit: str, stream: TextIO) -> None:
        self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True, file=stream)
        self._notes: dict[str, str] = {}

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def note(self, label: str, value: str) -> None:
        self._notes[label] = value
        self._bar.set_postfix(self._notes)

    def close(self) -> None:
        self._bar.close()


class LogProgress(Progress):
    """One plain line each time another 1/``lines`` of the total is done, for a log file or a pipe."""

    def __init__(self, total: int, initial: int, desc: str, unit: str, stream: TextIO,
                 lines: int = LOG_LINES) -> None:
        if lines < 1:
            raise ValueError(f"lines must be at least 1, got {lines}")
        self.total, self.desc, self.unit, self.stream, self.lines = total, desc, unit, stream, lines
        self.done = self._started_at = initial
        self._start = time.perf_counter()
        self._notes: dict[str, str] = {}
        self._next_line = self._mark_after(initial)

    def _mark_after(self, done: int) -> int:
        """The first count past ``done`` that completes another 1/``lines`` of the total (integers: exact)."""
        if self.total <= 0:
            return done + 1
        part = done * self.lines // self.total + 1
        return max(done + 1, -(-part * self.total // self.lines))

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next_line:
            self._print()
            self._next_line = self._mark_after(self.done)

    def note(self, label: str, value: str) -> None:
        self._notes[label] = value

    def _print(self) -> None:
        elapsed = time.perf_counter() - self._start
        rate = (self.done - self._started_at) / elapsed if elapsed > 0 else 0.0
        percent = 100.0 * self.done / self.total if self.total else 100.0
        parts = [f"{self.desc}: {self.unit} {self.done}/{self.total} ({percent:.0f}%)", f"{rate:.1f} {self.unit}s/s",
                 *(f"{label} {value}" for label, value in self._notes.items())]
        print(", ".join(parts), file=self.stream, flush=True)


def message(line: str, stream: TextIO | None = None) -> None:
    """Print ``line`` (stderr by default) beside a live bar without breaking it: the bar is cleared, the line
    printed and the bar drawn again below it."""
    tqdm.write(line, file=sys.stderr if stream is None else stream)


def progress_display(total: int, desc: str, *, unit: str = "step", initial: int = 0, enabled: bool = True,
             stream: TextIO | None = None) -> Progress:
    """The progress display for a loop of ``total`` units (``initial`` already done) writing to ``stream``
    (stderr by default): nothing when not ``enabled``, a bar when the stream is a terminal, else plain lines."""
    if not enabled:
        return Progress()
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return BarProgress(total, initial, desc, unit, stream)
    return LogProgress(total, initial, desc, unit, stream)
