"""Learner checkpoints: every network, optimiser state, replay contents and counter.

Format: ``<dir>/checkpoint-<updates>.safetensors`` (all tensors) plus
``<dir>/latest.json`` naming it with its SHA-256, the resolved config and the
counters. Both are written to a temporary file and renamed into place, and
``latest.json`` is renamed last: a write interrupted at any point leaves the
previous checkpoint as "latest", and a file that does not match its recorded
hash is refused. Nothing is unpickled; the JSON holds only plain values.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .learner import Learner

LATEST = "latest.json"
FORMAT = "svg_control.checkpoint.v1"
KEEP = 2  # older checkpoint files kept besides the latest
MANIFEST_KEYS = ("file", "sha256", "config", "obs_dim", "act_dim", "counters", "numpy_rng", "optimizer_param_groups")
COUNTER_KEYS = ("env_steps", "updates", "policy_version", "episode_count", "nonfinite_skips", "replay_size",
                "replay_next_index", "replay_total_added")


class CheckpointError(ValueError):
    """A checkpoint that must not be loaded (corrupt, truncated, other shape, other algorithm)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _optimizer_tensors(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], Any]:
    state = opt.state_dict()
    tensors = {}
    for idx, per_param in state["state"].items():
        for key, value in per_param.items():
            tensors[f"opt.{name}.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().clone()
    return tensors, state["param_groups"]


def _restore_optimizer(name: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: Any) -> None:
    prefix = f"opt.{name}."
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix):
            idx, field = key[len(prefix):].split(".", 1)
            state.setdefault(int(idx), {})[field] = value
    opt.load_state_dict({"state": state, "param_groups": groups})


def save_checkpoint(agent: Learner, directory: str | Path) -> Path:
    """Write a complete checkpoint atomically; returns the tensor file's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for mod_name, module in agent.modules().items():
        for key, value in module.state_dict().items():
            tensors[f"{mod_name}.{key}"] = value.detach().cpu().contiguous().clone()
    groups = {}
    for opt_name, opt in agent.optimizers.items():
        opt_tensors, groups[opt_name] = _optimizer_tensors(opt_name, opt)
        tensors.update(opt_tensors)
    for field, arr in agent.replay.arrays().items():
        tensors[f"replay.{field}"] = torch.from_numpy(np.ascontiguousarray(arr[: agent.replay.size]).copy())
    tensors["rng.torch_generator"] = agent.generator.get_state().clone()

    name = f"checkpoint-{agent.updates:09d}-{agent.env_steps:09d}.safetensors"
    path = directory / name
    tmp = path.with_name(name + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": FORMAT})
    with tmp.open("rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    manifest = {
        "format": FORMAT,
        "file": name,
        "sha256": _sha256(path),
        "config": agent.config.to_dict(),
        "task": agent.spec.name,
        "obs_dim": agent.spec.obs_dim,
        "act_dim": agent.spec.act_dim,
        "counters": {
            "env_steps": agent.env_steps, "updates": agent.updates, "policy_version": agent.policy_version,
            "episode_count": agent.episode_count, "nonfinite_skips": agent.nonfinite_skips,
            "replay_size": agent.replay.size, "replay_next_index": agent.replay.next_index,
            "replay_total_added": agent.replay.total_added, **agent.counters(),
        },
        "numpy_rng": agent.rng.bit_generator.state,
        "optimizer_param_groups": groups,
    }
    _atomic_write_bytes(directory / LATEST, json.dumps(manifest, indent=1).encode())
    _prune(directory, keep=path)
    return path


def _prune(directory: Path, keep: Path) -> None:
    """Delete all but the KEEP most recently written older files; never the one ``latest.json`` names.

    By write time, not by name: a new run in a directory that holds an older run's higher-numbered
    files must not delete its own newest checkpoint.
    """
    files = [f for f in directory.glob("checkpoint-*.safetensors") if f != keep]
    files.sort(key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


def read_manifest(directory: str | Path) -> dict[str, Any] | None:
    """The latest manifest, None if the directory holds no checkpoint; CheckpointError if unreadable."""
    path = Path(directory) / LATEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: unreadable checkpoint manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an svg_control checkpoint manifest")
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    counters = manifest.get("counters")
    if not missing and isinstance(counters, dict):
        missing = [f"counters.{k}" for k in COUNTER_KEYS if not isinstance(counters.get(k), int)]
        missing += [f"counters.{k}" for k, v in counters.items() if k not in COUNTER_KEYS and not isinstance(v, int)]
    if missing or not isinstance(manifest.get("config"), dict):
        raise CheckpointError(f"{path}: checkpoint manifest incomplete (missing or invalid: {missing or ['config']})")
    return manifest


def _upgrade_layouts(agent: Learner, tensors: dict[str, torch.Tensor],
                     groups: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The tensors of a network saved in an older layout, and of its optimiser's state, in today's layout.

    A network that changed layout offers ``stack_separate_heads`` (the twin critics, once two networks, are
    one batched network) and ``separate_parameter_names``, the older layout's parameter order, by which its
    optimiser's state (Adam's moments and step) was indexed. The moments are rearranged as the weights are,
    and the optimiser's parameter groups (``groups``, changed in place) list today's parameters.
    """
    for name, module in agent.modules().items():
        upgrade = getattr(module, "stack_separate_heads", None)
        prefix, opt_prefix = f"{name}.", f"opt.{name}."
        stacked = None if upgrade is None else upgrade(
            {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)})
        if stacked is None:
            continue
        tensors = {key: value for key, value in tensors.items() if not key.startswith((prefix, opt_prefix))} | \
            {prefix + key: value for key, value in stacked.items()} | \
            _upgrade_optimizer_state(module, opt_prefix, tensors)
        if name in groups:
            count = len(list(module.parameters()))
            groups[name] = [{**group, "params": list(range(count))} for group in groups[name][:1]]
    return tensors


