"""The task table printed by ``svg-control tasks``: dimensions, timing and noise of every task."""

from __future__ import annotations

from .registry import TASKS, task_spec


def task_rows() -> list[dict[str, object]]:
    """One dict per task, from its spec (no physics is built)."""
    rows = []
    for name in TASKS:
        s = task_spec(name)
        rows.append(
            {
                "name": name,
                "obs": s.obs_dim,
                "act": s.act_dim,
                "dt": s.dt,
                "horizon": s.horizon,
                "noise": s.actuator_noise,
                "description": s.description,
            }
        )
    return rows


def tasks_table() -> str:
    """Fixed-width text table: name, state dim, action dim, dt, horizon, torque noise, description."""
    header = f"{'task':<22}{'state':>6}{'act':>5}{'dt [s]':>9}{'horizon':>9}{'noise':>7}  description"
    lines = [header, "-" * len(header)]
    for r in task_rows():
        lines.append(
            f"{r['name']:<22}{r['obs']:>6}{r['act']:>5}{r['dt']:>9.3f}{r['horizon']:>9}{r['noise']:>7.2f}"
            f"  {r['description']}"
        )
    return "\n".join(lines)
