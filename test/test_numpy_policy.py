"""The controller's numpy mirror of the policy: the same mu, sigma and log-probs as torch, or no mirror."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from svg_control.core.numpy_policy import mirror
from svg_control.core.policy import GaussianPolicy, gaussian_log_prob


def trained_looking(policy: GaussianPolicy, seed: int = 0) -> GaussianPolicy:
    """Random weights and normaliser statistics, so the mirror is checked away from the initialisation."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in policy.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=gen))
    policy.obs_norm.update(3.0 * torch.randn(64, policy.obs_dim, generator=gen) + 1.0)
    return policy.eval()


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu", "silu"])
@pytest.mark.parametrize("state_dependent_sigma, squash", [(True, True), (False, True), (True, False)])
def test_mirror_matches_torch(activation, state_dependent_sigma, squash):
    policy = trained_looking(GaussianPolicy(5, 3, (-1.0, -2.0, 0.0), (1.0, 2.0, 4.0), (16, 8), activation=activation,
                                            state_dependent_sigma=state_dependent_sigma, squash=squash))
    fast = mirror(policy)
    assert fast is not None
    obs = np.random.default_rng(1).normal(size=(32, 5)) * 4.0
    with torch.no_grad():
        mu_t, sigma_t = policy(torch.as_tensor(obs, dtype=torch.float32))
    mu_n, sigma_n = fast.forward(obs)
    np.testing.assert_allclose(mu_n, mu_t.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sigma_n, sigma_t.numpy(), rtol=1e-4, atol=1e-5)
    for deterministic in (True, False):
        action, log_prob = fast.act(obs[0], deterministic, np.random.default_rng(2))
        expected = gaussian_log_prob(torch.as_tensor(mu_n[0]), torch.as_tensor(sigma_n[0]), torch.as_tensor(action))
        assert log_prob == pytest.approx(float(expected), rel=1e-9)
        if deterministic:
            np.testing.assert_allclose(action, mu_n[0], rtol=1e-12)


def test_reward_only_dimensions_do_not_reach_the_mirror():
    from svg_control.core.normalizer import RunningNorm

    norm = RunningNorm(4, hidden_dims=(0,))
    policy = trained_looking(GaussianPolicy(4, 2, (-1.0,) * 2, (1.0,) * 2, (8,), obs_norm=norm))
    fast = mirror(policy)
    assert fast is not None
    obs = np.zeros((2, 4))
    obs[1, 0] = 500.0
    mu, sigma = fast.forward(obs)
    np.testing.assert_allclose(mu[0], mu[1])
    np.testing.assert_allclose(sigma[0], sigma[1])


def test_no_mirror_for_a_network_it_cannot_reproduce():
    policy = GaussianPolicy(3, 1, (-1.0,), (1.0,), (8,))
    policy.net[1] = nn.Softplus()  # an activation the mirror does not know
    assert mirror(policy) is None


def test_mirror_of_a_squashed_sample_policy_acts_and_scores_like_torch():
    """SAC's tanh-squashed Gaussian: the mirror's actions stay in range and their log-probs are torch's."""
    policy = trained_looking(GaussianPolicy(5, 3, (-1.0, -2.0, 0.0), (1.0, 2.0, 4.0), (16, 8), activation="relu",
                                            squash_samples=True))
    fast = mirror(policy)
    assert fast is not None
    obs = np.random.default_rng(1).normal(size=5) * 4.0
    for deterministic in (True, False):
        action, log_prob = fast.act(obs, deterministic, np.random.default_rng(2))
        assert np.all(action > policy.action_center.numpy() - policy.action_scale.numpy())
        assert np.all(action < policy.action_center.numpy() + policy.action_scale.numpy())
        with torch.no_grad():
            expected = policy.log_prob(torch.as_tensor(obs, dtype=torch.float32)[None],
                                       torch.as_tensor(action, dtype=torch.float32)[None])
        assert log_prob == pytest.approx(float(expected), rel=1e-4, abs=1e-4)
