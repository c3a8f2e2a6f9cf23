"""Policy, dynamics model, replay, transitions and policy-weight bytes: the building blocks SVG relies on.

The SVG estimators re-enact real transitions at *inferred* noise, so the
inference must be exact (sampling then inferring gives back the same noise);
the per-dimension model must really be K independent networks; the policy's
sigma and mean must stay inside their documented bounds; replay windows must
never cross an episode boundary; and a weights message must be refused whole
when anything about it is wrong.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from svg_control.core import estimators as est
from svg_control.core.algos.svg1 import SVG1ERConfig
from svg_control.core.model import DynamicsModel
from svg_control.core.networks import BatchedMLP
from svg_control.core.normalizer import RunningNorm
from svg_control.core.policy import GaussianPolicy
from svg_control.core.replay import ReplayBuffer
from svg_control.core.serialization import WeightsError, load_policy_bytes, policy_to_bytes
from svg_control.core.transition import Transition, wire_length

LOW = [-1.0, -4.0, 0.0]
HIGH = [3.0, 2.0, 0.5]  # asymmetric ranges: centre (1, -1, 0.25), half-range (2, 3, 0.25)


def make_policy(seed: int = 0, hidden=(16, 16), **kw) -> GaussianPolicy:
    torch.manual_seed(seed)
    policy = GaussianPolicy(4, 3, LOW, HIGH, hidden, **kw)
    # non-trivial observation statistics so the normaliser is part of every check
    policy.obs_norm.update(torch.randn(64, 4) * torch.tensor([1.0, 2.0, 0.5, 3.0]) + 1.0)
    return policy


def trained_model(per_dimension: bool, noise: str, seed: int = 0) -> DynamicsModel:
    torch.manual_seed(seed)
    model = DynamicsModel(4, 3, (16, 16), per_dimension=per_dimension, noise=noise,
                          action_center=torch.tensor([1.0, -1.0, 0.25]), action_scale=torch.tensor([2.0, 3.0, 0.25]))
    model.obs_norm.update(torch.randn(64, 4) * 2.0 + 0.5)
    model.delta_norm.update(torch.randn(64, 4) * torch.tensor([0.1, 0.01, 1.0, 0.3]) - 0.2)
    with torch.no_grad():  # make sigma differ per dimension (and, heteroscedastic, per input)
        model.log_std.copy_(torch.tensor([-2.0, -0.5, 0.3, -1.0]))
    return model


# -- noise inference -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("per_dimension", [True, False])
@pytest.mark.parametrize("noise", ["additive", "heteroscedastic"])
def test_model_infer_xi_recovers_sampled_noise(float64, per_dimension, noise):
    model = trained_model(per_dimension, noise)
    g = torch.Generator().manual_seed(1)
    s = torch.randn(200, 4, generator=g) * 2
    a = torch.randn(200, 3, generator=g)
    xi = torch.randn(200, 4, generator=g) * 1.5
    s_next = model.step(s, a, xi)
    mean, std = model.mean_and_std(s, a)
    assert (std > 0).all()
    if noise == "heteroscedastic":  # sigma really depends on the input, so the check is not trivial
        assert (std.std(0) > 1e-6).all()
    else:
        assert torch.allclose(std, std[:1].expand_as(std))
    torch.testing.assert_close(model.infer_xi(s, a, s_next), xi, atol=1e-5, rtol=0)
    # the real next state, not a model prediction: xi explains it exactly
    torch.testing.assert_close(model.step(s, a, model.infer_xi(s, a, s_next)), s_next, atol=1e-10, rtol=0)


def ensemble_model(noise: str = "additive", members: int = 3) -> DynamicsModel:
    torch.manual_seed(0)
    model = DynamicsModel(4, 3, (16, 16), per_dimension=False, noise=noise, ensemble=members)
    model.obs_norm.update(torch.randn(64, 4) * 2.0 + 0.5)
    model.delta_norm.update(torch.randn(64, 4) * 0.3 - 0.2)
    return model


@pytest.mark.parametrize("noise", ["additive", "heteroscedastic"])
def test_an_ensemble_predicts_its_members_mean_and_each_member_fits_on_its_own(float64, noise):
    """The prediction is the mean of K independent networks (each rebuilt here as a plain MLP from its
    slice of the batched weights); the loss is the mean of their own likelihoods, so member k's gradient
    comes from member k's error alone."""
    model = ensemble_model(noise)
    s, a = torch.randn(50, 4) * 2, torch.randn(50, 3)
    x = torch.cat([model.obs_norm.normalize(s), a], -1)
    outputs = []
    for k in range(3):
        h = x
        for i, (w, b) in enumerate(zip(model.net.weights, model.net.biases)):
            h = h @ w[k] + b[k]
            h = torch.tanh(h) if i < len(model.net.weights) - 1 else h
        outputs.append(h[:, :4])
    scale = model.delta_norm.std + model.delta_norm.eps
    mean, _ = model.mean_and_std(s, a)
    torch.testing.assert_close(mean, torch.stack(outputs).mean(0) * scale + model.delta_norm.mean)
    # the members disagree off the data (independent initialisations), so the mean is not one of them
    assert float((outputs[0] - outputs[1]).abs().mean()) > 1e-2
    s_next = s + 0.1 * torch.randn(50, 4)
    nll, _ = model.nll_and_mse(s, a, s_next)
    nll.backward()
    first_layer = model.net.weights[0].grad
    assert all(float(first_layer[k].abs().sum()) > 0 for k in range(3))
    model.zero_grad()
    mean_z, log_std = model._member_outputs(s, a)
    target = model.delta_norm.normalize(s_next - s)
    own = 0.5 * ((target - mean_z[:, 0]) / log_std[:, 0].exp()) ** 2 + log_std[:, 0]  # member 0's NLL only
    own.mean().backward()
    assert float(model.net.weights[0].grad[1:].abs().sum()) == 0.0  # no other member's weights move
    assert float(model.net.weights[0].grad[0].abs().sum()) > 0.0


