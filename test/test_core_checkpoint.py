"""Agent checkpoints: an exact round trip, and every bad file refused before the agent changes.

"Exact" means the restored agent is the same learner: same policy outputs
bit for bit, the same next update (same minibatch, same losses), the same
counters and replay. "Refused" means CheckpointError with the target agent's
weights, optimiser state, replay and counters untouched.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from svg_control.core.algos import make_learner
from svg_control.core.checkpoint import LATEST, CheckpointError, load_checkpoint, read_manifest, save_checkpoint
from svg_control.core.learner import Learner
from svg_control.core.settings import build_config
from svg_control.core.toy import LinearGaussianTask, point_mass
from svg_control.core.transition import Transition

SMALL = {"policy_hidden": [16, 16], "critic_hidden": [32, 32], "model_hidden": [8, 8], "batch_size": 32,
         "replay_capacity": 90, "min_replay": 40}


def new_agent(algo: str = "svg1-er", seed: int = 0, task=None, **overrides) -> Learner:
    task = task or point_mass()
    return make_learner(algo, task.spec, task.reward_torch, build_config(algo, SMALL, overrides), seed=seed)


def drive(agent: Learner, steps: int, seed: int = 0) -> None:
    task = point_mass() if agent.spec.obs_dim == 2 else None
    assert task is not None
    obs = task.reset(seed=seed)
    for _ in range(steps):
        action, log_prob = agent.act(obs)
        result = task.step(action)
        agent.observe(Transition(obs, action, result.reward, result.obs, result.terminated, result.truncated,
                                 log_prob, agent.policy_version))
        agent.update()
        obs = task.reset(seed=seed + agent.episode_count) if result.terminated or result.truncated else result.obs


COUNTERS = ("env_steps", "updates", "policy_version", "episode_count", "nonfinite_skips")


def snapshot(agent: Learner) -> dict:
    """Everything a checkpoint restores, deep-copied."""
    return {
        "modules": {n: {k: v.clone() for k, v in m.state_dict().items()} for n, m in agent.modules().items()},
        "optim": {n: _opt_state(o) for n, o in agent.optimizers.items()},
        "replay": {k: v.copy() for k, v in agent.replay.arrays().items()},
        "ring": (agent.replay.size, agent.replay.next_index, agent.replay.total_added),
        "counters": tuple(getattr(agent, c) for c in COUNTERS),
        "generator": agent.generator.get_state().clone(),
        "rng": json.dumps(agent.rng.bit_generator.state),
    }


def _opt_state(opt: torch.optim.Optimizer) -> dict:
    sd = opt.state_dict()
    return {"state": {i: {k: torch.as_tensor(v).clone() for k, v in s.items()} for i, s in sd["state"].items()},
            "groups": json.dumps(sd["param_groups"], default=str)}


def assert_same(a: dict, b: dict, replay_rows: int | None = None) -> None:
    assert a["counters"] == b["counters"]
    assert a["ring"] == b["ring"]
    assert a["rng"] == b["rng"] and torch.equal(a["generator"], b["generator"])
    assert a["modules"].keys() == b["modules"].keys()
    for n in a["modules"]:
        assert a["modules"][n].keys() == b["modules"][n].keys()
        for k in a["modules"][n]:
            assert torch.equal(a["modules"][n][k], b["modules"][n][k]), f"{n}.{k}"
    assert a["optim"].keys() == b["optim"].keys()
    for n in a["optim"]:
        assert a["optim"][n]["groups"] == b["optim"][n]["groups"]
        assert a["optim"][n]["state"].keys() == b["optim"][n]["state"].keys()
        for i in a["optim"][n]["state"]:
            for k, v in a["optim"][n]["state"][i].items():
                assert torch.equal(v, b["optim"][n]["state"][i][k]), f"optimizer {n} {i} {k}"
    rows = slice(None) if replay_rows is None else slice(0, replay_rows)
    for k in a["replay"]:
        np.testing.assert_array_equal(a["replay"][k][rows], b["replay"][k][rows], err_msg=k)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, dict, dict]:
    """A trained svg1-er agent (replay ring wrapped), saved; with its snapshot and its *next* update's losses."""
    directory = tmp_path_factory.mktemp("ckpt") / "checkpoints"
    agent = new_agent()
    drive(agent, 130)
    assert agent.replay.size == agent.replay.capacity and agent.replay.next_index != 0  # wrapped
    save_checkpoint(agent, directory)
    snap = snapshot(agent)
    next_losses = agent.update()
    return directory, snap, next_losses


