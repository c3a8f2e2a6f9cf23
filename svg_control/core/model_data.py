"""A ring buffer of model-generated transitions, kept apart from the real replay.

MBPO (Janner et al. 2019) and DHMBPO (Kubo et al. 2025) roll the current policy out briefly through the
learned model from replayed states and train the critic on a mix of these and real transitions. The model's
transitions are regenerated as the model and the policy move, so the buffer is small (a few refreshes' worth),
lives on the learner's device as tensors, and is never checkpointed: a resumed run refills it from its first
update on.
"""
from __future__ import annotations

import numpy as np
import torch

FIELDS = ("obs", "action", "reward", "next_obs", "terminated")


class ModelDataBuffer:
    """Transitions (s, a, r, s', d) from model rollouts; ``terminated`` is the probability the step ended the
    episode (a learned termination model's), so the critic's target discounts by its expectation."""

    def __init__(self, obs_dim: int, act_dim: int, capacity: int, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32) -> None:
        if capacity < 1:
            raise ValueError(f"model data capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        widths = {"obs": obs_dim, "action": act_dim, "reward": 0, "next_obs": obs_dim, "terminated": 0}
        self.data = {name: torch.zeros((capacity, w) if w else (capacity,), device=device, dtype=dtype)
                     for name, w in widths.items()}
        self.size = 0
        self.next_index = 0

    def __len__(self) -> int:
        return self.size

    @torch.no_grad()
    def add(self, transitions: dict[str, torch.Tensor]) -> None:
        """Append a batch of transitions (each field with the same leading size), overwriting the oldest."""
        n = transitions["obs"].shape[0]
        if any(transitions[name].shape[0] != n for name in FIELDS):
            raise ValueError("model transitions must share their leading size")
        if n > self.capacity:
            transitions = {name: transitions[name][-self.capacity:] for name in FIELDS}
            n = self.capacity
        idx = (self.next_index + torch.arange(n, device=self.data["obs"].device)) % self.capacity
        for name in FIELDS:
            self.data[name][idx] = transitions[name].to(self.data[name].dtype)
        self.next_index = (self.next_index + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """``n`` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty model data buffer")
        idx = torch.as_tensor(rng.integers(0, self.size, n), device=self.data["obs"].device)
        return {name: values[idx] for name, values in self.data.items()}
