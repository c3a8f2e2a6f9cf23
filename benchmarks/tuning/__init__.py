"""Tuning probes and diagnostics (which settings, and why): ``python -m benchmarks.tuning.<script>`` from the
repository root. They run on the paper runner (``benchmarks/paper/common.py``) and write to ``runs/paper/<name>/``
and ``docs/figures/`` like the figure scripts (docs/BENCHMARKS.md)."""
