"""Running mean/std normalisation kept inside the networks' state dicts.

Living in buffers means a policy shipped to the controller carries the exact
normalisation it was trained with; nothing else must be kept in sync.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class RunningNorm(nn.Module):
    """Per-dimension running mean and std (parallel Welford), frozen or updating.

    ``hidden_dims`` are dimensions the networks must not see (their normalised value is always 0): a
    root position that only the reward reads grows without bound as a runner runs, and a policy or
    critic fed it would meet inputs it never saw. Their statistics are still kept. The mask is derived
    from the task (``TaskSpec.reward_only_dims``) wherever a network is built, so it is not stored in
    weights or checkpoints.
    """

    def __init__(self, dim: int, eps: float = 1e-6, min_std: float = 1e-3, hidden_dims: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.min_std = min_std
        if any(not 0 <= i < dim for i in hidden_dims):
            raise ValueError(f"hidden_dims {hidden_dims} out of range for dimension {dim}")
        visible = torch.ones(dim)
        visible[list(hidden_dims)] = 0.0
        self.masked = bool(hidden_dims)
        self.register_buffer("visible", visible, persistent=False)
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("mean64", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("m2", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def update(self, x: torch.Tensor | np.ndarray) -> None:
        """Fold a batch (..., dim) into the statistics.

        A numpy batch on a CPU normaliser is folded in with numpy on views of the buffers: the learner
        node calls this once per received transition from a thread that shares the GIL with the ROS
        executor, and each small torch op of the tensor path releases and re-takes the GIL, which under
        load starves the updates (docs/RESULTS.md, "System benchmarks").
        """
        if isinstance(x, np.ndarray):
            if self.mean64.device.type == "cpu":
                self._update_numpy(np.asarray(x, dtype=np.float64).reshape(-1, self.dim))
                return
            x = torch.as_tensor(x, device=self.mean64.device)
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

    def _update_numpy(self, x: np.ndarray) -> None:
        n = x.shape[0]
        if n == 0:
            return
        count, mean64, m2 = self.count.numpy(), self.mean64.numpy(), self.m2.numpy()
        batch_mean = x.mean(0)
        batch_m2 = ((x - batch_mean) ** 2).sum(0)
        total = float(count) + n
        delta = batch_mean - mean64
        m2 += batch_m2 + delta**2 * float(count) * n / total
        mean64 += delta * n / total
        count[...] = total
        self.mean.numpy()[...] = mean64
        self.std.numpy()[...] = np.maximum(np.sqrt(m2 / max(total - 1.0, 1.0)), self.min_std)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.mean) / (self.std + self.eps)
        return z * self.visible if self.masked else z

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * (self.std + self.eps) + self.mean
