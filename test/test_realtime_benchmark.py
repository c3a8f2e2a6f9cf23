"""benchmarks/targets/realtime.py: what it reads off a run directory's episode lines."""
from __future__ import annotations

from benchmarks.targets.realtime import summarise, table


def line(step: int, wall_s: float, mean: float, in_mean: int, updates: int, dropped: int, owed: float) -> dict:
    return {"step": step, "wall_s": wall_s, "episode_return_mean": mean, "episodes_in_mean": in_mean,
            "updates": updates, "updates_dropped": dropped, "updates_owed": owed}


def test_a_run_is_summarised_from_its_last_line_and_its_curve():
    lines = [line(200 * i, 40.0 * i, -500.0 + 70 * i, min(i + 3, 10), 90 * i, 100 * i, 200.0 * i) for i in range(1, 17)]
    s = summarise("monoped-default", lines, target=150.0)
    assert (s.transitions, s.updates, s.dropped, s.owed, s.episodes) == (3200, 1440, 1600, 3200.0, 16)
    assert s.updates_per_transition == 1440 / 3200
    assert s.unspent == 3200 - 1440 - 1600
    assert s.mean_at == {300.0: -500.0 + 70 * 7, 600.0: -500.0 + 70 * 15}  # the last line at or before each time
    assert s.target_at_s == 40.0 * 10  # the first line with ten in its mean at or above 150
    assert "| monoped-default | 3200 | 1440 | 0.45 | 1600 | 3200 | 160 |" in table([s], 150.0)


def test_a_short_run_reports_no_mean_for_the_minutes_it_did_not_last():
    s = summarise("short", [line(100, 30.0, -400.0, 10, 50, 10, 70.0)], target=150.0)
    assert s.mean_at == {300.0: None, 600.0: None} and s.target_at_s is None
    assert summarise("none", [], 150.0).transitions == 0
