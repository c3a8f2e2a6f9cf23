"""A registered task as the ros2_control controller sees it: the equivalent of a task file, generated from its spec.

Our simulator is a ros2_control robot for every registered task. What the controller needs to drive it is
what a task file says (what to observe, what to command, the reward, how episodes start), and all of it is
in the task's spec, so it is generated here rather than written a second time:

* **observation**: the task's own observation vector, which the simulator publishes on ``observation``
  (labelled Float64MultiArray, ``codecs.ObservationCodec``) before each step's ``joint_states``. Most
  tasks observe more than joint states hold (body orientations, a target, a ball), so the vector itself is
  the sensor; one entry per observation label, not normalised.
* **commands**: each actuator's control, in the task's own units and range (the simulator's
  ``command_units: control``), on ``<controller_name>/commands``. The policy acts in that range, so its
  actions, log-probabilities and rewards are the task's: the learner uses the registered task itself.
* **reward / termination**: the task's torch functions; an episode lasts the task's horizon.
* **episode start**: the simulator's ``reset`` service (``std_srvs/Trigger``).

Nothing here imports MuJoCo: the spec and reward are the task's ``describe``-d ones.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...core.task import TaskSpec
from ...tasks.task_file import CommandedJoint, ObservationEntry, TaskFile
from ..interface import topics
from ..interface.task_io import reward_fn, task_spec, termination_fn

#: the ``ObservationEntry.source`` of a value read from the robot's own observation vector
OBSERVATION_SOURCE = "observation"
#: the commands' unit: each actuator's control as the task defines it (zero is its safe command)
CONTROL_INTERFACE = "control"


@dataclass(frozen=True)
class RegisteredTask(TaskFile):
    """A :class:`TaskFile` made from a registered task's spec (see the module docstring).

    ``spec`` is the task's own (its action range, not [-1, 1]); commands are the clamped actions themselves.
    """

    task_spec: TaskSpec | None = None
    observation_topic: str = topics.OBSERVATION
    _reward_fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    _termination_fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    @property
    def spec(self) -> TaskSpec:
        assert self.task_spec is not None
        return self.task_spec

    def command_si(self, action: Any) -> Any:
        """The command of an action: the action itself (the simulator takes the task's controls)."""
        return action if hasattr(action, "new_tensor") else np.asarray(action, dtype=np.float64)

    def reward_torch(self) -> Callable[..., Any] | None:
        return self._reward_fn

    def terminated_torch(self) -> Callable[..., Any] | None:
        return self._termination_fn


def registered_task(name: str, controller: str, staleness_limit: float, max_command_rate: float = 0.0,
                    reset_timeout: float = 5.0) -> RegisteredTask:
    """The generated task file of registered task ``name`` (ValueError for an unknown name).

    ``controller``: commands go to ``<controller>/commands``; ``staleness_limit``: seconds without a fresh
    observation before the safe command; ``max_command_rate``: largest change of a command per second in the
    task's control units (0: none).
    """
    spec = task_spec(name)
    labels = spec.obs_labels if len(spec.obs_labels) == spec.obs_dim else tuple(f"s{i}" for i in range(spec.obs_dim))
    names = spec.joint_names if len(spec.joint_names) == spec.act_dim else tuple(f"u{i}" for i in range(spec.act_dim))
    return RegisteredTask(
        path=Path(name), name=spec.name, control_period=spec.dt, episode_length=spec.horizon,
        observation=tuple(ObservationEntry(OBSERVATION_SOURCE, label) for label in labels),
        joints=tuple(CommandedJoint(n, float(lo), float(hi)) for n, lo, hi in zip(names, spec.low, spec.high)),
        interface=CONTROL_INTERFACE, controller=controller, staleness_limit=staleness_limit,
        max_command_rate=max_command_rate, reward_task=spec.name, reset_service="reset",
        reset_timeout=reset_timeout, description=spec.description, task_spec=spec,
        _reward_fn=reward_fn(name), _termination_fn=termination_fn(name))
