"""Benchmarks and experiment scripts; run them from the repository root as modules, e.g.
``python -m benchmarks.throughput`` or ``python -m benchmarks.paper.fig2_middle_cartpole`` (docs/BENCHMARKS.md).

- ``benchmarks/*.py``: speed, latency, memory and load of the package itself, and the SB3 peers (``peers.py``);
- ``benchmarks/paper/``: one script per paper figure or claim, on the shared grid runner ``paper/common.py``;
- ``benchmarks/tuning/``: the tuning probes and diagnostics behind the per-task settings;
- ``benchmarks/presets.py``: the settings that several of those scripts share.
"""
