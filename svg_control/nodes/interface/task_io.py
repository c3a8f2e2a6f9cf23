"""The nodes' only doors into ``svg_control.tasks``: a task's spec and reward, building it, reading joint states.

Kept apart so the nodes never reach into MuJoCo themselves, and so a change of the task registry
touches one file. Only the simulator builds a task (``make_task``); the controller and the learner
need its spec and reward alone (``task_spec``, ``reward_fn``), which load no physics.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.estimators import RewardFn
from ...core.task import Task, TaskSpec

if TYPE_CHECKING:
    from ...tasks.task_file import TaskFile


def task_names() -> list[str]:
    from ...tasks.registry import task_names as names

    return names()


def valid_task(name: str) -> str | None:
    """Parameter check of ``task``: a registered task or an existing task file (``*.yaml``)."""
    from ...tasks.registry import valid_task as check

    return check(name)


def config_name(name: str) -> str:
    """The name the task's tuned agent settings go by (a task file's own ``name``)."""
    from ...tasks.registry import config_name as named

    return named(name)


def task_spec(name: str) -> TaskSpec:
    """The spec of task ``name`` (or task file), without its physics; ValueError for an unknown name."""
    from ...tasks.registry import task_spec as spec

    return spec(name)


def reward_fn(name: str) -> RewardFn | None:
    """The torch reward of task ``name`` (or task file), without its physics; None for a reward on a topic."""
    from ...tasks.registry import reward_fn as reward

    return reward(name)


def termination_fn(name: str) -> Any:
    """The task's (or task file's) known termination in torch, or None where it has none."""
    from ...tasks.registry import termination_fn as termination

    return termination(name)


def load_task_file(name: str, robot_description: str | None = None) -> TaskFile:
    """The validated task file ``name`` (TaskFileError, a ValueError naming the field, when it is wrong)."""
    from ...tasks.task_file import load_task_file as load

    return load(name, robot_description)


def robot_description_for(node: Any, task: str, topic: str, timeout: float) -> str | None:
    """The URDF a task file with ``limits_from: robot_description`` needs, waited for on the latched ``topic`` for up
    to ``timeout`` s before the node spins; None when the task does not need one or none came."""
    from ...tasks.task_file import needs_robot_description

    if not (is_task_file(task) and needs_robot_description(task)):
        return None
    import time

    from rclpy.executors import SingleThreadedExecutor
    from std_msgs.msg import String

    from . import qos

    got: list[str] = []
    sub = node.create_subscription(String, topic, lambda msg: got.append(msg.data), qos.ROBOT_DESCRIPTION)
    executor = SingleThreadedExecutor(context=node.context)
    executor.add_node(node)
    try:
        end = time.monotonic() + timeout
        while not got and time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
    finally:
        executor.remove_node(node)
        node.destroy_subscription(sub)
    if not got:
        node.get_logger().error(f"no robot_description on {topic} within {timeout:g} s")
    return got[-1] if got else None


def is_task_file(name: str) -> bool:
    from ...tasks.task_file import is_task_file as is_file

    return is_file(name)


class EffortInterface:
    """A MuJoCo task's actuators as a ros2_control effort interface: SI joint efforts in, its controls out.

    Each actuator must be a motor on a joint (fixed gain, no bias, no dynamics), whose joint effort is
    ``gear * gain * ctrl``; anything else has no effort interface and is refused (ValueError).
    """

    def __init__(self, task: Task) -> None:
        import mujoco

        model = task.model  # type: ignore[attr-defined]
        scale = []
        for i in range(model.nu):
            name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i) or f"actuator {i}"
            motor = (int(model.actuator_trntype[i]) == int(mujoco.mjtTrn.mjTRN_JOINT)
                     and int(model.actuator_gaintype[i]) == int(mujoco.mjtGain.mjGAIN_FIXED)
                     and int(model.actuator_biastype[i]) == int(mujoco.mjtBias.mjBIAS_NONE)
                     and int(model.actuator_dyntype[i]) == int(mujoco.mjtDyn.mjDYN_NONE))
            if not motor:
                raise ValueError(f"task {task.spec.name!r}: actuator {name!r} is not a motor on a joint, so it has "
                                 "no effort interface")
            scale.append(float(model.actuator_gear[i, 0]) * float(model.actuator_gainprm[i, 0]))
        self.scale = np.asarray(scale)
        if np.any(self.scale == 0.0):
            raise ValueError(f"task {task.spec.name!r}: an actuator has zero gain")

    def to_ctrl(self, effort: np.ndarray) -> np.ndarray:
        return np.asarray(effort, dtype=np.float64) / self.scale

    def limits(self, spec: TaskSpec) -> tuple[np.ndarray, np.ndarray]:
        """The SI effort range of each actuator's control range."""
        a, b = spec.low * self.scale, spec.high * self.scale
        return np.minimum(a, b), np.maximum(a, b)


def make_task(name: str, actuator_noise: float | None = None, seed: int | None = None) -> Task:
    """Build task ``name``; ``actuator_noise`` None keeps the task's own default.

    Raises ValueError (unknown name, or a task that has no actuator noise to set).
    """
    from ...tasks.registry import make_task as build

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
    MuJoCo model (qpos, qvel, and the actuators' joint-space force ``qfrc_actuator`` as effort, in N m or N,
    noise included; 0 where unactuated) so rviz sees passive joints too; else the observation, one
    pseudo-joint per observation label as position.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.mode = "observation"
        self._qpos: list[int] = []
        self._qvel: list[int] = []
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
                    self.names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"joint{j}"
                                  for j in joints]
                    self._qpos = [int(model.jnt_qposadr[j]) for j in joints]
                    self._qvel = [int(model.jnt_dofadr[j]) for j in joints]
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
            return (self.names, data.qpos[self._qpos].tolist(), data.qvel[self._qvel].tolist(),
                    data.qfrc_actuator[self._qvel].tolist())
        return self.names, np.asarray(obs, dtype=np.float64).tolist(), [], []
