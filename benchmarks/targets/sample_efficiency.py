"""Sample efficiency: robot steps to a target return, ours against our own model-free ablation and SB3 SAC.

One call trains ONE cell (a task, a learner and a seed), so a grid can span several sittings and a finished
run is never lost; then it prints the table from every finished run there is:

    python -m benchmarks.targets.sample_efficiency --task gym:Hopper-v5 --learner ours --seed 10
    python -m benchmarks.targets.sample_efficiency --report          # the table only, trains nothing

A cell trains in ``runs/sample_efficiency/<task>/<learner>-s<seed>/`` with a checkpoint every
``--checkpoint-every`` steps; a call that finds the cell cut off resumes it from its latest checkpoint (an SB3
peer starts over: resuming it would mean unpickling its replay buffer). A finished run's ``metrics.jsonl`` and
``config.yaml`` (never its checkpoints) are copied to ``docs/runs/sample_efficiency/<task>/<learner>-s<seed>/``,
which is what the table reads and what gets committed.

The learners (:data:`LEARNERS`): ``ours`` is the shipped default learner; ``ours-nomodel`` is the same learner
with no model (H = 0, no model data); ``ours-modeldata`` the default with half of each critic batch from
model rollouts; ``sac`` is stable-baselines3's SAC with its defaults
(``benchmarks/peers.py``). The table reports, per task and learner: the median first evaluation step at or above
the task's target (a seed that never gets there counts as never; the median is finite only when more than half
the seeds did), the median wall seconds to it, the return at the budget, collapses (an evaluation below half
the target after first reaching it) and the wall milliseconds per env step (env, update and evaluation
together); then ours' steps to the target over SAC's and over the ablation's. Wall times compare only between
runs that shared the machine at the same time. Tune on seeds 0-2; report on fresh seeds.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def work_root(root: Path, collection: str = "sample_efficiency") -> Path:
    """Where a collection's cells train, checkpoints included (not committed)."""
    return root / "runs" / collection


def results_root(root: Path, collection: str = "sample_efficiency") -> Path:
    """Where a collection's finished runs' metrics are kept (committed)."""
    return root / "docs" / "runs" / collection

#: task -> (target return, default budget in env steps, evaluation period)
TASKS: dict[str, tuple[float, int, int]] = {
    "monoped": (150.0, 30_000, 2500),
    "gym:Hopper-v5": (1000.0, 50_000, 2500),
    "gym:Walker2d-v5": (1000.0, 50_000, 2500),
    "gym:HalfCheetah-v5": (3000.0, 50_000, 2500),
}


@dataclass(frozen=True)
class LearnerSpec:
    """How a learner of the table is run: our algorithm with settings, or an SB3 peer."""

    algo: str  # an svg_control algorithm, or "peer:sac"
    overrides: dict[str, Any] = field(default_factory=dict)
    description: str = ""


LEARNERS: dict[str, LearnerSpec] = {
    "ours": LearnerSpec("sac-svg", {}, "the shipped default learner"),
    "ours-nomodel": LearnerSpec("sac-svg", {"model_horizon": 0, "model_data_fraction": 0.0},
                                "the same learner with no model: none in the policy's estimate, no model data"),
    "ours-modeldata": LearnerSpec("sac-svg", {"model_data_fraction": 0.5},
                                  "the default with half of each critic batch from model rollouts (MBPO)"),
    "sac": LearnerSpec("peer:sac", {}, "stable-baselines3 SAC, its defaults"),
}


def cell_name(learner: str, seed: int) -> str:
    return f"{learner}-s{seed}"


def task_dir(task: str) -> str:
    return task.replace(":", "_")


def load(path: Path) -> list[dict]:
    metrics = path / "metrics.jsonl"
    if not metrics.exists():
        return []
    return [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]


def finished(path: Path, steps: int) -> bool:
    records = load(path)
    return bool(records) and records[-1]["step"] >= steps


def train_cell(task: str, learner: str, seed: int, steps: int, eval_every: int, eval_episodes: int = 5,
               checkpoint_every: int = 5000, threads: int = 1, root: Path = ROOT,
               collection: str = "sample_efficiency") -> Path:
    """Train (or resume) one cell into its work directory and copy its metrics to docs/runs when finished."""
    import torch

    torch.set_num_threads(threads)
    spec = LEARNERS[learner]
    work = work_root(root, collection) / task_dir(task) / cell_name(learner, seed)
    result = results_root(root, collection) / task_dir(task) / cell_name(learner, seed)
    if finished(result, steps):
        print(f"{task} {learner} seed {seed}: finished already ({result})")
        return result
    start = time.perf_counter()
    if spec.algo.startswith("peer:"):
        from benchmarks.peers import run_peer

        if work.exists():
            shutil.rmtree(work)  # a peer cut off starts over (no unpickling of its replay buffer)
        run_peer(spec.algo.split(":", 1)[1], task, steps, seed, work, eval_every, eval_episodes, threads=threads)
    else:
        from svg_control.trainer import RunSettings, train

        resume = (work / "checkpoints" / "latest.json").exists()
        settings = RunSettings(task=task, algo=spec.algo, steps=steps, seed=seed, eval_every=eval_every,
                               eval_episodes=eval_episodes, checkpoint_every=checkpoint_every,
                               overrides=dict(spec.overrides))
        if resume:
            print(f"{task} {learner} seed {seed}: resuming from {work / 'checkpoints'}", flush=True)
        train(settings, work, resume=resume, progress=False)
    result.mkdir(parents=True, exist_ok=True)
    for name in ("metrics.jsonl", "config.yaml"):
        shutil.copy2(work / name, result / name)
    command = " ".join([f"python -m benchmarks.targets.{collection}", *sys.argv[1:]])
    (result / "command.txt").write_text(command + "\n")
    print(f"{task} {learner} seed {seed}: done in {time.perf_counter() - start:.0f} s -> {result}")
    return result


