"""The sample-efficiency benchmark trains one cell per call, resumes a cell from its checkpoint, keeps only
finished runs' metrics for the record, and tabulates whatever is there."""
from __future__ import annotations

import json

from benchmarks.targets import sample_efficiency as se


def test_a_cell_finishes_resumes_and_is_tabulated(tmp_path, capsys):
    result = se.train_cell("point_mass", "ours", 0, steps=100, eval_every=50, checkpoint_every=50, root=tmp_path)
    assert [r["step"] for r in se.load(result)] == [0, 50, 100]
    assert not (result / "checkpoints").exists()  # only metrics and config are kept for the record
    assert (result / "config.yaml").exists() and (result / "command.txt").exists()

    # a longer budget continues the same run from its latest checkpoint instead of starting over
    result = se.train_cell("point_mass", "ours", 0, steps=150, eval_every=50, checkpoint_every=50, root=tmp_path)
    assert "resuming" in capsys.readouterr().out
    records = se.load(result)
    assert [r["step"] for r in records] == [0, 50, 100, 150]
    work = se.work_root(tmp_path) / "point_mass" / "ours-s0"
    assert (work / "checkpoints" / "latest.json").exists()

    # a finished cell is not trained again
    se.train_cell("point_mass", "ours", 0, steps=150, eval_every=50, root=tmp_path)
    assert "finished already" in capsys.readouterr().out

    best = max(r["eval_return_mean"] for r in records)
    text = se.table(tmp_path, {"point_mass": best})
    assert "| ours | 0 |" in text
    assert f"| {next(r['step'] for r in records if r['eval_return_mean'] >= best)} |" in text


def test_summary_counts_a_collapse_after_the_target():
    curve = [{"step": s, "wall_s": s / 10, "eval_return_mean": v} for s, v in
             [(0, -10), (1000, 160), (2000, 40), (3000, 170)]]
    summary = se.summarise(curve, seed=3, target=150.0)
    assert summary.steps_to_target == 1000 and summary.wall_to_target == 100
    assert summary.collapsed  # 40 < 75 after first reaching 150
    assert not se.summarise(curve[:2], seed=3, target=150.0).collapsed
    never = se.summarise(curve[:1], seed=3, target=150.0)
    assert never.steps_to_target == float("inf") and json.dumps(never.final)
