"""Figure 4: the task suite. Claim: SVG(1)-ER beats SVG(1), SVG(0) and DPG on reacher, reacher_moving,
gripper, monoped, half_cheetah and walker.

Paper: 1e5-1e6+ steps per task, several seeds. Ours: default budget 5000 steps, 3 seeds
(6 tasks x 4 algorithms x 3 seeds = 72 runs: hours on this machine; use --tasks to pick).

    nice -n 10 python -m benchmarks.paper.fig4_suite [--tasks reacher,monoped] [--budget 5000] [--quick]
    nice -n 10 python -m benchmarks.paper.fig4_suite --tasks half_cheetah,walker --budget 20000 --eval-every 2000 \
        --name fig4_suite_20k [--weight-free]

``--weight-free`` adds SVG(1)-ER with the weight-free estimator (``<task>-svg1-er-wf``) beside the paper's.
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for
from benchmarks.presets import BASELINE_OVERRIDES, WEIGHT_FREE

TASKS = ("reacher", "reacher_moving", "gripper", "monoped", "half_cheetah", "walker")


def extra(p) -> None:
    p.add_argument("--tasks", default=",".join(TASKS))
    p.add_argument("--weight-free", action="store_true", help="also SVG(1)-ER without importance weights")


def cells(args) -> list[Cell]:
    out = []
    for task in args.tasks.split(","):
        out += [Cell(f"{task}-{algo}", task, algo, dict(BASELINE_OVERRIDES.get(algo, {})))
                for algo in ("svg1-er", "svg1", "svg0", "dpg")]
        if args.weight_free:
            out.append(Cell(f"{task}-svg1-er-wf", task, "svg1-er", dict(WEIGHT_FREE)))
    return out


if __name__ == "__main__":
    main_for("fig4_suite", cells, __doc__, budget=5000, eval_every=1000, extra_args=extra, per_task_plots=True)
