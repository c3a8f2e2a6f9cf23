"""Model-generated transitions for sac-svg's critic (core/model_data.py, ``model_data_fraction``): the ring
buffer, the branched rollouts that fill it, the critic batch that mixes them in, and that the learner with them
still gets measurably better on the point mass.

Ground truths: a stored model transition's reward is the task's reward of its own (s, a, s'); with a model
noise of zero a member's draw is that member's mean; the critic's batch is the real batch's head followed by the
model's draw, at the real batch's size.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from test_core_agent import run
from test_sac_svg import assert_learns_the_point_mass, learner

from svg_control.core.checkpoint import load_checkpoint, save_checkpoint
from svg_control.core.model import DynamicsModel
from svg_control.core.model_data import ModelDataBuffer
from svg_control.core.settings import build_config

MODEL_DATA = {"model_data_fraction": 0.5, "model_rollout_every": 5, "model_data_refreshes": 3,
              "model_data_warmup": 10}


def transitions(n: int, start: float = 0.0) -> dict[str, torch.Tensor]:
    values = start + torch.arange(n, dtype=torch.float32)
    return {"obs": values[:, None].repeat(1, 2), "action": values[:, None], "reward": values,
            "next_obs": values[:, None].repeat(1, 2) + 1, "terminated": torch.zeros(n)}


def test_the_buffer_overwrites_its_oldest_transitions_and_samples_what_it_holds():
    buffer = ModelDataBuffer(obs_dim=2, act_dim=1, capacity=5)
    buffer.add(transitions(3))
    buffer.add(transitions(4, start=10.0))
    assert len(buffer) == 5
    assert sorted(buffer.data["reward"].tolist()) == [2.0, 10.0, 11.0, 12.0, 13.0]  # 0 and 1 overwritten
    batch = buffer.sample(64, np.random.default_rng(0))
    assert batch["obs"].shape == (64, 2) and batch["reward"].shape == (64,)
    assert set(batch["reward"].tolist()) <= {2.0, 10.0, 11.0, 12.0, 13.0}
    torch.testing.assert_close(batch["next_obs"], batch["obs"] + 1)  # rows stay whole
    with pytest.raises(ValueError, match="leading size"):
        buffer.add({**transitions(3), "reward": torch.zeros(2)})
    with pytest.raises(ValueError, match="empty"):
        ModelDataBuffer(2, 1, 4).sample(1, np.random.default_rng(0))


def test_an_ensemble_draw_comes_from_one_member_per_state():
    model = DynamicsModel(2, 1, (8,), per_dimension=False, ensemble=3, min_log_std=-30.0)
    with torch.no_grad():
        model.log_std.fill_(-30.0)  # no noise: a draw is its member's mean
    obs, action = torch.randn(200, 2), torch.rand(200, 1)
    drawn = model.sample_next(obs, action, torch.Generator().manual_seed(0))
    mean_z, _ = model._member_outputs(obs, action)
    scale = model.delta_norm.std + model.delta_norm.eps
    members = obs[:, None, :] + mean_z * scale + model.delta_norm.mean  # (200, 3, 2)
    distance = (members - drawn[:, None, :]).abs().amax(-1)
    assert bool((distance.amin(-1) < 1e-4).all())
    assert len(set(distance.argmin(-1).tolist())) == 3  # every member is drawn from


def test_with_one_member_per_state_a_draw_comes_from_the_states_own_member():
    """``members="one_per_state"``: the batch's k-th share is drawn from member k, the only one that runs."""
    model = DynamicsModel(2, 1, (8,), per_dimension=False, ensemble=3, min_log_std=-30.0, members="one_per_state")
    with torch.no_grad():
        model.log_std.fill_(-30.0)
    obs, action = torch.randn(200, 2), torch.rand(200, 1)
    drawn = model.sample_next(obs, action, torch.Generator().manual_seed(0))
    x = torch.cat([model.obs_norm.normalize(obs), action], -1)
    scale = model.delta_norm.std + model.delta_norm.eps
    own = torch.arange(200) // 67
    expected = torch.stack([obs[i] + model.net.member(int(k))(x[i])[:2] * scale + model.delta_norm.mean
                            for i, k in enumerate(own)])
    torch.testing.assert_close(drawn, expected, atol=1e-5, rtol=1e-5)


