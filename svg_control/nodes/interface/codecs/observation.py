"""``observation`` (simulator -> controller, and anyone else): the task's observation of one step.

One labelled dimension per observation value (the task's ``obs_labels``). Published once per simulator step,
just before that step's ``joint_states``; for a registered task it is the robot's sensor the controller
reads (``robot_task``).
"""
from __future__ import annotations

from ....core.task import TaskSpec
from ..messages import LabelledVectorCodec


class ObservationCodec(LabelledVectorCodec):
    """``encode`` in the simulator, ``decode`` in the controller."""

    def __init__(self, spec: TaskSpec) -> None:
        super().__init__(spec.obs_labels, spec.obs_dim, "s", "observation")
