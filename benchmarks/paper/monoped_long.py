"""Monoped at a longer budget: SVG(1)-ER (and SB3 SAC) for 30000 steps, so that the robustness claim has
standing policies to test (at 5000 steps none of ours stood; `python -m benchmarks.paper.monoped_robustness
--runs runs/paper/monoped_long` evaluates these).

Paper: monoped trained for ~1e6 steps. Ours: 30000 steps (150 episodes of 200), 3 seeds, every method's
default settings (the monoped's per-task file for svg1-er).

    nice -n 10 python -m benchmarks.paper.monoped_long [--only svg1-er] [--budget 30000] [--td3]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for


def extra(p) -> None:
    p.add_argument("--td3", action="store_true", help="also SB3 TD3")


def cells(args) -> list[Cell]:
    out = [Cell("svg1-er", "monoped", "svg1-er"), Cell("sac", "monoped", "peer:sac")]
    return [*out, Cell("td3", "monoped", "peer:td3")] if args.td3 else out


if __name__ == "__main__":
    main_for("monoped_long", cells, __doc__, budget=30000, eval_every=2500, extra_args=extra)
