"""Gymnasium's own MuJoCo environments behind the Task contract, so SVG runs where published tables run.

``make_task("gym:HalfCheetah-v5")`` (also ``Hopper-v5``, ``Walker2d-v5``, ``InvertedPendulum-v5``) wraps
the unmodified Gymnasium environment: its physics, reset noise, termination and reward. SVG differentiates the reward,
so each environment's v5 reward is re-implemented in torch from (s, a, s') and checked against the
environment's own reward in the tests.

One departure from the default observation, on purpose: for HalfCheetah, Hopper and Walker2d the root's x
position is kept in the observation (``exclude_current_positions_from_observation=False``, one extra
dimension, first). Their reward is the x displacement over the step divided by dt, which cannot be
computed from the default observation (it holds only the end-of-step velocity). Results on these tasks
are therefore on an 18-d (HalfCheetah, Walker2d) and 12-d (Hopper) observation; everything else is
Gymnasium's.
The networks never see that x (``TaskSpec.reward_only_dims``): it grows without bound as the robot runs,
and a policy or critic fed it meets inputs it never saw, in the very states that are the best so far.

These tasks are for the headless trainer and the paper scripts; they have no launch files.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..core.estimators import RewardFn
from ..core.learner import TerminationFn
from ..core.task import StepResult, Task, TaskSpec

PREFIX = "gym:"


def _half_cheetah(env: Any) -> RewardFn:
    u = env.unwrapped
    fwd, ctrl, dt = u._forward_reward_weight, u._ctrl_cost_weight, u.dt

    def reward(obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        return fwd * (next_obs[..., 0] - obs[..., 0]) / dt - ctrl * (action**2).sum(-1)

    return reward


Healthy = Callable[[torch.Tensor], torch.Tensor]


def _hopper_healthy(env: Any) -> Healthy:
    u = env.unwrapped
    (z_low, z_high), (angle_low, angle_high) = u._healthy_z_range, u._healthy_angle_range
    s_low, s_high = u._healthy_state_range

    def healthy(next_obs: torch.Tensor) -> torch.Tensor:
        # Hopper.is_healthy on s': state_vector()[2:] is obs[2:] here (x kept, velocities clipped at 10 < 100)
        z, angle, rest = next_obs[..., 1], next_obs[..., 2], next_obs[..., 2:]
        return ((rest > s_low) & (rest < s_high)).all(-1) & (z > z_low) & (z < z_high) \
            & (angle > angle_low) & (angle < angle_high)

    return healthy


def _walker2d_healthy(env: Any) -> Healthy:
    u = env.unwrapped
    (z_low, z_high), (angle_low, angle_high) = u._healthy_z_range, u._healthy_angle_range

    def healthy(next_obs: torch.Tensor) -> torch.Tensor:
        # Walker2d.is_healthy on s': qpos[1:3] (z, angle) is obs[1:3] here (x kept)
        z, angle = next_obs[..., 1], next_obs[..., 2]
        return (z > z_low) & (z < z_high) & (angle > angle_low) & (angle < angle_high)

    return healthy


def _alive_runner(healthy_of: Callable[[Any], Healthy]) -> Callable[[Any], RewardFn]:
    """Hopper's and Walker2d's reward: forward progress, an alive bonus while healthy, a control cost."""
    def make(env: Any) -> RewardFn:
        u = env.unwrapped
        fwd, ctrl, dt, alive = u._forward_reward_weight, u._ctrl_cost_weight, u.dt, u._healthy_reward
        healthy = healthy_of(env)

        def reward(obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
            return fwd * (next_obs[..., 0] - obs[..., 0]) / dt + alive * healthy(next_obs).to(obs.dtype) \
                - ctrl * (action**2).sum(-1)

        return reward

    return make


def _ends_when_unhealthy(healthy_of: Callable[[Any], Healthy]) -> Callable[[Any], TerminationFn]:
    """The known termination of Hopper and Walker2d (``terminate_when_unhealthy``, their default)."""
    def make(env: Any) -> TerminationFn:
        healthy = healthy_of(env)
        return lambda obs, action, next_obs: ~healthy(next_obs)

    return make


def _inverted_pendulum(env: Any) -> RewardFn:
    def reward(obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        # +1 while the pole is within 0.2 rad: no gradient of its own, V carries the signal
        return (next_obs[..., 1].abs() <= 0.2).to(obs.dtype)

    return reward


#: env id -> (gym.make keyword arguments, its torch reward, its known termination or None)
ENVS: dict[str, tuple[dict[str, Any], Callable[[Any], RewardFn], Callable[[Any], TerminationFn] | None]] = {
    "HalfCheetah-v5": ({"exclude_current_positions_from_observation": False}, _half_cheetah, None),
    "Hopper-v5": ({"exclude_current_positions_from_observation": False}, _alive_runner(_hopper_healthy),
                  _ends_when_unhealthy(_hopper_healthy)),
    "InvertedPendulum-v5": ({}, _inverted_pendulum, None),  # ends past 0.2 rad; its reward already says so
    "Walker2d-v5": ({"exclude_current_positions_from_observation": False}, _alive_runner(_walker2d_healthy),
                    _ends_when_unhealthy(_walker2d_healthy)),
}


def gymnasium_task_names() -> list[str]:
    return [PREFIX + name for name in ENVS]


class GymnasiumTask(Task):
    """A Gymnasium MuJoCo environment as a Task; ``horizon`` defaults to the environment's time limit."""

    def __init__(self, env_id: str, horizon: int | None = None, seed: int | None = None) -> None:
        import gymnasium as gym

        if env_id not in ENVS:
            raise ValueError(f"unknown Gymnasium task {env_id!r}; valid: {', '.join(gymnasium_task_names())}")
        kwargs, make_reward, make_termination = ENVS[env_id]
        self.env = gym.make(env_id, **kwargs).unwrapped  # our own time limit below; no checker wrappers
        limit = gym.spec(env_id).max_episode_steps
        box = self.env.action_space
        n_obs = self.env.observation_space.shape[0]
        self.spec = TaskSpec(
            name=PREFIX + env_id, obs_dim=n_obs, act_dim=box.shape[0],
            action_low=tuple(float(x) for x in box.low), action_high=tuple(float(x) for x in box.high),
            dt=float(self.env.dt), horizon=int(horizon or limit), obs_labels=tuple(f"obs_{i}" for i in range(n_obs)),
            description=f"Gymnasium {env_id} (reward re-implemented in torch)",
            # the kept root x is for the reward only: it grows without bound as the robot moves forward
            reward_only_dims=(0,) if kwargs.get("exclude_current_positions_from_observation") is False else (),
        )
        self._reward = make_reward(self.env)
        self._termination = make_termination(self.env) if make_termination is not None else None
        self._seed = seed
        self._obs = np.zeros(n_obs)
        self.t = 0

    @classmethod
    def describe(cls, **kwargs: Any) -> GymnasiumTask:
        """Spec and reward come from Gymnasium's environment, so this builds it (MuJoCo included) and closes it;
        the reward keeps working (it holds the environment's weights, not the environment)."""
        task = cls(**kwargs)
        task.close()
        return task

    def reset(self, seed: int | None = None) -> np.ndarray:
        seed = seed if seed is not None else self._seed
        self._seed = None  # a seed applies to the first reset only; later ones continue its stream
        obs, _ = self.env.reset(seed=seed)
        self._obs = np.asarray(obs, dtype=np.float64)
        self.t = 0
        return self._obs.copy()

    def step(self, action: np.ndarray) -> StepResult:
        a = self.clip_action(action)
        obs, reward, terminated, _, info = self.env.step(a.astype(self.env.action_space.dtype))
        self.t += 1
        self._obs = np.asarray(obs, dtype=np.float64)
        truncated = (not terminated) and self.t >= self.spec.horizon
        return StepResult(self._obs.copy(), float(reward), bool(terminated), truncated, dict(info))

    def reward_torch(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        return self._reward(obs, action, next_obs)

    def termination_torch(self) -> TerminationFn | None:
        return self._termination

    def close(self) -> None:
        self.env.close()
