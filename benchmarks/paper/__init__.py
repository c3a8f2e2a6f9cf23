"""One script per figure or claim of the paper (and the peer comparisons), run on the grid runner in
``common.py``: ``python -m benchmarks.paper.<script>`` from the repository root (docs/BENCHMARKS.md)."""
