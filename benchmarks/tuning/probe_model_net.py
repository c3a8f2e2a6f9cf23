"""Probe: one 64x64 model network instead of 14 per-dimension 32x32 sub-networks, for SVG(1)-ER on the monoped.

Why: the single network makes the monoped's training loop 2.96x SAC's env steps/s instead of 2.44x
(`python -m benchmarks.throughput --set model_per_dimension=false --set model_hidden=[64,64]`), and
a single network was as accurate offline (docs/DESIGN.md). Does the policy learn as well? Same protocol and budget as
Fig. 4's monoped cell (5000 steps, eval every 1000, seeds 0-2), which is the per-dimension baseline.

    nice -n 10 python -m benchmarks.tuning.probe_model_net [--seeds 3]
"""
from __future__ import annotations

from benchmarks.paper.common import Cell, main_for


def cells(args) -> list[Cell]:
    return [Cell("monoped-svg1-er-single-model64", "monoped", "svg1-er",
                 {"model_per_dimension": False, "model_hidden": [64, 64]})]


if __name__ == "__main__":
    main_for("probe_model_net", cells, __doc__, budget=5000, eval_every=1000)
