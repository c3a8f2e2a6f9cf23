"""A robot's first minutes: a robot that is not ours, learned through the nodes, with the model and without it.

The robot is the stand-in (``test/standin/reacher_robot.py``: Gymnasium's Reacher-v5 behind ros2_control's
topics, stepping on its own wall-clock timer, 50 Hz), described by its task file alone
(``test/standin/reacher.yaml``), as a user connects theirs: ``svg-control launch reacher.yaml`` starts the
controller and the learner, nothing of ours simulates it. Per seed it launches each variant for ``--duration``
wall seconds, one after the other (interleaved, so each seed's variants share the machine's state), and
reports what the controller logs after every episode: the mean of the last ten returns at 5 and at 10 wall
minutes, the updates the learner made, and when the model entered the policy's estimate (``model_in``).

    python -m benchmarks.targets.first_minutes [--seeds 0,1,2] [--duration 600] [--variants default,no-model,entry]

Each launch starts in a fresh run directory, so each compiles its update first, as a user's first launch does.
Variants (:data:`VARIANTS`) are learner settings on top of the shipped defaults. The target: with the
model the stand-in learns faster than without it in the same wall minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.targets.online_stands import EPISODE_LINE, REPO

STANDIN = REPO / "test" / "standin"
#: variant -> the learner's ``agent_overrides`` (YAML) on top of the shipped defaults
VARIANTS: dict[str, str] = {
    "default": "{}",  # the model after model_warmup updates
    "no-model": "{model_horizon: 0}",  # the same learner without the model: SAC with our networks
    "entry": "{model_entry_error: 0.2}",  # the model in once its held-out 3-step error is a fifth of no-change's
}
CHECKPOINTS_S = (300.0, 600.0)


def run_variant(variant: str, seed: int, duration: float, out: Path, rate: float) -> list[dict]:
    """One launch of controller and learner beside a fresh stand-in robot; the per-episode curve it logged."""
    run_dir = out / f"{variant}-s{seed}.run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(STANDIN), os.environ.get("PYTHONPATH", "")])}
    robot = subprocess.Popen([sys.executable, str(STANDIN / "reacher_robot.py"), "--rate", str(rate),
                              "--seed", str(seed)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cmd = [sys.executable, "-m", "svg_control.cli", "launch", str(STANDIN / "reacher.yaml"), "--duration",
           str(duration), "--run_dir", str(run_dir), "--param", f"learner.seed={seed}",
           "--param", f"controller.seed={seed}", "--param", f"learner.agent_overrides={VARIANTS[variant]}"]
    curve: list[dict] = []
    start = time.monotonic()
    try:
        with (out / f"{variant}-s{seed}.jsonl").open("w") as sink, subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = EPISODE_LINE.search(line)
                if match:
                    record = {"wall_s": round(time.monotonic() - start, 1), "episode": int(match[1]),
                              "return": float(match[2]), "window": int(match[3]), "mean_last": float(match[4])}
                    curve.append(record)
                    sink.write(json.dumps(record) + "\n")
                    sink.flush()
    finally:
        robot.send_signal(signal.SIGINT)
        robot.wait(timeout=30)
    return curve


def summarise(curve: list[dict], run_dir: Path) -> dict:
    """The mean of the last ten returns at each checkpoint (None before ten episodes or after the run), the
    learner's updates and transitions, and the wall second of the first episode with the model in."""
    mean_at = {}
    for t in CHECKPOINTS_S:
        before = [r for r in curve if r["wall_s"] <= t and r["window"] >= 10]
        mean_at[f"{t / 60:.0f}min"] = before[-1]["mean_last"] if before and curve[-1]["wall_s"] >= t else None
    metrics = run_dir / "metrics.jsonl"
    lines = [json.loads(x) for x in metrics.read_text().splitlines() if x.strip()] if metrics.exists() else []
    model_in = next((r["wall_s"] for r in lines if r.get("model_in") == 1.0), None)
    last = lines[-1] if lines else {}
    return {**mean_at, "episodes": len(curve), "transitions": last.get("step"), "updates": last.get("updates"),
            "model_in_at_s": model_in}


def table(results: dict[str, dict[int, dict]]) -> str:
    heads = [f"{t / 60:.0f}min" for t in CHECKPOINTS_S]
    rows = ["| variant | seeds | " + " | ".join(f"mean of 10 at {h} (mean over seeds; each)" for h in heads)
            + " | updates (each) | model in at s (each) |", "|---|---|" + "---|" * (len(heads) + 2)]
    for variant, by_seed in results.items():
        cells = []
        for h in heads:
            values = [r[h] for r in by_seed.values()]
            known = [v for v in values if v is not None]
            avg = f"{statistics.fmean(known):.1f}" if known else "-"
            cells.append(f"{avg} ({', '.join('-' if v is None else f'{v:.1f}' for v in values)})")
        updates = ", ".join(str(r["updates"]) for r in by_seed.values())
        entry = ", ".join("-" if r["model_in_at_s"] is None else f"{r['model_in_at_s']:.0f}" for r in by_seed.values())
        rows.append(f"| {variant} | {', '.join(map(str, by_seed))} | {' | '.join(cells)} | {updates} | {entry} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--duration", type=float, default=600.0, help="wall seconds per launch (default 600)")
    parser.add_argument("--variants", default="default,no-model,entry",
                        help=f"comma-separated of {', '.join(VARIANTS)}")
    parser.add_argument("--rate", type=float, default=50.0, help="the stand-in's steps per wall second")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "first_minutes")
    parser.add_argument("--report", action="store_true", help="run nothing: the table of the finished launches")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[int, dict]] = {v: {} for v in variants}
    for seed in seeds:
        for variant in variants:
            summary_path = args.out / f"{variant}-s{seed}-summary.json"
            if not summary_path.exists() and not args.report:  # a finished launch is kept, not run again
                curve = run_variant(variant, seed, args.duration, args.out, args.rate)
                summary = summarise(curve, args.out / f"{variant}-s{seed}.run")
                summary_path.write_text(json.dumps(summary, indent=1) + "\n")
            if summary_path.exists():
                results[variant][seed] = json.loads(summary_path.read_text())
                print(f"{variant} seed {seed}: {results[variant][seed]}", flush=True)
    print(table({v: r for v, r in results.items() if r}))


if __name__ == "__main__":
    main()
