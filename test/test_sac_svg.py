"""sac-svg (core/algos/sac_svg.py): its new terms against closed forms, its checkpoint, its refusals, and
that it learns the point mass.

Ground truths: with Q = 0 and no model step the objective is alpha times the policy's entropy, whose
gradient in the sigma parameter follows from the policy's sigmoid parameterisation; a termination model
that is certain of a fall removes everything after the model step from the estimate.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from test_core_agent import run

from svg_control.core.algos import make_learner
from svg_control.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.trainer import evaluate_policy

#: small networks, and the model in the policy's estimate from the first update (the shipped default waits
#: 10000 updates); test_model_warmup_is_plain_sac_until_it_ends sets its own warm-up
SMALL = {"policy_hidden": [16, 16], "critic_hidden": [32, 32], "model_hidden": [16, 16], "termination_hidden": [16],
         "batch_size": 32, "min_replay": 32, "model_warmup": 0}


def learner(seed: int = 0, **overrides):
    task = point_mass()
    return make_learner("sac-svg", task.spec, task.reward_torch, build_config("sac-svg", {**SMALL, **overrides}),
                        seed=seed), task


def assert_learns_the_point_mass(agent, task, steps: int = 800) -> None:
    """After ``steps`` online steps the mean action's return (5 episodes) is at least half-way from the untrained
    policy's to 0, with no update skipped as non-finite."""
    untrained = float(np.mean(evaluate_policy(agent.policy, point_mass(), 5)))
    run(agent, task, steps)
    trained = float(np.mean(evaluate_policy(agent.policy, point_mass(), 5)))
    assert agent.nonfinite_skips == 0
    assert trained > untrained + 0.5 * abs(untrained), (untrained, trained)


def zero_critic(agent) -> None:
    """Q(s, a) = constant ``value`` for both heads."""
    with torch.no_grad():
        agent.critic.net.weights[-1].zero_()
        agent.critic.net.biases[-1].zero_()


def test_entropy_matches_the_gaussian_closed_form():
    agent, _ = learner()
    sigma = torch.tensor([[0.3], [1.2]]) * agent.policy.action_scale
    expected = 0.5 * math.log(2 * math.pi * math.e) + torch.log(torch.tensor([0.3, 1.2]))
    torch.testing.assert_close(agent.entropy(sigma), expected)