def fresh_target() -> Learner:
    """An agent with its own, different, state to load into (or to protect from a bad file)."""
    agent = new_agent(seed=7)
    drive(agent, 44, seed=99)
    return agent


def copy_dir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def tensor_file(directory: Path) -> Path:
    return directory / read_manifest(directory)["file"]


# -- round trip ------------------------------------------------------------------------------------------------

def test_round_trip_restores_the_same_learner(saved):
    directory, snap, next_losses = saved
    target = fresh_target()
    obs = torch.randn(64, 2) * 2
    assert load_checkpoint(target, directory) is True
    assert_same(snapshot(target), snap)
    # policy outputs are bit-identical
    mu, sigma = target.policy(obs)
    source = new_agent()
    assert load_checkpoint(source, directory)
    mu2, sigma2 = source.policy(obs)
    assert torch.equal(mu, mu2) and torch.equal(sigma, sigma2)
    # the next update is the one the saved agent made: same minibatch, same losses (the model probe's
    # errors aside: it scores the live stream and starts afresh in a restored learner)
    def learned(losses: dict[str, float]) -> dict[str, float]:
        return {k: v for k, v in losses.items() if not k.startswith("model_error_")}
    assert learned(target.update()) == learned(next_losses)
    assert target.updates == snap["counters"][1] + 1
    # the critic target still shares the (restored) observation normaliser with the policy
    assert target.critic_target.obs_norm is target.policy.obs_norm


def test_save_keeps_only_the_newest_files(tmp_path):
    agent = new_agent()
    drive(agent, 45)
    paths = []
    for _ in range(5):
        drive(agent, 3)
        paths.append(save_checkpoint(agent, tmp_path))
    left = sorted(p.name for p in tmp_path.glob("checkpoint-*.safetensors"))
    assert left == sorted(p.name for p in paths[-3:])
    assert read_manifest(tmp_path)["file"] == paths[-1].name
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_or_empty_directory_returns_false(tmp_path):
    agent = new_agent()
    before = snapshot(agent)
    assert load_checkpoint(agent, tmp_path / "does" / "not" / "exist") is False
    assert load_checkpoint(agent, tmp_path) is False
    assert_same(snapshot(agent), before)


# -- bad files -------------------------------------------------------------------------------------------------

def refuse(directory: Path, target: Learner | None = None, match: str | None = None) -> None:
    """Loading must raise CheckpointError and leave the target exactly as it was."""
    target = target or fresh_target()
    before = snapshot(target)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(target, directory)
    assert_same(snapshot(target), before)


@pytest.mark.parametrize("where", [0.1, 0.5, 0.999])
def test_flipped_bytes_are_refused(saved, tmp_path, where):
    directory = copy_dir(saved[0], tmp_path / "c")
    path = tensor_file(directory)
    data = bytearray(path.read_bytes())
    pos = int(len(data) * where)
    data[pos] ^= 0xFF
    data[pos - 1] ^= 0x01
    path.write_bytes(bytes(data))
    refuse(directory, match="checksum")