def test_rollouts_fill_the_buffer_after_the_warmup_with_the_tasks_reward():
    agent, task = learner(**MODEL_DATA, model_rollout_length=2)
    run(agent, task, 60)
    assert agent.updates >= 20, agent.updates
    data = agent.model_data.data
    n = len(agent.model_data)
    assert n > agent.config.batch_size  # more than one rollout step's worth
    expected = task.reward_torch(data["obs"][:n], data["action"][:n], data["next_obs"][:n])
    torch.testing.assert_close(data["reward"][:n], expected)
    assert bool(((data["terminated"][:n] >= 0) & (data["terminated"][:n] <= 1)).all())
    low, high = torch.as_tensor(task.spec.low), torch.as_tensor(task.spec.high)
    assert bool(((data["action"][:n] >= low) & (data["action"][:n] <= high)).all())


def test_a_non_finite_prediction_drops_its_rollout_is_counted_and_never_trained_on(tmp_path):
    agent, task = learner(**MODEL_DATA, model_rollout_length=2)
    predict = agent.model.sample_next

    def half_broken(obs, action, generator):
        s_next = predict(obs, action, generator)
        s_next[::2, 0] = float("nan")  # every other state's prediction
        return s_next

    agent.model.sample_next = half_broken
    run(agent, task, 60)
    n = len(agent.model_data)
    assert n > 0 and agent.model_rollouts_dropped >= n  # as many dropped as kept, at least, in every refresh
    assert all(bool(torch.isfinite(v[:n]).all()) for v in agent.model_data.data.values())
    assert agent.last_losses["model_rollouts_dropped"] == agent.model_rollouts_dropped
    assert agent.nonfinite_skips == 0
    save_checkpoint(agent, tmp_path)
    resumed, _ = learner(**MODEL_DATA, model_rollout_length=2)
    assert load_checkpoint(resumed, tmp_path) and resumed.model_rollouts_dropped == agent.model_rollouts_dropped


def test_no_model_data_before_the_warmup_ends_and_none_without_the_setting():
    agent, task = learner(**{**MODEL_DATA, "model_data_warmup": 1000})
    run(agent, task, 60)
    assert len(agent.model_data) == 0
    assert "model_obs" not in agent.extend_batch(agent.replay.sample(8, np.random.default_rng(0)))
    plain, task = learner()
    assert plain.model_data is None


def test_the_critic_learns_from_the_real_head_of_the_batch_and_the_models_draw():
    agent, task = learner(**MODEL_DATA)
    run(agent, task, 60)
    batch = agent.extend_batch(agent.replay.sample(agent.config.batch_size, np.random.default_rng(1)))
    n_model = round(agent.config.batch_size * 0.5)
    assert batch["model_obs"].shape == (n_model, 2)
    action = agent.policy.clamp_action(batch["action"])
    s, a, r, s_next, d = agent.critic_transitions(batch, action)
    n_real = agent.config.batch_size - n_model
    assert s.shape[0] == agent.config.batch_size
    torch.testing.assert_close(s[:n_real], batch["obs"][:n_real])
    torch.testing.assert_close(a[n_real:], batch["model_action"])
    torch.testing.assert_close(r[n_real:], batch["model_reward"])
    torch.testing.assert_close(s_next[n_real:], batch["model_next_obs"])
    torch.testing.assert_close(d[:n_real], batch["terminated"][:n_real])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"model_data_fraction": 1.0}, "model_data_fraction"),
    ({"model_data_fraction": -0.1}, "model_data_fraction"),
    ({"model_data_fraction": float("nan")}, "model_data_fraction"),
    ({"model_rollout_length": 0}, "model_rollout_length"),
    ({"model_rollout_every": 0}, "model_rollout_every"),
    ({"model_data_refreshes": 0}, "model_data_refreshes"),
    ({"model_data_warmup": -1}, "model_data_warmup"),
])
def test_bad_model_data_settings_are_refused_by_name(overrides, field):
    with pytest.raises(ValueError, match=field):
        build_config("sac-svg", overrides)


def test_sac_svg_with_model_data_learns_the_point_mass():
    """Half of every critic batch from one-step rollouts once 100 updates have run: the policy still gets
    measurably better (the same pass line as without model data)."""
    agent, task = learner(seed=0, batch_size=64, min_replay=64, model_data_fraction=0.5, model_data_warmup=100)
    assert_learns_the_point_mass(agent, task)
    assert len(agent.model_data) > 0
