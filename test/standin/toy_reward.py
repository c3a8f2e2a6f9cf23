"""Small reward and termination entry points for the task-file tests (any observation size)."""
from __future__ import annotations

import torch


def effort_cost(obs: torch.Tensor, command: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
    return -(command**2).sum(-1)


def third_above_half(obs: torch.Tensor, command: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
    return next_obs[..., 2] > 0.5
