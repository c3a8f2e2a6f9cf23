"""A learned reward r(s, a, s') for tasks whose reward is not known in closed form.

SVG needs r's derivatives; when the task cannot supply a torch reward the
learner fits this network by regression on observed rewards and
differentiates it instead.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .networks import mlp
from .normalizer import RunningNorm


class RewardModel(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (64, 64), activation: str = "tanh",
                 obs_norm: RunningNorm | None = None) -> None:
        super().__init__()
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.net = mlp(2 * obs_dim + act_dim, hidden, 1, activation)

    def forward(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.obs_norm.normalize(obs), action, self.obs_norm.normalize(next_obs)], -1)
        return self.net(x).squeeze(-1)

    def loss(self, batch: dict[str, torch.Tensor], clamp) -> torch.Tensor:
        pred = self(batch["obs"], clamp(batch["action"]), batch["next_obs"])
        return ((pred - batch["reward"]) ** 2).mean()