def _upgrade_optimizer_state(module: torch.nn.Module, opt_prefix: str,
                             tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    old_names = module.separate_parameter_names()
    by_field: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith(opt_prefix):
            index, field = key[len(opt_prefix):].split(".", 1)
            if not index.isdigit() or int(index) >= len(old_names):
                raise CheckpointError(f"checkpoint optimiser tensor {key!r} matches no parameter of the saved layout")
            by_field.setdefault(field, {})[old_names[int(index)]] = value
    new_names = [name for name, _ in module.named_parameters()]
    out = {}
    for field, by_name in by_field.items():
        if all(value.dim() == 0 for value in by_name.values()):  # Adam's step count, the same for each parameter
            stacked = {name: next(iter(by_name.values())).clone() for name in new_names}
        else:
            stacked = module.stack_separate_heads(by_name)
        for index, name in enumerate(new_names):
            if name not in stacked:
                raise CheckpointError(f"checkpoint optimiser state lacks {field!r} of {name!r}")
            out[f"{opt_prefix}{index}.{field}"] = stacked[name]
    return out


def load_checkpoint(agent: Learner, directory: str | Path) -> bool:
    """Restore ``agent`` from the latest checkpoint in ``directory``; False if there is none.

    Everything is verified (hash, algorithm, dimensions, every tensor's shape)
    before anything in ``agent`` changes.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest is None:
        return False
    path = directory / str(manifest.get("file", ""))
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file named by {LATEST} is missing")
    if _sha256(path) != manifest.get("sha256"):
        raise CheckpointError(f"{path}: checksum mismatch (corrupt or partially written checkpoint)")
    if manifest["config"].get("algo") != agent.config.algo:
        raise CheckpointError(f"checkpoint is for algorithm {manifest['config'].get('algo')!r}, "
                              f"agent runs {agent.config.algo!r}")
    if (manifest["obs_dim"], manifest["act_dim"]) != (agent.spec.obs_dim, agent.spec.act_dim):
        raise CheckpointError(f"checkpoint is for obs/act dims {manifest['obs_dim']}/{manifest['act_dim']}, "
                              f"agent has {agent.spec.obs_dim}/{agent.spec.act_dim}")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: unreadable safetensors file: {exc}") from None
    groups = dict(manifest["optimizer_param_groups"])
    tensors = _upgrade_layouts(agent, tensors, groups)

    states: dict[str, dict[str, torch.Tensor]] = {}
    for mod_name, module in agent.modules().items():
        own = module.state_dict()
        state = {}
        for key, value in own.items():
            full = f"{mod_name}.{key}"
            if full not in tensors:
                raise CheckpointError(f"checkpoint lacks tensor {full!r}")
            if tensors[full].shape != value.shape:
                raise CheckpointError(f"checkpoint tensor {full!r} has shape {tuple(tensors[full].shape)}, "
                                      f"expected {tuple(value.shape)}")
            state[key] = tensors[full]
        extra = sorted(key for key in tensors if key.startswith(f"{mod_name}.") and key[len(mod_name) + 1:] not in own)
        if extra:
            raise CheckpointError(f"checkpoint tensor {extra[0]!r} has no place in this agent's {mod_name} "
                                  "(a network of another shape)")
        states[mod_name] = state
    counters = manifest["counters"]
    size = int(counters["replay_size"])
    if size > agent.replay.capacity:
        raise CheckpointError(f"checkpoint holds {size} transitions, replay capacity is {agent.replay.capacity}")

    for mod_name, module in agent.modules().items():
        module.load_state_dict(states[mod_name])
    for opt_name, opt in agent.optimizers.items():
        _restore_optimizer(opt_name, opt, tensors, groups[opt_name])
    # Same capacity: the ring is restored as it was (sampling stays bit-identical). Other capacity: the
    # saved ring is unrolled oldest-first so recent() and k-step windows keep their order.
    next_index = int(counters["replay_next_index"])
    same_capacity = int(manifest["config"].get("replay_capacity", -1)) == agent.replay.capacity
    arrays = {}
    for field, arr in agent.replay.arrays().items():
        saved = tensors[f"replay.{field}"].numpy()
        if not same_capacity:
            saved = np.roll(saved, -next_index, axis=0) if next_index < size else saved
        full = np.zeros_like(arr)
        full[:size] = saved
        arrays[field] = full
    if not same_capacity:
        next_index = size % agent.replay.capacity
    agent.replay.load_arrays(arrays, size, next_index, int(counters["replay_total_added"]))
    agent.generator.set_state(tensors["rng.torch_generator"])
    agent.rng.bit_generator.state = manifest["numpy_rng"]
    agent.env_steps = int(counters["env_steps"])
    agent.updates = int(counters["updates"])
    agent.policy_version = int(counters["policy_version"])
    agent.episode_count = int(counters["episode_count"])
    agent.nonfinite_skips = int(counters["nonfinite_skips"])
    agent.restore_counters(counters)
    return True
