"""sac-svg's learner on a CUDA device: the same steps as on the CPU, compiled or eager, and a checkpoint either way.

These run where torch sees a CUDA device and are skipped, with the reason, everywhere else (the suite's CI has
none). The CPU is the reference: a learner on the GPU, from the same seed and the same stored transitions,
must take the CPU learner's steps up to float rounding (the random numbers come from the learner's own CPU
generator, so both draw the same), and its checkpoint must load into a CPU learner and back.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from svg_control.core.algos import make_learner
from svg_control.core.checkpoint import load_checkpoint, save_checkpoint
from svg_control.core.learner import Learner
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.core.transition import Transition

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")

SMALL = {"policy_hidden": [32, 32], "critic_hidden": [32, 32], "model_hidden": [32, 32], "termination_hidden": [16],
         "batch_size": 64, "min_replay": 64, "model_warmup": 2, "model_ensemble": 3,
         "model_ensemble_members": "one_per_state"}


def filled(device: str, compiled: bool = False, seed: int = 3) -> Learner:
    """A small sac-svg learner on ``device`` holding 200 transitions of the point mass drawn from ``seed``."""
    task = point_mass()
    agent = make_learner("sac-svg", task.spec, task.reward_torch,
                         build_config("sac-svg", {**SMALL, "compile_update": compiled}), seed, device=device)
    rng = np.random.default_rng(seed)
    obs = task.reset(seed=seed)
    for _ in range(200):
        action = rng.normal(0.0, 1.0, task.spec.act_dim)
        result = task.step(action)
        agent.observe(Transition(obs, action, result.reward, result.obs, result.terminated, result.truncated, -1.0, 0))
        obs = task.reset() if result.truncated else result.obs
    return agent


def assert_same_networks(a: Learner, b: Learner, rtol: float = 1e-3, atol: float = 1e-4) -> None:
    for name, module in a.modules().items():
        other = b.modules()[name].state_dict()
        for key, value in module.state_dict().items():
            torch.testing.assert_close(other[key].cpu(), value.cpu(), rtol=rtol, atol=atol,
                                       msg=lambda m, n=f"{name}.{key}": f"{n}: {m}")


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_a_cuda_learner_takes_the_cpu_learners_steps(compiled: bool, compiler) -> None:
    cpu, cuda = filled("cpu"), filled("cuda", compiled)
    assert next(cuda.policy.parameters()).device.type == "cuda"
    for _ in range(6):  # both sides of the model's entry at update 2
        cpu_losses, cuda_losses = cpu.update(), cuda.update()
        for key, value in cpu_losses.items():
            assert cuda_losses[key] == pytest.approx(value, rel=1e-3, abs=1e-4), key
    if compiled:
        assert cuda.compiled_update is not None, "fell back to eager"
    assert_same_networks(cpu, cuda)
    assert cuda.nonfinite_skips == cpu.nonfinite_skips == 0


def test_a_cuda_checkpoint_loads_on_the_cpu_and_back(tmp_path) -> None:
    cuda = filled("cuda")
    for _ in range(3):
        cuda.update()
    save_checkpoint(cuda, tmp_path)
    cpu = filled("cpu", seed=5)
    assert load_checkpoint(cpu, tmp_path)
    assert_same_networks(cuda, cpu, rtol=0, atol=0)
    again = filled("cuda", seed=7)
    assert load_checkpoint(again, tmp_path)
    assert_same_networks(cuda, again, rtol=0, atol=0)
    assert cpu.update() and again.update()  # both go on learning where the checkpoint left off
