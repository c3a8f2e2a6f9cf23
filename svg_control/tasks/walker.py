"""Walker: a planar biped (``sim/walker.xml``, Gymnasium's Walker2d-v5 model) walking forward.

State (18): ``[z, cos(pitch), sin(pitch), 6 joint angles, vx, vz, pitch_rate, 6 joint velocities]`` --
Gymnasium's layout with the pitch as cos/sin, like the half-cheetah (x position left out; z is absolute
because the rootz joint has ref = 1.25). Velocities are not clipped.
Actions (6): torques in [-1, 1] (gear 100).

Reward (everything from the observations)::

    r = 0.5 (vx + vx') + 1 - 1e-3 |a|^2

The episode terminates when the walker falls: z' outside (0.8, 2.0) or |pitch'| > 1, i.e. cos(pitch') < cos(1)
(Gymnasium's "healthy" range); the +1 alive bonus rewards staying up. dt = 0.008 s (4 x 2 ms RK4), horizon 1000.
Reset: qpos = rest pose + U(-5e-3, 5e-3), qvel ~ U(-5e-3, 5e-3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import torch

from .mujoco_task import MujocoTask, unit_actuators

VX = 9
COS_MAX_PITCH = math.cos(1.0)


class Walker(MujocoTask):
    render_camera = {"distance": 4.0, "elevation": -10.0, "azimuth": 90.0, "track": 1.0}  # noqa: RUF012 - read-only
    xml_file = "walker.xml"
    timestep = 0.002
    actuators = unit_actuators(
        "thigh_joint", "leg_joint", "foot_joint", "thigh_left_joint", "leg_left_joint", "foot_left_joint")
    obs_labels = (
        ("z", "cos_pitch", "sin_pitch", "thigh", "leg", "foot", "thigh_left", "leg_left", "foot_left")
        + ("vx", "vz", "pitch_rate", "thigh_vel", "leg_vel", "foot_vel", "thigh_left_vel", "leg_left_vel")
        + ("foot_left_vel",)
    )
    description = "planar biped walking forward; terminates when it falls"

    def __init__(self, *, horizon: int = 1000, actuator_noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(
            name="walker", n_substeps=4, horizon=horizon, actuator_noise=actuator_noise, seed=seed,
            extras={"forward_velocity_index": VX},
        )  # fmt: skip

    def _reset_state(self) -> None:
        nq = self.model.nq
        self.data.qpos[:] = self.model.qpos0 + self.rng.uniform(-5e-3, 5e-3, size=nq)
        self.data.qvel[:] = self.rng.uniform(-5e-3, 5e-3, size=nq)

    def observation(self) -> np.ndarray:
        q = self.data.qpos
        return np.concatenate(((q[1], math.cos(q[2]), math.sin(q[2])), q[3:], self.data.qvel))

    def _terminated(self, obs: np.ndarray) -> bool:
        return not (0.8 < obs[0] < 2.0 and obs[1] > COS_MAX_PITCH)

    def termination_torch(self) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
        """``_terminated`` in torch, batched, on s' (for ``termination: known``)."""
        return lambda obs, act, nxt: ~((nxt[..., 0] > 0.8) & (nxt[..., 0] < 2.0) & (nxt[..., 1] > COS_MAX_PITCH))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        return 0.5 * (obs[..., VX] + nxt[..., VX]) + 1.0 - 1e-3 * (act**2).sum(-1)
