"""The model's likelihood over k steps of its own prediction (``DynamicsModel.rollout_nll_and_mse``) and
sac-svg's ``model_train_horizon``, which trains the model on windows of k consecutive real transitions.

Ground truths: one step of the rollout likelihood is the one-step likelihood; step j + 1 is the one-step
likelihood from the model's own predicted state, written out here by hand, gradient included; a window is k
consecutive transitions of one episode, so each step's next state is the next step's state.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from test_core_policy_model import ensemble_model, trained_model
from test_sac_svg import learner

from svg_control.core.settings import build_config
from svg_control.core.transition import Transition


def windows_of(rows: int, k: int, obs_dim: int = 4, act_dim: int = 3) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(1)
    obs = torch.randn(rows, obs_dim)
    actions = torch.randn(rows, k, act_dim)
    next_obs = obs[:, None, :] + 0.1 * torch.randn(rows, k, obs_dim).cumsum(1)
    return obs, actions, next_obs


@pytest.mark.parametrize("kind", ["one network", "ensemble of all", "one member per state"])
def test_one_step_of_the_rollout_likelihood_is_the_one_step_likelihood(float64, kind):
    model = trained_model(per_dimension=False, noise="additive") if kind == "one network" else ensemble_model()
    model.split = kind == "one member per state"
    obs, actions, next_obs = windows_of(30, 1)
    nll, mse = model.rollout_nll_and_mse(obs, actions, next_obs)
    one_nll, one_mse = model.nll_and_mse(obs, actions[:, 0], next_obs[:, 0])
    torch.testing.assert_close(nll, one_nll)
    torch.testing.assert_close(mse, one_mse)


@pytest.mark.parametrize("kind", ["one network", "ensemble of all"])
def test_later_steps_start_from_the_models_own_prediction_and_carry_its_gradient(float64, kind):
    model = trained_model(per_dimension=False, noise="heteroscedastic") if kind == "one network" \
        else ensemble_model("heteroscedastic")
    obs, actions, next_obs = windows_of(40, 3)
    nll, _ = model.rollout_nll_and_mse(obs, actions, next_obs)
    rollout_grads = torch.autograd.grad(nll, list(model.parameters()))

    def by_hand(detach: bool) -> torch.Tensor:
        s, terms = obs, []
        for j in range(3):
            terms.append(model.nll_and_mse(s, actions[:, j], next_obs[:, j])[0])
            s = s + model.mean_and_std(s, actions[:, j])[0]  # an ensemble's: its members' mean
            s = s.detach() if detach else s
        return torch.stack(terms).mean()

    expected = by_hand(detach=False)
    torch.testing.assert_close(nll, expected)
    for got, want in zip(rollout_grads, torch.autograd.grad(expected, list(model.parameters()))):
        torch.testing.assert_close(got, want)
    # the gradient reaches the model through the states it predicted, not only through its inputs' targets
    detached = torch.autograd.grad(by_hand(detach=True), list(model.parameters()))
    assert max(float((g - d).abs().max()) for g, d in zip(rollout_grads, detached)) > 1e-6


def filled(agent, episode_length: int, episodes: int) -> None:
    rng = np.random.default_rng(0)
    for _ in range(episodes):
        obs = rng.standard_normal(2)
        for t in range(episode_length):
            action, log_prob = agent.act(obs)
            next_obs = obs + 0.1 * rng.standard_normal(2)
            agent.observe(Transition(obs, action, 0.0, next_obs, False, t == episode_length - 1, log_prob))
            obs = next_obs


def test_the_learner_fits_the_same_number_of_windows_each_of_one_episode():
    agent, _ = learner(model_train_horizon=4, batch_size=32)
    filled(agent, episode_length=5, episodes=40)  # two windows of four in each episode of five
    for _ in range(5):
        windows = agent.model_windows()
        assert windows["window_obs"].shape == (8, 4, 2)
        assert windows["window_action"].shape == (8, 4, 1)
        torch.testing.assert_close(windows["window_obs"][:, 1:], windows["window_next_obs"][:, :-1])
    report = agent.update()
    assert np.isfinite(report["model_nll"])


def test_without_a_window_in_the_replay_the_model_trains_one_step():
    agent, _ = learner(model_train_horizon=4, batch_size=32)
    filled(agent, episode_length=3, episodes=20)  # every episode shorter than a window
    assert agent.model_windows() == {}
    batch = agent.extend_batch(agent.replay.sample(32, agent.rng))
    assert "window_obs" not in batch
    assert np.isfinite(agent.update()["model_nll"])


@pytest.mark.parametrize(("value", "match"), [(0, "model_train_horizon"), (33, "at most batch_size")])
def test_a_bad_model_train_horizon_is_refused_by_name(value, match):
    with pytest.raises(ValueError, match=match):
        build_config("sac-svg", {"model_train_horizon": value, "batch_size": 32})
