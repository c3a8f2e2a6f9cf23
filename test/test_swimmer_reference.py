"""The scripted swimmer of benchmarks/paper/swimmer_reference.py: it steers the right way, and a steered
travelling wave brings the nose nearer the goal than doing nothing (so the swimmers leave room to learn)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "paper"))
import swimmer_reference as ref  # noqa: E402


@pytest.mark.parametrize(("x", "y", "yaw", "expected"), [
    (0.0, -0.3, 0.0, 0.0),  # nose below the goal, pointing up (+y): on course
    (0.0, 0.3, 0.0, math.pi),  # nose above the goal, pointing up: the goal is straight behind
    (0.3, 0.0, 0.0, math.pi / 2),  # goal to the left of a head pointing up: turn counter-clockwise
    (-0.3, 0.0, 0.0, -math.pi / 2),
    (0.3, 0.0, math.pi / 2, 0.0),  # yaw +90 deg points the nose along -x, toward the goal
])
def test_heading_error_is_the_signed_angle_to_the_goal(x, y, yaw, expected):
    err = ref.heading_error(np.array([x, y, yaw]))
    assert math.isclose(abs(err), abs(expected), abs_tol=1e-9) if abs(expected) == math.pi \
        else math.isclose(err, expected, abs_tol=1e-9)


def test_the_committed_gait_beats_the_zero_action_on_swimmer3():
    seeds = range(ref.EVAL_SEED, ref.EVAL_SEED + 3)
    gait = ref.episode_returns("swimmer3", ref.GAITS["swimmer3"], seeds)
    zero = ref.episode_returns("swimmer3", None, seeds)
    assert np.mean(gait) > np.mean(zero) + 15, (gait, zero)
