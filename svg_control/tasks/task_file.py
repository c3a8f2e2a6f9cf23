"""A robot task as a YAML file: what to observe, what to command, the reward, and how episodes start.

A user with a ros2_control robot (``joint_state_broadcaster`` plus a forward effort, velocity or position
controller) writes one of these instead of a task module; ``docs/ROBOTS.md`` documents every field. The
controller node builds the observation from the named topics and sends commands in SI units; the learner
takes the spec and the reward from here. Nothing in this module imports rclpy or MuJoCo.

Units and normalisation:

* An observation entry is a joint's position / velocity / effort (``joint_states``), an IMU field or an
  odometry field, optionally through ``cos`` or ``sin`` (a wrap-free angle), then normalised as
  ``(x - offset) * scale``. The networks see the normalised vector.
* The policy acts in [-1, 1] per commanded joint; the command sent is that mapped linearly onto the joint's
  limits, in the interface's SI unit (N m or N, rad/s or m/s, rad or m).
* A reward (or termination) entry point is a torch function of the *un-normalised* observation and the
  *SI* command, ``reward(obs, command, next_obs) -> (B,)`` and ``termination(obs, command, next_obs) -> (B,)
  bool``, so
  it is written in the robot's units whatever the normalisation. ``reward: {task: NAME}`` reuses a
  registered task's reward (in that task's own units: its observation and its [-1, 1] controls).

Every error is a :class:`TaskFileError` naming the file and the field, raised when the file is loaded
(the controller's ``configure``), never mid-run.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # noqa: S405 - parses the user's own URDF, not untrusted input
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.task import TaskSpec
from ..nodes.interface.topics import JOINT_STATES
from .builtin import describe_task, task_names
from .entry_points import import_beside

if TYPE_CHECKING:
    import torch

SUFFIXES = (".yaml", ".yml")
INTERFACES = {"effort": "N m or N", "velocity": "rad/s or m/s", "position": "rad or m"}
JOINT_FIELDS = ("position", "velocity", "effort")
IMU_FIELDS = tuple(f"{group}.{axis}" for group, axes in (("orientation", "xyzw"), ("angular_velocity", "xyz"),
                                                         ("linear_acceleration", "xyz")) for axis in axes)
ODOMETRY_FIELDS = tuple(f"{group}.{axis}" for group, axes in (
    ("pose.position", "xyz"), ("pose.orientation", "xyzw"), ("twist.linear", "xyz"), ("twist.angular", "xyz"))
    for axis in axes)
TRANSFORMS = ("", "cos", "sin")
TOP_LEVEL = ("name", "description", "control_period", "episode_length", "staleness_limit", "topics",
             "observation", "commands", "reward", "termination", "episode_start")


class TaskFileError(ValueError):
    """A task file that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path | str, where: str, reason: str) -> None:
        super().__init__(f"task file {path}: '{where}': {reason}")
        self.field = where


@dataclass(frozen=True)
class ObservationEntry:
    """One number of the observation: ``source`` (joint, imu, odometry) and what of it."""

    source: str
    name: str  # joint name, or the IMU/odometry field (``angular_velocity.x``)
    field: str = ""  # position / velocity / effort for a joint
    transform: str = ""
    offset: float = 0.0
    scale: float = 1.0

    @property
    def label(self) -> str:
        base = f"{self.name}.{self.field}" if self.source == "joint" else f"{self.source}.{self.name}"
        return f"{self.transform}({base})" if self.transform else base


@dataclass(frozen=True)
class CommandedJoint:
    name: str
    low: float
    high: float


