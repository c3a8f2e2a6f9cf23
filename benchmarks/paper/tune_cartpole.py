"""Moved to ``benchmarks/tuning/tune_cartpole.py`` (run ``python -m benchmarks.tuning.tune_cartpole``).

Kept only because test/test_config.py still imports ``tune_cartpole`` from this directory to check that its
labels resolve to the settings their recorded runs had; remove this file once that test imports
``benchmarks.tuning.tune_cartpole``.
"""
from benchmarks.tuning.tune_cartpole import BASE, BASELINES, VARIANTS, cells

__all__ = ["BASE", "BASELINES", "VARIANTS", "cells"]
