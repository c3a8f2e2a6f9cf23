"""The nodes' only doors into ``svg_control.tasks``: a task's spec and reward, building it, reading joint states.

Kept apart so the nodes never reach into MuJoCo themselves, and so a change of the task registry
touches one file. Only the simulator builds a task (``make_task``); the controller and the learner
need its spec and reward alone (``task_spec``, ``reward_fn``), which load no physics.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.estimators import RewardFn
from ..core.task import Task, TaskSpec


def task_names() -> list[str]:
    from ..tasks.registry import task_names as names

    return names()


def task_spec(name: str) -> TaskSpec:
    """The spec of task ``name``, without its physics; ValueError for an unknown name."""
    from ..tasks.registry import task_spec as spec

    return spec(name)


def reward_fn(name: str) -> RewardFn:
    """The torch reward of task ``name``, without its physics; ValueError for an unknown name."""
    from ..tasks.registry import reward_fn as reward

    return reward(name)


def make_task(name: str, actuator_noise: float | None = None, seed: int | None = None) -> Task:
    """Build task ``name``; ``actuator_noise`` None keeps the task's own default.

    Raises ValueError (unknown name, or a task that has no actuator noise to set).
    """
    from ..tasks.registry import make_task as build

    overrides: dict[str, Any] = {}
    if actuator_noise is not None:
        overrides["actuator_noise"] = float(actuator_noise)
    if seed is not None:
        overrides["seed"] = int(seed)
    try:
        return build(name, **overrides)
    except TypeError as exc:
        raise ValueError(f"task {name!r} does not accept {sorted(overrides)}: {exc}") from None


class JointStateReader:
    """(names, positions, velocities, efforts) of a task, for sensor_msgs/JointState.

    In order of preference: the task's own ``joint_state()``; every 1-DoF (hinge/slide) joint of the
    MuJoCo model (qpos, qvel, and the applied command as effort, 0 where unactuated) so rviz sees
    passive joints too; else the observation, one pseudo-joint per observation label as position.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.mode = "observation"
        self._qpos: list[int] = []
        self._qvel: list[int] = []
        self._act: list[int] = []
        if callable(getattr(task, "joint_state", None)):
            self.mode = "task"
            return
        model = getattr(task, "model", None)
        if model is not None and getattr(task, "data", None) is not None:
            try:
                import mujoco
            except ImportError:
                mujoco = None
            if mujoco is not None:
                one_dof = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))
                joints = [j for j in range(model.njnt) if int(model.jnt_type[j]) in one_dof]
                if joints:
                    actuator_of = {int(model.actuator_trnid[i, 0]): i for i in range(model.nu)}
                    self.names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"joint{j}"
                                  for j in joints]
                    self._qpos = [int(model.jnt_qposadr[j]) for j in joints]
                    self._qvel = [int(model.jnt_dofadr[j]) for j in joints]
                    self._act = [actuator_of.get(j, -1) for j in joints]
                    self.mode = "mujoco"
                    return
        spec = task.spec
        self.names = list(spec.obs_labels) if spec.obs_labels else [f"s{i}" for i in range(spec.obs_dim)]

    def read(self, obs: np.ndarray) -> tuple[list[str], list[float], list[float], list[float]]:
        if self.mode == "task":
            names, pos, vel, eff = self.task.joint_state()  # type: ignore[attr-defined]
            return list(names), [float(x) for x in pos], [float(x) for x in vel], [float(x) for x in eff]
        if self.mode == "mujoco":
            data = self.task.data  # type: ignore[attr-defined]
            ctrl = data.ctrl
            eff = [float(ctrl[i]) if i >= 0 else 0.0 for i in self._act]
            return self.names, data.qpos[self._qpos].tolist(), data.qvel[self._qvel].tolist(), eff
        return self.names, np.asarray(obs, dtype=np.float64).tolist(), [], []
