"""Deterministic policy gradient (Silver et al. 2014), the paper's DPG baseline: Q_a(s, mu(s)) mu_theta.

Exploration noise sigma is not trained (only mu enters the objective); Q is fitted by TD(0) at the next
state's mean action.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..learner import Batch, Learner, PolicyOutputs
from .paper import PaperConfig


@dataclass
class DPGConfig(PaperConfig):
    """The DPG baseline's settings: the paper's shared ones."""

    algo: ClassVar[str] = "dpg"


class DPG(Learner):
    name = DPGConfig.algo
    settings = DPGConfig
    config: DPGConfig
    critic_kind = "action_value"

    def value_target(self, batch: Batch, noise: dict[str, torch.Tensor], outputs: PolicyOutputs | None
                     ) -> torch.Tensor:
        """r + gamma Q'(s', mu(s')), zero past a termination."""
        mu, _ = self.policy(batch["next_obs"])
        alive = 1.0 - batch["terminated"]
        return batch["reward"] + self.config.gamma * alive * self.critic_target(batch["next_obs"],
                                                                                  self.policy.clamp_action(mu))

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, _ = inputs
        return est.dpg_objective(self.policy, self.critic, batch["obs"])
