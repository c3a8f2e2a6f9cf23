"""SVG(0): a Q critic and the gradient E_eta[Q_a(s, pi(s, eta)) pi_theta] (Heess et al. 2015, the paper's SVG(0)).

SVG(0) is the stochastic counterpart of DPG: the action is drawn with fresh noise and the value gradient
comes from Q alone, with no model in the policy step. Q is fitted by TD(0) with the next action sampled
from the policy; replay needs no importance weights (Q-learning is off-policy).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..config import check_positive
from ..learner import Batch, Learner, PolicyOutputs
from .paper import PaperConfig


@dataclass
class SVG0Config(PaperConfig):
    """SVG(0)'s settings: the paper's, with the policy noise draws per state."""

    algo: ClassVar[str] = "svg0"
    #: policy noise draws per replayed state in the estimate of E_eta[Q(s, pi(s, eta))]
    svg0_samples: int = 1

    def validate(self) -> None:
        super().validate()
        check_positive(self, ("svg0_samples",))


class SVG0(Learner):
    name = SVG0Config.algo
    settings = SVG0Config
    config: SVG0Config
    critic_kind = "action_value"

    def value_target(self, batch: Batch, noise: dict[str, torch.Tensor], outputs: PolicyOutputs | None
                     ) -> torch.Tensor:
        """r + gamma Q'(s', a') with a' ~ pi(s'), zero past a termination."""
        mu, sigma = self.policy(batch["next_obs"])
        a_next = mu + sigma * torch.randn(mu.shape, generator=self.generator, dtype=mu.dtype).to(mu.device)
        alive = 1.0 - batch["terminated"]
        return batch["reward"] + self.config.gamma * alive * self.critic_target(batch["next_obs"],
                                                                                  self.policy.clamp_action(a_next))

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, _ = inputs
        return est.svg0_objective(self.policy, self.critic, batch["obs"], self.config.svg0_samples, self.generator)