def test_an_ensemble_infers_the_noise_that_reproduces_the_real_transition(float64):
    model = ensemble_model("heteroscedastic")
    s, a = torch.randn(100, 4), torch.randn(100, 3)
    s_next = s + 0.2 * torch.randn(100, 4)
    torch.testing.assert_close(model.step(s, a, model.infer_xi(s, a, s_next)), s_next, atol=1e-10, rtol=0)


@pytest.mark.parametrize("rows", [51, 48, 2])
def test_one_member_per_state_runs_each_state_through_its_own_member_alone(float64, rows):
    """``members="one_per_state"``: the batch split in order into K shares (the last one short where K does
    not divide it), share k predicted by member k alone, equal to member k rebuilt as a plain network; member
    k's weights learn from share k's errors only, and every member learns."""
    model = ensemble_model("heteroscedastic")
    model.split = True
    s, a = torch.randn(rows, 4) * 2, torch.randn(rows, 3)
    share = -(-rows // 3)
    mean, std = model.mean_and_std(s, a)
    assert mean.shape == std.shape == (rows, 4)
    x = torch.cat([model.obs_norm.normalize(s), a], -1)
    scale = model.delta_norm.std + model.delta_norm.eps
    for k in range(3):
        part = slice(k * share, (k + 1) * share)
        if not x[part].shape[0]:
            continue
        out = model.net.member(k)(x[part])
        torch.testing.assert_close(mean[part], out[:, :4] * scale + model.delta_norm.mean)
        torch.testing.assert_close(std[part], (out[:, 4:] + model.log_std).clamp(-8.0, 2.0).exp() * scale)
    # the inferred noise reproduces the real transition through each state's own member
    s_next = s + 0.1 * torch.randn(rows, 4)
    torch.testing.assert_close(model.step(s, a, model.infer_xi(s, a, s_next)), s_next, atol=1e-10, rtol=0)
    mean_z, log_std = model._member_outputs(s, a)
    (mean_z[:share].sum() + log_std[:share].sum()).backward()  # share 0's outputs only
    assert float(model.net.weights[0].grad[0].abs().sum()) > 0.0
    assert float(model.net.weights[0].grad[1:].abs().sum()) == 0.0
    model.zero_grad()
    if rows > 2 * share:
        model.nll_and_mse(s, a, s_next)[0].backward()
        assert all(float(model.net.weights[0].grad[k].abs().sum()) > 0 for k in range(3))


@pytest.mark.parametrize(("kwargs", "match"), [({"ensemble": 0}, ">= 1"),
                                               ({"ensemble": 3, "members": "some"}, "members"),
                                               ({"ensemble": 3, "per_dimension": True}, "single networks")])
def test_a_bad_ensemble_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DynamicsModel(4, 3, (8,), **{"per_dimension": False, **kwargs})


def test_policy_infer_eta_recovers_sampled_noise(float64):
    policy = make_policy()
    g = torch.Generator().manual_seed(2)
    s = torch.randn(300, 4, generator=g) * 3
    eta = torch.randn(300, 3, generator=g) * 2
    a = policy.sample(s, eta)
    torch.testing.assert_close(policy.infer_eta(s, a), eta, atol=1e-5, rtol=0)
    # the sample is differentiable in the parameters for the given eta, the inferred eta is not
    assert a.requires_grad and not policy.infer_eta(s, a).requires_grad


# -- per-dimension model networks ------------------------------------------------------------------------------

def test_batched_mlp_equals_independent_subnetworks():
    torch.manual_seed(0)
    net = BatchedMLP(5, 7, (8, 6), 2, "tanh")
    x = torch.randn(11, 3, 7)  # arbitrary leading dims
    out = net(x)
    assert out.shape == (11, 3, 5, 2)
    for k in range(5):
        layers: list[nn.Module] = []
        for i, (w, b) in enumerate(zip(net.weights, net.biases)):
            lin = nn.Linear(w.shape[1], w.shape[2])
            with torch.no_grad():
                lin.weight.copy_(w[k].T)
                lin.bias.copy_(b[k, 0])
            layers.append(lin)
            if i < len(net.weights) - 1:
                layers.append(nn.Tanh())
        sub = nn.Sequential(*layers)
        torch.testing.assert_close(out[..., k, :], sub(x), atol=1e-6, rtol=1e-6)


def test_batched_mlp_subnetworks_share_no_parameters():
    torch.manual_seed(0)
    net = BatchedMLP(4, 3, (8,), 1)
    x = torch.randn(10, 3)
    for k in range(4):
        grads = torch.autograd.grad(net(x)[:, k].sum(), list(net.parameters()))
        for g in grads:
            others = [j for j in range(4) if j != k]
            assert g[k].abs().sum() > 0
            assert torch.equal(g[others], torch.zeros_like(g[others]))


def test_per_dimension_model_output_k_depends_only_on_subnetwork_k():
    model = trained_model(True, "additive")
    s, a = torch.randn(20, 4), torch.randn(20, 3)
    before = model.mean_and_std(s, a)[0]
    with torch.no_grad():
        for w in model.net.weights:
            w[2].add_(0.5)
    after = model.mean_and_std(s, a)[0]
    changed = (after - before).abs().amax(0)
    assert changed[2] > 1e-3
    assert torch.equal(changed[[0, 1, 3]], torch.zeros(3))


# -- policy distribution and bounds ----------------------------------------------------------------------------

def test_log_prob_matches_torch_normal(float64):
    policy = make_policy()
    s = torch.randn(50, 4) * 2
    a = torch.randn(50, 3) * 3
    mu, sigma = policy(s)
    expected = torch.distributions.Normal(mu, sigma).log_prob(a).sum(-1)
    torch.testing.assert_close(policy.log_prob(s, a), expected, atol=1e-10, rtol=0)
    # and act() reports the log-prob of the action it returns
    action, logp = policy.act(np.array([0.3, -1.0, 2.0, 0.1]), generator=torch.Generator().manual_seed(0))
    s1 = torch.tensor([[0.3, -1.0, 2.0, 0.1]])
    assert logp == pytest.approx(float(policy.log_prob(s1, torch.as_tensor(action)[None])), abs=1e-9)


@pytest.mark.parametrize("state_dependent_sigma", [True, False])
def test_sigma_and_mean_stay_in_bounds_under_extreme_weights(state_dependent_sigma):
    scale = torch.tensor([2.0, 3.0, 0.25])
    low, high = torch.tensor(LOW), torch.tensor(HIGH)
    policy = make_policy(sigma_init=0.3, sigma_min=0.1, sigma_max=0.8, state_dependent_sigma=state_dependent_sigma)
    s = torch.randn(500, 4) * 1000
    for sign in (1.0, -1.0):
        with torch.no_grad():
            for p in policy.net.parameters():
                p.normal_(0, 50)
            policy.log_sigma_bias.fill_(sign * 1e3)
        mu, sigma = policy(s)
        assert torch.isfinite(mu).all() and torch.isfinite(sigma).all()
        assert (sigma >= 0.1 * scale * (1 - 1e-6)).all() and (sigma <= 0.8 * scale * (1 + 1e-6)).all()
        assert (mu >= low).all() and (mu <= high).all()
        assert (mu - low).abs().amin() < 1e-3 and (high - mu).abs().amin() < 1e-3  # really pushed to the limits
        # the saturated bound is reached: the floor for sign -1, the ceiling for sign +1
        bound = 0.8 if sign > 0 else 0.1
        if not state_dependent_sigma:
            torch.testing.assert_close(sigma, (bound * scale).expand_as(sigma))


def test_sigma_starts_at_sigma_init():
    policy = make_policy(sigma_init=0.3, sigma_min=0.1, sigma_max=1.0)
    _, sigma = policy(torch.zeros(1, 4))
    # untrained: the last layer is shrunk, so sigma is close to sigma_init half-ranges
    torch.testing.assert_close(sigma[0], 0.3 * torch.tensor([2.0, 3.0, 0.25]), atol=0.05, rtol=0.1)


def test_policy_rejects_inconsistent_sigma_bounds():
    with pytest.raises(ValueError, match="sigma_min"):
        GaussianPolicy(2, 1, [-1], [1], sigma_init=0.05, sigma_min=0.1, sigma_max=1.0)
    with pytest.raises(ValueError, match="sigma_min"):
        GaussianPolicy(2, 1, [-1], [1], sigma_init=0.3, sigma_min=0.0, sigma_max=1.0)


def test_clamp_action_clips_to_actuator_range():
    policy = make_policy()
    a = torch.tensor([[-10.0, 10.0, 0.3], [5.0, -5.0, -1.0], [0.0, 0.0, 0.25]])
    expected = torch.as_tensor(np.clip(a.numpy(), LOW, HIGH), dtype=torch.float32)
    torch.testing.assert_close(policy.clamp_action(a), expected)
    a.requires_grad_(True)
    policy.clamp_action(a).sum().backward()
    # zero gradient past a limit, identity inside
    assert a.grad.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]


