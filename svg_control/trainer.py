"""Headless trainer: the nodes' algorithm in one process, no DDS in between.

It drives the very same ``Learner`` the learner node uses (act, observe,
update per environment step), so benchmark and paper-figure numbers describe
the product. Output directory layout::

    DIR/config.yaml       resolved run settings and hyperparameters
    DIR/metrics.jsonl     one JSON object per evaluation: step, wall_s, the evaluation return, counters,
                          the latest losses, and update_ms (wall ms per update since the last evaluation)
    DIR/checkpoints/      agent checkpoints (safetensors + latest.json)
    DIR/policy.safetensors  the final policy, loadable by `eval`, `render` and the controller
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from .core.algos import DEFAULT_ALGORITHM, make_learner
from .core.checkpoint import load_checkpoint, save_checkpoint
from .core.learner import Learner
from .core.policy import GaussianPolicy
from .core.serialization import load_policy_bytes, policy_to_bytes
from .core.settings import build_config, recorded_settings
from .core.task import Task
from .core.transition import Transition
from .progress import message, progress_display
from .tasks.registry import make_task

EVAL_SEED_BASE = 1_000_000  # evaluation episodes never share seeds with training episodes


@dataclass
class RunSettings:
    task: str
    _: KW_ONLY
    steps: int
    algo: str = DEFAULT_ALGORITHM
    seed: int = 0
    eval_every: int = 1000
    eval_episodes: int = 5
    checkpoint_every: int = 5000
    device: str = "cpu"
    task_overrides: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    #: a rosbag2 of the task's transitions (svg_control.bags): they fill the replay, one update is made per
    #: transition, and training goes on online until ``steps`` transitions in all
    from_bag: str = ""

    def validate(self) -> None:
        for name in ("steps", "eval_every", "eval_episodes", "checkpoint_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


def run_default(name: str) -> Any:
    """The default of the :class:`RunSettings` field ``name``: the one value the CLI's options and the node
    parameters of the same name (the learner's ``checkpoint_every``, ``device``, the simulator's ``seed``) read."""
    for f in fields(RunSettings):
        if f.name == name and f.default is not MISSING:
            return f.default
    raise KeyError(f"RunSettings has no field {name!r} with a default")


def evaluate_returns(act: Callable[[np.ndarray], np.ndarray], task: Task, episodes: int,
                     seed_base: int = EVAL_SEED_BASE) -> list[float]:
    """Undiscounted returns of ``episodes`` seeded episodes under ``act`` (shared with the peer baselines)."""
    returns = []
    for i in range(episodes):
        obs = task.reset(seed=seed_base + i)
        total, done = 0.0, False
        while not done:
            result = task.step(act(obs))
            total += result.reward
            obs = result.obs
            done = result.terminated or result.truncated
        returns.append(total)
    return returns


def evaluate_policy(policy: GaussianPolicy, task: Task, episodes: int, seed_base: int = EVAL_SEED_BASE,
                    deterministic: bool = True) -> list[float]:
    """Returns of ``policy`` (mean action by default) on the evaluation seeds."""
    generator = torch.Generator().manual_seed(seed_base)
    return evaluate_returns(lambda obs: policy.act(obs, deterministic, generator)[0], task, episodes, seed_base)


def learn_step(agent: Learner, task: Task, obs: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """One environment step of online learning: act, step, observe, then ``updates_per_step`` updates.

    Returns (next observation, reward, episode ended); the caller resets the task (with its own seed policy).
    Shared by the trainer and the throughput benchmarks, so they time exactly what training does.
    """
    action, log_prob = agent.act(obs)
    result = task.step(action)
    agent.observe(Transition(obs, action, result.reward, result.obs, result.terminated, result.truncated,
                             log_prob, agent.policy_version))
    for _ in range(agent.config.updates_per_step):
        agent.update()
    return result.obs, result.reward, result.terminated or result.truncated


def build_agent(settings: RunSettings) -> tuple[Learner, Task, Task]:
    torch.manual_seed(settings.seed)
    task = make_task(settings.task, **settings.task_overrides)
    eval_task = make_task(settings.task, **settings.task_overrides)
    config = build_config(settings.algo, settings.overrides, task=settings.task)
    agent = make_learner(settings.algo, task.spec, task.reward_torch, config, seed=settings.seed,
                         termination_fn=task.termination_torch(),
                         device=settings.device)
    return agent, task, eval_task


def _write_config(out: Path, settings: RunSettings, agent: Learner) -> None:
    doc = {
        "task": settings.task, "algo": settings.algo, "steps": settings.steps, "seed": settings.seed,
        "eval_every": settings.eval_every, "eval_episodes": settings.eval_episodes,
        "checkpoint_every": settings.checkpoint_every, "device": settings.device,
        "task_overrides": settings.task_overrides, "overrides": settings.overrides,
        "agent": agent.config.to_dict(),
    }
    (out / "config.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def read_settings(out: str | Path) -> RunSettings:
    """Settings of an earlier run (for --resume and eval)."""
    path = Path(out) / "config.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {out} a training output directory?")
    doc = yaml.safe_load(path.read_text())
    keys = ("task", "algo", "steps", "seed", "eval_every", "eval_episodes", "checkpoint_every", "device",
            "task_overrides", "overrides", "from_bag")
    settings = RunSettings(**{k: doc[k] for k in keys if k in doc})
    if isinstance(doc.get("agent"), dict):  # the settings it was trained with (core/settings.py)
        settings.overrides = recorded_settings(settings.algo, doc["agent"])
    return settings


def train(settings: RunSettings, out: str | Path, resume: bool = False, progress: bool = True) -> list[dict]:
    """Run (or continue) training; returns the evaluation records written to metrics.jsonl."""
    settings.validate()
    agent, task, eval_task = build_agent(settings)  # unknown task/algo fails here, before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if agent.compiled_update is not None:  # a relaunch in this directory loads the compiled code
        agent.compiled_update.keep_cache_in(out)
        agent.compiled_update.announce = message if progress else None
    ckpt_dir = out / "checkpoints"
    records: list[dict] = []
    metrics_path = out / "metrics.jsonl"
    wall_offset = 0.0
    if resume:
        if not load_checkpoint(agent, ckpt_dir):
            raise FileNotFoundError(f"--resume: no checkpoint in {ckpt_dir}")
        agent.close_interrupted_episode()
        if metrics_path.exists():
            records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
            records = [r for r in records if r["step"] <= agent.env_steps]
            wall_offset = records[-1]["wall_s"] if records else 0.0
            metrics_path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        metrics_path.write_text("")
        _write_config(out, settings, agent)
        if settings.from_bag:
            learn_from_bag(agent, Path(settings.from_bag), progress)

    since = {"updates": agent.updates, "seconds": agent.update_seconds}  # the last evaluation's counters
    #: the returns of the training episodes (the stochastic policy, as it explores) ended since the last
    #: evaluation, and the running one's sum: beside the mean action's evaluation they show whether a fall is
    #: the policy's or only its mean's
    training = {"returns": [], "running": 0.0}

    def log_eval() -> None:
        returns = evaluate_policy(agent.policy, eval_task, settings.eval_episodes)
        record = {
            "step": agent.env_steps, "wall_s": round(wall_offset + time.perf_counter() - start, 3),
            "eval_return_mean": float(np.mean(returns)), "eval_return_std": float(np.std(returns)),
            "episodes": agent.episode_count, "updates": agent.updates, "policy_version": agent.policy_version,
            "nonfinite_skips": agent.nonfinite_skips, **{k: round(v, 6) for k, v in agent.last_losses.items()},
        }
        if training["returns"]:
            record.update(train_return_mean=float(np.mean(training["returns"])),
                          train_return_min=float(np.min(training["returns"])),
                          train_episodes=len(training["returns"]))
            training["returns"] = []
        if agent.updates > since["updates"]:  # wall ms per update since the last evaluation
            record["update_ms"] = round(1e3 * (agent.update_seconds - since["seconds"])
                                        / (agent.updates - since["updates"]), 3)
        since.update(updates=agent.updates, seconds=agent.update_seconds)
        records.append(record)
        with metrics_path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        bar.note("eval return", f"{record['eval_return_mean']:.1f}")

    start = time.perf_counter()
    obs = task.reset(seed=settings.seed * 100_003 + agent.episode_count)
    bar = progress_display(settings.steps, f"{settings.algo} on {settings.task}", initial=agent.env_steps,
                           enabled=progress)
    if agent.env_steps == 0 or not resume:  # the start, or what the bag's transitions taught
        log_eval()
    while agent.env_steps < settings.steps:
        obs, reward, ended = learn_step(agent, task, obs)
        training["running"] += reward
        if ended:
            training["returns"].append(training["running"])
            training["running"] = 0.0
            obs = task.reset(seed=settings.seed * 100_003 + agent.episode_count)
        if agent.env_steps % settings.eval_every == 0 or agent.env_steps == settings.steps:
            log_eval()
        if agent.env_steps % settings.checkpoint_every == 0 or agent.env_steps == settings.steps:
            save_checkpoint(agent, ckpt_dir)
        bar.update(1)  # after the step's evaluation, so a progress line carries its return
    bar.close()
    save_policy(agent, out / "policy.safetensors")
    return records


def learn_from_bag(agent: Learner, bag: Path, progress: bool = False) -> int:
    """Fill the replay with a bag's transitions and make one update per transition (the online ratio);
    return how many were used. BagError for a bag of another task, a truncated or a foreign one."""
    from .bags import read_transitions

    contents = read_transitions(bag, agent.spec)
    for transition in contents.transitions:
        agent.observe(transition)
    agent.close_interrupted_episode()  # online steps start a new episode
    updates = len(contents.transitions) * agent.config.updates_per_step
    bar = progress_display(updates, f"learning from {bag.name}", unit="update", enabled=progress)
    for _ in range(updates):
        if agent.ready():
            agent.update()
        bar.update(1)
    bar.close()
    skipped = f", {contents.malformed} malformed skipped" if contents.malformed else ""
    print(f"{bag}: {len(contents.transitions)} transitions into the replay{skipped}", file=sys.stderr)
    return len(contents.transitions)


def save_policy(agent: Learner, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(policy_to_bytes(agent.policy, agent.policy_version))
    tmp.replace(path)


def load_trained_policy(run_dir: str | Path) -> tuple[GaussianPolicy, RunSettings]:
    """The final policy of a run directory, rebuilt from its config and verified on load."""
    run_dir = Path(run_dir)
    settings = read_settings(run_dir)
    agent, _, _ = build_agent(settings)
    path = run_dir / "policy.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (run not finished? use its checkpoints with --resume)")
    load_policy_bytes(agent.policy, path.read_bytes())
    return agent.policy, settings
