"""One environment step as the learner needs it, and its flat wire layout.

Wire order (``wire_labels``): s (obs_dim), a (act_dim), s' (obs_dim), then the scalars reward,
terminated, truncated, behaviour log-prob, policy version, actor id. ``to_array`` and ``from_array``
follow it; the ``transitions`` topic carries it in a std_msgs/Float64MultiArray whose labelled
dimensions make it self-describing (``svg_control.nodes.interface.codecs.transitions``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Scalar fields after s, a, s', in wire order.
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
        """The wire layout of this transition (``wire_labels``), float64."""
        return np.concatenate([
            np.asarray(self.obs, dtype=np.float64), np.asarray(self.action, dtype=np.float64),
            np.asarray(self.next_obs, dtype=np.float64),
            np.array([float(getattr(self, f)) for f in SCALAR_FIELDS]),
        ])

    @classmethod
    def from_array(cls, flat: np.ndarray, obs_dim: int, act_dim: int) -> Transition:
        """The transition of a wire array; ValueError on a wrong length or a non-finite value."""
        flat = np.asarray(flat, dtype=np.float64)
        expected = wire_length(obs_dim, act_dim)
        if flat.shape != (expected,):
            raise ValueError(f"transition array has {flat.size} values, expected {expected} "
                             f"(obs_dim={obs_dim}, act_dim={act_dim})")
        t = cls.unpack(flat, obs_dim, act_dim)
        t.validate(obs_dim, act_dim)
        return t

    @classmethod
    def unpack(cls, flat: np.ndarray, obs_dim: int, act_dim: int) -> Transition:
        """Split a wire array of the right length into fields, checking nothing.

        For a caller that has already checked every value (the ``transitions`` codec); anyone else
        wants ``from_array``.
        """
        o, a = obs_dim, act_dim
        r, term, trunc, logp, ver, actor = flat[2 * o + a:]
        return cls(flat[:o].copy(), flat[o:o + a].copy(), float(r), flat[o + a:2 * o + a].copy(), bool(term > 0.5),
                   bool(trunc > 0.5), float(logp), int(ver), int(actor))


def wire_length(obs_dim: int, act_dim: int) -> int:
    return 2 * obs_dim + act_dim + len(SCALAR_FIELDS)


def wire_labels(obs_dim: int, act_dim: int) -> list[tuple[str, int]]:
    """(label, size) of each block in wire order, for a MultiArrayLayout."""
    return [("obs", obs_dim), ("action", act_dim), ("next_obs", obs_dim)] + [(f, 1) for f in SCALAR_FIELDS]
