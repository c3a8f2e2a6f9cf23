"""``compile_update``: the compiled SVG(1)-ER update takes the eager update's steps, up to float rounding.

Two agents with the same seed and the same stored transitions take the same updates, one eager and one
compiled; every network, optimiser moment and counter must agree afterwards, for both of SVG(1)-ER's
estimators. The compiled one must also keep the eager guards: a non-finite batch moves nothing and is
counted, and ``policy_warmup`` holds the policy still. sac-svg compiles by default (the trainer's tests show the
compiled code kept in the run's directory and loaded again on a second start). The suite runs with torch's compiler off
(``conftest.py``); this module switches it on.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from svg_control.core.algos import make_learner
from svg_control.core.learner import Learner
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.core.transition import Transition

SMALL = {"policy_hidden": [16, 16], "critic_hidden": [32, 32], "model_hidden": [8, 8], "batch_size": 32,
         "min_replay": 32}
pytestmark = pytest.mark.usefixtures("compiler")

ESTIMATORS = {
    "paper": {"policy_noise": "inferred", "critic_target": "td"},
    "weight-free": {"policy_noise": "fresh", "critic_target": "model"},
    "model-target": {"policy_noise": "inferred", "critic_target": "model"},
}


def twins(overrides: dict, transitions: int = 120, seed: int = 3) -> tuple[Learner, Learner]:
    """An eager and a compiled agent, same seed, each holding the same transitions of the point mass."""
    task = point_mass()
    agents = [make_learner("svg1-er", task.spec, task.reward_torch,
                           build_config("svg1-er", {**SMALL, **overrides, "compile_update": compiled}), seed)
              for compiled in (False, True)]
    rng = np.random.default_rng(seed)
    obs = task.reset(seed=seed)
    for _ in range(transitions):
        action = rng.normal(0.0, 1.0, task.spec.act_dim)
        result = task.step(action)
        t = Transition(obs, action, result.reward, result.obs, result.terminated, result.truncated,
                       float(rng.normal(-1.0, 0.3)), 0)
        for agent in agents:
            agent.observe(t)
        obs = task.reset() if result.truncated else result.obs
    assert agents[0].compiled_update is None and agents[1].compiled_update is not None
    return agents[0], agents[1]


def assert_same_state(eager: Learner, compiled: Learner) -> None:
    for name, module in eager.modules().items():
        other = compiled.modules()[name].state_dict()
        for key, value in module.state_dict().items():
            torch.testing.assert_close(other[key], value, rtol=1e-4, atol=1e-5,
                                       msg=lambda m, n=f"{name}.{key}": f"{n}: {m}")
    for name, opt in eager.optimizers.items():
        pairs = zip(opt.param_groups[0]["params"], compiled.optimizers[name].param_groups[0]["params"])
        for p_eager, p_compiled in pairs:
            for key in ("exp_avg", "exp_avg_sq", "step"):  # eager Adam creates its state at its first step
                expected = opt.state[p_eager].get(key, torch.zeros(() if key == "step" else p_eager.shape))
                torch.testing.assert_close(compiled.optimizers[name].state[p_compiled][key].float(),
                                           expected.float(), rtol=1e-3, atol=1e-5,
                                           msg=lambda m, n=f"{name} Adam {key}": f"{n}: {m}")
    assert (compiled.updates, compiled.policy_version, compiled.nonfinite_skips) == \
        (eager.updates, eager.policy_version, eager.nonfinite_skips)


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS))
def test_compiled_update_takes_the_eager_steps(estimator: str) -> None:
    eager, compiled = twins(ESTIMATORS[estimator])
    before = {k: v.clone() for k, v in compiled.policy.state_dict().items()}
    for _ in range(5):
        eager_losses, compiled_losses = eager.update(), compiled.update()
        assert eager_losses.keys() == compiled_losses.keys()
        for key, value in eager_losses.items():
            assert compiled_losses[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key
    assert_same_state(eager, compiled)
    assert any(not torch.equal(v, before[k]) for k, v in compiled.policy.state_dict().items()), "policy never moved"
    assert compiled.policy_version == 5


def test_compiled_update_skips_a_non_finite_batch_and_counts_it() -> None:
    eager, compiled = twins(ESTIMATORS["paper"])
    for agent in (eager, compiled):
        agent.replay.reward[: len(agent.replay)] = np.nan  # every TD target is NaN: the critic must not step
    critic_before = {k: v.clone() for k, v in compiled.critic.state_dict().items()}
    for _ in range(2):
        eager.update()
        compiled.update()
    assert compiled.nonfinite_skips == eager.nonfinite_skips >= 2
    for key, value in compiled.critic.state_dict().items():
        assert torch.equal(value, critic_before[key]), key
    assert_same_state(eager, compiled)


def test_compiled_update_honours_the_policy_warmup() -> None:
    eager, compiled = twins({**ESTIMATORS["weight-free"], "policy_warmup": 2})
    policy_before = {k: v.clone() for k, v in compiled.policy.state_dict().items()}
    for _ in range(2):
        assert "policy_objective" not in compiled.update()
        eager.update()
    for key, value in compiled.policy.state_dict().items():
        assert torch.equal(value, policy_before[key]), key
    for _ in range(2):
        assert "policy_objective" in compiled.update()
        eager.update()
    assert_same_state(eager, compiled)
    assert compiled.policy_version == 2


@pytest.mark.parametrize("algo", ["svg1-er", "sac-svg"])
def test_a_learned_reward_learns_with_the_eager_update_and_a_warning(algo: str) -> None:
    """sac-svg compiles by default, so a task without a torch reward (a task file's learned reward) must still
    learn: the compiled update does not implement the reward model, the learner says so and stays eager."""
    task = point_mass()
    with pytest.warns(RuntimeWarning, match="own torch reward.*running the eager update"):
        agent = make_learner(algo, task.spec, None,
                             build_config(algo, {**SMALL, "learned_reward": True, "compile_update": True}))
    assert agent.compiled_update is None and agent.reward_model is not None


def test_sac_svg_compiles_by_default_and_the_paper_algorithms_do_not() -> None:
    assert build_config("sac-svg").compile_update is True
    assert build_config("svg1-er").compile_update is False
    task = point_mass()
    assert make_learner("sac-svg", task.spec, task.reward_torch, build_config("sac-svg", SMALL)).compiled_update


def test_with_torchs_compiler_off_the_learner_stays_eager() -> None:
    task = point_mass()
    with torch._dynamo.config.patch(disable=True):
        agent = make_learner("sac-svg", task.spec, task.reward_torch, build_config("sac-svg", SMALL))
    assert agent.compiled_update is None



def test_an_untraceable_reward_falls_back_to_eager_with_a_warning() -> None:
    task = point_mass()

    def reward_with_host_sync(obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        scale = float(next_obs.abs().max() >= 0)  # a Python float from a tensor: torch.compile(fullgraph) refuses
        return -scale * (next_obs**2).sum(-1)

    agent = make_learner("svg1-er", task.spec, reward_with_host_sync,
                         build_config("svg1-er", {**SMALL, "compile_update": True}))
    _, filled = twins({})
    agent.replay = filled.replay
    with pytest.warns(RuntimeWarning, match="running eager instead"):
        losses = agent.update()
    assert agent.compiled_update is None and "policy_objective" in losses and agent.policy_version == 1


def test_a_compiled_learner_resumes_from_its_checkpoint_as_it_would_have_gone_on(tmp_path) -> None:
    from svg_control.core.checkpoint import load_checkpoint, save_checkpoint

    _, compiled = twins(ESTIMATORS["weight-free"])
    for _ in range(3):
        compiled.update()
    save_checkpoint(compiled, tmp_path)
    _, resumed = twins(ESTIMATORS["weight-free"], transitions=0)
    assert load_checkpoint(resumed, tmp_path) is True  # new optimiser state tensors: the compiled step must use them
    for _ in range(2):
        compiled.update()
        resumed.update()
    assert_same_state(compiled, resumed)


@pytest.mark.timeout(600)  # every schedule compiled from a cold cache, on a busy 2-core machine
def test_compiled_sac_svg_takes_the_eager_steps() -> None:
    """sac-svg's body (twin critics, termination model, temperature; one model network or an ensemble)
    compiles as it stands and steps as eager, on both sides of the model warm-up (no model step for two
    updates, then model_horizon steps: one re-trace; with a model ramp, a blend for two updates before the
    full rollout; with target_entropy_model, another temperature target once the model is in; half of each
    critic batch from model rollouts from then on, refreshed every other update; the model fitted over two
    steps of its own prediction throughout; three critic heads, the TD target's min over a random pair, the
    policy reading their mean). Each compile
    costs tens of seconds, so one run takes every schedule in turn, with a three-member ensemble."""
    task = point_mass()
    config = {**SMALL, "termination_hidden": [8], "model_warmup": 2, "model_ramp": 2, "model_ensemble": 3,
              "model_per_dimension": False, "target_entropy_model": 3.0,
              "model_data_fraction": 0.5, "model_data_warmup": 2, "model_rollout_every": 2, "model_train_horizon": 2,
              "critic_heads": 3, "critic_target_heads": 2, "critic_policy_value": "mean"}
    agents = [make_learner("sac-svg", task.spec, task.reward_torch,
                           build_config("sac-svg", {**config, "compile_update": compiled}), 3)
              for compiled in (False, True)]
    rng = np.random.default_rng(3)
    obs = task.reset(seed=3)
    for _ in range(120):
        action = rng.normal(0.0, 1.0, task.spec.act_dim)
        result = task.step(action)
        t = Transition(obs, action, result.reward, result.obs, result.terminated, result.truncated, -1.0, 0)
        for agent in agents:
            agent.observe(t)
        obs = task.reset() if result.truncated else result.obs
    eager, compiled = agents
    for _ in range(5):
        eager_losses, compiled_losses = eager.update(), compiled.update()
        assert compiled.compiled_update is not None, "fell back to eager"
        assert eager_losses.keys() == compiled_losses.keys()
        for key, value in eager_losses.items():
            assert compiled_losses[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key
    assert_same_state(eager, compiled)
    assert compiled.policy_version == 5
