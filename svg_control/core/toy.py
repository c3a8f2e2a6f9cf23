"""Linear-Gaussian toy tasks: test the core without MuJoCo.

``LinearGaussianTask`` is s' = A s + B a + noise_std * xi with a quadratic
reward. Its true dynamics are known, so tests can hand the exact model to the
estimators and compare their gradients with ground truth. ``point_mass`` is a
noisy 1-D double integrator built from it: the smallest task on which a
policy has something real to learn (drive the mass to the origin and hold it).
"""
from __future__ import annotations

import numpy as np
import torch

from .task import StepResult, Task, TaskSpec


class LinearGaussianTask(Task):
    """s' = A s + B clip(a) + noise_std * xi; r = -(s'^T Q s' + a^T R a)."""

    def __init__(
        self,
        A: np.ndarray,
        B: np.ndarray,
        Q: np.ndarray,
        R: np.ndarray,
        *,
        noise_std: float = 0.05,
        init_std: float = 1.0,
        horizon: int = 50,
        dt: float = 0.1,
        action_limit: float = 5.0,
        name: str = "linear_gaussian",
    ) -> None:
        self.A = np.asarray(A, dtype=np.float64)
        self.B = np.asarray(B, dtype=np.float64)
        self.Q = np.asarray(Q, dtype=np.float64)
        self.R = np.asarray(R, dtype=np.float64)
        n, m = self.B.shape
        if self.A.shape != (n, n) or self.Q.shape != (n, n) or self.R.shape != (m, m):
            raise ValueError("LinearGaussianTask: A, B, Q, R have inconsistent shapes")
        # torch copies made once: a reward that converts numpy arrays on every call cannot be traced by
        # torch.compile (compile_update)
        self._Q_torch, self._R_torch = torch.as_tensor(self.Q), torch.as_tensor(self.R)
        self.noise_std = float(noise_std)
        self.init_std = float(init_std)
        self.spec = TaskSpec(
            name=name,
            obs_dim=n,
            act_dim=m,
            action_low=(-action_limit,) * m,
            action_high=(action_limit,) * m,
            dt=dt,
            horizon=horizon,
            obs_labels=tuple(f"s{i}" for i in range(n)),
            joint_names=tuple(f"u{i}" for i in range(m)),
            description="linear-Gaussian system with quadratic reward",
        )
        self._rng = np.random.default_rng(0)
        self._s = np.zeros(n)
        self._t = 0

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._s = self.init_std * self._rng.standard_normal(self.spec.obs_dim)
        self._t = 0
        return self._s.copy()

    def step(self, action: np.ndarray) -> StepResult:
        a = self.clip_action(action)
        s = self._s
        s2 = self.A @ s + self.B @ a + self.noise_std * self._rng.standard_normal(self.spec.obs_dim)
        r = float(-(s2 @ self.Q @ s2) - a @ self.R @ a)
        self._s = s2
        self._t += 1
        return StepResult(s2.copy(), r, False, self._t >= self.spec.horizon)

    def reward_torch(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        Q, R = self._Q_torch.to(next_obs), self._R_torch.to(action)
        return -((next_obs @ Q) * next_obs).sum(-1) - ((action @ R) * action).sum(-1)

    def true_mean_step(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Exact E[s' - s | s, a] in torch, for handing the true model to estimators in tests."""
        A = torch.as_tensor(self.A, dtype=obs.dtype)
        B = torch.as_tensor(self.B, dtype=obs.dtype)
        return obs @ A.T + action @ B.T - obs


def point_mass(horizon: int = 50, noise_std: float = 0.02) -> LinearGaussianTask:
    """Noisy 1-D point mass (position, velocity), force input, dt = 0.1 s.

    Starts at a random position; the reward penalises distance from the origin,
    speed and force. An untrained policy lets it drift; a good one brings it
    home in about a second.
    """
    dt = 0.1
    A = np.array([[1.0, dt], [0.0, 1.0]])
    B = np.array([[0.0], [dt]])
    Q = np.diag([1.0, 0.1])
    R = np.array([[0.01]])
    return LinearGaussianTask(
        A, B, Q, R, noise_std=noise_std, init_std=1.0, horizon=horizon, dt=dt, action_limit=5.0, name="point_mass"
    )


class ExactLinearModel(torch.nn.Module):
    """The true dynamics of a ``LinearGaussianTask`` behind the ``TransitionModel`` interface (for tests)."""

    def __init__(self, task: LinearGaussianTask) -> None:
        super().__init__()
        self.task = task

    def mean_and_std(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.task.true_mean_step(obs, action)
        return mean, torch.full_like(mean, self.task.noise_std)

    def infer_xi(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        from .model import TransitionModel

        return TransitionModel.infer_xi(self, obs, action, next_obs)  # type: ignore[arg-type]

    def step(self, obs: torch.Tensor, action: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        mean, std = self.mean_and_std(obs, action)
        return obs + mean + std * xi
