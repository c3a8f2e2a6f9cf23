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
    if name != "gym:HalfCheetah-v5":  # random actions topple hopper, walker and pendulum: terminal steps covered
        assert ends > 0


def test_unknown_gymnasium_task_names_the_valid_ones():
    with pytest.raises(ValueError, match="gym:Hopper-v5"):
        make_task("gym:Ant-v5")


@pytest.mark.parametrize("name", ["gym:HalfCheetah-v5", "gym:Hopper-v5"])
def test_root_x_is_for_the_reward_only(name):
    """The kept root x reaches the reward but no network: policy, V, model and the controller's mirror
    give the same output whatever x is (a runner's x grows without bound)."""
    from svg_control.core.algos import make_learner
    from svg_control.core.numpy_policy import mirror
    from svg_control.core.settings import build_config

    task = make_task(name)
    assert task.spec.reward_only_dims == (0,)
    agent = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er", task=name))
    obs = np.stack([task.reset(seed=s) for s in range(8)])
    agent.obs_norm.update(np.concatenate([obs, obs + 1.0]))
    far = obs.copy()
    far[:, 0] += 500.0  # 500 m further along
    x, x_far = torch.as_tensor(obs, dtype=torch.float32), torch.as_tensor(far, dtype=torch.float32)
    action = torch.zeros(8, task.spec.act_dim)
    with torch.no_grad():
        for a, b in zip(agent.policy(x), agent.policy(x_far)):
            torch.testing.assert_close(a, b)
        torch.testing.assert_close(agent.critic(x), agent.critic(x_far))
        torch.testing.assert_close(agent.model.mean_and_std(x, action)[0], agent.model.mean_and_std(x_far, action)[0])
    fast = mirror(agent.policy)
    assert fast is not None
    np.testing.assert_allclose(fast.forward(obs)[0], fast.forward(far)[0])
    # ... while the reward still sees the displacement
    moved = x.clone()
    moved[:, 0] += 0.1
    assert torch.all(task.reward_torch(x, action, moved) > task.reward_torch(x, action, x))


def test_gym_tasks_read_their_own_hyperparameter_file():
    from svg_control.core.settings import build_config

    cheetah = build_config("svg1-er", task="gym:HalfCheetah-v5")
    assert cheetah.sigma_min == 0.3 and cheetah.policy_hidden == (128, 128)
    assert build_config("svg1-er", task="gym:InvertedPendulum-v5").sigma_min == build_config("svg1-er").sigma_min


def test_reward_only_dims_must_be_valid_indices():
    from svg_control.core.task import TaskSpec

    for bad in [(5,), (-1,), (0, 0)]:
        with pytest.raises(ValueError, match="reward_only_dims"):
            TaskSpec("t", 2, 1, (-1.0,), (1.0,), 0.1, 10, reward_only_dims=bad)
