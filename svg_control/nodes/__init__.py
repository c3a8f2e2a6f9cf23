"""rclpy nodes (simulator, controller, learner, recorder, viewer), in rooms by role.

* ``interface``: what every node shares (topic names, QoS, the parameter table, message codecs, diagnostics,
  the description of the node set); the other rooms import it and never each other.
* ``robot``: the controller side, what runs beside a robot (``robot_controller``, its policy, its task-file I/O,
  ``svg-control check-robot``).
* ``learning``: the learner side (``learner`` and its run directory).
* ``simulation``: our MuJoCo tasks as a ros2_control robot (``simulator``).
* ``monitoring``: watching a run (``recorder``, ``viewer``).
* ``bringup``: starting the node set without ROS 2 launch (``svg-control launch``) and the launch arguments.

Thin by design: messages become numpy arrays here and everything else is done by
``svg_control.core`` and ``svg_control.tasks``. Importing this package does not import rclpy;
the node modules do.
"""
