"""Monoped: SVG(1)-ER against stable-baselines3 SAC (and optionally TD3), same budget, seeds and
evaluation protocol (benchmarks/peers.py). Also the throughput comparison (env steps / wall s, one
update per env step, one process, one thread, evaluation time included for both).

Paper: monoped trained for ~1e6 steps (no SAC: it postdates the paper). Ours: default 5000 steps, 3 seeds.

    nice -n 10 python -m benchmarks.paper.monoped_vs_sac [--budget 5000] [--td3] [--quick]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for


def extra(p) -> None:
    p.add_argument("--td3", action="store_true", help="also run SB3 TD3")


def cells(args) -> list[Cell]:
    out = [
        # the defaults, which since 6646a64 include algo_configs/tasks/monoped.yaml (sigma_min 0.3, sigma_init 0.4)
        Cell("svg1-er", "monoped", "svg1-er"),
        # the defaults before 6646a64 (first run of this script): exploration floor 0.1
        Cell("svg1-er-sigmamin0.1", "monoped", "svg1-er", {"sigma_min": 0.1, "sigma_init": 0.3}),
        Cell("sac", "monoped", "peer:sac"),
    ]
    if args.td3:
        out.append(Cell("td3", "monoped", "peer:td3"))
    return out


if __name__ == "__main__":
    main_for("monoped_vs_sac", cells, __doc__, budget=5000, eval_every=500, extra_args=extra)
