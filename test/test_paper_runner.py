"""The paper-figure runner (benchmarks/paper/common.py): where a grid's runs land and how it resumes."""
from __future__ import annotations

import json
import sys

import pytest

from benchmarks.paper import common


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

    from benchmarks.paper import fig3_swimmer

    ego = fig3_swimmer.cells(argparse.Namespace(part="all", frame="egocentric"))
    world = fig3_swimmer.cells(argparse.Namespace(part="all", frame="world"))
    assert len(ego) == len(world) == 17
    assert all(c.task_overrides == {"egocentric": True} for c in ego)
    assert all(c.task_overrides == {"egocentric": False} for c in world)


@pytest.mark.parametrize(("per_task_plots", "png"), [(False, "fig.png"), (True, "fig_swimmer3.png")])
def test_a_multi_task_figure_names_even_a_one_task_plot_after_its_task(tmp_path, monkeypatch, per_task_plots, png):
    """fig3's left panel alone (--part left) once wrote swimmer3's plot as fig3_swimmer.png."""
    monkeypatch.setattr(common, "FIGURES", tmp_path / "figures")
    run = tmp_path / "runs" / "a-s0"
    run.mkdir(parents=True)
    run.joinpath("metrics.jsonl").write_text(
        "".join(json.dumps({"step": s, "eval_return_mean": -s / 10}) + "\n" for s in (0, 100)))
    cells = [common.Cell("a", "swimmer3", "svg-inf")]
    outs = common.plot_figure("fig", cells, {"a": [run]}, per_task_plots=per_task_plots)
    assert [p.name for p in outs] == [png]
    assert outs[0].read_bytes()[:4] == b"\x89PNG"


def test_time_to_target_counts_a_seed_that_never_got_there_as_infinitely_slow():
    import math

    from benchmarks.targets.stands import speedup_lines

    lines = speedup_lines({"sac-svg": [100.0, 200.0, math.inf], "sac": [600.0, math.inf, 900.0],
                           "slow": [math.inf, math.inf, 50.0]})
    assert lines[0].startswith("sac-svg: median wall time to the target 200 s, 2/3")
    assert lines[0].endswith("sac / sac-svg = 4.5x")
    assert "never" in lines[2] and "sac /" not in lines[2]
    assert "did not reach it" in speedup_lines({"a": [10.0], "sac": [math.inf]})[0]
