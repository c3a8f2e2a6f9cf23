"""Settings shared by several benchmark scripts, named once.

A recorded run's label must keep meaning the settings it ran with, so these are spelled out in full rather
than relying on whatever a per-task file (``svg_control/algo_configs/tasks/<task>.yaml``) selects today.
"""
from __future__ import annotations

from typing import Any

#: SVG(1)-ER's two estimators, both keys spelled out so that a per-task file setting one cannot change what a
#: label means: the paper's (importance-weighted) one, and the weight-free one introduced with 7eca5b6
#: (docs/DESIGN.md, docs/RESULTS.md "SVG(1)-ER without importance weights")
PAPER_ESTIMATOR: dict[str, Any] = {"policy_noise": "inferred", "critic_target": "td"}
WEIGHT_FREE: dict[str, Any] = {"policy_noise": "fresh", "critic_target": "model"}

#: per-algorithm overrides for the baselines (SVG(0), DPG) in the paper-figure grids; empty = each method's
#: defaults. They diverged on point_mass's unbounded reward, not on cart-pole, so none were chosen
#: (docs/RESULTS.md, Fig. 2 middle). The cart-pole's own tuned settings live in its per-task file,
#: svg_control/algo_configs/tasks/cartpole.yaml, which every cart-pole run reads.
BASELINE_OVERRIDES: dict[str, dict[str, Any]] = {"svg0": {}, "dpg": {}}
