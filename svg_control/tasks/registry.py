"""Name -> task factory for every task the package ships (MuJoCo tasks and the core toy task).

Factories import their module lazily so that ``task_names()`` and the Gymnasium registration cost
nothing (no MuJoCo import, no model compilation) until a task is actually built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..core.task import Task


def _lazy(module: str, attr: str, **fixed: Any) -> Callable[..., Task]:
    def factory(**overrides: Any) -> Task:
        cls = getattr(importlib.import_module(module, __package__), attr)
        return cls(**{**fixed, **overrides})

    factory.__doc__ = f"{module}.{attr}({', '.join(f'{k}={v!r}' for k, v in fixed.items())})"
    return factory


def _point_mass(**overrides: Any) -> Task:
    from ..core.toy import point_mass

    overrides.pop("seed", None)  # the toy task is seeded through reset(seed)
    return point_mass(**overrides)


TASKS: dict[str, Callable[..., Task]] = {
    "point_mass": _point_mass,
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


def make_task(name: str, **overrides: Any) -> Task:
    """Build task ``name``; keyword overrides go to its constructor (``horizon=``, ``actuator_noise=``, ``seed=`` ...).

    Raises ValueError for an unknown name, listing the valid ones.
    """
    from .gymnasium_task import PREFIX, GymnasiumTask, gymnasium_task_names

    if name.startswith(PREFIX):  # Gymnasium's own MuJoCo environments (trainer and paper scripts only)
        return GymnasiumTask(name[len(PREFIX):], **overrides)
    try:
        factory = TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; valid tasks: {', '.join([*TASKS, *gymnasium_task_names()])}") \
            from None
    return factory(**overrides)


def gym_id(name: str) -> str:
    """Gymnasium id of a task: ``monoped`` -> ``svg_control/Monoped-v0``, ``cartpole_swingup`` -> ``CartpoleSwingup``.
    """
    return "svg_control/" + "".join(part.capitalize() for part in name.split("_")) + "-v0"
