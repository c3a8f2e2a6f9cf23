"""Rendering: a clear RenderError without a GL backend, and a real frame where one exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from svg_control.tasks import render
from svg_control.tasks.render import RenderError, render_episode


def test_missing_backend_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(backend: str) -> None:
        raise OSError(f"lib for {backend} not found")

    monkeypatch.setattr(render, "_BACKEND", None)
    monkeypatch.setattr(render, "_context_class", broken)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("MUJOCO_GL", raising=False)
    with pytest.raises(RenderError, match="libegl-mesa0") as err:
        render.gl_backend()
    assert "libosmesa6" in str(err.value)


def test_render_png(tmp_path: Path) -> None:
    try:
        render.gl_backend()
    except RenderError as exc:
        pytest.skip(str(exc))
    out = render_episode("cartpole", None, tmp_path / "cartpole.png", steps=5, width=64, height=48)
    from PIL import Image

    img = np.asarray(Image.open(out))
    assert img.shape == (48, 64, 3) and img.std() > 0


def test_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mp4"):
        render._write([np.zeros((4, 4, 3), np.uint8)], tmp_path / "x.avi", 10)
