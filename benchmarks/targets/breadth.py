"""Breadth: every task of ``svg-control tasks`` at 10000 steps, ours with and without the model against SB3 SAC.

The target: on every task where SB3 SAC reaches a return at 10000 steps, ours reaches at least that return at
10000 steps, with the shipped defaults. One call trains one cell, resumed from its checkpoint when cut off
(``sample_efficiency.train_cell``), keeps the finished run's metrics under ``docs/runs/breadth/<task>/`` and
prints the table of every finished run:

    python -m benchmarks.targets.breadth --task cartpole --learner ours --seed 0
    python -m benchmarks.targets.breadth --report

The table gives, per task and learner, the final return (mean ± std over seeds), the best evaluation and the
mean of the evaluations from the middle of the run on; then ``ours >= sac`` per task: the final mean of ours
against SAC's, with the seeds that ran for both.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.targets.sample_efficiency import (
    LEARNERS,
    ROOT,
    load,
    parse_cell_arguments,
    results_root,
    task_dir,
    train_cell,
)

COLLECTION = "breadth"
BUDGET = 10_000
EVAL_EVERY = 1000


def task_list() -> list[str]:
    from svg_control.tasks.registry import task_names

    return list(task_names())


def table(root: Path = ROOT) -> str:
    lines = ["| task | learner | seeds | final | best | mean from half-way |", "|---|---|---|---|---|---|"]
    verdicts = []
    for task in task_list():
        folder = results_root(root, COLLECTION) / task_dir(task)
        finals: dict[str, float] = {}
        for learner in LEARNERS:
            runs = [(int(p.name.rsplit("-s", 1)[1]), load(p)) for p in sorted(folder.glob(f"{learner}-s*"))
                    if p.name.rsplit("-s", 1)[1].isdigit()]
            runs = [(seed, records) for seed, records in runs if records]
            if not runs:
                continue
            final = [records[-1]["eval_return_mean"] for _, records in runs]
            best = [max(r["eval_return_mean"] for r in records) for _, records in runs]
            late = [np.mean([r["eval_return_mean"] for r in records if r["step"] >= records[-1]["step"] / 2])
                    for _, records in runs]
            finals[learner] = float(np.mean(final))
            lines.append(f"| {task} | {learner} | {', '.join(str(s) for s, _ in runs)} | {np.mean(final):.1f} ± "
                         f"{np.std(final):.1f} | {np.mean(best):.1f} | {np.mean(late):.1f} |")
        if "ours" in finals and "sac" in finals:
            verdicts.append(f"{task}: ours {finals['ours']:.1f} {'>=' if finals['ours'] >= finals['sac'] else '<'} "
                            f"SAC {finals['sac']:.1f}")
    return "\n".join(lines + [""] + verdicts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task")
    args = parse_cell_arguments(parser, steps=BUDGET)
    if not args.report:
        if args.task not in task_list():
            parser.error(f"--task must be one of {', '.join(task_list())}")
        train_cell(args.task, args.learner, args.seed, args.steps, EVAL_EVERY, args.eval_episodes,
                   args.checkpoint_every, args.threads, collection=COLLECTION)
    print(table())


if __name__ == "__main__":
    main()
