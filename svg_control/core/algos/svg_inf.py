"""SVG(inf): the backward recursion of eqs. 9-10 along each whole real episode (Heess et al. 2015, Algorithm 1).

After each episode the learner re-enacts it with inferred policy and model noise and differentiates its
discounted return in the policy (``estimators.svg_unroll_objective`` without a value function): one policy
step per finished episode, no critic. The model still learns every step from replay.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..learner import Batch, Learner, episode_tensors
from .paper import PaperConfig


@dataclass
class SVGInfConfig(PaperConfig):
    """SVG(inf)'s settings: the paper's, for one policy step per whole episode."""

    algo: ClassVar[str] = "svg-inf"
    #: one policy step per episode, so a larger one than the per-step algorithms take
    policy_lr: float = 1e-3
    #: learning starts with the first short episodes stored
    min_replay: int = 32


class SVGInf(Learner):
    name = SVGInfConfig.algo
    settings = SVGInfConfig
    config: SVGInfConfig
    episodic = True

    def policy_inputs(self, batch: Batch, weights: torch.Tensor | None) -> Any:
        """The newest finished episode as one window; None until one has finished since the last step."""
        if not self.finished_episodes:
            return None
        return episode_tensors(self.finished_episodes.pop(), self.device, self.dtype)

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        return est.svg_unroll_objective(self.policy, self.model, self.reward_fn, inputs, self.config.gamma)
