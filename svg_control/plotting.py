"""Learning curves from trainer output directories: return vs steps, seeds shaded.

Runs are grouped by label (default: "<algo> on <task>" from each run's
config.yaml); a group's seeds are interpolated onto common steps and drawn
as mean with a min-max band.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml


def load_curve(run_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(steps, returns) of a run: the trainer's evaluations, or an online run's mean of the last ten episode
    returns (the learner node's ``metrics.jsonl``, svg_control/nodes/learning/run_dir.py)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the last line of a killed run may be cut short
    key = "eval_return_mean" if any("eval_return_mean" in r for r in records) else "episode_return_mean"
    records = [r for r in records if key in r]
    if not records:
        raise ValueError(f"{path} holds no evaluations and no episode returns")
    return np.array([r["step"] for r in records]), np.array([r[key] for r in records])


def run_label(run_dir: str | Path) -> str:
    cfg_path = Path(run_dir) / "config.yaml"
    if cfg_path.exists():
        cfg = yaml.safe_load(cfg_path.read_text())
        return f"{cfg.get('algo')} on {cfg.get('task')}"
    return Path(run_dir).name


def plot_runs(run_dirs: list[str | Path], out: str | Path, title: str | None = None,
              labels: list[str] | None = None, references: dict[str, float] | None = None) -> Path:
    """Mean curve per label with its min-max band over seeds; ``references`` are labelled horizontal lines
    (e.g. a scripted controller), so a flat curve can be read against what the task allows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for i, run in enumerate(run_dirs):
        label = labels[i] if labels else run_label(run)
        groups[label].append(load_curve(run))
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for label, curves in groups.items():
        grid = np.unique(np.concatenate([steps for steps, _ in curves]))
        end = min(steps[-1] for steps, _ in curves)
        grid = grid[grid <= end]
        values = np.stack([np.interp(grid, steps, ret) for steps, ret in curves])
        mean = values.mean(0)
        (line,) = ax.plot(grid, mean, label=f"{label} ({len(curves)} seed{'s' if len(curves) > 1 else ''})")
        if len(curves) > 1:
            ax.fill_between(grid, values.min(0), values.max(0), color=line.get_color(), alpha=0.2)
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="0.3", linestyle=("--", ":", "-.")[i % 3], linewidth=1, label=f"{label} ({value:.0f})")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("return (evaluation, or online: mean of last 10)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
