"""A learned termination model: p(episode ends | s, a, s'), for value estimates through model predictions.

With an alive bonus or a fall penalty, "don't fall" has no gradient through a value of a predicted state
unless the estimate knows which predicted states end the episode. The classifier is fitted on replay to
the recorded ``terminated`` flags (binary cross-entropy); its survival probability 1 - p multiplies what
comes after a model step, and is differentiable in the predicted state (SAC-SVG(H)'s done classifier,
Amos et al. 2021). A task that never terminates teaches it p ~ 0, which changes nothing.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from .reward_model import RewardModel


class TerminationModel(RewardModel):
    """The reward model's network on (s, a, s'), read as the logit of p(terminated) instead of a reward."""

    def logit(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        return self(obs, action, next_obs)

    def survival(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """1 - p(terminated): the weight of everything after this step."""
        return torch.sigmoid(-self.logit(obs, action, next_obs))

    def loss(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,  # type: ignore[override]
             terminated: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.logit(obs, action, next_obs), terminated)
