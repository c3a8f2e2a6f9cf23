"""``svg-control check-robot TASK_FILE``: is the robot ready to be learned on? A bring-up check that commands nothing.

Listens for a few seconds and reports, one line per check, what the controller would need:

* the task file is valid (every field; the reward and termination import and run);
* ``joint_states`` arrives, with every observed and commanded joint and finite values where we read, at
  least as often as the control period (and the IMU / odometry topics the observation reads);
* something subscribes to ``<controller>/commands`` (the forward command controller);
* the robot's reset Trigger is offered (when episodes start by trigger);
* the observation built from the newest sample, each value with its label, and the reward of holding still
  there (the safe command) is finite.

Exit code 0 when every check passes, 1 otherwise; 2 for a task file that does not load.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Imu, JointState
from std_srvs.srv import Trigger

from ...tasks.task_file import TaskFile, describe_task_file, load_task_file
from ..interface import topics
from ..interface.task_io import robot_description_for
from .robot_io import CommandShaper, ObservationBuilder, Refused


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"[{'PASS' if self.ok else 'FAIL'}] {self.name}: {self.detail}"


class RobotProbe(Node):
    """Records the robot's sensor topics into an ObservationBuilder, counting what it had to refuse."""

    def __init__(self, task: TaskFile) -> None:
        super().__init__("svg_control_robot_check")
        self.task = task
        self.builder = ObservationBuilder(task)
        self.received = {"joint_states": 0, "imu": 0, "odometry": 0}
        self.refused: dict[str, str] = {}
        self.stamps: list[float] = []
        self.create_subscription(JointState, task.joint_states_topic, self.on_joint_states, qos_profile_sensor_data)
        if task.imu_topic:
            self.create_subscription(Imu, task.imu_topic, lambda m: self._other("imu", self.builder.add_imu, m),
                                     qos_profile_sensor_data)
        if task.odometry_topic:
            from nav_msgs.msg import Odometry

            self.create_subscription(Odometry, task.odometry_topic,
                                     lambda m: self._other("odometry", self.builder.add_odometry, m),
                                     qos_profile_sensor_data)

    def on_joint_states(self, msg: JointState) -> None:
        self.received["joint_states"] += 1
        self.stamps.append(time.monotonic())
        try:
            self.builder.add_joint_states(msg, time.monotonic())
        except Refused as exc:
            self.refused["joint_states"] = str(exc)

    def _other(self, what: str, add, msg) -> None:  # noqa: ANN001 - a builder method and its message
        self.received[what] += 1
        try:
            add(msg, time.monotonic())
        except (Refused, AttributeError, ValueError) as exc:
            self.refused[what] = str(exc)


def check_robot(task: TaskFile, seconds: float, node: RobotProbe, executor: SingleThreadedExecutor) -> list[Check]:
    end = time.monotonic() + seconds
    reset = node.create_client(Trigger, task.reset_service) if task.reset_service else None
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
    checks = []
    n = node.received["joint_states"]
    if n == 0:
        checks.append(Check("joint_states", False, f"nothing on {task.joint_states_topic} in {seconds:g} s"))
    else:
        gaps = np.diff(node.stamps) if len(node.stamps) > 1 else np.array([seconds])
        rate = (len(node.stamps) - 1) / max(node.stamps[-1] - node.stamps[0], 1e-9) if len(node.stamps) > 1 else 0.0
        usable = node.builder.state_seq
        ok = usable > 0 and "joint_states" not in node.refused and rate >= 0.9 / task.control_period
        detail = f"{n} messages, {rate:.1f} Hz (the control period asks for {1 / task.control_period:.1f}), " \
                 f"longest gap {gaps.max() * 1e3:.0f} ms"
        if "joint_states" in node.refused:
            detail += f"; refused: {node.refused['joint_states']}"
        checks.append(Check("joint_states", ok, detail))
    for what, topic in (("imu", task.imu_topic), ("odometry", task.odometry_topic)):
        if topic:
            got = node.received[what]
            checks.append(Check(what, got > 0 and what not in node.refused,
                                f"{got} messages on {topic}" + (f"; refused: {node.refused[what]}"
                                                                 if what in node.refused else "")))
    commands = topics.commands(task.controller)
    listeners = node.count_subscribers(commands)
    checks.append(Check("commands", listeners > 0, f"{listeners} subscriber(s) on {commands}"
                        + ("" if listeners else ": is the forward command controller loaded and active?")))
    if reset is not None:
        ready = reset.service_is_ready()
        checks.append(Check("episode start", ready, f"{task.reset_service} (std_srvs/Trigger) "
                            + ("offered" if ready else "not offered")))
    else:
        checks.append(Check("episode start", True, "by the operator (the controller's start_episode service)"))
    if node.builder.joints is not None and node.builder.stale(node.builder.joints.received) is None:
        checks.append(_observation_check(task, node.builder))
    return checks


def _observation_check(task: TaskFile, builder: ObservationBuilder) -> Check:
    import torch

    obs = builder.observation()
    labelled = ", ".join(f"{e.label}={v:.4g}" for e, v in zip(task.observation, obs))
    reward = task.reward_torch()
    if reward is None:
        return Check("observation", bool(np.all(np.isfinite(obs))), f"{labelled}; reward from {task.reward_topic}")
    safe = CommandShaper(task).safe(builder.commanded_positions())
    if safe is None:
        return Check("observation", False, f"{labelled}; no position to hold for the safe command")
    low = np.array([j.low for j in task.joints])
    high = np.array([j.high for j in task.joints])
    action = torch.as_tensor(2.0 * (safe - low) / (high - low) - 1.0, dtype=torch.float32)[None]
    s = torch.as_tensor(obs, dtype=torch.float32)[None]
    with torch.no_grad():
        value = float(reward(s, action, s)[0])
    return Check("observation", bool(np.all(np.isfinite(obs)) and np.isfinite(value)),
                 f"{labelled}; reward of holding still there {value:.4g}")


def main(path: str, seconds: float = 3.0, args: Sequence[str] | None = None) -> int:
    rclpy.init(args=list(args) if args is not None else None)
    try:
        urdf_node = Node("svg_control_robot_check_urdf")
        description = robot_description_for(urdf_node, path, topics.ROBOT_DESCRIPTION, seconds)
        urdf_node.destroy_node()
        task = load_task_file(path, description)  # TaskFileError (a ValueError): the CLI prints it, exit code 2
    except BaseException:
        rclpy.try_shutdown()
        raise
    print(describe_task_file(task))
    node = RobotProbe(task)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        checks = check_robot(task, seconds, node, executor)
    finally:
        executor.remove_node(node)
        node.destroy_node()
        rclpy.try_shutdown()
    for check in checks:
        print(check)
    return 0 if all(c.ok for c in checks) else 1