# -- importance weights ----------------------------------------------------------------------------------------

def test_importance_weights_exactly_one_on_policy():
    policy = make_policy()
    s = torch.randn(100, 4)
    a = policy.sample(s, torch.randn(100, 3)).detach()
    w = est.importance_weights(policy, s, a, policy.log_prob(s, a).detach(), SVG1ERConfig().iw_truncation)
    assert torch.equal(w, torch.ones(100))


def test_importance_weights_ratio_and_truncation():
    assert SVG1ERConfig().iw_truncation == 5.0
    policy = make_policy()
    s = torch.randn(6, 4)
    a = policy.sample(s, torch.randn(6, 3)).detach()
    logp = policy.log_prob(s, a).detach()
    # behaviour log-probs: much lower (truncated), a bit lower (ratio 3), higher (ratio 0.25)
    behaviour = logp - torch.tensor([50.0, 1e4, math.log(3.0), math.log(3.0), -math.log(4.0), 0.0])
    w5 = est.importance_weights(policy, s, a, behaviour, 5.0)
    torch.testing.assert_close(w5, torch.tensor([5.0, 5.0, 3.0, 3.0, 0.25, 1.0]))
    w2 = est.importance_weights(policy, s, a, behaviour, 2.0)
    torch.testing.assert_close(w2, torch.tensor([2.0, 2.0, 2.0, 2.0, 0.25, 1.0]))
    assert w5.max() <= 5.0 and w2.max() <= 2.0 and torch.isfinite(w5).all()


