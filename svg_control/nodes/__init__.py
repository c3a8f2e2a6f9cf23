"""rclpy nodes (simulator, controller, learner), their QoS, parameters and the launcher.

Thin by design: messages become numpy arrays here and everything else is done by
``svg_control.core`` and ``svg_control.tasks``. Importing this package does not import rclpy;
the node modules do.
"""