@dataclass(frozen=True)
class TaskFile:
    """A validated task file (see the module docstring and docs/ROBOTS.md)."""

    path: Path
    name: str
    control_period: float
    episode_length: int
    observation: tuple[ObservationEntry, ...]
    joints: tuple[CommandedJoint, ...]
    interface: str
    controller: str = "effort_controller"
    joint_states_topic: str = JOINT_STATES
    imu_topic: str = ""
    odometry_topic: str = ""
    staleness_limit: float = 0.1
    max_command_rate: float = 0.0
    reward_function: str = ""
    reward_task: str = ""
    reward_topic: str = ""
    termination_function: str = ""
    reset_service: str = ""  # empty: the operator starts each episode (our start_episode service)
    reset_timeout: float = 10.0
    description: str = ""
    _reward: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    _termination: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    # -- what the nodes need ---------------------------------------------------------------------------
    @property
    def spec(self) -> TaskSpec:
        return TaskSpec(name=self.name, obs_dim=len(self.observation), act_dim=len(self.joints),
                        action_low=(-1.0,) * len(self.joints), action_high=(1.0,) * len(self.joints),
                        dt=self.control_period, horizon=self.episode_length,
                        obs_labels=tuple(e.label for e in self.observation),
                        joint_names=tuple(j.name for j in self.joints), description=self.description,
                        extras={"task_file": str(self.path), "interface": self.interface})

    @property
    def observed_joints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.name for e in self.observation if e.source == "joint"))

    def command_si(self, action: Any) -> Any:
        """The policy's [-1, 1] action (numpy or torch, batched or not) as the SI command."""
        low = [j.low for j in self.joints]
        high = [j.high for j in self.joints]
        if hasattr(action, "new_tensor"):
            low_t, high_t = action.new_tensor(low), action.new_tensor(high)
            return low_t + (action + 1.0) * 0.5 * (high_t - low_t)
        import numpy as np

        return np.asarray(low) + (np.asarray(action) + 1.0) * 0.5 * (np.asarray(high) - np.asarray(low))

    def unnormalise(self, obs: torch.Tensor) -> torch.Tensor:
        offset = obs.new_tensor([e.offset for e in self.observation])
        scale = obs.new_tensor([e.scale for e in self.observation])
        return obs / scale + offset

    def reward_torch(self) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None:
        """The learner's differentiable reward of (normalised obs, [-1, 1] action, normalised next obs); None when
        the reward arrives on a topic (the learner then fits a reward model)."""
        if self.reward_topic:
            return None
        if self.reward_task:
            task_reward = describe_task(self.reward_task).reward_torch
            return lambda s, a, s2: task_reward(self.unnormalise(s), a, self.unnormalise(s2))
        user = self._reward
        assert user is not None
        return lambda s, a, s2: user(self.unnormalise(s), self.command_si(a), self.unnormalise(s2))

    def terminated_torch(self) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None:
        """Whether (normalised obs, [-1, 1] action, normalised next obs) ends the episode; None when the file names
        no termination."""
        user = self._termination
        if user is None:
            return None
        return lambda s, a, s2: user(self.unnormalise(s), self.command_si(a), self.unnormalise(s2))


def is_task_file(name: str) -> bool:
    """Whether a ``task`` value names a task file rather than a registered task."""
    return name.endswith(SUFFIXES)


def task_file_name(path: Path | str) -> str:
    """A task file's ``name`` (its stem when it names none), read without validating the rest."""
    import yaml

    try:
        name = yaml.safe_load(Path(path).expanduser().read_text()).get("name")
    except Exception:  # noqa: BLE001 - unreadable: loading it reports why
        name = None
    return name if isinstance(name, str) and name else Path(path).stem


def needs_robot_description(path: Path | str) -> bool:
    """Whether the file takes its limits from the ``robot_description`` topic (False when it cannot be read: loading
    it then reports why)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).expanduser().read_text())
        return data["commands"]["limits_from"] == "robot_description"
    except Exception:  # noqa: BLE001 - any unreadable file: load_task_file names the problem
        return False


# -- loading -----------------------------------------------------------------------------------------------
class _Reader:
    """Typed access to a YAML mapping, every error naming the file and the dotted field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, reason: str) -> TaskFileError:
        return TaskFileError(self.path, where, reason)

    def mapping(self, data: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.fail(where, f"must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - set(allowed))
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}" if where else unknown[0],
                            f"unknown field; fields here are {', '.join(allowed)}")
        return data

    def number(self, data: dict[str, Any], key: str, where: str, default: float | None = None,
               low: float = -math.inf, positive: bool = False) -> float:
        name = f"{where}.{key}" if where else key
        value = data.get(key, default)
        if value is None:
            raise self.fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise self.fail(name, f"must be finite, got {value!r}")
        if value < low or (positive and value <= 0):
            raise self.fail(name, f"must be {'> 0' if positive else f'>= {low:g}'}, got {value:g}")
        return value

    def text(self, data: dict[str, Any], key: str, where: str, default: str | None = None,
             choices: tuple[str, ...] | dict[str, str] | None = None) -> str:
        name = f"{where}.{key}" if where else key
        value = data.get(key, default)
        if value is None:
            raise self.fail(name, "is required")
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, got {value!r}")
        if choices is not None and value not in choices:
            valid = ", ".join(c or "''" for c in choices)
            raise self.fail(name, f"{value!r} is not one of {valid}")
        return value

    def topic(self, data: dict[str, Any], key: str, where: str, default: str = "") -> str:
        value = self.text(data, key, where, default)
        bare = value[1:] if value.startswith("/") else value
        if value and not (all(c.isalnum() or c in "_/" for c in bare) and bare and not bare[0].isdigit()
                          and "//" not in bare and not bare.endswith("/")):
            raise self.fail(f"{where}.{key}", f"{value!r} is not a valid topic or service name")
        return value


