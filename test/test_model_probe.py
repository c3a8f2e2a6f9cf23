"""The model probe (core/model_probe.py): open-loop k-step errors of the model on transitions it has not seen.

Ground truths: a model that knows the dynamics scores 0; one that predicts no change scores exactly 1 (the
error is relative to that guess); a rollout that would cross an episode's end is never scored; the probe
changes nothing the learner draws or trains; and on the point mass a learned model beats standing still.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from test_core_agent import run

from svg_control.core.algos import make_learner
from svg_control.core.model import TransitionModel
from svg_control.core.model_probe import ModelProbe
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass

A = torch.tensor([[1.0, 0.1], [0.0, 1.0]])
B = torch.tensor([[0.0], [0.1]])


class LinearModel(TransitionModel):
    """mean(s, a) = gain * ((A - I) s + B a): gain 1 is the true linear system, 0 predicts no change."""

    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain

    def mean_and_std(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.gain * (obs @ (A - torch.eye(2)).T + action @ B.T), torch.zeros_like(obs)


def drive(probe: ModelProbe, steps: int, episode_every: int = 0, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(2, generator=g)
    for t in range(steps):
        a = torch.randn(1, generator=g)
        s_next = A @ s + B @ a
        probe.observe(s, a, s_next, episode_every > 0 and (t + 1) % episode_every == 0)
        s = s_next


def test_the_true_dynamics_score_zero_and_predicting_no_change_scores_one():
    exact = ModelProbe(LinearModel(1.0), (1, 3), lambda: torch.ones(2))
    drive(exact, 40)
    assert exact.errors()["model_error_1"] == pytest.approx(0.0, abs=1e-10)
    assert exact.errors()["model_error_3"] == pytest.approx(0.0, abs=1e-10)
    still = ModelProbe(LinearModel(0.0), (1, 3), lambda: torch.ones(2))
    drive(still, 40)
    assert still.errors() == {"model_error_1": pytest.approx(1.0), "model_error_3": pytest.approx(1.0)}
    half = ModelProbe(LinearModel(0.5), (1, 3), lambda: torch.ones(2))
    drive(half, 40)
    assert 0.0 < half.errors()["model_error_1"] < 1.0


def test_rollouts_stop_at_an_episode_end_and_old_ones_leave_the_window():
    probe = ModelProbe(LinearModel(0.0), (1, 3), lambda: torch.ones(2), window=5)
    drive(probe, 20, episode_every=2)  # episodes of 2 steps: no rollout ever reaches 3 steps
    assert set(probe.errors()) == {"model_error_1"}
    assert len(probe.scored[1]) == 5 and len(probe.scored[3]) == 0
    probe = ModelProbe(LinearModel(0.0), (1, 3), lambda: torch.ones(2))
    drive(probe, 12, episode_every=3)  # one 3-step rollout per 3-step episode
    assert len(probe.scored[3]) == 4 and len(probe.scored[1]) == 12


def test_the_probe_draws_no_random_numbers_and_the_learner_reports_its_errors():
    task = point_mass()
    settings = {"policy_hidden": [16, 16], "critic_hidden": [32, 32], "model_hidden": [32, 32],
                "termination_hidden": [16], "batch_size": 32, "min_replay": 32, "model_warmup": 0}
    agent = make_learner("sac-svg", task.spec, task.reward_torch, build_config("sac-svg", settings), seed=0)
    run(agent, task, 40)
    numpy_state, torch_state = agent.rng.bit_generator.state, torch.get_rng_state()
    generator_state = agent.generator.get_state()
    obs, action, next_obs = (np.asarray(x, dtype=np.float32) for x in ([0.3, -0.2], [0.5], [0.31, -0.15]))
    agent.model_probe.observe(*agent.as_tensors(obs, action, next_obs), False)
    assert agent.rng.bit_generator.state == numpy_state
    assert torch.equal(torch.get_rng_state(), torch_state) and torch.equal(agent.generator.get_state(), generator_state)
    run(agent, task, 400)
    errors = {k: v for k, v in agent.last_losses.items() if k.startswith("model_error_")}
    assert set(errors) == {"model_error_1", "model_error_3"}
    assert errors["model_error_1"] < 0.5, errors  # the learned model predicts far better than standing still
    assert errors["model_error_3"] < 1.0, errors
