"""Progress display: a bar on a terminal, a bounded number of plain lines anywhere else, nothing with --quiet."""
from __future__ import annotations

import io
import json
import re

import pytest

from svg_control.cli import main
from svg_control.progress import BarProgress, LogProgress, Progress, progress_display

LINE = re.compile(r"^sac on toy: step (\d+)/(\d+) \((\d+)%\), \d+\.\d steps/s(, eval return -?\d+\.\d)?$")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(display: Progress, steps: int, eval_every: int = 0) -> None:
    for step in range(1, steps + 1):
        if eval_every and step % eval_every == 0:  # as the trainer does: evaluate, then count the step
            display.note("eval return", f"{-step / 10:.1f}")
        display.update(1)
    display.close()


@pytest.mark.parametrize("steps", [7, 20, 1000, 1013])
def test_a_log_gets_at_most_one_line_per_five_percent(steps: int) -> None:
    stream = io.StringIO()
    display = progress_display(steps, "sac on toy", stream=stream)
    assert isinstance(display, LogProgress)
    run(display, steps, eval_every=100)
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == min(steps, 20)
    assert all(LINE.match(line) for line in lines), lines
    done = [int(LINE.match(line).group(1)) for line in lines]
    assert done == sorted(done) and done[-1] == steps  # the last line is the end of the run
    assert lines[-1].startswith(f"sac on toy: step {steps}/{steps} (100%)")
    if steps >= 1000:
        assert done[:2] == [-(-steps // 20), -(-2 * steps // 20)]  # every 5 %, rounded up to a whole step
        assert lines[-1].endswith(f", eval return {-(steps // 100 * 100) / 10:.1f}")


def test_a_resumed_log_counts_from_where_it_stood() -> None:
    stream = io.StringIO()
    display = progress_display(1000, "sac on toy", initial=500, stream=stream)
    run(display, 500)
    done = [int(LINE.match(line).group(1)) for line in stream.getvalue().splitlines()]
    assert done == list(range(550, 1001, 50))


def test_a_terminal_gets_the_bar() -> None:
    stream = Terminal()
    display = progress_display(200, "sac on toy", stream=stream)
    assert isinstance(display, BarProgress)
    run(display, 200, eval_every=100)
    text = stream.getvalue()
    assert "\r" in text and "200/200" in text and "eval return=-20.0" in text
    assert not any(LINE.match(line) for line in text.splitlines())


def test_quiet_shows_nothing() -> None:
    assert type(progress_display(100, "sac on toy", enabled=False, stream=Terminal())) is Progress


def test_train_writes_a_log_friendly_progress_to_a_non_terminal(tmp_path, capsys) -> None:
    train = ["train", "--task", "point_mass", "--algo", "svg1-er", "--steps", "200", "--eval-every", "100"]
    assert main([*train, "--out", str(tmp_path / "shown")]) == 0
    err = capsys.readouterr().err  # pytest's capture is not a terminal
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.startswith("svg1-er on point_mass: step ")]
    assert len(lines) == 20 and lines[-1].startswith("svg1-er on point_mass: step 200/200 (100%)")
    last = json.loads((tmp_path / "shown" / "metrics.jsonl").read_text().splitlines()[-1])
    assert lines[-1].endswith(f", eval return {last['eval_return_mean']:.1f}")  # the step's own evaluation
    assert main([*train, "--out", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert "svg1-er on point_mass" not in capsys.readouterr().err