# -- replay buffer ---------------------------------------------------------------------------------------------

def tr(i: float, *, terminated: bool = False, truncated: bool = False) -> Transition:
    """A transition whose contents encode ``i`` (obs[0] = i) so order can be checked."""
    return Transition(np.array([i, 0.0]), np.array([i / 10]), float(i), np.array([i + 1, 0.0]), terminated,
                      truncated, -float(i), int(i))


def test_running_norm_numpy_and_tensor_batches_give_the_same_statistics():
    """The learner folds transitions in as numpy (no GIL round trips); the result must equal the torch path's
    and the plain mean / sample std of everything seen."""
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((int(rng.integers(1, 5)), 4)) * [1.0, 10.0, 0.1, 3.0] + 5.0 for _ in range(200)]
    from_numpy, from_torch = RunningNorm(4), RunningNorm(4)
    for x in batches:
        from_numpy.update(x)
        from_torch.update(torch.as_tensor(x))
    for name in ("count", "mean64", "m2", "mean", "std"):
        torch.testing.assert_close(getattr(from_numpy, name), getattr(from_torch, name), rtol=1e-12, atol=1e-12)
    everything = np.concatenate(batches)
    np.testing.assert_allclose(from_numpy.mean64.numpy(), everything.mean(0), rtol=1e-10)
    np.testing.assert_allclose(from_numpy.std.numpy(), everything.std(0, ddof=1), rtol=1e-6)
    with pytest.raises(ValueError):
        from_numpy.update(np.zeros((2, 3)))


