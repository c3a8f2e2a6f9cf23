"""A scripted swimmer: a travelling wave steered toward the goal, the "reachable" line of Fig. 3.

Why it exists: on the swimmers the untrained policy scores about -166 and, at our budgets, no learner has
improved on it (docs/RESULTS.md). Without a reference a reader cannot tell whether the task leaves room
to learn at all in 500 steps. This gait, with no learning and three numbers picked by a grid search, shows
how much room there is.

The gait: joint i gets ``clip(sin(2 pi f t + phase * i) + gain * e, -1, 1)``, where ``e`` is the signed
angle from the head's heading to the direction of the goal. A wave running tail-to-head pushes the body
head-first; the constant bend ``gain * e`` turns it toward the goal.

Protocol: the grid is searched on tuning episodes (reset seeds 2_000_000 + i), and the chosen gait is
reported on the learners' own evaluation episodes (reset seeds 1_000_000 + i, the trainer's protocol),
next to the zero action. It reads the egocentric observation (``Swimmer(egocentric=True)``); the returns
are those of either frame, which share physics, resets and reward.

    python -m benchmarks.paper.swimmer_reference                 # all three swimmers, grid re-searched
    python -m benchmarks.paper.swimmer_reference --no-search     # evaluate the committed GAITS only
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from benchmarks.paper.common import RUNS
from svg_control.tasks import make_task

EVAL_SEED = 1_000_000  # the trainer's evaluation episodes
TUNE_SEED = 2_000_000  # disjoint from them: the grid never sees an evaluation episode


@dataclass(frozen=True)
class Gait:
    freq: float  # Hz
    phase: float  # rad between neighbouring joints; negative runs the wave from tail to head
    gain: float  # bend per radian of heading error


#: chosen by ``--search`` on 5 tuning episodes per cell (the grid below); see docs/RESULTS.md, Fig. 3
GAITS: dict[str, Gait] = {
    "swimmer3": Gait(0.5, -0.8, -0.25),
    "swimmer5": Gait(0.7, -1.4, -1.0),
    "swimmer7": Gait(0.7, -1.4, -1.0),
}
GRID = {"freq": (0.3, 0.5, 0.7, 1.0), "phase": (-0.4, -0.6, -0.8, -1.0, -1.2, -1.4),
        "gain": (-1.0, -0.5, -0.25, 0.0, 0.5)}


def heading_error(obs: np.ndarray) -> float:
    """Signed angle (rad, counter-clockwise positive) from the head's heading to the goal, read off the
    egocentric observation, whose first two entries are the goal to the head's right and ahead of it."""
    return math.atan2(-float(obs[0]), float(obs[1]))


def gait_action(gait: Gait, obs: np.ndarray, t: float, n_joints: int) -> np.ndarray:
    bend = gait.gain * heading_error(obs)
    wave = [math.sin(2 * math.pi * gait.freq * t + gait.phase * i) for i in range(n_joints)]
    return np.clip(np.asarray(wave) + bend, -1.0, 1.0)


def episode_returns(task_name: str, gait: Gait | None, seeds: range) -> list[float]:
    """Undiscounted returns of whole episodes; ``gait=None`` is the zero action."""
    task = make_task(task_name, egocentric=True)  # same physics and reward as the world frame
    n_joints, dt, horizon = task.spec.act_dim, task.spec.dt, task.spec.horizon
    out = []
    for seed in seeds:
        obs, total = task.reset(seed), 0.0
        for k in range(horizon):
            action = np.zeros(n_joints) if gait is None else gait_action(gait, obs, k * dt, n_joints)
            step = task.step(action)
            obs, total = step.obs, total + step.reward
        out.append(total)
    return out


def search(task_name: str, episodes: int) -> tuple[Gait, float]:
    """The grid's best gait by mean return on the tuning episodes."""
    seeds = range(TUNE_SEED, TUNE_SEED + episodes)
    scored = [(float(np.mean(episode_returns(task_name, g, seeds))), g)
              for g in itertools.starmap(Gait, itertools.product(*GRID.values()))]
    score, gait = max(scored, key=lambda sg: sg[0])
    return gait, score


def reference_returns(task_name: str, episodes: int = 5) -> dict[str, float]:
    """Mean return of the committed gait and of the zero action on the evaluation episodes."""
    seeds = range(EVAL_SEED, EVAL_SEED + episodes)
    return {"scripted gait": float(np.mean(episode_returns(task_name, GAITS[task_name], seeds))),
            "zero action": float(np.mean(episode_returns(task_name, None, seeds)))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=list(GAITS))
    p.add_argument("--no-search", action="store_true", help="evaluate the committed GAITS, search nothing")
    p.add_argument("--tune-episodes", type=int, default=5)
    p.add_argument("--eval-episodes", type=int, default=20)
    args = p.parse_args()
    rows = []
    print("| task | gait (freq, phase, gain) | tuning episodes | evaluation (5) | evaluation (all) | zero action |")
    print("|---|---|---|---|---|---|")
    for name in args.tasks:
        gait, tuned = (GAITS[name], float("nan")) if args.no_search else search(name, args.tune_episodes)
        seeds = range(EVAL_SEED, EVAL_SEED + args.eval_episodes)
        ours, zero = episode_returns(name, gait, seeds), episode_returns(name, None, seeds)
        row = {"task": name, "gait": asdict(gait), "tuning_mean": tuned, "eval5_mean": float(np.mean(ours[:5])),
               "eval_mean": float(np.mean(ours)), "eval_std": float(np.std(ours)), "eval_episodes": len(ours),
               "zero_mean": float(np.mean(zero)), "zero_std": float(np.std(zero))}
        rows.append(row)
        print(f"| {name} | {gait.freq}, {gait.phase}, {gait.gain} | {tuned:.1f} | {row['eval5_mean']:.1f} | "
              f"{row['eval_mean']:.1f} ± {row['eval_std']:.1f} | {row['zero_mean']:.1f} ± {row['zero_std']:.1f} |",
              flush=True)
    out = RUNS / "swimmer_reference" / "reference.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
