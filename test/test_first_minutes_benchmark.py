"""benchmarks/targets/first_minutes.py: what it reads off the controller's episode lines and the learner's run."""
from __future__ import annotations

import json

from benchmarks.targets.first_minutes import summarise, table


def test_a_launch_is_summarised_at_five_and_ten_minutes_with_the_models_entry(tmp_path):
    curve = [{"wall_s": 20.0 * i, "episode": i, "return": -10.0 + i, "window": min(i + 1, 10), "mean_last": -10.0 + i}
             for i in range(40)]  # 780 s
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lines = [{"step": 50 * i, "wall_s": 20.0 * i, "updates": 40 * i, "model_in": float(i >= 12)} for i in range(40)]
    (run_dir / "metrics.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    s = summarise(curve, run_dir)
    assert s["5min"] == -10.0 + 15 and s["10min"] == -10.0 + 30  # the last episode at or before each time
    assert (s["episodes"], s["transitions"], s["updates"], s["model_in_at_s"]) == (40, 1950, 1560, 240.0)
    short = summarise(curve[:12], tmp_path / "none")  # 220 s, and no learner metrics
    assert short["5min"] is None and short["10min"] is None and short["model_in_at_s"] is None
    text = table({"entry": {0: s, 1: short}})
    assert "| entry | 0, 1 | 5.0 (5.0, -) | 20.0 (20.0, -) | 1560, None | 240, - |" in text
