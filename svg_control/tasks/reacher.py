"""Reacher: a 3-joint planar arm in a walled box reaching a target (``sim/reacher.xml``).

State (8): ``[q1, q2, q3, q1_dot, q2_dot, q3_dot, target_x, target_y]`` (raw joint angles: the paper's
6 + 2 layout). Actions (3): joint torques in [-1, 1] (gear 0.5 N m). Links are 0.1 m, so the fingertip is
forward kinematics of the observation and the reward needs nothing else::

    r = -sqrt(|tip(q') - target'|^2 + 1e-4) - 0.01 |a|^2

``reacher``: the target is one of the 4 corners (+-0.15, +-0.15) of a box around the base, drawn per episode.
``reacher_moving``: the target starts anywhere in that box and moves at a random speed (0.05-0.15 m/s) and
heading, reflecting off the box walls (+-0.25 m); its motion is kinematic, so it is in the next observation.
Reset: joints ~ U(-0.3, 0.3) (+ joint 1 uniform in [-pi, pi]), velocities 0. dt = 0.02 s (4 x 5 ms),
horizon 150 (3 s). No termination.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators

LINKS = (0.1, 0.1, 0.1)
CORNERS = ((0.15, 0.15), (-0.15, 0.15), (-0.15, -0.15), (0.15, -0.15))
TARGET_BOX = 0.25


def fingertip(q1: Any, q2: Any, q3: Any, xp: ModuleType) -> tuple[Any, Any]:
    """Planar forward kinematics of the 3-link arm (numpy or torch)."""
    a1, a2, a3 = q1, q1 + q2, q1 + q2 + q3
    x = LINKS[0] * xp.cos(a1) + LINKS[1] * xp.cos(a2) + LINKS[2] * xp.cos(a3)
    y = LINKS[0] * xp.sin(a1) + LINKS[1] * xp.sin(a2) + LINKS[2] * xp.sin(a3)
    return x, y


class Reacher(MujocoTask):
    render_camera = {"distance": 0.9, "elevation": -90.0, "azimuth": 90.0, "track": 0.0}  # noqa: RUF012 - read-only
    xml_file = "reacher.xml"
    timestep = 0.005
    actuators = unit_actuators("joint1", "joint2", "joint3")
    obs_labels = ("q1", "q2", "q3", "q1_dot", "q2_dot", "q3_dot", "target_x", "target_y")

    def __init__(
        self, *, moving: bool = False, horizon: int = 150, actuator_noise: float = 0.0, seed: int | None = None
    ) -> None:
        self.moving = moving
        self.description = (
            "3-joint arm tracking a target that moves and bounces off the walls"
            if moving
            else "3-joint arm reaching one of 4 box-corner targets"
        )
        super().__init__(
            name="reacher_moving" if moving else "reacher",
            n_substeps=4,
            horizon=horizon,
            actuator_noise=actuator_noise,
            seed=seed,
        )

    def _init_task_state(self) -> None:
        self.target = np.array(CORNERS[0])
        self.target_vel = np.zeros(2)

    def _reset_state(self) -> None:
        q = self.data.qpos
        q[:] = self.rng.uniform(-0.3, 0.3, size=3)
        q[0] = self.rng.uniform(-math.pi, math.pi)
        if self.moving:
            self.target = self.rng.uniform(-TARGET_BOX, TARGET_BOX, size=2)
            speed, heading = self.rng.uniform(0.05, 0.15), self.rng.uniform(-math.pi, math.pi)
            self.target_vel = speed * np.array((math.cos(heading), math.sin(heading)))
        else:
            self.target = np.array(CORNERS[int(self.rng.integers(4))], dtype=np.float64)
            self.target_vel = np.zeros(2)
        self.data.mocap_pos[0, :2] = self.target

    def _after_physics(self) -> None:
        if not self.moving:
            return
        p = self.target + self.target_vel * self.spec.dt
        for i in range(2):  # reflect off the box walls
            if p[i] > TARGET_BOX:
                p[i], self.target_vel[i] = 2 * TARGET_BOX - p[i], -self.target_vel[i]
            elif p[i] < -TARGET_BOX:
                p[i], self.target_vel[i] = -2 * TARGET_BOX - p[i], -self.target_vel[i]
        self.target = p
        self.data.mocap_pos[0, :2] = p

    def observation(self) -> np.ndarray:
        return np.concatenate((self.data.qpos, self.data.qvel, self.target))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        x, y = fingertip(nxt[..., 0], nxt[..., 1], nxt[..., 2], xp)
        d2 = (x - nxt[..., 6]) ** 2 + (y - nxt[..., 7]) ** 2
        return -((d2 + 1e-4) ** 0.5) - 0.01 * (act**2).sum(-1)
