"""Offscreen rendering of task episodes to .mp4 / .gif / .png with ``mujoco.Renderer``.

Headless machines have no window system, so the OpenGL context must come from EGL (Debian package
``libegl-mesa0``) or OSMesa (``libosmesa6``). MuJoCo picks its backend from ``MUJOCO_GL`` *when mujoco is
first imported*, which in this package has usually already happened; so we choose the backend ourselves
(``MUJOCO_GL`` if set, else GLFW when a display exists, then EGL, then OSMesa), probe it with a tiny
context, and hand that context class to the renderer. If none works the caller gets a ``RenderError``
naming the packages to install, not an OpenGL stack trace.

Shadows and reflections are switched off: on a CPU (Mesa llvmpipe) they cost ~20x in frame rate and add
nothing to judging a policy. mp4 / gif need ``imageio`` (+ ``imageio-ffmpeg`` for mp4): the ``render``
extra. A single .png (the last frame) needs only Pillow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.task import Task

INSTALL_HINT = (
    "install an offscreen OpenGL backend: `sudo apt-get install libegl-mesa0` (MUJOCO_GL=egl) or "
    "`sudo apt-get install libosmesa6` (MUJOCO_GL=osmesa); on other systems install Mesa's EGL or OSMesa"
)


class RenderError(RuntimeError):
    """Rendering is impossible here (no GL backend, missing writer); the message says what to install."""


_BACKEND: tuple[str, Any] | None = None


def _context_class(backend: str) -> Any:
    if backend == "egl":
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
        from mujoco.egl import GLContext
    elif backend == "osmesa":
        os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
        from mujoco.osmesa import GLContext
    else:
        from mujoco.glfw import GLContext
    return GLContext


def gl_backend() -> tuple[str, Any]:
    """(name, GLContext class) of the first working backend; cached. Raises RenderError if none works."""
    global _BACKEND
    if _BACKEND is not None:
        return _BACKEND
    requested = os.environ.get("MUJOCO_GL", "").lower().strip()
    if requested in ("egl", "osmesa", "glfw"):
        order = [requested]
    else:
        order = (["glfw"] if os.environ.get("DISPLAY") else []) + ["egl", "osmesa"]
    errors = []
    for backend in order:
        try:
            cls = _context_class(backend)
            ctx = cls(16, 16)
            ctx.make_current()
            ctx.free()
        except Exception as exc:  # noqa: BLE001 - any failure means "this backend does not work here"
            errors.append(f"{backend}: {type(exc).__name__}: {exc}".strip())
            continue
        _BACKEND = (backend, cls)
        return _BACKEND
    raise RenderError("no OpenGL backend for offscreen rendering (" + "; ".join(errors) + "). " + INSTALL_HINT)


class FrameRenderer:
    """Renders a ``MujocoTask``'s current state; the camera follows the robot's first body."""

    def __init__(self, task: Task, width: int = 320, height: int = 240) -> None:
        import mujoco
        from mujoco.rendering.classic import gl_context

        model = getattr(task, "model", None)
        if model is None:
            raise RenderError(f"task {task.spec.name!r} has no MuJoCo model to render")
        _, cls = gl_backend()
        gl_context.GLContext = cls  # the classic Renderer looks its context class up here at construction
        self.task = task
        self._mj = mujoco
        try:
            self.renderer = mujoco.Renderer(model, height=height, width=width)
        except Exception as exc:  # noqa: BLE001
            raise RenderError(f"could not create a {width}x{height} renderer: {exc}. {INSTALL_HINT}") from None
        self.camera = mujoco.MjvCamera()
        mujoco.mjv_defaultFreeCamera(model, self.camera)
        cam = getattr(task, "render_camera", {})
        self.camera.distance = float(cam.get("distance", 3.0))
        self.camera.elevation = float(cam.get("elevation", -15.0))
        self.camera.azimuth = float(cam.get("azimuth", 90.0))
        self.camera.lookat[:] = (0.0, 0.0, 0.0) if not cam.get("track", 1.0) else model.stat.center
        self._track = bool(cam.get("track", 1.0)) and model.nbody > 1

    def frame(self) -> np.ndarray:
        """An (height, width, 3) uint8 image of the current state."""
        mj, data = self._mj, self.task.data  # type: ignore[attr-defined]
        if self._track:
            self.camera.lookat[:] = data.xpos[1]
        self.renderer.update_scene(data, camera=self.camera)
        self.renderer.scene.flags[mj.mjtRndFlag.mjRND_SHADOW] = 0
        self.renderer.scene.flags[mj.mjtRndFlag.mjRND_REFLECTION] = 0
        return self.renderer.render().copy()

    def close(self) -> None:
        self.renderer.close()


def _write(frames: list[np.ndarray], out: Path, fps: float) -> None:
    suffix = out.suffix.lower()
    if suffix == ".png":
        from PIL import Image

        Image.fromarray(frames[-1]).save(out)
        return
    if suffix not in (".mp4", ".gif"):
        raise ValueError(f"unsupported output {out.name!r}: use .mp4, .gif or .png")
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise RenderError("writing .mp4/.gif needs imageio: pip install 'svg_control[render]'") from None
    try:
        if suffix == ".gif":
            imageio.mimsave(out, frames, duration=1000.0 / fps, loop=0)
        else:
            imageio.mimsave(out, frames, fps=fps, macro_block_size=1)
    except (ImportError, RuntimeError) as exc:
        raise RenderError(f"could not write {out.name}: {exc} (mp4 needs imageio-ffmpeg)") from None


def render_episode(
    task_name: str | Task,
    policy_fn: Callable[[np.ndarray], np.ndarray] | None,
    out_path: str | os.PathLike[str],
    steps: int | None = None,
    width: int = 320,
    height: int = 240,
    *,
    seed: int = 0,
    fps: float | None = None,
) -> Path:
    """Roll out ``policy_fn`` (None: the safe action, zero torque) for ``steps`` steps and write a video or image.

    Stops early if the episode terminates. Frames are taken at most ~30 per simulated second
    (``fps``); the file plays in real time. Returns the written path.
    """
    from .registry import make_task

    task = make_task(task_name) if isinstance(task_name, str) else task_name
    out = Path(out_path)
    steps = task.spec.horizon if steps is None else int(steps)
    every = max(1, round(1.0 / (30.0 * task.spec.dt)))
    fps = fps if fps is not None else 1.0 / (every * task.spec.dt)
    renderer = FrameRenderer(task, width, height)
    try:
        obs = task.reset(seed)
        frames = [renderer.frame()]
        for k in range(steps):
            action = task.spec.safe_action if policy_fn is None else policy_fn(obs)
            res = task.step(action)
            obs = res.obs
            if (k + 1) % every == 0 or res.terminated:
                frames.append(renderer.frame())
            if res.terminated:
                break
    finally:
        renderer.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(frames, out, fps)
    return out
