"""Critics: V(s) for SVG(1)/SVG(k)/actor-critic, Q(s, a) for SVG(0) and DPG, twin Q(s, a) for SAC-SVG(H).

Each is learned by fitted policy evaluation against a slowly moving target
copy (polyak averaging), the paper's approach for V.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from .networks import mlp
from .normalizer import RunningNorm


class ValueCritic(nn.Module):
    def __init__(self, obs_dim: int, hidden: Sequence[int] = (128, 128), activation: str = "tanh",
                 obs_norm: RunningNorm | None = None) -> None:
        super().__init__()
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.net = mlp(obs_dim, hidden, 1, activation)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(self.obs_norm.normalize(obs)).squeeze(-1)


class QCritic(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (128, 128), activation: str = "tanh",
                 obs_norm: RunningNorm | None = None, action_center: torch.Tensor | None = None,
                 action_scale: torch.Tensor | None = None, layer_norm: bool = False) -> None:
        super().__init__()
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.register_buffer("action_center", torch.zeros(act_dim) if action_center is None else action_center.clone())
        self.register_buffer("action_scale", torch.ones(act_dim) if action_scale is None else action_scale.clone())
        self.net = mlp(obs_dim + act_dim, hidden, 1, activation, layer_norm)

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.obs_norm.normalize(obs), (action - self.action_center) / self.action_scale], -1)
        return self.net(x).squeeze(-1)


def make_target(module: nn.Module) -> nn.Module:
    """A frozen copy that shares the (running) observation normaliser with its source."""
    target = copy.deepcopy(module)
    pairs = [(t, m) for t, m in zip(target.modules(), module.modules()) if hasattr(m, "obs_norm")]
    for t, m in pairs:  # every level (a twin critic's two heads too), not only the outermost
        t.obs_norm = m.obs_norm
    for p in target.parameters():
        p.requires_grad_(False)
    return target


@torch.no_grad()
def polyak_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    for tp, sp in zip(target.parameters(), source.parameters()):
        tp.lerp_(sp, tau)


class TwinQCritic(nn.Module):
    """Two independent Q(s, a) networks: ``q1, q2 = critic(s, a)``, each (B,); ``pessimistic`` is their min.

    Each head regresses on the same target; taking the smaller of the two independently fitted estimates
    counters the overestimation a policy that maximises Q would exploit (Fujimoto et al. 2018, as used by
    SAC and SAC-SVG(H)).
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (256, 256), activation: str = "relu",
                 obs_norm: RunningNorm | None = None, action_center: torch.Tensor | None = None,
                 action_scale: torch.Tensor | None = None, layer_norm: bool = False) -> None:
        super().__init__()
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.q1, self.q2 = (QCritic(obs_dim, act_dim, hidden, activation, self.obs_norm, action_center, action_scale,
                                    layer_norm) for _ in range(2))

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.q1(obs, action), self.q2(obs, action)

    def pessimistic(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """min(Q_1(s, a), Q_2(s, a)) per sample."""
        return torch.stack(self(obs, action)).min(0).values
