"""Name -> task for every task the package ships (MuJoCo tasks and the core toy task).

Factories import their module lazily so that ``task_names()`` and the Gymnasium registration cost
nothing (no MuJoCo import, no model compilation) until a task is actually built. ``task_spec`` and
``reward_fn`` describe a task without building it at all (``Task.describe``): they never import
MuJoCo, which is how the controller and learner nodes size themselves and learn. Both also take a robot
task file (``task_file``): a robot that is not one of ours, described in YAML.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.task import Task, TaskSpec
from .task_file import is_task_file, load_task_file, task_file_name

if TYPE_CHECKING:  # the launchers list task names without importing torch
    from ..core.estimators import RewardFn


@dataclass(frozen=True)
class TaskFactory:
    """How to build one registered task, and how to describe it without its simulator."""

    build: Callable[..., Task]
    describe: Callable[..., Task]

    def __call__(self, **overrides: Any) -> Task:
        return self.build(**overrides)


def _lazy(module: str, attr: str, **fixed: Any) -> TaskFactory:
    def cls() -> type[Task]:
        return getattr(importlib.import_module(module, __package__), attr)

    def build(**overrides: Any) -> Task:
        return cls()(**{**fixed, **overrides})

    def describe(**overrides: Any) -> Task:
        return cls().describe(**{**fixed, **overrides})

    build.__doc__ = f"{module}.{attr}({', '.join(f'{k}={v!r}' for k, v in fixed.items())})"
    return TaskFactory(build, describe)


def _point_mass(**overrides: Any) -> Task:
    from ..core.toy import point_mass

    overrides.pop("seed", None)  # the toy task is seeded through reset(seed)
    return point_mass(**overrides)


TASKS: dict[str, TaskFactory] = {
    "point_mass": TaskFactory(_point_mass, _point_mass),  # no simulator: describing it is building it
    "hand_ball": _lazy(".hand_ball", "HandBall"),
    "cartpole": _lazy(".cartpole", "Cartpole", swingup=False),
    "cartpole_swingup": _lazy(".cartpole", "Cartpole", swingup=True),
    "swimmer3": _lazy(".swimmer", "Swimmer", n_links=3),
    "swimmer5": _lazy(".swimmer", "Swimmer", n_links=5),
    "swimmer7": _lazy(".swimmer", "Swimmer", n_links=7),
    "reacher": _lazy(".reacher", "Reacher", moving=False),
    "reacher_moving": _lazy(".reacher", "Reacher", moving=True),
    "gripper": _lazy(".gripper", "Gripper"),
    "monoped": _lazy(".monoped", "Monoped"),
    "half_cheetah": _lazy(".half_cheetah", "HalfCheetah", springs=False),
    "half_cheetah_springs": _lazy(".half_cheetah", "HalfCheetah", springs=True),
    "walker": _lazy(".walker", "Walker"),
}


def task_names() -> list[str]:
    """All registered task names, in registry order."""
    return list(TASKS)


def _factory(name: str) -> TaskFactory:
    """The factory of ``name`` (``gym:<env id>`` included); ValueError for an unknown name, listing the valid ones."""
    from .gymnasium_task import PREFIX, GymnasiumTask, gymnasium_task_names

    if name.startswith(PREFIX):  # Gymnasium's own MuJoCo environments (trainer and paper scripts only)
        env_id = name[len(PREFIX):]
        return TaskFactory(functools.partial(GymnasiumTask, env_id), functools.partial(GymnasiumTask.describe,
                                                                                      env_id=env_id))
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join([*TASKS, *gymnasium_task_names()])}") \
            from None


def make_task(name: str, **overrides: Any) -> Task:
    """Build task ``name``; keyword overrides go to its constructor (``horizon=``, ``actuator_noise=``, ``seed=`` ...).

    Raises ValueError for an unknown name, listing the valid ones.
    """
    return _factory(name).build(**overrides)


def task_spec(name: str, **overrides: Any) -> TaskSpec:
    """The spec ``make_task(name, **overrides)`` would have, without building the task's physics.

    ``name`` may be a robot task file (``task_file``; TaskFileError, a ValueError, when it is wrong).
    Imports no MuJoCo, except for the ``gym:`` tasks, whose spec is their Gymnasium environment's.
    """
    if is_task_file(name):
        return load_task_file(name).spec
    return _factory(name).describe(**overrides).spec


def reward_fn(name: str, **overrides: Any) -> RewardFn | None:
    """The batched torch reward r(s, a, s') of ``make_task(name, **overrides)``, without building its physics.

    For a task file, its reward (None when the reward arrives on a topic: the learner fits a reward model).
    Imports no MuJoCo, except for the ``gym:`` tasks (see ``task_spec``).
    """
    if is_task_file(name):
        return load_task_file(name).reward_torch()
    return _factory(name).describe(**overrides).reward_torch


def termination_fn(name: str, **overrides: Any) -> Callable[..., Any] | None:
    """The task's known termination in torch, (s, a, s') -> (B,) bool, or None where it has none."""
    if is_task_file(name):
        return load_task_file(name).terminated_torch()
    return _factory(name).describe(**overrides).termination_torch()


def config_name(name: str) -> str:
    """The name a task's tuned agent settings are filed under: a task file's ``name``, else the task's."""
    return task_file_name(name) if is_task_file(name) else name


def valid_task(name: str) -> str | None:
    """None for a registered task or an existing task file, else why not (for parameter checks)."""
    from pathlib import Path

    if is_task_file(name):
        return None if Path(name).expanduser().is_file() else f"no task file {name}"
    if name in TASKS:
        return None
    return f"{name!r} is not a registered task ({', '.join(TASKS)}) or a task file (*.yaml)"


def gym_id(name: str) -> str:
    """Gymnasium id of a task: ``monoped`` -> ``svg_control/Monoped-v0``, ``cartpole_swingup`` -> ``CartpoleSwingup``.
    """
    return "svg_control/" + "".join(part.capitalize() for part in name.split("_")) + "-v0"
