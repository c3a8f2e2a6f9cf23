"""The main job as a user runs it: how long until the monoped stands, online through the three nodes.

Runs ``bash scripts/run.sh <task> --duration S`` (simulator, controller and learner as separate processes,
the shipped defaults: the monoped through the ros2_control path) and reads what the user reads: the log
line after every episode (the controller's; the simulator's on the ``step`` interface),
``episode N: return R (mean of last 10: M)``. It prints the wall seconds from the launch until M first
reaches the target (the monoped stands at 150; a standing robot earns about +186), the best and final M,
and the number of episodes and environment steps, and writes the curve to ``<out>/<label>.jsonl``
(one line per episode: wall seconds, episode, return, mean of the last ten).

    python -m benchmarks.targets.online_stands [--duration 900] [--algos sac-svg,svg1-er] [--out DIR]

Each algorithm is a separate launch, one after the other, so a baseline (``--algos sac-svg,svg1-er``) is
measured on the same machine in the same run. The target of the learning work is M >= 150 within 15
minutes (900 s) on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EPISODE_LINE = re.compile(r"episode (\d+): return (-?[\d.]+) \(mean of last (\d+): (-?[\d.]+)\)")


def run_online(task: str, algo: str | None, duration: float, out: Path) -> list[dict]:
    """One launch of the node set for ``duration`` seconds; the per-episode curve it logged."""
    run_dir = out.with_suffix(".run")  # a fresh run each time: the main job would resume runs/<task>
    if run_dir.exists():
        shutil.rmtree(run_dir)
    cmd = ["bash", str(REPO / "scripts" / "run.sh"), task, "--duration", str(duration), "--run_dir", str(run_dir)]
    if algo:
        cmd += ["--param", f"controller.algo={algo}", "--param", f"learner.algo={algo}"]
    curve: list[dict] = []
    start = time.monotonic()
    with out.open("w") as sink, subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                 text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            match = EPISODE_LINE.search(line)
            if not match:
                continue
            record = {"wall_s": round(time.monotonic() - start, 1), "episode": int(match[1]),
                      "return": float(match[2]), "window": int(match[3]), "mean_last": float(match[4])}
            curve.append(record)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
    if proc.returncode not in (0, None):
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    return curve


def report(label: str, curve: list[dict], target: float) -> str:
    if not curve:
        return f"{label}: no episode finished"
    full = [r for r in curve if r["window"] >= 10]  # a mean of fewer than ten episodes is not the target's
    hit = next((r for r in full if r["mean_last"] >= target), None)
    best = max((r["mean_last"] for r in full), default=float("nan"))
    reached = f"mean of last 10 >= {target:g} at {hit['wall_s']:.0f} s (episode {hit['episode']})" if hit \
        else f"never reached {target:g}"
    return (f"{label}: {reached}; best {best:.1f}, final {curve[-1]['mean_last']:.1f} after "
            f"{len(curve)} episodes in {curve[-1]['wall_s']:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="monoped")
    parser.add_argument("--duration", type=float, default=900.0, help="seconds per launch (default 900)")
    parser.add_argument("--algos", default="", help="comma-separated; empty: the shipped default only")
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "online_stands")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    algos = [a for a in args.algos.split(",") if a] or [None]
    lines = []
    for algo in algos:
        label = f"{args.task}-{algo or 'default'}"
        curve = run_online(args.task, algo, args.duration, args.out / f"{label}.jsonl")
        lines.append(report(label, curve, args.target))
        print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