def entry_point(spec: str, reader: _Reader, where: str) -> Callable[..., Any]:
    """Import ``module:function``, the module beside the task file first (``entry_points``); a TaskFileError
    naming ``where`` when it does not import or is not callable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise reader.fail(where, f"{spec!r} is not 'module:function'")
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise reader.fail(where, f"{module_name!r} is not a module name (dotted Python identifiers)")
    try:
        module = import_beside(module_name, reader.path.resolve().parent)
    except Exception as exc:  # noqa: BLE001 - any import failure of the user's module is this field's error
        raise reader.fail(where, f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from None
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise reader.fail(where, f"module {module_name!r} has no {attr!r}")
    if not callable(target):
        raise reader.fail(where, f"{spec!r} is not callable")
    return target


def urdf_limits(urdf_text: str) -> dict[str, dict[str, float]]:
    """Every joint of a URDF with its ``<limit>``: ``{name: {lower, upper, effort, velocity}}`` (the attributes
    present; empty for a joint without limits)."""
    root = ET.fromstring(urdf_text)  # noqa: S314 - the user's own robot description
    out: dict[str, dict[str, float]] = {}
    for joint in root.iter("joint"):
        if not joint.get("name"):
            continue
        limit = joint.find("limit")
        out[str(joint.get("name"))] = {} if limit is None else {
            k: float(v) for k, v in limit.attrib.items() if k in ("lower", "upper", "effort", "velocity")}
    return out


def _limits_from(urdf: dict[str, dict[str, float]], joint: str, interface: str) -> tuple[float, float] | None:
    limit = urdf.get(joint)
    if limit is None:
        return None
    if interface == "position" and "lower" in limit and "upper" in limit:
        return limit["lower"], limit["upper"]
    key = "effort" if interface == "effort" else "velocity"
    if key in limit and interface != "position":
        return -abs(limit[key]), abs(limit[key])
    return None


def _observation(entries: Any, reader: _Reader) -> tuple[ObservationEntry, ...]:
    if not isinstance(entries, list) or not entries:
        raise reader.fail("observation", "must be a non-empty list of entries")
    out = []
    for i, raw in enumerate(entries):
        where = f"observation[{i}]"
        data = reader.mapping(raw, where, ("joint", "field", "imu", "odometry", "transform", "offset", "scale"))
        sources = [s for s in ("joint", "imu", "odometry") if s in data]
        if len(sources) != 1:
            raise reader.fail(where, "needs exactly one of joint, imu, odometry")
        source = sources[0]
        if source == "joint":
            name = reader.text(data, "joint", where)
            what = reader.text(data, "field", where, choices=JOINT_FIELDS)
        else:
            if "field" in data:
                raise reader.fail(f"{where}.field", f"only joint entries have a field; {source} names its own")
            name = reader.text(data, source, where, choices=IMU_FIELDS if source == "imu" else ODOMETRY_FIELDS)
            what = ""
        transform = reader.text(data, "transform", where, "", TRANSFORMS)
        scale = reader.number(data, "scale", where, 1.0)
        if scale == 0.0:
            raise reader.fail(f"{where}.scale", "must not be 0")
        out.append(ObservationEntry(source, name, what, transform, reader.number(data, "offset", where, 0.0), scale))
    labels = [e.label for e in out]
    if len(set(labels)) != len(labels):
        dup = next(label for label in labels if labels.count(label) > 1)
        raise reader.fail("observation", f"{dup} appears twice")
    return tuple(out)


def _commands(data: dict[str, Any], reader: _Reader, base: Path,
              robot_description: str | None
              ) -> tuple[str, str, float, tuple[CommandedJoint, ...], dict[str, dict[str, float]] | None]:
    where = "commands"
    data = reader.mapping(data, where, ("controller", "interface", "joints", "max_rate", "limits_from"))
    if not data:
        raise reader.fail(where, "is required")
    controller = reader.topic(data, "controller", where, "effort_controller")
    if not controller or controller.startswith("/"):
        raise reader.fail(f"{where}.controller", "must be a relative name (commands go to <controller>/commands)")
    interface = reader.text(data, "interface", where, choices=INTERFACES)
    max_rate = reader.number(data, "max_rate", where, 0.0, low=0.0)
    urdf: dict[str, dict[str, float]] | None = None
    source = reader.text(data, "limits_from", where, "")
    if source == "robot_description":
        if robot_description is not None:
            urdf = _parse_urdf(robot_description, reader, f"{where}.limits_from")
    elif source:
        path = Path(source).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise reader.fail(f"{where}.limits_from", f"no URDF file {path}")
        urdf = _parse_urdf(path.read_text(), reader, f"{where}.limits_from")
    joints_raw = data.get("joints")
    if not isinstance(joints_raw, list) or not joints_raw:
        raise reader.fail(f"{where}.joints", "must be a non-empty list")
    joints = []
    for i, raw in enumerate(joints_raw):
        jw = f"{where}.joints[{i}]"
        jd = reader.mapping({"name": raw} if isinstance(raw, str) else raw, jw, ("name", "min", "max"))
        name = reader.text(jd, "name", jw)
        if urdf is not None and name not in urdf:
            raise reader.fail(jw, f"unknown joint {name!r}: the URDF has {', '.join(sorted(urdf)) or 'no joints'}")
        if "min" in jd or "max" in jd:
            low, high = reader.number(jd, "min", jw), reader.number(jd, "max", jw)
        else:
            found = _limits_from(urdf, name, interface) if urdf is not None else None
            if found is None:
                if source == "robot_description" and robot_description is None:
                    raise reader.fail(jw, f"joint {name!r} has no min/max and no robot_description was received")
                raise reader.fail(jw, f"joint {name!r} has no min/max" +
                                  (f" and the URDF gives no {interface} limit for it" if urdf is not None else
                                   " (give them, or commands.limits_from: a URDF file or robot_description)"))
            low, high = found
            if not (math.isfinite(low) and math.isfinite(high)):
                raise reader.fail(jw, f"the URDF's {interface} limits of {name!r} are not finite")
        if not low < high:
            raise reader.fail(jw, f"min {low:g} must be below max {high:g}")
        joints.append(CommandedJoint(name, low, high))
    names = [j.name for j in joints]
    if len(set(names)) != len(names):
        raise reader.fail(f"{where}.joints", "names a joint twice")
    return controller, interface, max_rate, tuple(joints), urdf


def _parse_urdf(text: str, reader: _Reader, where: str) -> dict[str, dict[str, float]]:
    try:
        return urdf_limits(text)
    except (ET.ParseError, ValueError) as exc:
        raise reader.fail(where, f"not a URDF: {exc}") from None


def load_task_file(path: Path | str, robot_description: str | None = None) -> TaskFile:
    """Read and validate a task file; ``robot_description`` is the URDF text for ``limits_from: robot_description``.

    Imports the reward and termination entry points and calls them once on a zero batch, so a function that
    does not run on its inputs fails here, naming the field.
    """
    import yaml

    path = Path(path).expanduser()
    reader = _Reader(path)
    if not path.is_file():
        raise TaskFileError(path, "file", "does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise TaskFileError(path, "file", f"not valid YAML: {exc}") from None
    data = reader.mapping(data, "", TOP_LEVEL)
    name = reader.text(data, "name", "", path.stem)
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise reader.fail("name", f"{name!r} must be letters, digits, '_' or '-'")
    period = reader.number(data, "control_period", "", positive=True)
    length = reader.number(data, "episode_length", "", positive=True)
    if length != int(length):
        raise reader.fail("episode_length", f"must be a whole number of control periods, got {length:g}")
    staleness = reader.number(data, "staleness_limit", "", max(0.1, 3 * period), positive=True)
    topics = reader.mapping(data.get("topics"), "topics", ("joint_states", "imu", "odometry"))
    joint_states_topic = reader.topic(topics, "joint_states", "topics", JOINT_STATES)
    imu_topic = reader.topic(topics, "imu", "topics", "")
    odometry_topic = reader.topic(topics, "odometry", "topics", "")
    observation = _observation(data.get("observation"), reader)
    for source, topic in (("imu", imu_topic), ("odometry", odometry_topic)):
        if any(e.source == source for e in observation) and not topic:
            raise reader.fail(f"topics.{source}", f"the observation reads {source} fields but no topic is named")
    controller, interface, max_rate, joints, urdf = _commands(data.get("commands"), reader, path.parent,
                                                              robot_description)
    if urdf is not None:
        for i, entry in enumerate(observation):
            if entry.source == "joint" and entry.name not in urdf:
                raise reader.fail(f"observation[{i}].joint", f"unknown joint {entry.name!r}: not in the URDF")

    reward = reader.mapping(data.get("reward"), "reward", ("function", "task", "topic"))
    given = [k for k in ("function", "task", "topic") if reward.get(k)]
    if len(given) != 1:
        raise reader.fail("reward", "needs exactly one of function (module:function), task (a registered task's "
                                    "reward) or topic (std_msgs/Float64, learned)")
    reward_function = reader.text(reward, "function", "reward", "")
    reward_task = reader.text(reward, "task", "reward", "")
    reward_topic = reader.topic(reward, "topic", "reward", "")
    user_reward = entry_point(reward_function, reader, "reward.function") if reward_function else None
    if reward_task:
        if reward_task not in task_names():
            raise reader.fail("reward.task", f"{reward_task!r} is not a registered task")
    termination = reader.mapping(data.get("termination"), "termination", ("function",))
    termination_function = reader.text(termination, "function", "termination", "")
    user_termination = entry_point(termination_function, reader, "termination.function") \
        if termination_function else None

    start = reader.mapping(data.get("episode_start"), "episode_start", ("trigger", "operator", "timeout"))
    reset_service = reader.topic(start, "trigger", "episode_start", "")
    operator = start.get("operator", False)
    if not isinstance(operator, bool):
        raise reader.fail("episode_start.operator", f"must be true or false, got {operator!r}")
    if bool(reset_service) == operator:
        raise reader.fail("episode_start", "needs exactly one of trigger (the robot's std_srvs/Trigger service) "
                                           "or operator: true (call the controller's start_episode service)")
    timeout = reader.number(start, "timeout", "episode_start", 10.0, positive=True)

    task = TaskFile(path=path.resolve(), name=name, control_period=period, episode_length=int(length),
                    observation=observation, joints=joints, interface=interface, controller=controller,
                    joint_states_topic=joint_states_topic, imu_topic=imu_topic, odometry_topic=odometry_topic,
                    staleness_limit=staleness, max_command_rate=max_rate, reward_function=reward_function,
                    reward_task=reward_task, reward_topic=reward_topic, termination_function=termination_function,
                    reset_service=reset_service, reset_timeout=timeout,
                    description=reader.text(data, "description", "", ""),
                    _reward=user_reward, _termination=user_termination)
    _check_functions(task, reader)
    return task


def _check_functions(task: TaskFile, reader: _Reader) -> None:
    """Call the reward and termination once on a zero batch of two: they must run and have the right shape."""
    import torch

    obs = torch.zeros(2, len(task.observation))
    act = torch.zeros(2, len(task.joints))
    reward = task.reward_torch()
    if reward is not None:
        where = "reward.function" if task.reward_function else "reward.task"
        try:
            value = reward(obs, act, obs)
        except Exception as exc:  # noqa: BLE001 - the user's function failing is this field's error
            raise reader.fail(where, f"failed on a batch of zeros: {type(exc).__name__}: {exc}") from None
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != (2,):
            raise reader.fail(where, f"must return a tensor of shape (B,), got "
                                     f"{tuple(value.shape) if isinstance(value, torch.Tensor) else type(value)}")
    terminated = task.terminated_torch()
    if terminated is not None:
        try:
            value = terminated(obs, act, obs)
        except Exception as exc:  # noqa: BLE001
            raise reader.fail("termination.function", f"failed on a batch of zeros: {type(exc).__name__}: {exc}") \
                from None
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != (2,):
            raise reader.fail("termination.function", "must return a tensor of shape (B,)")


def describe_task_file(task: TaskFile) -> str:
    """What a task file means, for ``svg-control tasks FILE``: observation, commands, reward, episodes."""
    reward = (f"function {task.reward_function}" if task.reward_function else
              f"task {task.reward_task}'s reward" if task.reward_task else f"topic {task.reward_topic} (learned)")
    start = f"trigger {task.reset_service}" if task.reset_service else "operator (controller's start_episode)"
    lines = [
        f"{task.name}: {task.description or '(no description)'}  [{task.path}]",
        f"  control period {task.control_period:g} s, {task.episode_length} steps per episode, "
        f"staleness limit {task.staleness_limit:g} s",
        f"  observation ({len(task.observation)}): " + ", ".join(
            e.label + (f" (x - {e.offset:g}) * {e.scale:g}" if e.offset or e.scale != 1.0 else "")
            for e in task.observation),
        f"  commands: {task.interface} ({INTERFACES[task.interface]}) on {task.controller}/commands: " + ", ".join(
            f"{j.name} [{j.low:g}, {j.high:g}]" for j in task.joints)
        + (f"; at most {task.max_command_rate:g}/s" if task.max_command_rate else ""),
        f"  reward: {reward}; termination: {task.termination_function or 'none'}; episodes start by {start}",
    ]
    return "\n".join(lines)
