"""Moved to :mod:`svg_control.core.numpy_policy` (nothing of ROS in it); re-exported here until
``benchmarks/loop_latency.py`` imports it from there."""
from ..core.numpy_policy import NumpyPolicy, mirror

__all__ = ["NumpyPolicy", "mirror"]