def test_replay_ring_respects_capacity_and_overwrites_oldest():
    buf = ReplayBuffer(2, 1, capacity=5)
    for i in range(3):
        buf.add(tr(i), 0)
    assert len(buf) == 3
    assert buf.recent(10)["obs"][:, 0].tolist() == [0, 1, 2]
    for i in range(3, 13):
        buf.add(tr(i), 0)
    assert len(buf) == 5 and buf.total_added == 13 and buf.obs.shape == (5, 2)
    assert sorted(buf.obs[:, 0].tolist()) == [8, 9, 10, 11, 12]  # the oldest were overwritten
    recent = buf.recent(3)
    assert recent["obs"][:, 0].tolist() == [10, 11, 12]  # oldest first, newest last
    assert recent["reward"].tolist() == [10, 11, 12] and recent["log_prob"].tolist() == [-10, -11, -12]
    assert buf.recent(99)["obs"][:, 0].tolist() == [8, 9, 10, 11, 12]
    batch = buf.sample(200, np.random.default_rng(0))
    assert set(batch["obs"][:, 0].tolist()) == {8, 9, 10, 11, 12}
    torch.testing.assert_close(batch["next_obs"][:, 0], batch["obs"][:, 0] + 1)  # rows stay consistent


@pytest.mark.parametrize("capacity", [100, 7])  # not wrapped, and wrapped
def test_replay_recent_fraction_draws_that_share_from_the_newest_window(capacity):
    buf = ReplayBuffer(2, 1, capacity)
    for i in range(40):
        buf.add(tr(i), 0)
    newest = set(range(40 - min(5, capacity), 40))
    only_recent = buf.sample(300, np.random.default_rng(0), recent_fraction=1.0, recent_window=5)
    assert set(only_recent["obs"][:, 0].tolist()) == newest
    torch.testing.assert_close(only_recent["next_obs"][:, 0], only_recent["obs"][:, 0] + 1)
    mixed = buf.sample(400, np.random.default_rng(1), recent_fraction=0.25, recent_window=5)["obs"][:, 0].tolist()
    assert set(mixed[-100:]) <= newest and len(set(mixed[:300])) == min(40, capacity)
    # no recent share: the very indices of the plain uniform draw (default runs are unchanged)
    torch.testing.assert_close(buf.sample(64, np.random.default_rng(2), recent_fraction=0.0, recent_window=5),
                               buf.sample(64, np.random.default_rng(2)))


def test_replay_rejects_bad_capacity_and_empty_sample():
    with pytest.raises(ValueError):
        ReplayBuffer(2, 1, 0)
    with pytest.raises(ValueError):
        ReplayBuffer(2, 1, 4).sample(3, np.random.default_rng(0))


