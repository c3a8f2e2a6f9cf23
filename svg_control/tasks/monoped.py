"""Monoped: a planar one-legged robot that is dropped from a height and must learn to stand with noisy motors.

The paper's flagship setting (14 state dimensions, 4 actions, 200-step episodes, torque noise with std
5 % of the maximum actuator strength at every step). The robot (``sim/monoped.xml``) is hopper-like:
torso, thigh, shin, a foot and a toe; joints hip, knee, ankle, toe driven by motors of 200 N m.

State (14): ``[z, cos(pitch), sin(pitch), hip, knee, ankle, toe,  vx, vz, pitch_rate, hip_vel, knee_vel,
ankle_vel, toe_vel]`` -- the torso height and pitch (as cos/sin, so the state has no wrap-around), the
four joint angles, then the seven generalised velocities. The horizontal position is left out: standing
does not depend on it, and an unbounded input would only hurt the learner.

Reward (from the next observation and the action)::

    r = cos(pitch') - 10 (z' - 1.21)^2 - 0.1 |a|^2

i.e. upright (+1), at the standing height 1.21 m (the torso centre when the leg is straight), with little
effort. Upright and tall gives about +1 per step; collapsed on the floor about -3.

Reset: torso 0.2-0.4 m above standing height (so every episode starts with a fall and a landing), pitch
~ U(-0.1, 0.1), joint angles ~ N(0, 0.05), velocities ~ N(0, 0.1). (With pitch up to 0.3 rad the robot lands
on its short heel and even a hand-tuned PD controller cannot save every episode.) No termination (a fallen
robot keeps collecting the low reward; this keeps the value function simple and the episodes equally long). dt = 0.01 s
(5 x 2 ms), horizon 200 (2 s).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators

STAND_HEIGHT = 1.21


class Monoped(MujocoTask):
    render_camera = {"distance": 3.5, "elevation": -10.0, "azimuth": 90.0, "track": 1.0}  # noqa: RUF012 - read-only
    xml_file = "monoped.xml"
    timestep = 0.002
    actuators = unit_actuators("hip", "knee", "ankle", "toe")
    obs_labels = (
        "z", "cos_pitch", "sin_pitch", "hip", "knee", "ankle", "toe",
        "vx", "vz", "pitch_rate", "hip_vel", "knee_vel", "ankle_vel", "toe_vel",
    )  # fmt: skip
    description = "planar one-legged robot dropped from a height; stand up and stay upright under torque noise"

    def __init__(
        self,
        *,
        horizon: int = 200,
        actuator_noise: float = 0.05,
        drop_height: tuple[float, float] = (0.2, 0.4),
        seed: int | None = None,
    ) -> None:
        self.drop_height = drop_height
        super().__init__(
            name="monoped",
            n_substeps=5,
            horizon=horizon,
            actuator_noise=actuator_noise,
            seed=seed,
            extras={"stand_height": STAND_HEIGHT},
        )

    def _reset_state(self) -> None:
        q, v = self.data.qpos, self.data.qvel
        q[1] = STAND_HEIGHT + self.rng.uniform(*self.drop_height)
        q[2] = self.rng.uniform(-0.1, 0.1)
        q[3:] = 0.05 * self.rng.standard_normal(4)
        q[3:] = np.clip(q[3:], self.model.jnt_range[3:, 0], self.model.jnt_range[3:, 1])
        v[:] = 0.1 * self.rng.standard_normal(7)

    def observation(self) -> np.ndarray:
        q = self.data.qpos
        pitch = q[2]
        return np.concatenate(((q[1], math.cos(pitch), math.sin(pitch)), q[3:], self.data.qvel))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        return nxt[..., 1] - 10.0 * (nxt[..., 0] - STAND_HEIGHT) ** 2 - 0.1 * (act**2).sum(-1)
