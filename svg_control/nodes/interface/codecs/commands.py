"""``<controller_name>/commands`` (controller -> simulator or robot): one value per actuator.

Labelled by the task's joint names (``u0`` ... when it has none), the ros2_control forward-controller
convention: a plain Float64MultiArray a robot's own controller manager accepts as well.
"""
from __future__ import annotations

from ....core.task import TaskSpec
from ..messages import LabelledVectorCodec


class CommandCodec(LabelledVectorCodec):
    """``encode`` in the controller, ``decode`` in the simulator."""

    def __init__(self, spec: TaskSpec) -> None:
        super().__init__(spec.joint_names, spec.act_dim, "u", "command")
