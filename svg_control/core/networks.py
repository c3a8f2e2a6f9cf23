"""Plain and batched multilayer perceptrons.

``BatchedMLP`` evaluates K independent small networks with one batched matmul
per layer: the paper's per-state-dimension model sub-networks without a
Python loop over dimensions.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "silu": nn.SiLU}


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "tanh",
        layer_norm: bool = False) -> nn.Sequential:
    """in -> hidden... -> out with ``activation`` between layers and a linear output.

    ``layer_norm`` puts a LayerNorm before each hidden activation (Ba et al. 2016), as RLPD (Ball et al.
    2023) and DHMBPO (Kubo et al. 2025) do in their critics: it bounds the features a TD target can push
    up, which keeps Q from drifting where the data is thin."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden:
        layers.append(nn.Linear(last, width))
        if layer_norm:
            layers.append(nn.LayerNorm(width))
        layers.append(ACTIVATIONS[activation]())
        last = width
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


class BatchedMLP(nn.Module):
    """K independent MLPs sharing one input: (..., in) -> (..., K, out)."""

    def __init__(self, n_nets: int, in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "tanh") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
        self.n_nets = n_nets
        self.act = ACTIVATIONS[activation]()
        dims = [in_dim, *hidden, out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            bound = 1.0 / math.sqrt(fan_in)  # nn.Linear's default init, per sub-network
            self.weights.append(nn.Parameter(torch.empty(n_nets, fan_in, fan_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(n_nets, 1, fan_out).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        x = x.reshape(-1, x.shape[-1])
        h = x.unsqueeze(0).expand(self.n_nets, *x.shape)  # (K, B, in)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = self.act(h)
        return h.transpose(0, 1).reshape(*lead, self.n_nets, h.shape[-1])  # (..., K, out)
