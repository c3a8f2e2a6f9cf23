"""The contract every task (toy or MuJoCo) fulfils for the trainer and the nodes.

A task is a stepping environment plus a *differentiable* reward r(s, a, s')
written in torch: the SVG estimators differentiate the reward through the
policy and the learned model, so the reward must be known analytically (or be
learned, see ``core.reward_model``).

The spec and the reward are known without the simulator (``Task.describe``): a
controller sizes its policy and a learner differentiates the reward without
loading any physics.
"""
from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch only in signatures: naming tasks (launchers) need not import it
    import torch


@dataclass(frozen=True)
class TaskSpec:
    """Static description of a task; what the learner and the nodes size themselves by."""

    name: str
    obs_dim: int
    act_dim: int
    action_low: tuple[float, ...]
    action_high: tuple[float, ...]
    dt: float
    horizon: int
    obs_labels: tuple[str, ...] = ()
    joint_names: tuple[str, ...] = ()
    actuator_noise: float = 0.0  # torque-noise std as a fraction of each actuator's max |strength|
    description: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    #: observation dimensions only the reward reads; the networks never see them (e.g. a runner's root x,
    #: which its forward-progress reward needs and which grows without bound)
    reward_only_dims: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.obs_dim <= 0 or self.act_dim <= 0:
            raise ValueError(f"task {self.name!r}: obs_dim and act_dim must be positive")
        if len(self.action_low) != self.act_dim or len(self.action_high) != self.act_dim:
            raise ValueError(f"task {self.name!r}: action bounds must have act_dim={self.act_dim} entries")
        if any(not 0 <= i < self.obs_dim for i in self.reward_only_dims) or \
                len(set(self.reward_only_dims)) != len(self.reward_only_dims):
            raise ValueError(f"task {self.name!r}: reward_only_dims {self.reward_only_dims} must be distinct "
                             f"indices below obs_dim={self.obs_dim}")
        if self.obs_labels and len(self.obs_labels) != self.obs_dim:
            raise ValueError(f"task {self.name!r}: {len(self.obs_labels)} obs labels for obs_dim={self.obs_dim}")

    @property
    def low(self) -> np.ndarray:
        return np.asarray(self.action_low, dtype=np.float64)

    @property
    def high(self) -> np.ndarray:
        return np.asarray(self.action_high, dtype=np.float64)

    @property
    def safe_action(self) -> np.ndarray:
        """The action sent when no policy output may be trusted: zero, clipped into range."""
        return np.clip(np.zeros(self.act_dim), self.low, self.high)


@dataclass
class StepResult:
    obs: np.ndarray
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)


class Task(abc.ABC):
    """A stepping environment with a torch reward.

    ``step`` takes the *policy's* action; the task clips it to the actuator
    range (documented per task) and adds its actuator noise. ``reward_torch``
    is evaluated by the learner on batches and must equal the reward that
    ``step`` returns for the same (s, clipped a, s').
    """

    spec: TaskSpec

    @classmethod
    def describe(cls, **kwargs: Any) -> Task:
        """The task as far as it is known without its simulator: ``spec`` and ``reward_torch`` work.

        Takes the constructor's arguments. The default builds the task, which is right for tasks with no
        simulator to load; a task with one (MuJoCo) overrides this to skip loading it.
        """
        return cls(**kwargs)

    @abc.abstractmethod
    def reset(self, seed: int | None = None) -> np.ndarray:
        """Start a new episode and return the first observation."""

    @abc.abstractmethod
    def step(self, action: np.ndarray) -> StepResult:
        """Advance one control step."""

    @abc.abstractmethod
    def reward_torch(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """Batched differentiable reward, shape (B,), for (B, obs_dim), (B, act_dim), (B, obs_dim)."""

    def termination_torch(self) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None:
        """The task's known termination, batched torch (s, a, s') -> (B,) bool, or None when it has none (or never
        ends an episode). ``sac-svg``'s ``termination: known`` ends its model rollouts with it."""
        return None

    def clip_action(self, action: np.ndarray) -> np.ndarray:
        """Validate and clip an action; raises ValueError on wrong shape or non-finite values."""
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (self.spec.act_dim,):
            raise ValueError(f"task {self.spec.name!r}: action has shape {a.shape}, expected ({self.spec.act_dim},)")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"task {self.spec.name!r}: action contains NaN or Inf: {a}")
        return np.clip(a, self.spec.low, self.spec.high)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release simulator resources."""
