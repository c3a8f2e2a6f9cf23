"""One environment step as the learner needs it, and its flat wire layout.

The same layout travels in a std_msgs/Float64MultiArray on ``transitions``
(labelled dimensions make it self-describing) and is what the replay buffer
stores: s, a, r, s', terminated, truncated, behaviour log-prob, policy
version, actor id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Scalar fields after s, a, r... in wire order.
SCALAR_FIELDS = ("reward", "terminated", "truncated", "log_prob", "policy_version", "actor_id")


@dataclass
class Transition:
    obs: np.ndarray
    action: np.ndarray
    reward: float
    next_obs: np.ndarray
    terminated: bool
    truncated: bool
    log_prob: float
    policy_version: int = 0
    actor_id: int = 0

    def validate(self, obs_dim: int, act_dim: int) -> None:
        """Raise ValueError naming the field if shapes are wrong or anything is non-finite."""
        for name, arr, dim in (("obs", self.obs, obs_dim), ("next_obs", self.next_obs, obs_dim),
                               ("action", self.action, act_dim)):
            a = np.asarray(arr)
            if a.shape != (dim,):
                raise ValueError(f"transition {name} has shape {a.shape}, expected ({dim},)")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"transition {name} contains NaN or Inf")
        for name in ("reward", "log_prob"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"transition {name} is not finite")

    def to_array(self) -> np.ndarray:
        return np.concatenate([
            np.asarray(self.obs, dtype=np.float64), np.asarray(self.action, dtype=np.float64),
            np.asarray(self.next_obs, dtype=np.float64),
            np.array([self.reward, float(self.terminated), float(self.truncated), self.log_prob,
                      float(self.policy_version), float(self.actor_id)]),
        ])

    @classmethod
    def from_array(cls, flat: np.ndarray, obs_dim: int, act_dim: int) -> Transition:
        flat = np.asarray(flat, dtype=np.float64)
        expected = wire_length(obs_dim, act_dim)
        if flat.shape != (expected,):
            raise ValueError(f"transition array has {flat.size} values, expected {expected} "
                             f"(obs_dim={obs_dim}, act_dim={act_dim})")
        o, a = obs_dim, act_dim
        r, term, trunc, logp, ver, actor = flat[2 * o + a:]
        t = cls(flat[:o].copy(), flat[o:o + a].copy(), float(r), flat[o + a:2 * o + a].copy(), bool(term > 0.5),
                bool(trunc > 0.5), float(logp), int(ver), int(actor))
        t.validate(obs_dim, act_dim)
        return t


def wire_length(obs_dim: int, act_dim: int) -> int:
    return 2 * obs_dim + act_dim + len(SCALAR_FIELDS)


def wire_labels(obs_dim: int, act_dim: int) -> list[tuple[str, int]]:
    """(label, size) of each block, for a MultiArrayLayout."""
    return [("obs", obs_dim), ("action", act_dim), ("next_obs", obs_dim)] + [(f, 1) for f in SCALAR_FIELDS]
