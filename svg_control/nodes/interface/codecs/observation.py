"""``observation`` (simulator -> controller, and anyone else): the task's observation of one step.

One labelled dimension per observation value (the task's ``obs_labels``). Published once per simulator step,
just before that step's ``joint_states``; for a registered task it is the robot's sensor the controller
reads (``robot_task``).
"""
from __future__ import annotations

import numpy as np
from std_msgs.msg import Float64MultiArray

from ....core.task import TaskSpec
from ..messages import array_msg, checked_vector, layout, scalar_blocks


class ObservationCodec:
    """``encode`` in the simulator, ``decode`` in the controller."""

    def __init__(self, spec: TaskSpec) -> None:
        self.obs_dim = spec.obs_dim
        self.blocks = scalar_blocks(spec.obs_labels, spec.obs_dim, "s")
        self.layout = layout(self.blocks)

    def encode(self, obs: np.ndarray) -> Float64MultiArray:
        return array_msg(obs, self.layout)

    def decode(self, msg: Float64MultiArray) -> np.ndarray:
        """The observation, or MalformedMessage (wrong length, NaN/Inf, |value| > ``MAX_ABS``, another layout)."""
        return checked_vector(msg, self.obs_dim, self.blocks, "observation")
