"""A real-time robot: how far the learner keeps up, and how the monoped learns against the wall clock.

Runs the three nodes with the simulator in ``mode: realtime`` at the task's own rate (the monoped's dt of
0.01 s: 100 Hz), so nothing waits for the learner: it makes the updates it can and drops the rest beyond
``max_backlog``. Per variant it reads the run directory's online curve (one line per finished episode, with
the learner's counters) and prints the updates per transition achieved, the updates dropped and owed (the
books balance: made + dropped + the budget not yet spent = owed), the mean of the last ten episode returns at
5 and at 10 wall minutes, and when that mean first reached the target.

    python -m benchmarks.targets.realtime [--task monoped] [--duration 900] [--variants default,eager]

Variants (:data:`VARIANTS`) are node parameters on top of the shipped defaults. Each launch runs alone, one
after the other, on the same machine, so their numbers compare; wall times on a shared machine do not compare
between runs of this command.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.targets.online_stands import REPO, run_online

#: variant -> ``svg-control launch --param`` values added to the real-time simulator
VARIANTS: dict[str, list[str]] = {
    "default": [],  # the shipped defaults: sac-svg's compiled update, the cores left after the controller
    "eager": ["learner.agent_overrides={compile_update: false}"],  # the update op by op, as before it compiled
    "compiled": ["learner.agent_overrides={compile_update: true}"],  # compiled, for an algorithm eager by default
    "threads1": ["learner.threads=1"],  # one torch thread
}
REALTIME = ["simulator.mode=realtime", "simulator.realtime_factor=1.0"]
CHECKPOINTS_S = (300.0, 600.0)  # the wall times at which the mean of the last ten returns is reported


@dataclass(frozen=True)
class RealtimeSummary:
    label: str
    transitions: int
    updates: int
    dropped: int
    owed: float
    episodes: int
    wall_s: float
    mean_at: dict[float, float | None]  # wall seconds -> mean of the last ten returns then (None: not yet ten)
    target_at_s: float | None

    @property
    def updates_per_transition(self) -> float:
        return self.updates / self.transitions if self.transitions else 0.0

    @property
    def unspent(self) -> float:
        """Owed updates neither made nor dropped by the last episode's end: the budget then, at most max_backlog."""
        return self.owed - self.updates - self.dropped


def summarise(label: str, lines: list[dict], target: float) -> RealtimeSummary:
    """The numbers of one launch from its run directory's episode lines (``nodes/learning/run_dir.py``)."""
    if not lines:
        return RealtimeSummary(label, 0, 0, 0, 0.0, 0, 0.0, {t: None for t in CHECKPOINTS_S}, None)
    last = lines[-1]
    mean_at: dict[float, float | None] = {}
    for t in CHECKPOINTS_S:  # None where the run ended before t, or had not yet ten episodes then
        before = [r for r in lines if r["wall_s"] <= t and r["episodes_in_mean"] >= 10]
        mean_at[t] = before[-1]["episode_return_mean"] if before and last["wall_s"] >= t else None
    hit = next((r for r in lines if r["episodes_in_mean"] >= 10 and r["episode_return_mean"] >= target), None)
    return RealtimeSummary(label, int(last["step"]), int(last["updates"]), int(last.get("updates_dropped", 0)),
                           float(last.get("updates_owed", 0.0)), len(lines), float(last["wall_s"]), mean_at,
                           None if hit is None else float(hit["wall_s"]))


def table(summaries: list[RealtimeSummary], target: float) -> str:
    def mean(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    head = " | ".join(f"mean of 10 at {t / 60:.0f} min" for t in CHECKPOINTS_S)
    rows = [f"| variant | transitions | updates | updates / transition | dropped | owed | unspent | {head} | "
            f"mean of 10 >= {target:g} at |", "|---|" + "---|" * (7 + len(CHECKPOINTS_S))]
    for s in summaries:
        at = " | ".join(mean(s.mean_at[t]) for t in CHECKPOINTS_S)
        reached = "never" if s.target_at_s is None else f"{s.target_at_s:.0f} s"
        rows.append(f"| {s.label} | {s.transitions} | {s.updates} | {s.updates_per_transition:.2f} | {s.dropped} | "
                    f"{s.owed:.0f} | {s.unspent:.0f} | {at} | {reached} |")
    return "\n".join(rows)


def read_lines(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="monoped")
    parser.add_argument("--duration", type=float, default=900.0, help="wall seconds per launch (default 900)")
    parser.add_argument("--variants", default="default,eager", help=f"comma-separated of {', '.join(VARIANTS)}")
    parser.add_argument("--target", type=float, default=150.0)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "realtime")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for variant in variants:
        label = f"{args.task}-{variant}"
        curve_path = args.out / f"{label}.jsonl"
        run_online(args.task, None, args.duration, curve_path, [*REALTIME, *VARIANTS[variant]])
        summary = summarise(label, read_lines(curve_path.with_suffix(".run")), args.target)
        summaries.append(summary)
        (args.out / f"{label}-summary.json").write_text(json.dumps(
            {**summary.__dict__, "updates_per_transition": summary.updates_per_transition}, indent=1) + "\n")
        print(table([summary], args.target), flush=True)
    print(table(summaries, args.target))


if __name__ == "__main__":
    main()