@pytest.mark.parametrize("capacity", [1000, 57])  # not wrapped, and wrapped many times
def test_sample_windows_never_cross_episodes_or_terminals(capacity):
    rng = np.random.default_rng(0)
    buf = ReplayBuffer(2, 1, capacity)
    i, episode = 0, 0
    for _ in range(40):
        length = int(rng.integers(1, 9))
        end_kind = rng.integers(0, 3)  # terminated, truncated, or (for a broken stream) neither
        for j in range(length):
            last = j == length - 1
            buf.add(tr(i, terminated=last and end_kind == 0, truncated=last and end_kind == 1), episode)
            i += 1
        episode += 1
    # a terminal inside one episode id (the id alone would not separate these)
    for j in range(6):
        buf.add(tr(i, terminated=j == 2), episode)
        i += 1
    for k in (1, 2, 3, 4):
        w = buf.sample_windows(256, k, np.random.default_rng(k))
        assert w is not None and w["obs"].shape[:2] == (w["obs"].shape[0], k)
        idx = w["obs"][..., 0].numpy().astype(int)
        assert (np.diff(idx, axis=1) == 1).all()  # consecutive in insertion order (never across the ring seam)
        assert idx.min() >= i - len(buf)  # only stored transitions
        for row in idx:
            pos = (row - (i - len(buf)) + (buf.next_index if len(buf) == capacity else 0)) % capacity
            assert len(set(buf.episode_id[pos].tolist())) == 1
        ended = (w["terminated"][:, :-1] + w["truncated"][:, :-1]).numpy()
        assert (ended == 0).all()
        torch.testing.assert_close(w["reward"], w["obs"][..., 0])


def test_sample_windows_none_when_no_window_fits():
    buf = ReplayBuffer(2, 1, 10)
    assert buf.sample_windows(4, 2, np.random.default_rng(0)) is None
    for i in range(4):
        buf.add(tr(i, terminated=True), i)  # every episode is one step long
    assert buf.sample_windows(4, 2, np.random.default_rng(0)) is None
    assert buf.sample_windows(4, 1, np.random.default_rng(0))["obs"].shape == (4, 1, 2)


# -- transitions -----------------------------------------------------------------------------------------------

def test_transition_wire_round_trip():
    t = Transition(np.array([0.1, -2.0, 3.5]), np.array([0.25, -0.75]), -1.5, np.array([0.2, -1.9, 3.4]), False,
                   True, -2.25, 17, 3)
    flat = t.to_array()
    assert flat.shape == (wire_length(3, 2),) == (14,)
    back = Transition.from_array(flat, 3, 2)
    for name in ("obs", "action", "next_obs"):
        np.testing.assert_array_equal(getattr(back, name), getattr(t, name))
    assert (back.reward, back.terminated, back.truncated, back.log_prob, back.policy_version, back.actor_id) == (
        -1.5, False, True, -2.25, 17, 3)


def test_transition_from_array_rejects_bad_input():
    good = Transition(np.zeros(3), np.zeros(2), 0.0, np.zeros(3), False, False, 0.0).to_array()
    with pytest.raises(ValueError, match="expected 14"):
        Transition.from_array(good[:-1], 3, 2)
    with pytest.raises(ValueError):
        Transition.from_array(np.concatenate([good, [0.0]]), 3, 2)
    with pytest.raises(ValueError):
        Transition.from_array(good, 2, 2)  # other dimensions
    for pos, field in ((0, "obs"), (3, "action"), (6, "next_obs"), (8, "reward"), (11, "log_prob")):
        bad = good.copy()
        bad[pos] = np.nan if pos % 2 else np.inf
        with pytest.raises(ValueError, match=field):
            Transition.from_array(bad, 3, 2)


def test_transition_validate_names_the_field():
    with pytest.raises(ValueError, match="action"):
        Transition(np.zeros(3), np.zeros(3), 0.0, np.zeros(3), False, False, 0.0).validate(3, 2)
    with pytest.raises(ValueError, match="next_obs"):
        Transition(np.zeros(3), np.zeros(2), 0.0, np.full(3, np.nan), False, False, 0.0).validate(3, 2)


# -- policy weights as bytes -----------------------------------------------------------------------------------

def state_copy(policy: GaussianPolicy) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in policy.state_dict().items()}


