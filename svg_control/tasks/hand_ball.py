"""Hand and ball: a velocity-controlled hand drags a spring-coupled ball to one of two target configurations.

``sim/hand_ball.xml``: in a vertical plane, a gravity-compensated point-mass hand (velocity servos,
commands in [-1, 1] m/s) is tied to a ball that feels gravity by a zero-rest-length spring; the task
pushes the ball with Gaussian random forces (std ``force_std`` N, redrawn every control step).

Each episode one of two target configurations is drawn: hand at (-0.5, 0) with the ball at (-0.5, -0.1)
below it, or the mirror image at x = +0.5 (the ball's target is its resting sag under the hand). The
reward is paid **only at the final step** (the paper's delayed-reward task): it is time-varying, so the
normalised time t / horizon is part of the state::

    r = [t'/H > 1 - 1/(2H)] * -(|hand' - hand_target|^2 + |ball' - ball_target|^2)

State (13): ``[hand_x, hand_z, ball_x, ball_z, hand_vx, hand_vz, ball_vx, ball_vz, hand_target_x,
hand_target_z, ball_target_x, ball_target_z, time]``. Reset: hand ~ U(-0.1, 0.1)^2, ball hanging at rest
below it. dt = 0.01 s (2 x 5 ms), horizon 1000 (10 s) as in the paper; pass ``horizon=`` for a shorter
variant (the reward's final-step indicator follows it). No termination.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .mujoco_task import MujocoTask, unit_actuators

TARGETS = (((-0.5, 0.0), (-0.5, -0.1)), ((0.5, 0.0), (0.5, -0.1)))
SAG = 0.2 * 9.81 / 20.0  # ball mass * g / spring stiffness


class HandBall(MujocoTask):
    render_camera = {"distance": 1.8, "elevation": 0.0, "azimuth": 90.0, "track": 0.0}  # noqa: RUF012 - read-only
    xml_file = "hand_ball.xml"
    timestep = 0.005
    actuators = unit_actuators("hand_x", "hand_z")
    obs_labels = (
        "hand_x", "hand_z", "ball_x", "ball_z", "hand_vx", "hand_vz", "ball_vx", "ball_vz",
        "hand_target_x", "hand_target_z", "ball_target_x", "ball_target_z", "time",
    )  # fmt: skip
    description = "velocity-controlled hand moves a spring-tied ball to one of two targets; reward at the end only"

    def __init__(
        self, *, horizon: int = 1000, force_std: float = 0.5, actuator_noise: float = 0.0, seed: int | None = None
    ) -> None:
        self.force_std = float(force_std)
        self._horizon = int(horizon)
        super().__init__(
            name="hand_ball", n_substeps=2, horizon=horizon, actuator_noise=actuator_noise, seed=seed,
            extras={"final_step_threshold": 1.0 - 0.5 / horizon},
        )  # fmt: skip
        h = self._horizon
        threshold = 1.0 - 0.5 / h

        def reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
            d2 = (nxt[..., 0] - nxt[..., 8]) ** 2 + (nxt[..., 1] - nxt[..., 9]) ** 2
            d2 = d2 + (nxt[..., 2] - nxt[..., 10]) ** 2 + (nxt[..., 3] - nxt[..., 11]) ** 2
            final = (nxt[..., 12] > threshold) * 1.0
            return -final * d2

        self._reward = reward  # type: ignore[method-assign]  # the threshold depends on the horizon

    def _init_task_state(self) -> None:
        self.targets = np.array(TARGETS[0]).ravel()

    def _reset_state(self) -> None:
        self.targets = np.array(TARGETS[int(self.rng.integers(2))], dtype=np.float64).ravel()
        hand = self.rng.uniform(-0.1, 0.1, size=2)
        q = self.data.qpos
        q[0:2] = hand
        q[2:4] = hand[0], hand[1] - SAG
        self.data.mocap_pos[0, [0, 2]] = self.targets[:2]
        self.data.mocap_pos[1, [0, 2]] = self.targets[2:]

    def _before_physics(self, action: list[float]) -> None:
        fx, fz = self.rng.standard_normal(2)
        frc = self.data.xfrc_applied[2]  # body 2 = ball
        frc[0], frc[2] = self.force_std * fx, self.force_std * fz

    def observation(self) -> np.ndarray:
        q, v = self.data.qpos, self.data.qvel
        return np.concatenate((q, v, self.targets, (self.t / self._horizon,)))

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:  # replaced per instance in __init__
        raise NotImplementedError
