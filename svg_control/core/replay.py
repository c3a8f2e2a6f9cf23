"""Bounded, array-backed replay buffer (ring) with behaviour log-probs and versions.

Pre-allocated numpy arrays keep memory fixed at the capacity from the first
step. ``episode_id`` lets SVG(k) sample k-step windows that stay inside one
episode.
"""
from __future__ import annotations

import numpy as np
import torch

from .transition import Transition

FIELDS = ("obs", "action", "reward", "next_obs", "terminated", "truncated", "log_prob", "policy_version",
          "episode_id", "actor_id")


class ReplayBuffer:
    def __init__(self, obs_dim: int, act_dim: int, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"replay capacity must be positive, got {capacity}")
        self.obs_dim, self.act_dim, self.capacity = obs_dim, act_dim, capacity
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.action = np.zeros((capacity, act_dim), np.float32)
        self.reward = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.truncated = np.zeros(capacity, np.float32)
        self.log_prob = np.zeros(capacity, np.float32)
        self.policy_version = np.zeros(capacity, np.int64)
        self.episode_id = np.zeros(capacity, np.int64)
        self.actor_id = np.zeros(capacity, np.int64)
        self.size = 0
        self.next_index = 0
        self.total_added = 0

    def __len__(self) -> int:
        return self.size

    def add(self, t: Transition, episode_id: int) -> None:
        t.validate(self.obs_dim, self.act_dim)
        i = self.next_index
        self.obs[i], self.action[i], self.next_obs[i] = t.obs, t.action, t.next_obs
        self.reward[i], self.terminated[i], self.truncated[i] = t.reward, t.terminated, t.truncated
        self.log_prob[i], self.policy_version[i] = t.log_prob, t.policy_version
        self.episode_id[i], self.actor_id[i] = episode_id, t.actor_id
        self.next_index = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        self.total_added += 1

    def _gather(self, idx: np.ndarray, device: torch.device | str, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        out = {}
        for name in ("obs", "action", "reward", "next_obs", "terminated", "truncated", "log_prob"):
            out[name] = torch.as_tensor(getattr(self, name)[idx], dtype=dtype, device=device)
        return out

    def sample(self, batch_size: int, rng: np.random.Generator, device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32, recent_fraction: float = 0.0, recent_window: int = 1
               ) -> dict[str, torch.Tensor]:
        """Minibatch of single transitions: uniform over the buffer, except that ``recent_fraction`` of it
        is drawn uniformly from the newest ``recent_window`` transitions.

        Why: SVG(1)-ER's importance weights make old experience nearly weightless once the policy has
        moved, so a uniform batch carries a handful of effective samples; drawing part of it near the
        current policy keeps the batch informative (docs/RESULTS.md, "Batch size, exploration floor and
        replay recency").
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        n_recent = round(batch_size * recent_fraction)
        idx = rng.integers(0, self.size, batch_size - n_recent)
        if n_recent:
            newest = (self.next_index - 1 - rng.integers(0, min(recent_window, self.size), n_recent)) % self.capacity
            idx = np.concatenate([idx, newest])
        return self._gather(idx, device, dtype)

    def recent(self, n: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
               ) -> dict[str, torch.Tensor]:
        """The ``n`` most recently added transitions (on-policy estimators)."""
        n = min(n, self.size)
        idx = (self.next_index - 1 - np.arange(n)) % self.capacity
        return self._gather(idx[::-1], device, dtype)

    def sample_windows(self, batch_size: int, k: int, rng: np.random.Generator, device: torch.device | str = "cpu",
                       dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor] | None:
        """k consecutive transitions of one episode per row, fields shaped (B, k, ...); None if none exist."""
        if self.size < k:
            return None
        # candidate starts: the window's indices are contiguous in insertion order and share an episode
        oldest = self.next_index if self.size == self.capacity else 0
        starts_rel = rng.integers(0, self.size - k + 1, 4 * batch_size)
        idx = (oldest + starts_rel[:, None] + np.arange(k)[None, :]) % self.capacity
        same_episode = (self.episode_id[idx] == self.episode_id[idx[:, :1]]).all(1)
        not_ended_early = (self.terminated[idx[:, :-1]] < 0.5).all(1) & (self.truncated[idx[:, :-1]] < 0.5).all(1)
        idx = idx[same_episode & not_ended_early][:batch_size]
        if len(idx) == 0:
            return None
        flat = self._gather(idx.reshape(-1), device, dtype)
        return {name: v.reshape(idx.shape[0], k, *v.shape[1:]) for name, v in flat.items()}

    def last_ends_episode(self) -> bool:
        """Whether the newest stored transition ended its episode (True for an empty buffer)."""
        if not self.size:
            return True
        last = (self.next_index - 1) % self.capacity
        return bool(self.terminated[last] or self.truncated[last])

    def arrays(self) -> dict[str, np.ndarray]:
        """Contents for checkpointing (whole arrays, with the ring position stored separately)."""
        return {name: getattr(self, name) for name in FIELDS}

    def load_arrays(self, arrays: dict[str, np.ndarray], size: int, next_index: int, total_added: int) -> None:
        for name in FIELDS:
            src = arrays[name]
            dst = getattr(self, name)
            if src.shape != dst.shape:
                raise ValueError(f"replay field {name!r} has shape {src.shape} in the checkpoint, expected {dst.shape}")
            dst[...] = src
        self.size, self.next_index, self.total_added = size, next_index, total_added
