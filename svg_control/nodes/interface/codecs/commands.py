"""``<controller_name>/commands`` (controller -> simulator or robot): one value per actuator.

Labelled by the task's joint names (``u0`` ... when it has none), the ros2_control forward-controller
convention: a plain Float64MultiArray a robot's own controller manager accepts as well.
"""
from __future__ import annotations

import numpy as np
from std_msgs.msg import Float64MultiArray

from ....core.task import TaskSpec
from ..messages import array_msg, checked_vector, layout, scalar_blocks


class CommandCodec:
    """``encode`` in the controller, ``decode`` in the simulator."""

    def __init__(self, spec: TaskSpec) -> None:
        self.act_dim = spec.act_dim
        self.blocks = scalar_blocks(spec.joint_names, spec.act_dim, "u")
        self.layout = layout(self.blocks)

    def encode(self, command: np.ndarray) -> Float64MultiArray:
        return array_msg(command, self.layout)

    def decode(self, msg: Float64MultiArray) -> np.ndarray:
        """The command, or MalformedMessage (wrong length, NaN/Inf, |value| > ``MAX_ABS``, another layout)."""
        return checked_vector(msg, self.act_dim, self.blocks, "command")