def assert_state_equal(policy: GaussianPolicy, state: dict[str, torch.Tensor]) -> None:
    now = policy.state_dict()
    assert set(now) == set(state)
    for k, v in state.items():
        assert torch.equal(now[k], v), k


def test_policy_bytes_round_trip_gives_identical_outputs():
    src = make_policy(seed=1)
    with torch.no_grad():
        src.log_sigma_bias.fill_(0.4)
    dst = make_policy(seed=2)
    s = torch.randn(30, 4) * 3
    assert not torch.equal(src(s)[0], dst(s)[0])
    data = policy_to_bytes(src, version=7)
    assert isinstance(data, bytes) and b"pickle" not in data[:200]
    assert load_policy_bytes(dst, data) == 7
    for x, y in zip(src(s), dst(s)):
        assert torch.equal(x, y)
    assert_state_equal(dst, state_copy(src))  # normaliser statistics travel with the weights
    assert load_policy_bytes(dst, policy_to_bytes(src, 8), min_version=7) == 8


def flip_tensor_byte(data: bytes) -> bytes:
    b = bytearray(data)
    b[-3] ^= 0x5A  # inside the last tensor's data, after the JSON header
    return bytes(b)


BAD_MESSAGES = {
    "empty": lambda d: b"",
    "truncated_header": lambda d: d[:5],
    "truncated": lambda d: d[: len(d) // 2],
    "truncated_by_one": lambda d: d[:-1],
    "random": lambda d: np.random.default_rng(0).integers(0, 256, len(d), dtype=np.uint8).tobytes(),
    "random_after_valid_length": lambda d: d[:8] + np.random.default_rng(1).integers(
        0, 256, len(d) - 8, dtype=np.uint8).tobytes(),
    "flipped_tensor_byte": flip_tensor_byte,
}


@pytest.mark.parametrize("kind", sorted(BAD_MESSAGES))
def test_bad_weights_bytes_are_refused_and_policy_unchanged(kind):
    data = policy_to_bytes(make_policy(seed=1), 3)
    dst = make_policy(seed=2)
    before = state_copy(dst)
    with pytest.raises(WeightsError):
        load_policy_bytes(dst, BAD_MESSAGES[kind](data))
    assert_state_equal(dst, before)


def test_flipped_byte_reports_hash_mismatch():
    with pytest.raises(WeightsError, match="hash"):
        load_policy_bytes(make_policy(), flip_tensor_byte(policy_to_bytes(make_policy(seed=1), 1)))


@pytest.mark.parametrize("other", [
    dict(hidden=(16, 8)),
    dict(hidden=(16,)),
    dict(state_dependent_sigma=False),
    dict(squash=False),
])
def test_weights_of_another_architecture_are_refused(other):
    torch.manual_seed(0)
    src = GaussianPolicy(4, 3, LOW, HIGH, **{"hidden": (16, 16), **other})
    dst = make_policy()
    before = state_copy(dst)
    with pytest.raises(WeightsError, match="architecture"):
        load_policy_bytes(dst, policy_to_bytes(src, 5))
    assert_state_equal(dst, before)


def test_weights_of_other_dimensions_are_refused():
    torch.manual_seed(0)
    src = GaussianPolicy(5, 3, LOW, HIGH, (16, 16))
    dst = make_policy()
    before = state_copy(dst)
    with pytest.raises(WeightsError):
        load_policy_bytes(dst, policy_to_bytes(src, 5))
    assert_state_equal(dst, before)


@pytest.mark.parametrize("version", [4, 5])
def test_weights_not_newer_are_refused(version):
    dst = make_policy(seed=2)
    before = state_copy(dst)
    with pytest.raises(WeightsError, match="not newer"):
        load_policy_bytes(dst, policy_to_bytes(make_policy(seed=1), version), min_version=5)
    assert_state_equal(dst, before)


def test_weights_with_non_finite_values_are_refused():
    src = make_policy(seed=1)
    with torch.no_grad():
        src.net[0].weight[0, 0] = float("nan")
    dst = make_policy(seed=2)
    before = state_copy(dst)
    with pytest.raises(WeightsError, match="NaN"):
        load_policy_bytes(dst, policy_to_bytes(src, 1))
    assert_state_equal(dst, before)
