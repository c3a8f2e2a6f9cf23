"""Training throughput, ours vs stable-baselines3 SAC: env steps per second with one update per env step.

What the ">= 3x SAC" target asks: one process, one torch thread, this machine, each method with its
default networks (ours: the task's config, e.g. the monoped's policy 64x64, critic 128x128, per-dimension
32x32 models, batch 64; SAC: SB3's defaults, 256x256, batch 256), one gradient update per env step.
Evaluation and checkpointing are left out (they are the same few episodes for both); the training loop
is the trainer's (act, step, observe, update) and SB3's ``learn`` loop.

Both are timed in the same run, interleaved round by round (ours, SAC, ours, SAC, ...), after a warm-up
that fills the replay buffers past the first minibatch, so both see the same machine. Reports CPU time
(less disturbed by other load on a shared machine) and wall time, the best round of each (slower rounds
measure the neighbours), and the ratio of each interleaved round.

    python -m benchmarks.throughput [--tasks monoped gym:InvertedPendulum-v5] [--steps 1000] [--rounds 3] [--compiled]

``--algo sac-svg`` times the default algorithm instead of SVG(1)-ER. ``--compiled`` times ours eager and with
``compile_update=true`` (core/compiled_update.py: the same update as one torch.compile'd function) in every
round, both spelled out, since sac-svg compiles by default and the paper's algorithms do not.
"""
from __future__ import annotations

import argparse
import time

import torch

from svg_control.core.algos import ALGORITHMS
from svg_control.core.config import parse_override
from svg_control.trainer import RunSettings, build_agent, learn_step


def ours_steps_per_s(task_name: str, steps: int, warmup: int, seed: int = 0,
                     overrides: dict | None = None, algo: str = "svg1-er") -> tuple[float, float]:
    """(CPU, wall) env steps/s of ``algo``'s training loop, after ``warmup`` steps."""
    agent, task, _ = build_agent(RunSettings(task_name, algo=algo, steps=warmup + steps, seed=seed,
                                             overrides=overrides or {}))
    obs = task.reset(seed=seed)
    cpu0 = wall0 = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            cpu0, wall0 = time.process_time(), time.perf_counter()
        obs, _, ended = learn_step(agent, task, obs)
        if ended:
            obs = task.reset()
    return steps / (time.process_time() - cpu0), steps / (time.perf_counter() - wall0)


def sac_steps_per_s(task_name: str, steps: int, warmup: int, seed: int = 0) -> tuple[float, float] | None:
    """(CPU, wall) env steps/s of SB3 SAC at its defaults with one gradient step per env step."""
    try:
        from stable_baselines3 import SAC
    except ImportError:
        return None
    from benchmarks.peers import peer_env  # the peers' observation (reward-only dims left out)

    model = SAC("MlpPolicy", peer_env(task_name), seed=seed, train_freq=1, gradient_steps=1, verbose=0,
                device="cpu")
    model.learn(total_timesteps=warmup)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    model.learn(total_timesteps=steps, reset_num_timesteps=False)
    return steps / (time.process_time() - cpu0), steps / (time.perf_counter() - wall0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["monoped", "gym:InvertedPendulum-v5", "gym:Hopper-v5"])
    parser.add_argument("--steps", type=int, default=1000, help="timed env steps per round")
    parser.add_argument("--warmup", type=int, default=300, help="untimed env steps first (replay past a batch)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--algo", default="svg1-er", choices=ALGORITHMS,
                        help="our algorithm to time (sac-svg's model enters after model_warmup updates: "
                             "--set model_warmup=0 times its model-based update)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one of our hyperparameters (repeatable), e.g. model_per_dimension=false")
    parser.add_argument("--compiled", action="store_true",
                        help="also time ours with compile_update=true in the same rounds (its compile is in the "
                             "untimed warm-up)")
    args = parser.parse_args()
    overrides = dict(parse_override(text) for text in args.set)
    variants = {"ours": overrides}
    if args.compiled:  # both spelled out: sac-svg compiles by default, the paper's algorithms do not
        variants = {"ours eager": {**overrides, "compile_update": False},
                    "ours compiled": {**overrides, "compile_update": True}}
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread; {args.steps} timed env steps per round after {args.warmup}; "
          f"{args.rounds} interleaved rounds; env steps/s: best (range) by CPU time, best by wall time"
          + f"; ours: {args.algo}" + (f" with {overrides}" if overrides else ""))
    for task_name in args.tasks:
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in [*variants, "SAC"]}
        for _ in range(args.rounds):
            for name, variant in variants.items():
                timings[name].append(ours_steps_per_s(task_name, args.steps, args.warmup, overrides=variant,
                                                      algo=args.algo))
            peer = sac_steps_per_s(task_name, args.steps, args.warmup)
            if peer is None:
                print("stable-baselines3 not installed (pip install -e .[bench]): no SAC baseline")
                return
            timings["SAC"].append(peer)
        s_cpu, s_wall = [x[0] for x in timings["SAC"]], [x[1] for x in timings["SAC"]]
        parts = []
        for name in variants:
            o_cpu, o_wall = [x[0] for x in timings[name]], [x[1] for x in timings[name]]
            parts.append(f"{name} {max(o_cpu):.0f} ({min(o_cpu):.0f}-{max(o_cpu):.0f}) CPU, {max(o_wall):.0f} wall, "
                         f"ratio of the best rounds {max(o_cpu) / max(s_cpu):.2f}x CPU, "
                         f"{max(o_wall) / max(s_wall):.2f}x wall, per-round CPU ratios "
                         f"{', '.join(f'{a / b:.2f}' for a, b in zip(o_cpu, s_cpu))}")
        print(f"{task_name}: SAC {max(s_cpu):.0f} ({min(s_cpu):.0f}-{max(s_cpu):.0f}) CPU, {max(s_wall):.0f} wall; "
              + "; ".join(parts), flush=True)


if __name__ == "__main__":
    main()