def test_log_prob_averages_to_minus_the_entropy():
    agent, _ = learner(squash_samples=False)  # the clipped Gaussian's closed-form entropy
    obs = torch.zeros(20000, 2)
    eta = torch.randn(20000, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, log_prob = agent.sample_with_log_prob(obs, eta)
        _, sigma = agent.policy(obs)
    assert float(-log_prob.mean()) == pytest.approx(float(agent.entropy(sigma).mean()), abs=0.02)


def test_the_entropy_gradient_in_sigma_is_the_closed_form():
    """With Q = 0 and H = 0 the objective is alpha * H(pi) (up to Monte-Carlo in eta, which only shifts a
    constant): d/d(log_sigma_bias) = alpha * d log sigma / d raw = alpha * (max - min) s (1 - s) / sigma_units."""
    agent, _ = learner(model_horizon=0, termination="none", squash_samples=False)
    zero_critic(agent)
    n = 64
    batch = {"obs": torch.randn(n, 2, generator=torch.Generator().manual_seed(1))}
    noise = {"eta_policy": torch.randn(1, n, 1, generator=torch.Generator().manual_seed(2))}
    objective = agent.policy_objective((batch, None), noise)
    (grad,) = torch.autograd.grad(objective, agent.policy.log_sigma_bias)

    policy, alpha = agent.policy, float(agent.temperature.alpha)
    with torch.no_grad():
        out = policy.net(policy.obs_norm.normalize(batch["obs"]))
        raw = policy.sigma_raw_offset + policy.log_sigma_bias + out[:, 1:]
        s = torch.sigmoid(raw)
        units = policy.sigma_min + (policy.sigma_max - policy.sigma_min) * s
        expected = alpha * ((policy.sigma_max - policy.sigma_min) * s * (1 - s) / units).mean(0)
    torch.testing.assert_close(grad, expected, rtol=1e-5, atol=1e-7)


def constant_critic_rollout(agent, task, c: float = 7.0):
    """Q = c for both heads after a short run; (batch, noise, c) for a one-model-step objective."""
    run(agent, task, 40)  # fills the normalisers and a few transitions
    zero_critic(agent)
    with torch.no_grad():
        agent.critic.net.biases[-1].fill_(c)
    batch = agent.prepare_batch(agent.replay.sample(16, np.random.default_rng(0)))
    noise = {"eta_policy": torch.randn(2, 16, 1, generator=torch.Generator().manual_seed(3))}
    return batch, noise, c


def rollout_tail(agent, batch, noise, c: float) -> float:
    """gamma (c - alpha log pi(a_1|s_1)) at the model's first state, rebuilt by hand."""
    with torch.no_grad():
        a0, _ = agent.sample_with_log_prob(batch["obs"], noise["eta_policy"][0])
        mean, std = agent.model.mean_and_std(batch["obs"], a0)
        s1 = batch["obs"] + mean + std * batch["xi"]
        _, log_prob1 = agent.sample_with_log_prob(s1, noise["eta_policy"][1])
        return float(agent.config.gamma * (c - agent.temperature.alpha * log_prob1).mean())


def test_a_certain_fall_removes_everything_after_the_model_step():
    """Q = c everywhere; a termination model sure of a fall (p = 1) leaves r - alpha log pi of the first step;
    one sure of survival (p = 0) adds gamma * (c - alpha log pi(a_1|s_1))."""
    agent, task = learner(model_horizon=1)
    batch, noise, c = constant_critic_rollout(agent, task)
    last = agent.termination_model.net[-1]
    values = {}
    for name, bias in (("falls", 50.0), ("survives", -50.0)):
        with torch.no_grad():
            last.weight.zero_()
            last.bias.fill_(bias)
            values[name] = float(agent.policy_objective((batch, None), noise))
    assert values["survives"] - values["falls"] == pytest.approx(rollout_tail(agent, batch, noise, c), rel=1e-4)


def test_the_termination_model_learns_which_transitions_end():
    from svg_control.core.termination_model import TerminationModel

    torch.manual_seed(0)
    model = TerminationModel(2, 1, (16,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    obs, action = torch.randn(512, 2), torch.randn(512, 1)
    next_obs = obs + 0.1 * torch.randn(512, 2)
    ended = (next_obs[:, 0] > 1.0).float()
    for _ in range(300):
        opt.zero_grad()
        model.loss(obs, action, next_obs, ended).backward()
        opt.step()
    predicted = (model.survival(obs, action, next_obs) < 0.5).float()
    assert float((predicted == ended).float().mean()) > 0.95


def test_checkpoint_round_trips_temperature_termination_model_and_twin_critics(tmp_path):
    agent, task = learner(seed=2)
    run(agent, task, 80)
    assert float(agent.temperature.alpha) != pytest.approx(0.1)  # alpha has moved
    save_checkpoint(agent, tmp_path)
    other, _ = learner(seed=5)
    assert load_checkpoint(other, tmp_path)
    for name, module in agent.modules().items():
        for key, value in module.state_dict().items():
            torch.testing.assert_close(other.modules()[name].state_dict()[key], value, msg=f"{name}.{key}")
    assert {"temperature", "termination_model", "critic", "critic_target"} <= set(agent.modules())
    assert set(other.optimizers) == {"policy", "model", "critic", "alpha", "termination"}
    for _ in range(3):  # the model probe scores the live stream, and starts afresh in a resumed run
        probe = {"model_error_1", "model_error_3"}
        assert agent.update().keys() - probe == other.update().keys()
    torch.testing.assert_close(other.temperature.log_alpha, agent.temperature.log_alpha)


@pytest.mark.parametrize("squash_samples", [True, False])
def test_a_non_finite_entropy_never_reaches_the_temperature(monkeypatch, squash_samples):
    agent, task = learner(squash_samples=squash_samples)
    run(agent, task, 40)
    before = agent.temperature.log_alpha.detach().clone()
    skips = agent.nonfinite_skips
    monkeypatch.setattr(agent, "entropy_estimate", lambda obs, eta: torch.full(obs.shape[:-1], float("nan")))
    agent.update()
    assert torch.equal(agent.temperature.log_alpha.detach(), before)
    assert agent.nonfinite_skips == skips + 1


def alphas_over_updates(agent, task, rounds: int = 8) -> list[float]:
    run(agent, task, 40)
    out = [float(agent.temperature.alpha)]
    for _ in range(rounds):
        run(agent, task, 5)
        out.append(float(agent.temperature.alpha))
    return out


def test_alpha_only_decreases_holds_alpha_where_free_alpha_rises():
    """A target entropy far above the policy's: the free temperature climbs; one that only falls does not."""
    free = alphas_over_updates(*learner(target_entropy=5.0))
    held = alphas_over_updates(*learner(target_entropy=5.0, alpha_only_decreases=True))
    assert free[-1] > free[0] * 1.005, free
    assert all(b <= a for a, b in zip(held, held[1:])), held
    assert held[-1] == pytest.approx(0.1, rel=1e-3)  # alpha_init: never pushed down either


def test_alpha_only_decreases_still_lets_alpha_fall():
    """A target far below the policy's entropy: alpha falls with or without the option, at the same rate."""
    free = alphas_over_updates(*learner(target_entropy=-20.0))
    held = alphas_over_updates(*learner(target_entropy=-20.0, alpha_only_decreases=True))
    assert held[-1] < held[0] * 0.995, held
    assert held == pytest.approx(free, rel=1e-6)


def test_target_entropy_model_is_the_target_once_the_model_is_in():
    """Before the model enters the temperature follows target_entropy, after it target_entropy_model: the same
    alphas, update for update, as a learner with that target throughout."""
    before = alphas_over_updates(*learner(target_entropy=-20.0, target_entropy_model=5.0, model_warmup=10**9))
    assert before == pytest.approx(alphas_over_updates(*learner(target_entropy=-20.0, model_warmup=10**9)), rel=1e-6)
    assert before[-1] < before[0]
    after = alphas_over_updates(*learner(target_entropy=-20.0, target_entropy_model=5.0))
    assert after == pytest.approx(alphas_over_updates(*learner(target_entropy=5.0)), rel=1e-6)
    assert after[-1] > after[0]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"target_entropy": float("nan")}, "target_entropy"),
    ({"target_entropy_model": float("inf")}, "target_entropy_model"),
    ({"target_entropy_model": "high"}, "target_entropy_model"),
    ({"alpha_init": float("inf")}, "alpha_init"),
    ({"alpha_init": 0.0}, "alpha_init"),
    ({"termination": "oracle"}, "termination"),
    ({"model_horizon": -1}, "model_horizon"),
    ({"model_warmup": -5}, "model_warmup"),
    ({"model_ramp": -1}, "model_ramp"),
    ({"model_ensemble": 0}, "model_ensemble"),
    ({"model_ensemble": 3, "model_per_dimension": True}, "model_ensemble"),
    ({"model_ensemble_members": "mean"}, "model_ensemble_members"),
])
def test_bad_sac_svg_settings_are_refused_by_name(overrides, field):
    with pytest.raises(ValueError, match=field):
        build_config("sac-svg", overrides)


