"""Probe: the weight-free SVG(1)-ER against the paper's importance-weighted one on Fig. 4's half_cheetah and
walker, under Fig. 4's protocol (5000 steps, evaluation every 1000, each task's own settings).

Why: in the three-seed probe at 4175b94 one weight-free seed on each task learned what no method had learned in
5000 steps (half_cheetah 1116, walker 972), and three seeds could not separate the estimators. Ten seeds
per cell decide whether the tasks' files should select the weight-free estimator.

    nice -n 10 python -m benchmarks.tuning.probe_fig4_weight_free --seeds 10
    nice -n 10 python -m benchmarks.tuning.probe_fig4_weight_free --seeds 10 --report-only

Labels: ``<task>-iw`` (the paper's estimator) and ``<task>-wf`` (``policy_noise=fresh``,
``critic_target=model``).
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for
from benchmarks.presets import PAPER_ESTIMATOR, WEIGHT_FREE

ESTIMATORS = {"iw": PAPER_ESTIMATOR, "wf": WEIGHT_FREE}
TASKS = ("half_cheetah", "walker")


def cells(args) -> list[Cell]:
    return [Cell(f"{task}-{label}", task, "svg1-er", overrides)
            for task in TASKS for label, overrides in ESTIMATORS.items()]


if __name__ == "__main__":
    main_for("probe_fig4_weight_free", cells, __doc__, budget=5000, eval_every=1000, per_task_plots=True)