@dataclass
class RunSummary:
    seed: int
    steps_to_target: float  # inf when never reached
    wall_to_target: float
    final: float
    budget: int
    collapsed: bool
    ms_per_step: float


def summarise(records: list[dict], seed: int, target: float) -> RunSummary:
    hit = next((r for r in records if r["eval_return_mean"] >= target), None)
    collapsed = hit is not None and any(r["eval_return_mean"] < target / 2 for r in records if r["step"] > hit["step"])
    last = records[-1]
    return RunSummary(seed, math.inf if hit is None else hit["step"], math.inf if hit is None else hit["wall_s"],
                      last["eval_return_mean"], last["step"], collapsed,
                      1000.0 * last["wall_s"] / max(last["step"], 1))


def median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan


def fmt(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "-"
    return "never" if math.isinf(value) else f"{value:.0f}{unit}"


def table(root: Path = ROOT, targets: dict[str, float] | None = None) -> str:
    """The table of every run under docs/runs/sample_efficiency, per task of ``targets`` (default: TASKS')."""
    lines = []
    targets = targets or {task: target for task, (target, _, _) in TASKS.items()}
    for task, target in targets.items():
        folder = results_root(root) / task_dir(task)
        runs: dict[str, list[RunSummary]] = {}
        for learner in LEARNERS:
            for path in sorted(folder.glob(f"{learner}-s*")):
                seed = path.name.rsplit("-s", 1)[1]
                records = load(path)
                if records and seed.isdigit():
                    runs.setdefault(learner, []).append(summarise(records, int(seed), target))
        if not runs:
            continue
        lines += [f"### {task}: target {target:g}", "",
                  "| learner | seeds | median steps to target | median wall s to it | return at the end "
                  "| collapsed | ms per env step |", "|---|---|---|---|---|---|---|"]
        medians = {}
        for learner, summaries in runs.items():
            medians[learner] = median([s.steps_to_target for s in summaries])
            finals = [s.final for s in summaries]
            budgets = sorted({s.budget for s in summaries})
            lines.append(
                f"| {learner} | {', '.join(str(s.seed) for s in summaries)} | {fmt(medians[learner])} "
                f"| {fmt(median([s.wall_to_target for s in summaries]))} "
                f"| {np.mean(finals):.0f} ± {np.std(finals):.0f} at {'/'.join(map(str, budgets))} "
                f"| {sum(s.collapsed for s in summaries)}/{len(summaries)} "
                f"| {median([s.ms_per_step for s in summaries]):.1f} |")
        ours = medians.get("ours")
        for other in ("sac", "ours-nomodel"):
            if ours is not None and other in medians and math.isfinite(ours) and math.isfinite(medians[other]):
                lines.append(f"\nours' steps to the target / {other}'s: {ours / medians[other]:.2f}")
        lines.append("")
    return "\n".join(lines) if lines else "no finished runs under docs/runs/sample_efficiency yet\n"


def parse_cell_arguments(parser: argparse.ArgumentParser, steps: int | None, steps_help: str = "env steps"
                         ) -> argparse.Namespace:
    """The options every one-cell-per-call benchmark shares (``--task`` is each one's own); a cell to train
    needs --task, --learner and --seed, unless --report."""
    parser.add_argument("--learner", choices=sorted(LEARNERS))
    parser.add_argument("--seed", type=int)
    parser.add_argument("--steps", type=int, default=steps, help=steps_help)
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--checkpoint-every", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="print the table only")
    args = parser.parse_args()
    if not args.report and (args.task is None or args.learner is None or args.seed is None):
        parser.error("--task, --learner and --seed name the cell to train (or --report)")
    return args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS))
    args = parse_cell_arguments(parser, steps=None, steps_help="env steps (default: the task's budget)")
    if not args.report:
        _, budget, eval_every = TASKS[args.task]
        train_cell(args.task, args.learner, args.seed, args.steps or budget, eval_every, args.eval_episodes,
                   args.checkpoint_every, args.threads)
    print(table())


if __name__ == "__main__":
    main()
