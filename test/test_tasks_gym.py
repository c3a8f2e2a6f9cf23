"""Gymnasium registration and the env checker for every task."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import svg_control.tasks  # noqa: F401 - registers the envs
from svg_control.tasks import gym_id, task_names


def test_ids() -> None:
    assert gym_id("monoped") == "svg_control/Monoped-v0"
    assert gym_id("cartpole_swingup") == "svg_control/CartpoleSwingup-v0"
    for name in task_names():
        assert gym_id(name) in gymnasium.registry


@pytest.mark.parametrize("name", task_names())
def test_make_and_check_env(name: str) -> None:
    env = gymnasium.make(gym_id(name))
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    obs2, *_ = env.step(env.action_space.sample())
    assert obs2.dtype == env.observation_space.dtype
    env.close()


def test_gym_seeding_matches_task_seeding() -> None:
    env = gymnasium.make("svg_control/Reacher-v0")
    o1, _ = env.reset(seed=5)
    o2, _ = env.reset(seed=5)
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(o1, env.unwrapped.task.reset(5))


@pytest.mark.parametrize("bad", [np.zeros(3), np.array([np.nan] * 4)])
def test_bad_actions_raise_value_error(bad: np.ndarray) -> None:
    env = gymnasium.make("svg_control/Monoped-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.unwrapped.step(bad)
