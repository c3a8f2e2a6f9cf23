"""Batched networks (core/networks.BatchedMLP): the twin critics run as one network of two members.

Ground truth: each member rebuilt as the plain ``mlp`` it stands for (``member(k)``, ``head(k)``) gives the
same outputs and the same gradients; a checkpoint written when the two critics were separate networks
(``test/data/separate_twin_critics``, written by that layout's code, with the critic values it computed)
loads with its weights and its optimiser's moments.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_core_agent import run

from svg_control.core.algos import make_learner
from svg_control.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from svg_control.core.critic import QEnsembleCritic
from svg_control.core.networks import BatchedMLP
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass

SEPARATE = Path(__file__).resolve().parent / "data" / "separate_twin_critics"


def member_gradients(net: BatchedMLP, x: torch.Tensor, k: int) -> list[torch.Tensor]:
    plain = net.member(k)
    plain(x).pow(2).sum().backward()
    return [p.grad for p in plain.parameters()]


@pytest.mark.parametrize("layer_norm", [False, True])
def test_batched_members_equal_their_plain_networks_in_outputs_and_gradients(layer_norm):
    torch.manual_seed(0)
    net = BatchedMLP(3, 5, (16, 8), 2, "relu", layer_norm=layer_norm)
    with torch.no_grad():  # gains and biases away from their initial 1 and 0, so that they are tested
        for g, b in zip(net.norm_weights, net.norm_biases):
            g.uniform_(0.5, 1.5)
            b.uniform_(-0.5, 0.5)
    x = torch.randn(7, 5)
    out = net(x)
    assert out.shape == (7, 3, 2)
    out.pow(2).sum().backward()
    for k in range(3):
        plain = net.member(k)
        torch.testing.assert_close(out[:, k], plain(x).detach(), atol=1e-6, rtol=1e-5)
        linears = [m for m in plain if isinstance(m, torch.nn.Linear)]
        norms = [m for m in plain if isinstance(m, torch.nn.LayerNorm)]
        plain(x).pow(2).sum().backward()
        for lin, w, b in zip(linears, net.weights, net.biases):
            torch.testing.assert_close(w.grad[k], lin.weight.grad.T, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(b.grad[k, 0], lin.bias.grad, atol=1e-5, rtol=1e-4)
        for norm, g, b in zip(norms, net.norm_weights, net.norm_biases):
            torch.testing.assert_close(g.grad[k, 0], norm.weight.grad, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(b.grad[k, 0], norm.bias.grad, atol=1e-5, rtol=1e-4)
    assert len(list(net.parameters())) == (6 if not layer_norm else 10)


def test_from_members_stacks_plain_networks_into_an_equal_batched_one():
    torch.manual_seed(1)
    batched = BatchedMLP(2, 4, (8, 8), 1, "silu", layer_norm=True)
    rebuilt = BatchedMLP.from_members([batched.member(0), batched.member(1)], "silu")
    for a, b in zip(batched.state_dict().values(), rebuilt.state_dict().values()):
        assert torch.equal(a, b)


def test_twin_critic_heads_are_independent_and_equal_their_plain_networks():
    torch.manual_seed(2)
    critic = QEnsembleCritic(3, 2, (16, 16), "relu", layer_norm=True)
    obs, act = torch.randn(9, 3), torch.rand(9, 2)
    q1, q2 = critic(obs, act)
    x = torch.cat([critic.obs_norm.normalize(obs), (act - critic.action_center) / critic.action_scale], -1)
    torch.testing.assert_close(q1, critic.head(0)(x).squeeze(-1).detach(), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(q2, critic.head(1)(x).squeeze(-1).detach(), atol=1e-6, rtol=1e-5)
    assert not torch.allclose(q1, q2)  # independently initialised
    grads = torch.autograd.grad(q1.sum(), list(critic.net.parameters()))
    for g in grads:  # head 1's parameters carry none of head 0's gradient
        assert g[0].abs().sum() > 0 and torch.equal(g[1], torch.zeros_like(g[1]))
    torch.testing.assert_close(critic.pessimistic(obs, act), torch.minimum(q1, q2))
    q1h, q2h = critic(obs.expand(4, 9, 3), act.expand(4, 9, 2))  # leading dimensions, as in a rollout
    assert q1h.shape == (4, 9)
    torch.testing.assert_close(q1h[2], q1)


def separate_layout_agent():
    expected = json.loads((SEPARATE / "expected.json").read_text())
    task = point_mass()
    agent = make_learner("sac-svg", task.spec, task.reward_torch, build_config("sac-svg", expected["settings"]),
                         seed=5)
    return agent, task, expected


def test_a_checkpoint_with_separate_twin_critics_loads_with_its_values_and_optimiser_moments(tmp_path):
    agent, task, expected = separate_layout_agent()
    assert load_checkpoint(agent, SEPARATE)
    obs, act = torch.tensor(expected["obs"]), torch.tensor(expected["action"])
    with torch.no_grad():
        for name in ("critic", "critic_target"):
            q1, q2 = getattr(agent, name)(obs, act)
            torch.testing.assert_close(q1, torch.tensor(expected[name][0]), atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(q2, torch.tensor(expected[name][1]), atol=1e-5, rtol=1e-5)
    saved = load_file(str(next(SEPARATE.glob("*.safetensors"))))
    names = agent.critic.separate_parameter_names()
    state = agent.optimizers["critic"].state
    first_weight, last_bias = agent.critic.net.weights[0], agent.critic.net.biases[-1]
    q2_first = names.index("q2.net.0.weight")
    torch.testing.assert_close(state[first_weight]["exp_avg"][1], saved[f"opt.critic.{q2_first}.exp_avg"].T)
    q1_last_bias = names.index(f"q1.net.{len(agent.critic.head(0)) - 1}.bias")
    torch.testing.assert_close(state[last_bias]["exp_avg_sq"][0, 0], saved[f"opt.critic.{q1_last_bias}.exp_avg_sq"])
    assert float(state[first_weight]["step"]) == float(saved["opt.critic.0.step"]) > 0
    run(agent, task, 20)  # it goes on learning from there, and saves in the batched layout
    assert agent.nonfinite_skips == 0
    save_checkpoint(agent, tmp_path)
    assert not any(key.startswith("critic.q1.") for key in load_file(str(next(tmp_path.glob("*.safetensors")))))
    other, _, _ = separate_layout_agent()
    assert load_checkpoint(other, tmp_path)
    torch.testing.assert_close(other.critic(obs, act), agent.critic(obs, act))


def test_a_separate_layout_checkpoint_with_an_optimiser_entry_of_no_parameter_is_refused(tmp_path):
    import shutil

    from safetensors.torch import save_file
    for path in SEPARATE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    tensor_file = next(tmp_path.glob("*.safetensors"))
    tensors = load_file(str(tensor_file))
    tensors["opt.critic.99.exp_avg"] = torch.zeros(3)
    save_file(tensors, str(tensor_file), metadata={"format": "svg_control.checkpoint.v1"})
    manifest = json.loads((tmp_path / "latest.json").read_text())
    import hashlib
    manifest["sha256"] = hashlib.sha256(tensor_file.read_bytes()).hexdigest()
    (tmp_path / "latest.json").write_text(json.dumps(manifest))
    agent, _, _ = separate_layout_agent()
    with pytest.raises(CheckpointError, match="opt.critic.99.exp_avg"):
        load_checkpoint(agent, tmp_path)
