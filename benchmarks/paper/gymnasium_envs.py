"""SVG(1)-ER on Gymnasium's own MuJoCo environments beside stable-baselines3 SAC: numbers that sit next
to published tables (e.g. one table gives an earlier SVG implementation HalfCheetah ~340 at 200k steps
against SAC ~4000).

Both learners see the same environment through our Task wrapper (``gym:<id>``, the v5 reward
re-implemented in torch for SVG; HalfCheetah and Hopper keep the root x in the observation, see
``svg_control/tasks/gymnasium_task.py``), with the same budget, seeds and evaluation protocol
(deterministic policy, evaluation seeds from trainer.EVAL_SEED_BASE), one update per env step.

SVG(1)-ER runs each task's own settings (``svg_control/algo_configs/tasks/gym_<id>.yaml``): since 41d8304
HalfCheetah-v5 and Hopper-v5 use the weight-free estimators there (docs/RESULTS.md).

Published tables: 1e6 steps. Ours: default 10000 steps, 3 seeds; far too short for HalfCheetah/Hopper
to mean more than "which learns first".

    nice -n 10 python -m benchmarks.paper.gymnasium_envs [--envs InvertedPendulum-v5] [--budget 10000] [--td3]
    nice -n 10 python -m benchmarks.paper.gymnasium_envs --envs Hopper-v5 --budget 30000 --seeds 5 --compiled \
        --only Hopper-v5-svg1-er-compiled
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for

ENVS = ("InvertedPendulum-v5", "HalfCheetah-v5", "Hopper-v5")


def extra(p) -> None:
    p.add_argument("--envs", default=",".join(ENVS))
    p.add_argument("--no-sac", action="store_true", help="ours only")
    p.add_argument("--td3", action="store_true", help="also SB3 TD3")
    p.add_argument("--compiled", action="store_true",
                   help="also SVG(1)-ER with compile_update=true (label <env>-svg1-er-compiled): does it learn "
                        "as the eager learner does?")


def cells(args) -> list[Cell]:
    out = []
    for env in args.envs.split(","):
        out.append(Cell(f"{env}-svg1-er", f"gym:{env}", "svg1-er"))
        if args.compiled:
            out.append(Cell(f"{env}-svg1-er-compiled", f"gym:{env}", "svg1-er", {"compile_update": True}))
        if not args.no_sac:
            out.append(Cell(f"{env}-sac", f"gym:{env}", "peer:sac"))
        if args.td3:
            out.append(Cell(f"{env}-td3", f"gym:{env}", "peer:td3"))
    return out


if __name__ == "__main__":
    main_for("gymnasium_envs", cells, __doc__, budget=10000, eval_every=2000, extra_args=extra, per_task_plots=True)
