"""Critics: V(s) for SVG(1)/SVG(k)/actor-critic, Q(s, a) for SVG(0) and DPG, an ensemble of Q(s, a) for SAC-SVG(H).

Each is learned by fitted policy evaluation against a slowly moving target
copy (polyak averaging), the paper's approach for V.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from .networks import BatchedMLP, mlp
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


class QEnsembleCritic(nn.Module):
    """N independent Q(s, a) networks fitted to one target: ``critic(s, a)`` is (N, ...), one row per head.

    SAC and SAC-SVG(H) fit two (twin critics, Fujimoto et al. 2018): the smaller of two independently fitted
    estimates counters the overestimation a policy that maximises Q would exploit. REDQ (Chen et al. 2021)
    and DHMBPO fit more and take the min over a random pair of them for the TD target, which keeps that
    correction while each head sees another pair's target: a less biased, less noisy value. The heads are
    one ``BatchedMLP``: one batched matmul per layer evaluates all of them, instead of N networks one after
    the other. Each head starts as the plain network it replaces would, from the same random numbers.
    Unpacking keeps the twin form: ``q1, q2 = critic(s, a)``.
    """

    #: the names of the heads where a checkpoint holds twin critics as separate networks (``q1.net.0.weight``)
    SEPARATE_HEADS = ("q1", "q2")

    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (256, 256), activation: str = "relu",
                 obs_norm: RunningNorm | None = None, action_center: torch.Tensor | None = None,
                 action_scale: torch.Tensor | None = None, layer_norm: bool = False, heads: int = 2) -> None:
        super().__init__()
        if heads < 1:
            raise ValueError(f"a Q ensemble needs at least one head, got {heads}")
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.register_buffer("action_center", torch.zeros(act_dim) if action_center is None else action_center.clone())
        self.register_buffer("action_scale", torch.ones(act_dim) if action_scale is None else action_scale.clone())
        self.activation = activation
        members = [mlp(obs_dim + act_dim, hidden, 1, activation, layer_norm) for _ in range(heads)]
        self.net = BatchedMLP.from_members(members, activation)

    def forward(self, obs: torch.Tensor, action: torch.Tensor, heads: torch.Tensor | None = None) -> torch.Tensor:
        """(N, ...) the heads' values, or only those of the indices ``heads`` (at their share of the cost)."""
        x = torch.cat([self.obs_norm.normalize(obs), (action - self.action_center) / self.action_scale], -1)
        q = self.net.forward_members(x.reshape(-1, x.shape[-1]), heads)
        return q.reshape(q.shape[0], *x.shape[:-1])

    def pessimistic(self, obs: torch.Tensor, action: torch.Tensor, heads: torch.Tensor | None = None) -> torch.Tensor:
        """min over the heads (all of them, or the indices ``heads``) per sample."""
        return self(obs, action, heads).min(0).values

    def mean(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The heads' mean per sample: REDQ's and DHMBPO's value for the policy's objective."""
        return self(obs, action).mean(0)

    def head(self, k: int) -> nn.Sequential:
        """Head k as a plain network over [normalised obs, scaled action], a copy of its weights."""
        return self.net.member(k)

    # -- checkpoints that hold the two heads as separate networks ---------------------------------------------
    def _plain_head(self) -> nn.Sequential:
        return mlp(self.net.in_dim, self.net.hidden, self.net.out_dim, self.activation, self.net.layer_norm)

    def separate_parameter_names(self) -> list[str]:
        """The parameter names, in order, of the layout with one network per head: the order in which an
        optimiser's state of that layout is indexed."""
        names = [name for name, _ in self._plain_head().named_parameters()]
        return [f"{head}.net.{name}" for head in self.SEPARATE_HEADS for name in names]

    def stack_separate_heads(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor] | None:
        """``state`` (keys relative to this module) in the batched layout; None where it already is.

        Works on any tensors shaped as the parameters, so Adam's moments are rearranged as the weights are.
        The heads' references to the shared normaliser and their action scaling collapse onto this module's.
        """
        prefixes = tuple(f"{head}." for head in self.SEPARATE_HEADS)
        first = prefixes[0]
        if not any(key.startswith(first) for key in state):
            return None
        out = {key: value for key, value in state.items() if not key.startswith(prefixes)}
        for key, value in state.items():
            if key.startswith(first) and not key.startswith(f"{first}net."):
                out.setdefault(key[len(first):], value)
        layers = list(self._plain_head().named_children())
        linears = [name for name, module in layers if isinstance(module, nn.Linear)]
        norms = [name for name, module in layers if isinstance(module, nn.LayerNorm)]
        for names, fields in ((linears, (("weight", "weights"), ("bias", "biases"))),
                              (norms, (("weight", "norm_weights"), ("bias", "norm_biases")))):
            for i, name in enumerate(names):
                for field, stacked in fields:
                    parts = [state.get(f"{head}.net.{name}.{field}") for head in self.SEPARATE_HEADS]
                    if any(part is None for part in parts):
                        continue
                    parts = [p.T if (field, stacked) == ("weight", "weights") else p.unsqueeze(0) for p in parts]
                    out[f"net.{stacked}.{i}"] = torch.stack(parts).contiguous()
        return out
