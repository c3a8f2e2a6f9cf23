"""Gymnasium view of any ``Task``: ``SvgTaskEnv(task="monoped")`` or ``gymnasium.make("svg_control/Monoped-v0")``.

Spaces are float64 Boxes (the tasks compute in float64; no silent down-cast). The action space is the
actuator range: out-of-range actions are clipped by the task (documented contract of ``Task.step``);
actions of the wrong shape or with NaN/Inf raise ValueError. ``reset(seed=...)`` seeds the task's own
generator, so Gymnasium seeding and ``Task.reset(seed)`` give the same episodes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import numpy as np

from ..core.task import Task
from .registry import make_task


class SvgTaskEnv(gymnasium.Env):
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(
        self,
        task: str | Task = "monoped",
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
        **overrides: Any,
    ) -> None:
        self.task = make_task(task, **overrides) if isinstance(task, str) else task
        spec = self.task.spec
        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, shape=(spec.obs_dim,), dtype=np.float64)
        self.action_space = gymnasium.spaces.Box(spec.low, spec.high, dtype=np.float64)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": max(1, round(1.0 / spec.dt))}
        self._size = (width, height)
        self._renderer: Any = None
        self._started = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is None and not self._started:
            seed = int(self.np_random.integers(2**31))  # first reset without a seed: take Gymnasium's entropy
        self._started = True
        return self.task.reset(seed).astype(np.float64), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        res = self.task.step(action)
        return res.obs.astype(np.float64), float(res.reward), bool(res.terminated), bool(res.truncated), res.info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        from .render import FrameRenderer

        if self._renderer is None:
            self._renderer = FrameRenderer(self.task, *self._size)
        return self._renderer.frame()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.task.close()
