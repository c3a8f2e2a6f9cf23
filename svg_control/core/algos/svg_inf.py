"""SVG(inf): the backward recursion of eqs. 9-10 along each whole real episode (Heess et al. 2015, Algorithm 1).

After each episode the learner re-enacts it with inferred policy and model noise and differentiates its
discounted return in the policy (``estimators.svg_unroll_objective`` without a value function): one policy
step per finished episode, no critic. The model still learns every step from replay.
"""
from __future__ import annotations

from typing import Any

import torch

from .. import estimators as est
from ..learner import Batch, Learner, episode_tensors


class SVGInf(Learner):
    name = "svg-inf"
    episodic = True

    def policy_inputs(self, batch: Batch, weights: torch.Tensor | None) -> Any:
        """The newest finished episode as one window; None until one has finished since the last step."""
        if not self.finished_episodes:
            return None
        return episode_tensors(self.finished_episodes.pop(), self.device, self.dtype)

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        return est.svg_unroll_objective(self.policy, self.model, self.reward_fn, inputs, self.config.gamma)
