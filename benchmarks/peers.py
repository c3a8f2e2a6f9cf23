"""Peer baselines: stable-baselines3 SAC and TD3 on our Gymnasium envs, same protocol as `svg-control train`.

Same env-step budget, seeds and evaluation as ``svg_control.trainer``: an evaluation at step 0 and every
``eval_every`` env steps, ``eval_episodes`` episodes of the deterministic policy (SB3 ``predict(...,
deterministic=True)``) on a separate task instance reset with seeds 1_000_000 + i; one gradient update per
env step (``train_freq=1, gradient_steps=1``); one process, ``torch.set_num_threads(threads)``. Writes
``DIR/metrics.jsonl`` (step, wall_s, eval_return_mean, eval_return_std) and ``DIR/config.yaml``
(algo, task, ...) so ``svg_control.plotting.plot_runs`` overlays them on our runs. ``wall_s`` includes
the evaluation time, exactly like the trainer's, so env steps / wall_s compare like for like. Peers see
the observation our networks see: a task's ``reward_only_dims`` (the root x of Gymnasium's HalfCheetah and
Hopper, kept for our torch reward) are left out, as in Gymnasium's default observation.

SB3 defaults are kept (SAC: 256x256 ReLU nets, lr 3e-4, batch 256, auto entropy, learning_starts 100;
TD3: 400x300, action noise none by default -> we add N(0, 0.1) Gaussian action noise as SB3's docs do).

    python -m benchmarks.peers --algo sac --task monoped --steps 5000 --seed 0 --out runs/peers/sac-monoped-s0
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from svg_control.trainer import EVAL_SEED_BASE, evaluate_returns  # the trainer's evaluation protocol


def evaluate(model: Any, task: Any, episodes: int, seed_base: int = EVAL_SEED_BASE) -> list[float]:
    """The trainer's protocol (same seeds, deterministic action) for an SB3 model."""
    return evaluate_returns(deterministic_policy(model, task.spec), task, episodes, seed_base)


def deterministic_policy(model: Any, spec: Any) -> Any:
    """obs (the task's full observation) -> an SB3 model's deterministic action on the dims its networks get."""
    keep = network_dims(spec)
    return lambda obs: model.predict(np.asarray(obs, dtype=np.float64)[keep], deterministic=True)[0]


def network_dims(spec: Any) -> np.ndarray:
    """The observation dimensions a peer's networks get: all but ``reward_only_dims``, as for ours (a
    runner's root x, kept in our observation for the reward, is hidden from every network)."""
    return np.array([i for i in range(spec.obs_dim) if i not in spec.reward_only_dims], dtype=np.int64)


def peer_env(task: str, **overrides: Any) -> Any:
    """The task as a Gymnasium env whose observation leaves out the reward-only dimensions."""
    import gymnasium

    from svg_control.tasks.gym_env import SvgTaskEnv

    env = SvgTaskEnv(task, **overrides)
    keep = network_dims(env.task.spec)
    if len(keep) == env.task.spec.obs_dim:
        return env
    space = gymnasium.spaces.Box(-np.inf, np.inf, shape=(len(keep),), dtype=np.float64)
    return gymnasium.wrappers.TransformObservation(env, lambda obs: obs[keep], space)


def peer_versions() -> dict[str, str]:
    """The libraries a peer's numbers depend on. A seeded SB3 run repeats bit for bit on one install, and our
    environment and evaluation gave identical SAC runs at the earlier grid's commit and at a later one; yet
    seed 0 of SAC on Hopper-v5 ended at 1770 on an earlier install and 316 on a later one (docs/RESULTS.md).
    A peer number is only comparable with the versions it ran under."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    out = {}
    for name in ("stable-baselines3", "torch", "gymnasium", "mujoco", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def run_peer(algo: str, task: str, steps: int, seed: int, out: str | Path, eval_every: int = 1000,
             eval_episodes: int = 5, task_overrides: dict | None = None, threads: int = 1) -> list[dict]:
    try:
        from stable_baselines3 import SAC, TD3
    except ModuleNotFoundError as err:  # a benchmark-only dependency: say how to get it
        raise SystemExit("the SB3 peers need stable-baselines3: pip install -e '.[bench]'") from err
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.noise import NormalActionNoise

    from svg_control.tasks.registry import make_task

    torch.set_num_threads(threads)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task_overrides = dict(task_overrides or {})
    env = peer_env(task, **task_overrides)
    eval_task = make_task(task, **task_overrides)
    if algo == "sac":
        model = SAC("MlpPolicy", env, seed=seed, train_freq=1, gradient_steps=1, verbose=0, device="cpu")
    elif algo == "td3":
        n = env.action_space.shape[0]
        noise = NormalActionNoise(np.zeros(n), 0.1 * np.ones(n) * (env.action_space.high - env.action_space.low) / 2)
        model = TD3("MlpPolicy", env, seed=seed, train_freq=1, gradient_steps=1, action_noise=noise, verbose=0,
                    device="cpu")
    else:
        raise ValueError(f"unknown peer {algo!r} (sac, td3)")
    env.reset(seed=seed * 100_003)
    (out / "config.yaml").write_text(yaml.safe_dump({
        "task": task, "algo": algo, "steps": steps, "seed": seed, "eval_every": eval_every,
        "eval_episodes": eval_episodes, "task_overrides": task_overrides, "peer": "stable-baselines3",
        "hyperparameters": {"train_freq": 1, "gradient_steps": 1, "threads": threads},
        "versions": peer_versions(),
    }, sort_keys=False))
    metrics = out / "metrics.jsonl"
    metrics.write_text("")
    records: list[dict] = []
    start = time.perf_counter()

    def log_eval(step: int) -> None:
        rets = evaluate(model, eval_task, eval_episodes)
        rec = {"step": step, "wall_s": round(time.perf_counter() - start, 3),
               "eval_return_mean": float(np.mean(rets)), "eval_return_std": float(np.std(rets))}
        records.append(rec)
        with metrics.open("a") as f:
            f.write(json.dumps(rec) + "\n")

    class EvalCallback(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % eval_every == 0 or self.num_timesteps == steps:
                log_eval(self.num_timesteps)
            return True

    log_eval(0)
    model.learn(total_timesteps=steps, callback=EvalCallback())
    model.save(out / "sb3_model.zip")
    return records


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--algo", choices=("sac", "td3"), default="sac")
    p.add_argument("--task", default="monoped")
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--task-set", action="append", default=[], help="key=value task override (YAML value)")
    a = p.parse_args()
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in a.task_set)}
    recs = run_peer(a.algo, a.task, a.steps, a.seed, a.out, a.eval_every, a.eval_episodes, overrides, a.threads)
    last = recs[-1]
    print(json.dumps({"algo": a.algo, "task": a.task, "seed": a.seed, "final_return": last["eval_return_mean"],
                      "steps_per_s": round(last["step"] / last["wall_s"], 1)}))


if __name__ == "__main__":
    main()
