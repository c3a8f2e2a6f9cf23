"""The one door to a task by name: a task the package ships (``builtin``) or a robot task file (``task_file``).

``task_spec``, ``reward_fn`` and ``termination_fn`` describe a task without building it at all
(``Task.describe``): they never import MuJoCo, which is how the controller and learner nodes size themselves
and learn. Each also takes a task file: a robot that is not one of ours, described in YAML. The shipped
table and ``make_task`` live in ``builtin`` (which a task file's ``reward: {task: NAME}`` also reads) and are
named here too, so callers need only this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.task import TaskSpec
from .builtin import TASKS, TaskFactory, describe_task, make_task, task_names
from .task_file import is_task_file, load_task_file, task_file_name

if TYPE_CHECKING:  # the launchers list task names without importing torch
    from ..core.estimators import RewardFn

__all__ = ["TASKS", "TaskFactory", "config_name", "gym_id", "make_task", "reward_fn", "task_names", "task_spec",
           "termination_fn", "valid_task"]


def task_spec(name: str, **overrides: Any) -> TaskSpec:
    """The spec ``make_task(name, **overrides)`` would have, without building the task's physics.

    ``name`` may be a robot task file (``task_file``; TaskFileError, a ValueError, when it is wrong).
    Imports no MuJoCo, except for the ``gym:`` tasks, whose spec is their Gymnasium environment's.
    """
    if is_task_file(name):
        return load_task_file(name).spec
    return describe_task(name, **overrides).spec


def reward_fn(name: str, **overrides: Any) -> RewardFn | None:
    """The batched torch reward r(s, a, s') of ``make_task(name, **overrides)``, without building its physics.

    For a task file, its reward (None when the reward arrives on a topic: the learner fits a reward model).
    Imports no MuJoCo, except for the ``gym:`` tasks (see ``task_spec``).
    """
    if is_task_file(name):
        return load_task_file(name).reward_torch()
    return describe_task(name, **overrides).reward_torch


def termination_fn(name: str, **overrides: Any) -> Callable[..., Any] | None:
    """The task's known termination in torch, (s, a, s') -> (B,) bool, or None where it has none."""
    if is_task_file(name):
        return load_task_file(name).terminated_torch()
    return describe_task(name, **overrides).termination_torch()


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
