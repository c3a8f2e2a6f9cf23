"""The scripted swimmer of benchmarks/paper/swimmer_reference.py: it steers the right way, and a steered
travelling wave brings the nose nearer the goal than doing nothing (so the swimmers leave room to learn)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.paper import swimmer_reference as ref


@pytest.mark.parametrize(("right", "ahead", "expected"), [
    (0.0, 0.3, 0.0),  # goal straight ahead: on course
    (0.0, -0.3, math.pi),  # goal straight behind
    (-0.3, 0.0, math.pi / 2),  # goal to the left: turn counter-clockwise
    (0.3, 0.0, -math.pi / 2),
    (-0.3, 0.3, math.pi / 4),
])
def test_heading_error_is_the_signed_angle_to_the_goal(right, ahead, expected):
    err = ref.heading_error(np.array([right, ahead]))
    assert math.isclose(abs(err), abs(expected), abs_tol=1e-9) if abs(expected) == math.pi \
        else math.isclose(err, expected, abs_tol=1e-9)


def test_the_committed_gait_beats_the_zero_action_on_swimmer3():
    seeds = range(ref.EVAL_SEED, ref.EVAL_SEED + 3)
    gait = ref.episode_returns("swimmer3", ref.GAITS["swimmer3"], seeds)
    zero = ref.episode_returns("swimmer3", None, seeds)
    assert np.mean(gait) > np.mean(zero) + 15, (gait, zero)
