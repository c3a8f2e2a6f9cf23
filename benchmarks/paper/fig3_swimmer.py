"""Figure 3: swimmers. Claims: (left) on swimmer3 SVG(inf) and SVG(1) beat the TD actor-critic, and
shrinking the model 20 -> 10 -> 5 hidden units per state dimension hurts SVG(inf) more than SVG(1);
(right) on swimmer5 / swimmer7 SVG(1)-ER beats SVG(inf), SVG(1), SVG(0) and DPG.

Paper: ~1e5-1e6 steps. Ours: default budget 5000 steps (10 episodes of 500), 3 seeds.
`--part left|right|all` picks the panel. `--frame egocentric` (the default since af0e29a) observes the goal
and the nose velocity in the head's frame; `--frame world` is the world-frame swimmer of the 5000-step
tables in docs/RESULTS.md, on which no learner learned to steer.

    nice -n 10 python -m benchmarks.paper.fig3_swimmer [--part all] [--budget 5000] [--quick]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for
from benchmarks.paper.swimmer_reference import reference_returns
from benchmarks.presets import BASELINE_OVERRIDES


def extra(p) -> None:
    p.add_argument("--part", choices=("left", "right", "all"), default="all")
    p.add_argument("--frame", choices=("egocentric", "world"), default="egocentric",
                   help="the swimmer's observation frame (Swimmer(egocentric=...))")


def cells(args) -> list[Cell]:
    frame = {"egocentric": args.frame == "egocentric"}
    out: list[Cell] = []
    if args.part in ("left", "all"):
        out.append(Cell("swimmer3-ac", "swimmer3", "ac", task_overrides=frame))
        for algo in ("svg-inf", "svg1"):
            for n in (20, 10, 5):
                out.append(Cell(f"swimmer3-{algo}-model{n}", "swimmer3", algo, {"model_hidden": [n, n]}, frame))
    if args.part in ("right", "all"):
        for task in ("swimmer5", "swimmer7"):
            for algo in ("svg1-er", "svg-inf", "svg1", "svg0", "dpg"):
                out.append(Cell(f"{task}-{algo}", task, algo, dict(BASELINE_OVERRIDES.get(algo, {})), frame))
    return out


if __name__ == "__main__":
    # the plots carry the scripted gait and the zero action on the same evaluation episodes: how much room
    # the task leaves above a flat curve
    main_for("fig3_swimmer", cells, __doc__, budget=5000, eval_every=1000, extra_args=extra,
             references=reference_returns, per_task_plots=True)
