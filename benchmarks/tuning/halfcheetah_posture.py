"""Which way up the final HalfCheetah-v5 policies run: ours and the SB3 peers', on one evaluation episode.

Why: our HalfCheetah-v5 policies score well but run on their back, a local optimum the reward counts.
Whether that is ours alone or the task's at this budget decides whether it is a bug to chase.
The root pitch (``qpos[2]``) is read over the episode's steps 200-1000 (after the start-up transient);
|pitch| > 2 rad is upside down.

    python -m benchmarks.tuning.halfcheetah_posture [--runs runs/paper/gymnasium_envs] [--labels svg1-er sac td3]

Peers are loaded from their ``sb3_model.zip``, which ``benchmarks/peers.py`` wrote on this machine.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from benchmarks.peers import deterministic_policy
from svg_control.tasks.registry import make_task
from svg_control.trainer import EVAL_SEED_BASE, load_trained_policy

TASK = "gym:HalfCheetah-v5"
SETTLE = 200  # steps of start-up transient left out of the posture


def policy_fn(run: Path, label: str, task):
    """obs -> deterministic action for one finished run, ours or a peer's."""
    if label in ("sac", "td3"):
        from stable_baselines3 import SAC, TD3  # noqa: PLC0415

        model = (SAC if label == "sac" else TD3).load(run / "sb3_model.zip", device="cpu")
        return deterministic_policy(model, task.spec)
    policy, _ = load_trained_policy(run)
    return lambda obs: policy.act(obs, True, None)[0]


def posture(run: Path, label: str) -> tuple[float, float, float]:
    """(return, mean root pitch, share of steps upside down) on the first evaluation episode."""
    task = make_task(TASK)
    act = policy_fn(run, label, task)
    obs, total, pitch = task.reset(EVAL_SEED_BASE), 0.0, []
    for _ in range(task.spec.horizon):
        step = task.step(act(obs))
        obs, total = step.obs, total + step.reward
        pitch.append(float(task.env.data.qpos[2]))
        if step.terminated:
            break
    late = np.asarray(pitch[SETTLE:])
    return total, float(late.mean()), float((np.abs(late) > 2.0).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, default=Path("runs/paper/gymnasium_envs"))
    p.add_argument("--labels", nargs="+", default=["svg1-er", "sac", "td3"])
    p.add_argument("--seeds", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    print("| run | return | mean root pitch (rad) | steps upside down |")
    print("|---|---|---|---|")
    for label in args.labels:
        for seed in range(args.seeds):
            run = args.runs / f"HalfCheetah-v5-{label}-s{seed}"
            if not run.is_dir():
                continue
            ret, mean_pitch, upside_down = posture(run, label)
            print(f"| {run.name} | {ret:.0f} | {mean_pitch:.2f} | {upside_down:.0%} |", flush=True)


if __name__ == "__main__":
    main()