@pytest.mark.parametrize("keep", [0, 7, 100, -1])
def test_truncated_file_is_refused(saved, tmp_path, keep):
    directory = copy_dir(saved[0], tmp_path / "c")
    path = tensor_file(directory)
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[: len(data) // 2])
    refuse(directory)


@pytest.mark.parametrize("keep", [7, 100, "half"])
def test_truncated_file_with_matching_hash_is_refused(saved, tmp_path, keep):
    """Even if the manifest's hash were rewritten to match, the safetensors reader must refuse the stub."""
    import hashlib

    directory = copy_dir(saved[0], tmp_path / "c")
    path = tensor_file(directory)
    data = path.read_bytes()
    stub = data[: len(data) // 2] if keep == "half" else data[:keep]
    path.write_bytes(stub)
    manifest = json.loads((directory / LATEST).read_text())
    manifest["sha256"] = hashlib.sha256(stub).hexdigest()
    (directory / LATEST).write_text(json.dumps(manifest))
    refuse(directory, match="unreadable")


def test_missing_tensor_file_is_refused(saved, tmp_path):
    directory = copy_dir(saved[0], tmp_path / "c")
    tensor_file(directory).unlink()
    refuse(directory, match="missing")


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"format": "other"}'])
def test_unreadable_manifest_is_refused(saved, tmp_path, content):
    directory = copy_dir(saved[0], tmp_path / "c")
    (directory / LATEST).write_bytes(content)
    refuse(directory)


def test_checkpoint_of_other_dimensions_is_refused(saved):
    task = LinearGaussianTask(np.eye(3), np.ones((3, 1)), np.eye(3), np.eye(1), name="three_d")
    refuse(saved[0], new_agent(task=task), match="dims")
    task = LinearGaussianTask(np.eye(2), np.ones((2, 2)), np.eye(2), np.eye(2), name="two_actions")
    refuse(saved[0], new_agent(task=task), match="dims")


@pytest.mark.parametrize("overrides", [
    {"policy_hidden": [16, 8]}, {"critic_hidden": [32]}, {"model_hidden": [8, 8, 8]},
    {"model_per_dimension": False}, {"model_noise": "heteroscedastic"}, {"learned_reward": True},
])
def test_checkpoint_of_other_network_shapes_is_refused(saved, overrides):
    refuse(saved[0], new_agent(**overrides))


def test_replay_larger_than_capacity_is_refused(saved):
    refuse(saved[0], new_agent(replay_capacity=50), match="capacity")


@pytest.mark.parametrize("algo", ["svg1", "svgk", "svg0", "svg-inf"])
def test_checkpoint_of_another_algorithm_is_refused(saved, algo):
    refuse(saved[0], new_agent(algo), match="algorithm")


def test_wrapped_replay_into_larger_capacity_keeps_order_or_is_refused(saved):
    directory, snap, _ = saved
    target = new_agent(replay_capacity=200)
    try:
        load_checkpoint(target, directory)
    except CheckpointError:
        return  # refusing is a correct answer
    source = new_agent()
    load_checkpoint(source, directory)
    torch.testing.assert_close(target.replay.recent(90)["obs"], source.replay.recent(90)["obs"])


# -- interrupted writes ----------------------------------------------------------------------------------------

def test_leftover_temporary_files_are_ignored(saved, tmp_path):
    directory, snap, _ = saved
    directory = copy_dir(directory, tmp_path / "c")
    name = read_manifest(directory)["file"]
    # a crash while writing the next checkpoint: half a tensor file and half a manifest, both still *.tmp
    (directory / "checkpoint-000999999-000999999.safetensors.tmp").write_bytes(tensor_file(directory).read_bytes()[:50])
    (directory / (LATEST + ".tmp")).write_text('{"format": "svg_control.checkpoint.v1", "file": "checkpoint-0009')
    target = fresh_target()
    assert load_checkpoint(target, directory)
    assert_same(snapshot(target), snap)
    assert read_manifest(directory)["file"] == name


def test_crash_before_manifest_rename_loads_the_previous_checkpoint(tmp_path):
    agent = new_agent()
    drive(agent, 60)
    save_checkpoint(agent, tmp_path)
    first = snapshot(agent)
    previous_manifest = (tmp_path / LATEST).read_bytes()
    drive(agent, 20)
    save_checkpoint(agent, tmp_path)
    second = snapshot(agent)
    assert second["counters"] != first["counters"]
    # the new tensor file landed but latest.json was never replaced: the old manifest is what a reader sees
    (tmp_path / LATEST).write_bytes(previous_manifest)
    target = fresh_target()
    assert load_checkpoint(target, tmp_path)
    assert_same(snapshot(target), first)


def test_partial_newer_tensor_file_does_not_shadow_latest(saved, tmp_path):
    directory, snap, _ = saved
    directory = copy_dir(directory, tmp_path / "c")
    (directory / "checkpoint-000999999-000999999.safetensors").write_bytes(b"\x00" * 64)
    target = fresh_target()
    assert load_checkpoint(target, directory)
    assert_same(snapshot(target), snap)


def test_new_run_in_a_directory_with_higher_numbered_old_checkpoints_keeps_its_own(tmp_path):
    """Pruning goes by write time: an older run's higher-numbered files must not evict the new checkpoint."""
    import os

    from svg_control.core.algos import make_learner
    from svg_control.core.checkpoint import load_checkpoint, save_checkpoint
    from svg_control.core.toy import point_mass

    task = point_mass()
    for n in (900, 901, 902):  # an earlier run's files with larger update counts, written long ago
        old = tmp_path / f"checkpoint-{n:09d}-{n:09d}.safetensors"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000, 1_000_000))
    agent = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er"), seed=0)
    path = save_checkpoint(agent, tmp_path)
    assert path.exists()
    other = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er"), seed=1)
    assert load_checkpoint(other, tmp_path)
    assert len(list(tmp_path.glob("checkpoint-*.safetensors"))) == 3  # the new one + KEEP=2 most recent others
