"""svg_control: Stochastic Value Gradient learning for ROS 2 robots.

Layers (imports go one way only): ``nodes`` -> ``tasks`` / ``core``.
``core`` is torch-only and never imports rclpy or mujoco.
"""

__version__ = "0.1.0"
