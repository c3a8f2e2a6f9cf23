"""Gripper: the reacher arm with an adhesive pad that grabs a ball and brings it to a drop site.

``sim/gripper.xml``: the 3-joint reacher arm (links 0.1 m) whose tip is a pad with MuJoCo's adhesion
actuator -- the simplest gripper that really has to touch the ball, switch on, carry and let go. The ball
slides on the table (damped slide joints). Drop site fixed at (-0.15, 0).

State (10): ``[q1, q2, q3, q1_dot, q2_dot, q3_dot, ball_x, ball_y, ball_vx, ball_vy]``.
Actions (4): three joint torques in [-1, 1] and the grip command in [0, 1] (adhesion force up to 5 N).

Reward (shaped: reach the ball, then bring it to the site)::

    r = -0.5 sqrt(|tip(q') - ball'|^2 + 1e-4) - sqrt(|ball' - site|^2 + 1e-4) - 0.01 |torques|^2

Reset: ball uniformly at radius 0.12-0.25 m from the base, at least 0.1 m from the site; joints as in
the reacher. dt = 0.02 s (4 x 5 ms), horizon 200 (4 s). No termination.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators
from .reacher import fingertip

SITE = (-0.15, 0.0)


class Gripper(MujocoTask):
    render_camera = {"distance": 0.9, "elevation": -90.0, "azimuth": 90.0, "track": 0.0}  # noqa: RUF012 - read-only
    xml_file = "gripper.xml"
    timestep = 0.005
    actuators = (*unit_actuators("joint1", "joint2", "joint3"), ("grip", 0.0, 1.0))
    obs_labels = ("q1", "q2", "q3", "q1_dot", "q2_dot", "q3_dot", "ball_x", "ball_y", "ball_vx", "ball_vy")
    description = "reacher arm with an adhesive gripper: pick up a ball and bring it to a site"

    def __init__(self, *, horizon: int = 200, actuator_noise: float = 0.0, seed: int | None = None) -> None:
        super().__init__(
            name="gripper", n_substeps=4, horizon=horizon, actuator_noise=actuator_noise, seed=seed,
            extras={"site": SITE},
        )  # fmt: skip

    def _reset_state(self) -> None:
        q = self.data.qpos
        q[:3] = self.rng.uniform(-0.3, 0.3, size=3)
        q[0] = self.rng.uniform(-math.pi, math.pi)
        while True:
            r, phi = self.rng.uniform(0.12, 0.25), self.rng.uniform(-math.pi, math.pi)
            ball = (r * math.cos(phi), r * math.sin(phi))
            if math.hypot(ball[0] - SITE[0], ball[1] - SITE[1]) > 0.1:
                break
        q[3:5] = ball

    def observation(self) -> np.ndarray:
        return np.concatenate((self.data.qpos, self.data.qvel))[[0, 1, 2, 5, 6, 7, 3, 4, 8, 9]]

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        x, y = fingertip(nxt[..., 0], nxt[..., 1], nxt[..., 2], xp)
        reach = ((x - nxt[..., 6]) ** 2 + (y - nxt[..., 7]) ** 2 + 1e-4) ** 0.5
        carry = ((nxt[..., 6] - SITE[0]) ** 2 + (nxt[..., 7] - SITE[1]) ** 2 + 1e-4) ** 0.5
        return -0.5 * reach - carry - 0.01 * (act[..., :3] ** 2).sum(-1)