SAC_SVG_OPTION_VALUES = {"model_horizon": 2, "target_entropy": -2.0, "target_entropy_model": 0.0, "alpha_lr": 1e-3,
                         "termination": "none", "critic_layer_norm": True, "model_warmup": 100, "model_ramp": 100,
                         "model_ensemble": 3, "alpha_only_decreases": True, "model_data_fraction": 0.5,
                         "model_ensemble_members": "one_per_state", "model_entry_error": 0.2}


@pytest.mark.parametrize("option", list(SAC_SVG_OPTION_VALUES))
def test_a_sac_svg_option_given_to_another_algorithm_is_refused(option):
    value = SAC_SVG_OPTION_VALUES[option]
    with pytest.raises(ValueError, match=f"{option} is not a setting of svg1-er; its settings are: "):
        build_config("svg1-er", {option: value})


#: Measured (untrained -> trained deterministic return, 5 evaluation episodes, 800 steps, model_horizon 3):
#: seed 0 -594 -> -17, seed 1 -685 -> -76 (with H = 1: -48 and -808). The pass line is half-way to 0 (-297).
def test_sac_svg_learns_the_point_mass():
    agent, task = learner(seed=0, batch_size=64, min_replay=64)
    assert_learns_the_point_mass(agent, task)


def test_squashed_samples_have_the_tanh_transformed_gaussian_log_prob():
    """Against torch.distributions' own tanh-transformed Normal, in half-range units, and inside the range."""
    agent, _ = learner(squash_samples=True)
    policy = agent.policy
    obs = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    eta = torch.randn(64, 1, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        action, log_prob = agent.sample_with_log_prob(obs, eta)
        mu, sigma = policy(obs)
    scale, centre = policy.action_scale, policy.action_center
    reference = torch.distributions.TransformedDistribution(
        torch.distributions.Normal((mu - centre) / scale, sigma / scale), [torch.distributions.TanhTransform()])
    units = (action - centre) / scale
    assert torch.all(units.abs() < 1)
    torch.testing.assert_close(log_prob, reference.log_prob(units).sum(-1), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(agent.policy.log_prob(obs, action),
                               log_prob - torch.log(scale).sum(), rtol=1e-4, atol=1e-4)


def test_the_squashed_policy_infers_the_noise_it_drew():
    agent, _ = learner(squash_samples=True)
    obs = torch.randn(16, 2, generator=torch.Generator().manual_seed(3))
    eta = torch.randn(16, 1, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        torch.testing.assert_close(agent.policy.infer_eta(obs, agent.policy.sample(obs, eta)), eta,
                                   rtol=1e-3, atol=1e-3)


def test_squash_samples_is_refused_for_the_paper_algorithms():
    with pytest.raises(ValueError, match="squash_samples is not a setting of svg1-er; its settings are: "):
        build_config("svg1-er", {"squash_samples": True})


def test_sac_svg_with_the_clipped_gaussian_learns_the_point_mass():
    """The default squashes its samples (the test above); the clipped Gaussian, which older runs used, learns too."""
    agent, task = learner(seed=0, batch_size=64, min_replay=64, squash_samples=False)
    assert_learns_the_point_mass(agent, task)


def test_a_known_termination_ends_the_rollout_where_the_task_says():
    """termination: known. With Q = c, a task termination that fires on every model state leaves r - alpha log pi
    of the first step; one that never fires adds gamma (c - alpha log pi(a_1|s_1)), as the learned model's p = 1
    and p = 0 do (above)."""
    task = point_mass()
    verdict = {"ends": True}

    def termination(obs, action, next_obs):
        return torch.full(next_obs.shape[:-1], verdict["ends"], dtype=torch.bool)

    agent = make_learner("sac-svg", task.spec, task.reward_torch,
                         build_config("sac-svg", {**SMALL, "model_horizon": 1, "termination": "known"}),
                         termination_fn=termination)
    assert agent.termination_model is None
    batch, noise, c = constant_critic_rollout(agent, task)
    values = {}
    for ends in (True, False):
        verdict["ends"] = ends
        values[ends] = float(agent.policy_objective((batch, None), noise))
    assert values[False] - values[True] == pytest.approx(rollout_tail(agent, batch, noise, c), rel=1e-4)
    with pytest.raises(ValueError, match="termination 'known' needs the task's termination"):
        make_learner("sac-svg", task.spec, task.reward_torch,
                     build_config("sac-svg", {**SMALL, "termination": "known"}))


def test_known_terminations_agree_with_the_environments():
    """The torch termination of walker and Gymnasium's Hopper/Walker2d says what their step says."""
    from svg_control.tasks.registry import make_task

    for name in ("walker", "gym:Hopper-v5", "gym:Walker2d-v5"):
        task = make_task(name, seed=0)
        fn = task.termination_torch()
        assert fn is not None, name
        rng = np.random.default_rng(0)
        obs, seen = task.reset(seed=0), {True: 0, False: 0}
        for _ in range(400):
            result = task.step(rng.uniform(task.spec.low, task.spec.high))
            s2 = torch.as_tensor(result.obs, dtype=torch.float32)[None]
            predicted = bool(fn(torch.as_tensor(obs, dtype=torch.float32)[None], torch.zeros(1, task.spec.act_dim),
                                s2)[0])
            assert predicted == result.terminated, (name, result.obs)
            seen[predicted] += 1
            obs = task.reset() if result.terminated or result.truncated else result.obs
        assert seen[True] > 0 and seen[False] > 0, (name, seen)
        task.close()
    assert make_task("monoped").termination_torch() is None  # no termination: none is claimed


def test_model_warmup_is_plain_sac_until_it_ends():
    """During the warm-up the policy's estimate is SAC's min Q(s, a) - alpha log pi(a|s) at the replayed state,
    whatever the model says; after it, the rollout takes model_horizon model steps."""
    agent, task = learner(model_horizon=2, model_warmup=30)
    run(agent, task, 40)
    batch = agent.prepare_batch(agent.replay.sample(16, np.random.default_rng(0)))
    assert agent.updates < 30
    noise = agent.draw_noise(batch, policy_steps=True)
    assert noise["eta_policy"].shape[0] == 1
    objective = float(agent.policy_objective((batch, None), noise))
    with torch.no_grad():
        a, log_prob = agent.sample_with_log_prob(batch["obs"], noise["eta_policy"][0])
        sac = float((agent.critic.pessimistic(batch["obs"], a) - agent.temperature.alpha * log_prob).mean())
        for p in agent.model.parameters():
            p.add_(1.0)  # the model moves; the warm-up's objective must not
    assert objective == pytest.approx(sac, rel=1e-5)
    assert float(agent.policy_objective((batch, None), noise)) == pytest.approx(objective, rel=1e-5)
    run(agent, task, 40)
    assert agent.updates >= 30
    assert agent.draw_noise(batch, policy_steps=True)["eta_policy"].shape[0] == 3


def test_the_model_enters_once_its_settled_error_meets_model_entry_error_and_stays_across_a_resume(tmp_path):
    """``model_entry_error``: plain SAC until the probe's H-step error on unseen transitions, over a full
    window, is at or below the setting; from that update on the rollout's H model steps, recorded as
    ``model_in``, kept by a checkpoint (a resumed learner's probe starts empty); without the setting, or with
    an error the model never reaches, the warm-up decides alone."""
    agents = {}
    for entry in (None, 1e-9, 1.5):
        agent, task = learner(model_horizon=2, model_warmup=10**6, model_entry_error=entry)
        agent.model_probe.window = 20  # a full window after 20 two-step rollouts
        run(agent, task, 80)
        agents[entry] = agent
    assert agents[None].model_entered_at is None and agents[1e-9].model_entered_at is None
    assert agents[None].last_losses["model_in"] == agents[1e-9].last_losses["model_in"] == 0.0
    entered = agents[1.5]
    assert entered.model_probe.settled_error(2) is not None
    assert entered.model_entered_at is not None and entered.model_entered_at < entered.updates
    assert entered.last_losses["model_in"] == 1.0
    batch = entered.prepare_batch(entered.replay.sample(16, np.random.default_rng(0)))
    assert entered.draw_noise(batch, policy_steps=True)["eta_policy"].shape[0] == 3
    save_checkpoint(entered, tmp_path)
    resumed, _ = learner(seed=5, model_horizon=2, model_warmup=10**6, model_entry_error=1.5)
    assert load_checkpoint(resumed, tmp_path)
    assert resumed.model_probe.settled_error(2) is None and resumed.model_entered_at == entered.model_entered_at
    assert resumed.rollout_horizon() == 2


@pytest.mark.parametrize("value", [0.0, -0.1, float("nan")])
def test_a_model_entry_error_that_is_not_a_positive_number_is_refused(value):
    with pytest.raises(ValueError, match="model_entry_error"):
        build_config("sac-svg", {"model_entry_error": value})


def test_model_ramp_blends_sac_into_the_rollout_then_leaves_the_rollout():
    """Inside the ramp the estimate is w * rollout + (1 - w) * SAC's at the replayed state, w rising from the
    warm-up's end; after it, the rollout's alone, exactly as without a ramp."""
    agent, task = learner(model_horizon=2, model_warmup=20, model_ramp=40)
    assert agent.model_weight() == 0.0
    run(agent, task, 60)
    assert 20 <= agent.updates < 60, agent.updates
    batch = agent.prepare_batch(agent.replay.sample(16, np.random.default_rng(0)))
    noise = agent.draw_noise(batch, policy_steps=True)
    weight = float(noise["model_weight"])
    assert weight == pytest.approx((agent.updates - 20 + 1) / 41) and 0.0 < weight < 1.0
    rollout_only = {k: v for k, v in noise.items() if k != "model_weight"}
    with torch.no_grad():
        blended = float(agent.policy_objective((batch, None), noise))
        rollout = float(agent.policy_objective((batch, None), rollout_only))
        a, log_prob = agent.sample_with_log_prob(batch["obs"], noise["eta_policy"][0])
        sac = float((agent.critic.pessimistic(batch["obs"], a) - agent.temperature.alpha * log_prob).mean())
    assert rollout != pytest.approx(sac, rel=1e-3)  # the two estimates differ, so the blend is tested
    assert blended == pytest.approx(weight * rollout + (1 - weight) * sac, rel=1e-5, abs=1e-6)
    run(agent, task, 60)
    assert agent.updates >= 60 and agent.model_weight() == 1.0
    assert "model_weight" not in agent.draw_noise(batch, policy_steps=True)


def test_critic_layer_norm_normalises_every_hidden_layer_of_both_critics_and_round_trips(tmp_path):
    agent, task = learner(seed=1, critic_layer_norm=True)
    for head in (agent.critic.head(0), agent.critic.head(1), agent.critic_target.head(0)):
        norms = [m for m in head if isinstance(m, torch.nn.LayerNorm)]
        assert [n.normalized_shape[0] for n in norms] == SMALL["critic_hidden"]
    run(agent, task, 60)
    assert agent.nonfinite_skips == 0
    save_checkpoint(agent, tmp_path)
    other, _ = learner(seed=4, critic_layer_norm=True)
    assert load_checkpoint(other, tmp_path)
    obs, act = torch.randn(8, 2), torch.rand(8, 1)
    torch.testing.assert_close(other.critic(obs, act), agent.critic(obs, act))
    plain, _ = learner(seed=4, critic_layer_norm=False)
    with pytest.raises(CheckpointError, match="critic"):  # a critic of another layout is refused, not loaded
        load_checkpoint(plain, tmp_path)


@pytest.mark.parametrize("members", ["all", "one_per_state"])
def test_a_model_ensemble_learns_the_point_mass_and_round_trips(tmp_path, members):
    """Five members (sac-svg's single model network): the policy gets measurably better through their mean
    or with each state through its own member, and a checkpoint restores every member; a checkpoint of one
    network is refused by an ensemble."""
    agent, task = learner(seed=0, batch_size=64, min_replay=64, model_ensemble=5, model_ensemble_members=members)
    assert tuple(agent.model.net.weights[0].shape[:1]) == (5,)
    assert agent.model.split == (members == "one_per_state")
    assert_learns_the_point_mass(agent, task)
    save_checkpoint(agent, tmp_path)
    other, _ = learner(seed=3, batch_size=64, min_replay=64, model_ensemble=5, model_ensemble_members=members)
    assert load_checkpoint(other, tmp_path)
    obs, act = torch.randn(8, 2), torch.rand(8, 1)
    torch.testing.assert_close(other.model.mean_and_std(obs, act), agent.model.mean_and_std(obs, act))
    single, _ = learner(seed=3, batch_size=64, min_replay=64)
    with pytest.raises(CheckpointError, match="model"):
        load_checkpoint(single, tmp_path)


def test_model_layer_norm_and_activation_shape_the_model_and_round_trip(tmp_path):
    """DHMBPO's model: a LayerNorm before each hidden activation, SiLU; a checkpoint restores it, and one of
    the default model is refused by name."""
    agent, task = learner(seed=1, model_layer_norm=True, model_activation="silu")
    layers = list(agent.model.net)
    assert [m.normalized_shape[0] for m in layers if isinstance(m, torch.nn.LayerNorm)] == SMALL["model_hidden"]
    assert sum(isinstance(m, torch.nn.SiLU) for m in layers) == len(SMALL["model_hidden"])
    assert not any(isinstance(m, torch.nn.ReLU) for m in layers)
    assert any(isinstance(m, torch.nn.ReLU) for m in agent.policy.net)  # the other networks keep theirs
    run(agent, task, 60)
    assert agent.nonfinite_skips == 0
    save_checkpoint(agent, tmp_path)
    other, _ = learner(seed=4, model_layer_norm=True, model_activation="silu")
    assert load_checkpoint(other, tmp_path)
    obs, act = torch.randn(8, 2), torch.rand(8, 1)
    torch.testing.assert_close(other.model.mean_and_std(obs, act), agent.model.mean_and_std(obs, act))
    plain, _ = learner(seed=4)
    with pytest.raises(CheckpointError, match="model"):
        load_checkpoint(plain, tmp_path)
    with pytest.raises(ValueError, match="model_activation"):
        build_config("sac-svg", {"model_activation": "gelu"})
