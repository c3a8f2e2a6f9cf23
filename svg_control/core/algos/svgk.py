"""SVG(k): k model steps re-enacted along real k-step windows, then gamma^k V(s_k): the recursion of eqs. 9-10
(Heess et al. 2015) cut after k steps.

The windows come from replay; each is weighted by the truncated product of its steps' importance weights.
V is fitted by TD(0) as in SVG(1)-ER (``core/algos/svg1.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..config import check_positive
from ..learner import Batch, Learner
from .paper import WeightedConfig


@dataclass
class SVGKConfig(WeightedConfig):
    """SVG(k)'s settings: the paper's, with the window length."""

    algo: ClassVar[str] = "svgk"
    #: k, the model steps re-enacted along each real window before V takes over
    svgk_horizon: int = 3

    def validate(self) -> None:
        super().validate()
        check_positive(self, ("svgk_horizon",))


class SVGK(Learner):
    name = SVGKConfig.algo
    settings = SVGKConfig
    config: SVGKConfig
    critic_kind = "value"
    importance_weighted = True

    def policy_inputs(self, batch: Batch, weights: torch.Tensor | None) -> Any:
        """``svgk_horizon``-step windows that stay inside one episode, and their weights; None if none yet."""
        c = self.config
        windows = self.replay.sample_windows(c.batch_size, c.svgk_horizon, self.rng, self.device, self.dtype)
        if windows is None:
            return None
        w = est.importance_weights(self.policy, windows["obs"], windows["action"], windows["log_prob"],
                                   c.iw_truncation).prod(1).clamp(max=c.iw_truncation)
        return windows, w

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        windows, w = inputs
        return est.svg_unroll_objective(self.policy, self.model, self.reward_fn, windows, self.config.gamma,
                                        self.critic, w)
