"""Cart-pole balance and swing-up (dm_control proportions, ``sim/cartpole.xml``).

State (5): ``[x, cos(theta), sin(theta), x_dot, theta_dot]`` with theta = 0 upright; cos/sin so the
swing-up has no angle wrap-around. Action (1): cart force command in [-1, 1] (gear 10 N).

Reward (same for both; the paper is silent, this is smooth and bounded)::

    r = cos(theta') - 0.1 x'^2 - 0.001 theta_dot'^2 - 0.01 a^2

Balance starts near upright (theta ~ U(-0.1, 0.1), x ~ U(-0.1, 0.1)); swing-up starts hanging down
(theta ~ pi + U(-0.1, 0.1)). dt = 0.02 s (2 x 10 ms RK4). Horizons: balance 200 (4 s), swing-up 500 (10 s).
No termination: the slider's joint limits keep the cart on the rail.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators


class Cartpole(MujocoTask):
    render_camera = {"distance": 4.5, "elevation": -5.0, "azimuth": 90.0, "track": 0.0}  # noqa: RUF012 - read-only
    xml_file = "cartpole.xml"
    timestep = 0.01
    actuators = unit_actuators("slider")
    obs_labels = ("x", "cos_theta", "sin_theta", "x_dot", "theta_dot")

    def __init__(
        self, *, swingup: bool = False, horizon: int | None = None, actuator_noise: float = 0.0, seed: int | None = None
    ) -> None:
        self.swingup = swingup
        self.description = "cart-pole swing-up from hanging down" if swingup else "cart-pole balance from near upright"
        super().__init__(
            name="cartpole_swingup" if swingup else "cartpole",
            n_substeps=2,
            horizon=horizon if horizon is not None else (500 if swingup else 200),
            actuator_noise=actuator_noise,
            seed=seed,
        )

    def _reset_state(self) -> None:
        q = self.data.qpos
        q[0] = self.rng.uniform(-0.1, 0.1)
        q[1] = (math.pi if self.swingup else 0.0) + self.rng.uniform(-0.1, 0.1)
        self.data.qvel[:] = 0.01 * self.rng.standard_normal(2)

    def observation(self) -> np.ndarray:
        q, v = self.data.qpos, self.data.qvel
        return np.array((q[0], math.cos(q[1]), math.sin(q[1]), v[0], v[1]))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        return nxt[..., 1] - 0.1 * nxt[..., 0] ** 2 - 0.001 * nxt[..., 4] ** 2 - 0.01 * (act**2).sum(-1)
