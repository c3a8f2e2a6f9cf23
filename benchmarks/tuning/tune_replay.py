"""Tuning probe at the longer budgets where SVG(1)-ER plateaued (monoped, Hopper-v5) or swung (HalfCheetah-v5):
minibatch size, exploration floor, recency of the replayed experience and the policy step size.

Why: at 30000 steps SVG(1)-ER's importance weights averaged 0.2-0.5 on the monoped and 0.0001-0.05 on
Hopper, i.e. a 64-transition minibatch carried a handful of effective samples. Larger batches (the first
measurements in docs/DESIGN.md used 256) and batches drawn partly from the newest experience
(``recent_fraction``) both raise that count; a lower floor trades exploration for on-policy weights. Tuned on
seed 0, winners re-run on fresh seeds (``--first-seed 1``) against the default on the same seeds.

The weight-free estimators (7eca5b6; ``fresh``: the policy step with fresh policy noise; ``model``: V
fitted on a one-model-step target at a fresh action; ``fresh-model``: both) have variants of their own, and so
has ``iw``, the paper's estimator, since HalfCheetah-v5's and Hopper-v5's own files select weight-free ones
(41d8304).

    nice -n 10 python -m benchmarks.tuning.tune_replay --seeds 1 --only monoped-batch256,monoped-floor0.2  # 30000 steps
    nice -n 10 python -m benchmarks.tuning.tune_replay --seeds 1 --budget 20000 --only gym_HalfCheetah-v5-batch64
    nice -n 10 python -m benchmarks.tuning.tune_replay --seeds 3 --report-only     # tables, one plot per task

Labels are ``<task>-<variant>`` with ':' spelled '_' (``gym_Hopper-v5-batch256``).
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for
from benchmarks.presets import PAPER_ESTIMATOR, WEIGHT_FREE

RECENT = {"recent_fraction": 0.5, "recent_window": 5000}
# relative to the task's own file: "default" is whatever algo_configs/tasks/<task>.yaml says (the
# HalfCheetah-v5 file set batch 256 from 3c1bf4c to 2d9aec3, so its runs are labelled batch64 / batch256)
VARIANTS = {
    "default": {},
    "floor0.2": {"sigma_min": 0.2, "sigma_init": 0.3},
    "floor0.1": {"sigma_min": 0.1, "sigma_init": 0.3},
    "batch64": {"batch_size": 64},
    "batch256": {"batch_size": 256},
    "batch256-recent": {"batch_size": 256, **RECENT},
    "batch256-policylr1e-4": {"batch_size": 256, "policy_lr": 1e-4},
    # measured offline (docs/DESIGN.md): one 256-unit model network was as accurate as per-dimension ones and
    # 3x faster
    "batch256-singlemodel256": {"batch_size": 256, "model_per_dimension": False, "model_hidden": [256, 256]},
    # "iw": the paper's estimator (the default until 41d8304 made Hopper-v5 and HalfCheetah-v5
    # weight-free; their earlier "default" runs, and HalfCheetah's "batch256" one, are this variant now).
    # The others drop the importance weights: the policy step with the current policy's own noise at
    # replayed states, and/or V regressed on a one-model-step target at a fresh on-policy action. Both keys
    # are spelled out in each, so a task file that sets one of them cannot change what a label means.
    "iw": PAPER_ESTIMATOR,
    "fresh": {**PAPER_ESTIMATOR, "policy_noise": WEIGHT_FREE["policy_noise"]},
    "model": {**PAPER_ESTIMATOR, "critic_target": WEIGHT_FREE["critic_target"]},
    "fresh-model": WEIGHT_FREE,
    # HalfCheetah-v5's batch 256 (3c1bf4c) was chosen for the weighted estimator and costs half the speed;
    # does the weight-free one need it?
    "fresh-model-batch64": {**WEIGHT_FREE, "batch_size": 64},
    # the speed target (>= 3x SAC) rests on the paper's small networks. Its model has 20 units per
    # state-dimension sub-network (Fig. 3); do the tasks still learn with that model, and with the generic
    # 64x64 policy and 128x128 critic instead of the cheetah's 128x128 / 256x256?
    "model20": {"model_hidden": [20]},
    "model20-small": {"model_hidden": [20], "policy_hidden": [64, 64], "critic_hidden": [128, 128]},
    # HalfCheetah-v5's per-dimension 64x64 model keeps even the compiled update compute-bound (2.3x SAC);
    # with 32x32 it reaches 3.0x. Does it still learn? (compiled: the same update, 1.7x faster to run)
    "model32-compiled": {"model_hidden": [32, 32], "compile_update": True},
    # the task's own settings with the compiled update: does it learn as the eager "default" runs do?
    "compiled": {"compile_update": True},
}


TASKS = ("monoped", "gym:HalfCheetah-v5", "gym:Hopper-v5")


def cells(args) -> list[Cell]:
    return [Cell(f"{task.replace(':', '_')}-{label}", task, "svg1-er", overrides)
            for task in TASKS for label, overrides in VARIANTS.items()]


if __name__ == "__main__":
    main_for("tune_replay", cells, __doc__, budget=30000, eval_every=2500, per_task_plots=True)
