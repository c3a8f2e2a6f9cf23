"""Running mean/std normalisation kept inside the networks' state dicts.

Living in buffers means a policy shipped to the controller carries the exact
normalisation it was trained with; nothing else must be kept in sync.
"""
from __future__ import annotations

import torch
from torch import nn


class RunningNorm(nn.Module):
    """Per-dimension running mean and std (parallel Welford), frozen or updating."""

    def __init__(self, dim: int, eps: float = 1e-6, min_std: float = 1e-3) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.min_std = min_std
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("mean64", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("m2", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, self.dim).to(torch.float64)
        n = x.shape[0]
        if n == 0:
            return
        batch_mean = x.mean(0)
        batch_m2 = ((x - batch_mean) ** 2).sum(0)
        total = self.count + n
        delta = batch_mean - self.mean64
        self.mean64 += delta * n / total
        self.m2 += batch_m2 + delta**2 * self.count * n / total
        self.count.fill_(total)
        self.mean.copy_(self.mean64.to(self.mean.dtype))
        var = self.m2 / torch.clamp(self.count - 1, min=1.0)
        self.std.copy_(torch.clamp(var.sqrt(), min=self.min_std).to(self.std.dtype))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / (self.std + self.eps)

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * (self.std + self.eps) + self.mean
