"""Shared runner for the paper-figure scripts (``benchmarks/paper/``) and the tuning probes (``benchmarks/tuning/``).

A figure is a grid of (label, task, algo, overrides, task_overrides) x seeds. Each cell runs
sequentially (one process, one torch thread: the machine is shared) into
``runs/paper/<figure>/<label>-s<seed>``; a cell whose metrics.jsonl already reaches the budget is
skipped, so a script can be interrupted and resumed, and one of ours that finished at a smaller budget
continues from its final checkpoint (peers start over). Peers (SB3 SAC/TD3, ``algo="peer:sac"``) run through
``benchmarks/peers.py`` and write the same metrics.jsonl format. After the grid, one PNG per task is
plotted with ``svg_control.plotting.plot_runs`` and a summary table (return at fixed steps, wall time)
is printed and written to ``runs/paper/<figure>/summary.md``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "runs" / "paper"
FIGURES = ROOT / "docs" / "figures"


#: task -> {label: return} drawn as horizontal lines on that task's plot (e.g. a scripted controller)
References = Callable[[str], dict[str, float]]


@dataclass
class Cell:
    label: str
    task: str
    algo: str  # an svg_control algorithm, or "peer:sac" / "peer:td3"
    overrides: dict[str, Any] = field(default_factory=dict)
    task_overrides: dict[str, Any] = field(default_factory=dict)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "svg_control", "benchmarks"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def base_parser(description: str, budget: int, eval_every: int, seeds: int = 3) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--budget", type=int, default=budget, help=f"env steps per run (default {budget})")
    p.add_argument("--eval-every", type=int, default=eval_every)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--seeds", type=int, default=seeds, help="number of seeds (0..n-1)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny smoke run (1 seed, few hundred steps, own dir)")
    p.add_argument("--only", default=None, help="comma-separated labels to run (others are only plotted)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--report-only", action="store_true", help="train nothing: plot and summarise existing runs")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--name", default=None,
                   help="runs/paper/<name>/ and the plots' name (default: the figure's); keeps a run of the same "
                        "grid at another budget from mixing with the default one")
    return p


def _finished(run_dir: Path, budget: int) -> bool:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return False
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    return bool(lines) and json.loads(lines[-1])["step"] >= budget


def run_cell(cell: Cell, seed: int, out: Path, budget: int, eval_every: int, eval_episodes: int) -> float:
    """Train one (cell, seed) into ``out`` unless finished; returns wall seconds (0 if skipped)."""
    if _finished(out, budget):
        return 0.0
    t0 = time.perf_counter()
    if cell.algo.startswith("peer:"):
        from benchmarks.peers import run_peer  # noqa: PLC0415

        run_peer(cell.algo.split(":", 1)[1], cell.task, budget, seed, out, eval_every, eval_episodes,
                 task_overrides=cell.task_overrides)
    else:
        from svg_control.trainer import RunSettings, train  # noqa: PLC0415

        settings = RunSettings(task=cell.task, algo=cell.algo, steps=budget, seed=seed, eval_every=eval_every,
                               eval_episodes=eval_episodes, checkpoint_every=max(budget, 1),
                               task_overrides=dict(cell.task_overrides), overrides=dict(cell.overrides))
        # a run finished at a smaller budget continues from its final checkpoint instead of starting over
        # (which would also overwrite the shorter run's curve); a run cut short has none and starts over
        resume = (out / "metrics.jsonl").exists() and (out / "checkpoints" / "latest.json").exists()
        train(settings, out, resume=resume, progress=False)
    return time.perf_counter() - t0


def run_dirs(figure: str, cells: list[Cell], seeds: list[int]) -> dict[str, list[Path]]:
    return {c.label: [RUNS / figure / f"{c.label}-s{s}" for s in seeds] for c in cells}


def run_grid(figure: str, cells: list[Cell], args: argparse.Namespace,
             references: References | None = None, per_task_plots: bool = False) -> dict[str, list[Path]]:
    import torch  # noqa: PLC0415

    torch.set_num_threads(args.threads)
    if args.quick:
        figure, budget, eval_every, seeds = figure + "-quick", min(args.budget, 300), 100, [args.first_seed]
    else:
        budget, eval_every = args.budget, args.eval_every
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    only = set(args.only.split(",")) if args.only else None
    dirs = run_dirs(figure, cells, seeds)
    commit = git_commit()
    log = RUNS / figure / "log.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    # seed-major order: every algorithm gets seed 0 before any gets seed 1, so a cut-short grid is balanced
    for i, seed in enumerate(seeds):
        for cell in cells:
            if (only and cell.label not in only) or args.report_only:
                continue
            out = dirs[cell.label][i]
            wall = run_cell(cell, seed, out, budget, eval_every, args.eval_episodes)
            if wall:
                last = json.loads(Path(out, "metrics.jsonl").read_text().splitlines()[-1])
                msg = {"label": cell.label, "seed": seed, "task": cell.task, "algo": cell.algo, "budget": budget,
                       "wall_s": round(wall, 1), "final_return": round(last["eval_return_mean"], 2),
                       "commit": commit}
                print(json.dumps(msg), flush=True)
                with log.open("a") as f:
                    f.write(json.dumps(msg) + "\n")
    if not args.no_plot:
        plot_figure(figure, cells, dirs, references=references, per_task_plots=per_task_plots)
    print(summary(figure, cells, dirs, budget))
    return dirs


def plot_figure(figure: str, cells: list[Cell], dirs: dict[str, list[Path]], suffix: str = "",
                references: References | None = None, per_task_plots: bool = False) -> list[Path]:
    """One PNG per task. A multi-task figure (``per_task_plots``) always names its PNGs after the task, so a
    run of one panel (``--part left``) does not write a task's plot under the whole figure's name."""
    from svg_control.plotting import plot_runs  # noqa: PLC0415

    FIGURES.mkdir(parents=True, exist_ok=True)
    named_by_figure = len({c.task for c in cells}) == 1 and not per_task_plots
    outs = []
    for task in dict.fromkeys(c.task for c in cells):
        runs, labels = [], []
        for c in cells:
            if c.task != task:
                continue
            for d in dirs[c.label]:
                if (d / "metrics.jsonl").exists() and (d / "metrics.jsonl").stat().st_size:
                    runs.append(d)
                    labels.append(c.label)
        if not runs:
            continue
        name = figure if named_by_figure else f"{figure}_{task.replace(':', '_')}"
        out = FIGURES / f"{name}{suffix}.png"
        plot_runs(runs, out, title=f"{figure}: {task}", labels=labels,
                  references=references(task) if references else None)
        outs.append(out)
    return outs


def load(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]


def return_at(records: list[dict], step: int) -> float | None:
    """Eval return at the last evaluation <= step (None if the run did not get there)."""
    if not records or records[-1]["step"] < step:
        return None
    vals = [r["eval_return_mean"] for r in records if r["step"] <= step]
    return vals[-1] if vals else None


def summary(figure: str, cells: list[Cell], dirs: dict[str, list[Path]], budget: int,
            points: tuple[float, ...] = (0.25, 0.5, 1.0)) -> str:
    steps = [int(budget * p) for p in points]
    head = "| label | task | seeds | " + " | ".join(f"return @{s}" for s in steps) + " | wall s/run | steps/s |"
    lines = [f"### {figure} (budget {budget} steps, commit {git_commit()})", "", head,
             "|" + "---|" * (5 + len(steps))]
    for c in cells:
        recs = [load(d) for d in dirs[c.label]]
        recs = [r for r in recs if r]
        cols = []
        for s in steps:
            vals = [v for v in (return_at(r, s) for r in recs) if v is not None]
            cols.append(f"{np.mean(vals):.1f} ± {np.std(vals):.1f} (n={len(vals)})" if vals else "-")
        done = [r for r in recs if r[-1]["step"] >= budget]
        wall = np.mean([r[-1]["wall_s"] for r in done]) if done else float("nan")
        sps = np.mean([r[-1]["step"] / r[-1]["wall_s"] for r in done]) if done else float("nan")
        lines.append(f"| {c.label} | {c.task} | {len(recs)} | " + " | ".join(cols) + f" | {wall:.0f} | {sps:.0f} |")
    text = "\n".join(lines) + "\n"
    out = RUNS / figure / "summary.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


def main_for(figure: str, cells_fn, description: str, budget: int, eval_every: int, extra_args=None,
             references: References | None = None, per_task_plots: bool = False) -> None:
    """Standard entry point: parse args, build cells (cells_fn(args) -> list[Cell]), run, plot (with
    ``references(task)``'s horizontal lines, if given; ``per_task_plots`` for a figure of several tasks)."""
    parser = base_parser(description, budget, eval_every)
    if extra_args:
        extra_args(parser)
    args = parser.parse_args()
    run_grid(args.name or figure, cells_fn(args), args, references, per_task_plots)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("import this module from a figure script")
