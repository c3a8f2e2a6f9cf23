"""The tasks the package ships (MuJoCo tasks, Gymnasium's ``gym:`` environments and the core toy task), by name.

Factories import their module lazily so that ``task_names()`` and the Gymnasium registration cost nothing (no
MuJoCo import, no model compilation) until a task is actually built. ``describe`` gives a task without its
simulator (``Task.describe``), which is how a task file reuses a shipped task's reward. Task files themselves
are not here: ``registry`` is the one door that takes both a name from this table and a task file.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.task import Task


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


def factory(name: str) -> TaskFactory:
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
    return factory(name).build(**overrides)


def describe_task(name: str, **overrides: Any) -> Task:
    """Task ``name`` without its physics: its spec, reward and termination (MuJoCo is not imported, except for
    the ``gym:`` tasks, which are their Gymnasium environment's)."""
    return factory(name).describe(**overrides)
