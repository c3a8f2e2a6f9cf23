"""Figure 2 (left): hand and ball (reward only at the final step). Claim: SVG(inf) learns; the planner
(back-propagation through model rollouts) makes little progress.

Paper: horizon 1000 (10 s), thousands of episodes. Ours: default `--horizon 200` (2 s; the task's
final-step reward indicator follows the horizon), budget 10000 env steps = 50 episodes, 3 seeds.

    nice -n 10 python -m benchmarks.paper.fig2_left_hand_ball [--budget 10000] [--horizon 200] [--quick]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for


def extra(p) -> None:
    p.add_argument("--horizon", type=int, default=200, help="episode length (paper: 1000)")


def cells(args) -> list[Cell]:
    t = {"horizon": args.horizon}
    return [Cell("svg-inf", "hand_ball", "svg-inf", {}, t), Cell("planner", "hand_ball", "planner", {}, t)]


if __name__ == "__main__":
    main_for("fig2_left_hand_ball", cells, __doc__, budget=10000, eval_every=1000, extra_args=extra)
