"""Figure 2 (right): value-function size. Claim: shrinking the critic's first layer 200 -> 100 -> 50
hurts SVG(1) (which also uses the model) less than DPG (which relies on the critic alone).

Paper: cart-pole, critic first layer 200/100/50. Ours: `cartpole`, critic_hidden = [N, 128] for
N in 200, 100, 50, SVG(1) and DPG, default budget 5000 steps, 3 seeds (18 runs).

    nice -n 10 python -m benchmarks.paper.fig2_right_value_size [--budget 5000] [--quick]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for
from benchmarks.presets import BASELINE_OVERRIDES


def cells(args) -> list[Cell]:
    out = []
    for algo in ("svg1", "dpg"):
        for n in (200, 100, 50):
            overrides = {**BASELINE_OVERRIDES.get(algo, {}), "critic_hidden": [n, 128]}
            out.append(Cell(f"{algo}-critic{n}", "cartpole", algo, overrides))
    return out


if __name__ == "__main__":
    main_for("fig2_right_value_size", cells, __doc__, budget=5000, eval_every=500)
