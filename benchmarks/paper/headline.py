"""Headline numbers for docs/RESULTS.md from finished runs under runs/paper/ (trains nothing).

Per figure and label: mean ± std over seeds of the evaluation return at fixed steps, and the training
throughput (env steps / wall s, evaluation included, one process, one update per env step). For
monoped_vs_sac also the ratios ours / SAC.

    python -m benchmarks.paper.headline
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmarks.paper.common import RUNS, load, return_at


def table(figure: str, steps: tuple[int, ...]) -> dict[str, dict]:
    groups: dict[str, list[list[dict]]] = defaultdict(list)
    for d in sorted((RUNS / figure).glob("*-s*")):
        recs = load(d)
        if recs:
            groups[d.name.rsplit("-s", 1)[0]].append(recs)
    out = {}
    print(f"\n{figure}\n| label | seeds | " + " | ".join(f"@{s}" for s in steps) + " | steps/s |")
    for label, runs in groups.items():
        row = {}
        cols = []
        for s in steps:
            vals = [v for v in (return_at(r, s) for r in runs) if v is not None]
            row[s] = (np.mean(vals), np.std(vals), len(vals)) if vals else None
            cols.append(f"{np.mean(vals):.1f} ± {np.std(vals):.1f} (n={len(vals)})" if vals else "-")
        sps = [r[-1]["step"] / r[-1]["wall_s"] for r in runs if r[-1]["step"] >= max(steps)]
        row["sps"] = float(np.mean(sps)) if sps else float("nan")
        out[label] = row
        print(f"| {label} | {len(runs)} | " + " | ".join(cols) + f" | {row['sps']:.0f} |")
    return out


def main() -> None:
    table("fig2_middle_cartpole", (1000, 2500, 5000))
    m = table("monoped_vs_sac", (1000, 2500, 5000))
    if "svg1-er" in m and "sac" in m:
        for s in (1000, 2500, 5000):
            a, b = m["svg1-er"].get(s), m["sac"].get(s)
            if a and b:
                print(f"monoped return @{s}: svg1-er {a[0]:.1f} vs SAC {b[0]:.1f}")
        print(f"throughput svg1-er / SAC: {m['svg1-er']['sps']:.1f} / {m['sac']['sps']:.1f} = "
              f"{m['svg1-er']['sps'] / m['sac']['sps']:.2f}")
    table("fig2_left_hand_ball", (1000, 2500, 5000))


if __name__ == "__main__":
    main()
