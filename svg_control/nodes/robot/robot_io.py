"""What the ros2_control controller reads and writes, as plain logic: observations from standard topics, commands.

* :class:`ObservationBuilder` keeps the newest valid ``sensor_msgs/JointState`` (and ``Imu``,
  ``nav_msgs/Odometry`` where the task file reads them) and builds the observation of a task file from
  them; for a registered task (``robot_task``) the robot's own observation vector is the one sample. A
  message that lacks a named joint or carries a NaN/Inf where the observation reads is refused
  (the caller counts and drops it); a sample older than the staleness limit makes the observation
  unavailable, which sends the safe command.
* :class:`CommandShaper` maps the policy's action (in the spec's action range: [-1, 1] for a task file) onto
  the joints' limits in SI units (a registered task's controls as they are), clamps,
  rate-limits, and gives the safe command of the interface: zero effort or velocity, or holding the
  current position.

No rclpy here: messages are read by attribute, times are the caller's monotonic seconds, so the tests
drive it directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...tasks.task_file import TaskFile

_ROW = {"position": 0, "velocity": 1, "effort": 2}


class Refused(ValueError):
    """A sensor message that cannot be used; the text says why."""


def _field(msg: Any, dotted: str) -> float:
    value: Any = msg
    for part in dotted.split("."):
        value = getattr(value, part)
    return float(value)


@dataclass
class _Sample:
    values: np.ndarray
    received: float  # caller's monotonic seconds
    seq: int


class ObservationBuilder:
    """The task file's observation from the newest joint_states / imu / odometry samples, or from the robot's
    observation vector (a registered task's, ``robot_task``).

    ``state_seq`` counts the samples that make a new state: joint_states, or the observation vector where the
    task reads it (then joint_states are not needed at all).
    """

    def __init__(self, task: TaskFile) -> None:
        from ..interface.codecs import ObservationCodec
        from .robot_task import OBSERVATION_SOURCE

        self.task = task
        self.entries = task.observation
        self.vector_codec = ObservationCodec(task.spec) \
            if any(e.source == OBSERVATION_SOURCE for e in self.entries) else None
        self.joint_names = tuple(dict.fromkeys((*task.observed_joints, *(j.name for j in task.joints))))
        self.commanded = tuple(j.name for j in task.joints)
        self.imu_fields = [e.name for e in self.entries if e.source == "imu"]
        self.odometry_fields = [e.name for e in self.entries if e.source == "odometry"]
        # column of each joint entry in the joint sample (-1 for IMU/odometry): computed once, not per step
        self.columns = [(_ROW[e.field], self.joint_names.index(e.name)) if e.source == "joint" else None
                        for e in self.entries]
        self.vector_columns = [i for i, e in enumerate(self.entries) if e.source == OBSERVATION_SOURCE]
        self.commanded_columns = [self.joint_names.index(n) for n in self.commanded]
        self.offset = np.array([e.offset for e in self.entries])
        self.scale = np.array([e.scale for e in self.entries])
        self._order: tuple[tuple[str, ...], list[int]] | None = None  # cached name -> index map of a message
        self.joints: _Sample | None = None  # (position, velocity, effort) rows per joint_names entry
        self.imu: _Sample | None = None
        self.odometry: _Sample | None = None
        self.vector: _Sample | None = None
        self.state_seq = 0

    # -- samples -----------------------------------------------------------------------------------------
    def add_joint_states(self, msg: Any, now: float) -> None:
        """Keep ``msg`` as the newest joint sample, or raise Refused (missing joint, NaN where we read)."""
        names = tuple(msg.name)
        if self._order is None or self._order[0] != names:
            index = {n: i for i, n in enumerate(names)}
            missing = [n for n in self.joint_names if n not in index]
            if missing:
                raise Refused(f"joint_states lacks joint(s) {', '.join(missing)}")
            self._order = (names, [index[n] for n in self.joint_names])
        idx = self._order[1]
        rows = np.full((3, len(self.joint_names)), np.nan)
        for r, values in enumerate((msg.position, msg.velocity, msg.effort)):
            if len(values) == len(names):
                rows[r] = np.asarray(values, dtype=np.float64)[idx]
            elif len(values):
                raise Refused(f"joint_states has {len(values)} values in a field for {len(names)} names")
        for e, column in zip(self.entries, self.columns):
            if column is not None and not math.isfinite(rows[column]):
                raise Refused(f"joint_states {e.field} of {e.name} is missing or not finite")
        if self.vector_codec is None:
            self.state_seq += 1
        self.joints = _Sample(rows, now, self.state_seq)

    def add_observation(self, msg: Any, now: float) -> None:
        """Keep the robot's observation vector ``msg`` as the newest state sample, or raise Refused (a wrong
        length or layout, a NaN/Inf, a value beyond ``messages.MAX_ABS``)."""
        if self.vector_codec is None:
            raise Refused("this task does not read an observation vector")
        try:
            values = self.vector_codec.decode(msg)
        except ValueError as exc:  # MalformedMessage
            raise Refused(str(exc)) from None
        self.state_seq += 1
        self.vector = _Sample(values, now, self.state_seq)

    def add_imu(self, msg: Any, now: float) -> None:
        self.imu = self._other(msg, self.imu_fields, "imu", now)

    def add_odometry(self, msg: Any, now: float) -> None:
        self.odometry = self._other(msg, self.odometry_fields, "odometry", now)

    @staticmethod
    def _other(msg: Any, fields: list[str], what: str, now: float) -> _Sample:
        values = np.array([_field(msg, f) for f in fields])
        if not np.all(np.isfinite(values)):
            raise Refused(f"{what} message has a NaN or Inf where the observation reads")
        return _Sample(values, now, 0)

    # -- reading -----------------------------------------------------------------------------------------
    def stale(self, now: float) -> str | None:
        """Why the newest samples are unusable (missing or older than the staleness limit), or None."""
        limit = self.task.staleness_limit
        vector = self.vector_codec is not None
        for what, sample, needed in (("joint_states", self.joints, not vector),
                                     ("imu", self.imu, bool(self.imu_fields)),
                                     ("odometry", self.odometry, bool(self.odometry_fields)),
                                     ("observation", self.vector, vector)):
            if not needed:
                continue
            if sample is None:
                return f"no {what} yet"
            if now - sample.received > limit:
                return f"{what} is {now - sample.received:.3f} s old (limit {limit:g} s)"
        return None

    def observation(self) -> np.ndarray:
        """The normalised observation of the newest samples (call after ``stale`` said None)."""
        if self.vector is not None and len(self.vector_columns) == len(self.entries):
            return (self.vector.values - self.offset) * self.scale  # a registered task: the robot's own vector
        assert self.joints is not None
        rows = self.joints.values
        imu = iter(self.imu.values if self.imu is not None else ())
        odometry = iter(self.odometry.values if self.odometry is not None else ())
        raw = np.empty(len(self.entries))
        for i, (e, column) in enumerate(zip(self.entries, self.columns)):
            if column is not None:
                x = rows[column]
            else:
                x = next(imu) if e.source == "imu" else next(odometry)
            raw[i] = math.cos(x) if e.transform == "cos" else math.sin(x) if e.transform == "sin" else x
        return (raw - self.offset) * self.scale

    def commanded_positions(self) -> np.ndarray | None:
        """The newest positions of the commanded joints (for holding them), or None when not all are known."""
        if self.joints is None:
            return None
        pos = self.joints.values[0, self.commanded_columns]
        return pos if np.all(np.isfinite(pos)) else None


class CommandShaper:
    """From the policy's action to the SI command the forward controller gets, within limits, rate-limited."""

    def __init__(self, task: TaskFile) -> None:
        self.task = task
        self.action_low, self.action_high = task.spec.low, task.spec.high
        self.low = np.array([j.low for j in task.joints])
        self.high = np.array([j.high for j in task.joints])
        self.last: np.ndarray | None = None

    def command(self, action: np.ndarray, max_rate: float = 0.0) -> tuple[np.ndarray, bool]:
        """(the SI command of ``action``, whether it is exactly the policy's: not rate-limited).

        A command changes by at most ``max_rate`` (> 0) or the task's ``max_command_rate`` (> 0) per second,
        the tighter of the two, times the control period.
        """
        si = np.clip(self.task.command_si(np.clip(action, self.action_low, self.action_high)), self.low, self.high)
        rates = [r for r in (max_rate, self.task.max_command_rate) if r > 0.0]
        if rates and self.last is not None:
            max_step = min(rates) * self.task.control_period
            if float(np.abs(si - self.last).max()) > max_step:
                return np.clip(si, self.last - max_step, self.last + max_step), False
        return si, True

    def safe(self, positions: np.ndarray | None) -> np.ndarray | None:
        """The interface's safe command: zero effort/velocity (clipped into the limits), or hold ``positions``.

        None for a position interface whose current positions are unknown (nothing safe to send).
        """
        if self.task.interface == "position":
            return None if positions is None else np.clip(positions, self.low, self.high)
        return np.clip(np.zeros(len(self.low)), self.low, self.high)

    def sent(self, command: np.ndarray) -> None:
        self.last = np.asarray(command, dtype=np.float64)
