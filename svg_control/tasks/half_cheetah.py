"""Half-cheetah (``sim/half_cheetah.xml``, from Gymnasium) and a variant with joint springs.

State (18): ``[rootz, cos(pitch), sin(pitch), 6 joint angles, vx, vz, pitch_rate, 6 joint velocities]``.
The paper's 18 dimensions; we get them by writing the pitch as cos/sin (no wrap-around when the
cheetah flips) and leaving out the unbounded x position. The forward velocity ``vx`` is observation
index 9 (``spec.extras["forward_velocity_index"]``). Actions (6): torques in [-1, 1].

Reward (forward speed as the mean of the two observed root x velocities; it tracks the simulator's
displacement / dt closely)::

    r = 0.5 (vx + vx') - 0.1 |a|^2

``half_cheetah_springs``: the same robot with the joint springs of Gymnasium's model (stiffness 240, 180,
120, 180, 120, 60 N m/rad around the rest pose), which hold it in a balanced stance and make running easier.
dt = 0.05 s (5 x 10 ms), horizon 1000 (50 s; pass ``horizon=`` for shorter). Reset: qpos ~ U(-0.1, 0.1),
qvel ~ N(0, 0.1) (Gymnasium's). No termination.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators

if TYPE_CHECKING:
    import mujoco

SPRINGS = (240.0, 180.0, 120.0, 180.0, 120.0, 60.0)
VX = 9


class HalfCheetah(MujocoTask):
    render_camera = {"distance": 3.5, "elevation": -10.0, "azimuth": 90.0, "track": 1.0}  # noqa: RUF012 - read-only
    xml_file = "half_cheetah.xml"
    timestep = 0.01
    actuators = unit_actuators("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")
    obs_labels = ("rootz", "cos_pitch", "sin_pitch", "bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot") + (
        "vx",
        "vz",
        "pitch_rate",
        "bthigh_vel",
        "bshin_vel",
        "bfoot_vel",
        "fthigh_vel",
        "fshin_vel",
        "ffoot_vel",
    )

    def __init__(
        self, *, springs: bool = False, horizon: int = 1000, actuator_noise: float = 0.0, seed: int | None = None
    ) -> None:
        self.springs = springs
        self.description = "planar cheetah running forward" + (" (joint springs aid balance)" if springs else "")
        super().__init__(
            name="half_cheetah_springs" if springs else "half_cheetah",
            n_substeps=5,
            horizon=horizon,
            actuator_noise=actuator_noise,
            seed=seed,
            extras={"forward_velocity_index": VX},
        )

    def _configure_model(self, model: mujoco.MjModel) -> None:
        self._mj.mj_setTotalmass(model, 14.0)  # replaces the deprecated MJCF settotalmass="14"
        if self.springs:
            model.jnt_stiffness[3:] = SPRINGS

    def _reset_state(self) -> None:
        nq = self.model.nq
        self.data.qpos[:] = self.rng.uniform(-0.1, 0.1, size=nq)
        self.data.qvel[:] = 0.1 * self.rng.standard_normal(nq)

    def observation(self) -> np.ndarray:
        q = self.data.qpos
        return np.concatenate(((q[1], math.cos(q[2]), math.sin(q[2])), q[3:], self.data.qvel))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        return 0.5 * (obs[..., VX] + nxt[..., VX]) - 0.1 * (act**2).sum(-1)
