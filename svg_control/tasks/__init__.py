"""MuJoCo tasks of the SVG paper (Heess et al. 2015) behind the ``core.task.Task`` contract.

Importing this package registers every task with Gymnasium as ``svg_control/<CamelName>-v0``
(``svg_control/Monoped-v0``, ``svg_control/CartpoleSwingup-v0`` ...); MuJoCo itself is imported only when
a task is built.
"""

from __future__ import annotations

from .registry import TASKS, gym_id, make_task, task_names


def _register_gym() -> None:
    try:
        import gymnasium
    except ImportError:  # gymnasium is a dependency, but the tasks work without it
        return
    for name in TASKS:
        env_id = gym_id(name)
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point="svg_control.tasks.gym_env:SvgTaskEnv", kwargs={"task": name})


_register_gym()

__all__ = ["TASKS", "gym_id", "make_task", "task_names"]
