"""What the ros2_control controller reads and writes, as plain logic: observations from standard topics, commands.

* :class:`ObservationBuilder` keeps the newest valid ``sensor_msgs/JointState`` (and ``Imu``,
  ``nav_msgs/Odometry`` where the task file reads them) and builds the observation of a task file from
  them. A message that lacks a named joint or carries a NaN/Inf where the observation reads is refused
  (the caller counts and drops it); a sample older than the staleness limit makes the observation
  unavailable, which sends the safe command.
* :class:`CommandShaper` maps the policy's [-1, 1] action onto the joints' limits in SI units, clamps,
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

from ..tasks.task_file import TaskFile

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
    """The task file's observation from the newest joint_states / imu / odometry samples."""

    def __init__(self, task: TaskFile) -> None:
        self.task = task
        self.entries = task.observation
        self.joint_names = tuple(dict.fromkeys((*task.observed_joints, *(j.name for j in task.joints))))
        self.commanded = tuple(j.name for j in task.joints)
        self.imu_fields = [e.name for e in self.entries if e.source == "imu"]
        self.odometry_fields = [e.name for e in self.entries if e.source == "odometry"]
        # column of each joint entry in the joint sample (-1 for IMU/odometry): computed once, not per step
        self.columns = [(_ROW[e.field], self.joint_names.index(e.name)) if e.source == "joint" else None
                        for e in self.entries]
        self.commanded_columns = [self.joint_names.index(n) for n in self.commanded]
        self.offset = np.array([e.offset for e in self.entries])
        self.scale = np.array([e.scale for e in self.entries])
        self._order: tuple[tuple[str, ...], list[int]] | None = None  # cached name -> index map of a message
        self.joints: _Sample | None = None  # (position, velocity, effort) rows per joint_names entry
        self.imu: _Sample | None = None
        self.odometry: _Sample | None = None
        self.joint_seq = 0

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
        self.joint_seq += 1
        self.joints = _Sample(rows, now, self.joint_seq)

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
        for what, sample, needed in (("joint_states", self.joints, True), ("imu", self.imu, bool(self.imu_fields)),
                                     ("odometry", self.odometry, bool(self.odometry_fields))):
            if not needed:
                continue
            if sample is None:
                return f"no {what} yet"
            if now - sample.received > limit:
                return f"{what} is {now - sample.received:.3f} s old (limit {limit:g} s)"
        return None

    def observation(self) -> np.ndarray:
        """The normalised observation of the newest samples (call after ``stale`` said None)."""
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
        self.low = np.array([j.low for j in task.joints])
        self.high = np.array([j.high for j in task.joints])
        self.max_step = task.max_command_rate * task.control_period  # 0: no rate limit
        self.last: np.ndarray | None = None

    def command(self, action: np.ndarray) -> tuple[np.ndarray, bool]:
        """(the SI command of ``action``, whether it is exactly the policy's: not rate-limited)."""
        si = np.clip(self.task.command_si(np.clip(action, -1.0, 1.0)), self.low, self.high)
        if self.max_step > 0.0 and self.last is not None and float(np.abs(si - self.last).max()) > self.max_step:
            return np.clip(si, self.last - self.max_step, self.last + self.max_step), False
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
