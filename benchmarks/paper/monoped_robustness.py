"""Monoped robustness: a trained monoped policy evaluated beyond its training horizon and under torque
noise from 0 to 25 % of the actuator strength (the paper: trained with 5 % noise for 200 steps, the
policy stays up for much longer episodes and tolerates larger noise).

Uses the final policies of `benchmarks/paper/monoped_vs_sac.py` (runs/paper/monoped_vs_sac/*-s<seed>/): ours from
policy.safetensors, SAC's from sb3_model.zip. Both task options exist in svg_control/tasks/monoped.py
(`horizon=`, `actuator_noise=`; training used the defaults 200 and 0.05).

Success of an episode: over its last 50 steps, mean cos(pitch) > 0.9 and mean |z - 1.21| < 0.15
(upright and standing). Deterministic (mean) actions; 10 episodes per point, seeds 2_000_000 + i.

    nice -n 10 python -m benchmarks.paper.monoped_robustness [--horizons 200,1000] [--noises 0,0.05,0.1,0.15,0.2,0.25]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.paper.common import FIGURES, RUNS, git_commit

STAND = 1.21


def episode(act, task, seed: int) -> tuple[float, bool]:
    obs = task.reset(seed=seed)
    total, done, tail = 0.0, False, []
    while not done:
        res = task.step(act(obs))
        total += res.reward
        obs = res.obs
        tail.append((obs[1], abs(obs[0] - STAND)))
        done = res.terminated or res.truncated
    tail = np.array(tail[-50:])
    return total, bool(tail[:, 0].mean() > 0.9 and tail[:, 1].mean() < 0.15)


def policies(run_root: Path, labels: set[str] | None = None) -> dict[str, list]:
    import torch  # noqa: PLC0415

    from svg_control.trainer import load_trained_policy  # noqa: PLC0415

    out: dict[str, list] = {}
    for d in sorted(run_root.glob("*-s*")):
        label = d.name.rsplit("-s", 1)[0]
        if labels and label not in labels:
            continue
        if (d / "policy.safetensors").exists():
            pol, _ = load_trained_policy(d)

            def act(obs, pol=pol):
                with torch.no_grad():
                    return pol.act(obs, True)[0]
        elif (d / "sb3_model.zip").exists():
            from stable_baselines3 import SAC, TD3  # noqa: PLC0415

            cls = TD3 if label.startswith("td3") else SAC
            model = cls.load(d / "sb3_model.zip", device="cpu")

            def act(obs, model=model):
                return model.predict(np.asarray(obs), deterministic=True)[0]
        else:
            continue
        out.setdefault(label, []).append(act)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default=str(RUNS / "monoped_vs_sac"))
    p.add_argument("--horizons", default="200,1000")
    p.add_argument("--noises", default="0,0.05,0.1,0.15,0.2,0.25")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--labels", default=None, help="comma-separated run labels to evaluate (default: every run)")
    p.add_argument("--quick", action="store_true", help="2 episodes, horizon 200, two noise levels")
    p.add_argument("--no-plot", action="store_true")
    a = p.parse_args()
    import torch  # noqa: PLC0415

    from svg_control.tasks.registry import make_task  # noqa: PLC0415

    torch.set_num_threads(1)
    if a.quick:
        a.horizons, a.noises, a.episodes = "200", "0,0.25", 2
    horizons = [int(h) for h in a.horizons.split(",")]
    noises = [float(n) for n in a.noises.split(",")]
    pols = policies(Path(a.runs), set(a.labels.split(",")) if a.labels else None)
    if not pols:
        sys.exit(f"no finished runs under {a.runs}: run python -m benchmarks.paper.monoped_vs_sac first")
    results = []
    for label, acts in pols.items():
        for h in horizons:
            for n in noises:
                task = make_task("monoped", horizon=h, actuator_noise=n)
                succ, rets, per_policy = [], [], []
                for act in acts:
                    mine = []
                    for i in range(a.episodes):
                        r, ok = episode(act, task, 2_000_000 + i)
                        mine.append(ok)
                        rets.append(r)
                    succ += mine
                    per_policy.append(float(np.mean(mine)))
                # per policy too: a pooled rate cannot tell one policy that always stands from several that sometimes do
                rec = {"label": label, "policies": len(acts), "horizon": h, "noise": n,
                       "success": float(np.mean(succ)), "success_per_policy": per_policy,
                       "return_mean": float(np.mean(rets)), "return_per_step": float(np.mean(rets) / h)}
                print(json.dumps(rec), flush=True)
                results.append(rec)
    out = Path(a.runs) / ("robustness-quick.jsonl" if a.quick else "robustness.jsonl")
    out.write_text("".join(json.dumps(r) + "\n" for r in results))
    if a.no_plot:
        return
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(6, 4))
    for label in pols:
        for h in horizons:
            rs = [r for r in results if r["label"] == label and r["horizon"] == h]
            ax.plot([100 * r["noise"] for r in rs], [r["success"] for r in rs], marker="o", label=f"{label}, {h} steps")
    ax.axvline(5, color="grey", ls=":", lw=1)
    ax.set_xlabel("torque noise std [% of max torque] (training: 5 %)")
    ax.set_ylabel("success rate (upright & standing at the end)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"monoped robustness ({git_commit()})")
    ax.legend(fontsize=8)
    FIGURES.mkdir(parents=True, exist_ok=True)
    source = Path(a.runs).name  # the default runs keep the original file name
    stem = "monoped_robustness" if source == "monoped_vs_sac" else f"monoped_robustness_{source}"
    name = f"{stem}-quick.png" if a.quick else f"{stem}.png"
    fig.tight_layout()
    fig.savefig(FIGURES / name, dpi=90)
    print(f"wrote {FIGURES / name}")


if __name__ == "__main__":
    main()
