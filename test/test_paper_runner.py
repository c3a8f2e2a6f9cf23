"""The paper-figure runner (benchmarks/paper/common.py): where a grid's runs land and how it resumes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "paper"))
import common  # noqa: E402


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(common, "FIGURES", tmp_path / "figures")

    def run(*argv: str) -> None:
        monkeypatch.setattr(sys, "argv", ["figure.py", "--quick", "--no-plot", *argv])
        common.main_for("fig", lambda args: [common.Cell("pm", "point_mass", "svg1-er")], "test grid",
                        budget=200, eval_every=100)
    return run


def test_name_moves_the_grid_to_its_own_directory(runner, tmp_path):
    runner("--budget", "150", "--name", "fig_long")
    metrics = tmp_path / "runs" / "fig_long-quick" / "pm-s0" / "metrics.jsonl"
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps[-1] == 150
    assert not (tmp_path / "runs" / "fig-quick").exists()
    log = [json.loads(line) for line in (tmp_path / "runs" / "fig_long-quick" / "log.jsonl").read_text().splitlines()]
    assert [(r["label"], r["seed"], r["budget"]) for r in log] == [("pm", 0, 150)]


def test_a_finished_cell_is_skipped_on_resume(runner, tmp_path):
    runner("--budget", "150")
    runner("--budget", "150")  # nothing left to run: no second log line
    log = (tmp_path / "runs" / "fig-quick" / "log.jsonl").read_text().splitlines()
    assert len(log) == 1


def test_references_are_asked_per_task_and_plotted(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(common, "FIGURES", tmp_path / "figures")
    asked: list[str] = []

    def references(task: str) -> dict[str, float]:
        asked.append(task)
        return {"scripted": -1.0}

    monkeypatch.setattr(sys, "argv", ["figure.py", "--quick", "--budget", "100"])
    common.main_for("fig", lambda args: [common.Cell("pm", "point_mass", "svg1-er")], "test grid",
                    budget=200, eval_every=100, references=references)
    assert asked == ["point_mass"]
    assert (tmp_path / "figures" / "fig-quick.png").read_bytes()[:4] == b"\x89PNG"


def test_fig3_cells_observe_egocentric_unless_asked_for_the_world_frame():
    import argparse

    import fig3_swimmer

    ego = fig3_swimmer.cells(argparse.Namespace(part="all", frame="egocentric"))
    world = fig3_swimmer.cells(argparse.Namespace(part="all", frame="world"))
    assert len(ego) == len(world) == 17
    assert all(c.task_overrides == {"egocentric": True} for c in ego)
    assert all(c.task_overrides == {"egocentric": False} for c in world)
