"""A learned termination model: p(episode ends | s, a, s'), for value estimates through model predictions.

With an alive bonus or a fall penalty, "don't fall" has no gradient through a value of a predicted state
unless the estimate knows which predicted states end the episode. The classifier is fitted on replay to
the recorded ``terminated`` flags (binary cross-entropy); its survival probability 1 - p multiplies what
comes after a model step, and is differentiable in the predicted state (SAC-SVG(H)'s done classifier,
Amos et al. 2021). A task that never terminates teaches it p ~ 0, which changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .networks import mlp
from .normalizer import RunningNorm


class TerminationModel(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (64, 64), activation: str = "relu",
                 obs_norm: RunningNorm | None = None) -> None:
        super().__init__()
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.net = mlp(2 * obs_dim + act_dim, hidden, 1, activation)

    def logit(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.obs_norm.normalize(obs), action, self.obs_norm.normalize(next_obs)], -1)
        return self.net(x).squeeze(-1)

    def survival(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """1 - p(terminated): the weight of everything after this step."""
        return torch.sigmoid(-self.logit(obs, action, next_obs))

    def loss(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,
             terminated: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.logit(obs, action, next_obs), terminated)
