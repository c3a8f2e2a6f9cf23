"""Gymnasium's own MuJoCo environments as tasks: the torch reward is the environment's reward."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from svg_control.tasks.gymnasium_task import gymnasium_task_names
from svg_control.tasks.registry import make_task


@pytest.mark.parametrize("name", gymnasium_task_names())
def test_torch_reward_equals_the_environments_reward(name):
    task = make_task(name)
    spec = task.spec
    rng = np.random.default_rng(0)
    obs, ends, checked = task.reset(seed=0), 0, 0
    for _ in range(300):
        action = rng.uniform(1.2 * spec.low, 1.2 * spec.high)  # beyond the range: the clipped action counts
        result = task.step(action)
        torch_reward = task.reward_torch(torch.as_tensor(obs)[None], torch.as_tensor(task.clip_action(action))[None],
                                         torch.as_tensor(result.obs)[None])
        assert float(torch_reward[0]) == pytest.approx(result.reward, abs=1e-6)
        checked += 1
        if result.terminated or result.truncated:
            ends += 1
            obs = task.reset()
        else:
            obs = result.obs
    assert checked == 300 and spec.horizon == 1000
    if name != "gym:HalfCheetah-v5":  # random actions topple the hopper and the pendulum: terminal steps covered
        assert ends > 0


def test_unknown_gymnasium_task_names_the_valid_ones():
    with pytest.raises(ValueError, match="gym:Hopper-v5"):
        make_task("gym:Ant-v5")
