"""The main job as a user runs it: how long until the monoped stands, online through the three nodes.

Runs ``bash scripts/run.sh <task> --duration S`` (simulator, controller and learner as separate processes,
the shipped defaults: the monoped through the ros2_control path) and reads what the user reads: the log
line after every episode (the controller's), ``episode N: return R (mean of last 10: M)``. It prints the
wall seconds from the launch until M first reaches the target (the monoped stands at 150; a standing robot
earns about +186), the best and final M, and the number of episodes and environment steps, and writes the
curve to ``<out>/<label>.jsonl`` (one line per episode: wall seconds, episode, return, mean of the last ten).

    python -m benchmarks.targets.online_stands [--duration 900] [--algos sac-svg,svg1-er] [--out DIR]
        [--param learner.agent_overrides='{compile_update: true}' --label compiled]

Each algorithm is a separate launch, one after the other, so a baseline (``--algos sac-svg,svg1-er``) is
measured on the same machine in the same run; several runs are also compared at equal transitions: the mean
return of the same episodes (every episode has the task's horizon).
The target of the learning work is M >= 150 within 15 minutes (900 s) on a 2-core machine.
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


def run_online(task: str, algo: str | None, duration: float, out: Path,
               params: list[str] | None = None) -> list[dict]:
    """One launch of the node set for ``duration`` seconds; the per-episode curve it logged."""
    run_dir = out.with_suffix(".run")  # a fresh run each time: the main job would resume runs/<task>
    if run_dir.exists():
        shutil.rmtree(run_dir)
    cmd = ["bash", str(REPO / "scripts" / "run.sh"), task, "--duration", str(duration), "--run_dir", str(run_dir)]
    if algo:
        cmd += ["--algo", algo]
    for param in params or []:
        cmd += ["--param", param]
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
    parser.add_argument("--param", action="append", default=[], metavar="NODE.NAME=VALUE",
                        help="a node parameter for every launch, as `svg-control launch --param` takes it "
                             "(e.g. learner.agent_overrides='{compile_update: true}')")
    parser.add_argument("--label", default="", help="suffix of the run's label and curve file")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    algos = [a for a in args.algos.split(",") if a] or [None]
    lines, curves = [], {}
    for algo in algos:
        label = f"{args.task}-{algo or 'default'}" + (f"-{args.label}" if args.label else "")
        curves[label] = run_online(args.task, algo, args.duration, args.out / f"{label}.jsonl", args.param)
        lines.append(report(label, curves[label], args.target))
        print(lines[-1], flush=True)
    if len(curves) > 1:
        lines.append(equal_transitions(curves))
    print("\n".join(lines))


def equal_transitions(curves: dict[str, list[dict]], blocks: int = 4) -> str:
    """The mean episode return of each run over the same episodes (the same transitions), in ``blocks`` blocks."""
    common = min((len(c) for c in curves.values()), default=0)
    if common < blocks:
        return "equal transitions: too few episodes to compare"
    edges = [round(i * common / blocks) for i in range(blocks + 1)]
    head = " | ".join(f"episodes {a}-{b - 1}" for a, b in zip(edges, edges[1:]))
    rows = [f"| run | {head} |", "|---|" + "---|" * blocks]
    for label, curve in curves.items():
        means = [sum(r["return"] for r in curve[a:b]) / (b - a) for a, b in zip(edges, edges[1:])]
        rows.append(f"| {label} | " + " | ".join(f"{m:.0f}" for m in means) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
