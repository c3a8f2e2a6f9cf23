"""``step`` (simulator -> controller) and ``observation``: one message per simulator step.

``step`` carries one more message (``first`` = 1) after each reset::

    [obs (obs_dim), reward, terminated, truncated, first, fresh, seq]

* ``reward``/``terminated``/``truncated``: the result of the step that produced ``obs``.
* ``first``: ``obs`` follows a reset (or is the very first): no action led to it, so the controller
  must not form a transition from it.
* ``fresh``: the action applied was a command received for this step (0 = the simulator substituted
  its safe action because no command arrived in time, real-time mode): the controller does not
  pair such a step with its own action.
* ``seq``: a counter increasing by one per message; the controller ignores repeats and counts gaps.

Why one message and not ``observation`` + ``reward``: the controller needs s', r and done of the
*same* step to build a transition, and two topics do not arrive atomically. ``observation`` (the obs
block alone, labelled by the task's observation names) is still published for everyone else.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from std_msgs.msg import Float64MultiArray

from ...core.task import TaskSpec
from ..messages import MAX_ABS, MAX_SEQ, MalformedMessage, array_msg, checked_vector, layout
from .observation import ObservationCodec

#: The scalars after the observation, in wire order.
STEP_FIELDS = ("reward", "terminated", "truncated", "first", "fresh", "seq")


@dataclass(slots=True)
class Step:
    """One decoded ``step`` message."""

    obs: np.ndarray
    reward: float
    terminated: bool
    truncated: bool
    first: bool
    fresh: bool
    seq: int

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


class StepCodec:
    """``step`` of one task: ``encode`` in the simulator, ``decode`` in the controller."""

    def __init__(self, spec: TaskSpec) -> None:
        self.obs_dim = spec.obs_dim
        self.blocks = ObservationCodec(spec).blocks + [(f, 1) for f in STEP_FIELDS]
        self.layout = layout(self.blocks)
        self.length = spec.obs_dim + len(STEP_FIELDS)

    def encode(self, step: Step) -> Float64MultiArray:
        data = np.concatenate([step.obs, (step.reward, float(step.terminated), float(step.truncated),
                                          float(step.first), float(step.fresh), float(step.seq))])
        return array_msg(data, self.layout)

    def decode(self, msg: Float64MultiArray) -> Step:
        """The step, or MalformedMessage: nothing of a malformed step may reach the policy.

        Checked: the length, every value finite, |obs| and |reward| <= ``MAX_ABS``, the flags exactly
        0 or 1, ``seq`` a non-negative integer up to 2**53, and a layout that is empty or this task's.
        """
        data = checked_vector(msg, self.length, self.blocks, "step", bound=MAX_SEQ)
        n = self.obs_dim
        if float(np.abs(data[: n + 1]).max()) > MAX_ABS:
            raise MalformedMessage(f"|obs| or |reward| above {MAX_ABS:g}")
        flags, seq = data[n + 1: n + 5], float(data[n + 5])
        if not np.all((flags == 0.0) | (flags == 1.0)):
            raise MalformedMessage("terminated, truncated, first and fresh must each be 0 or 1")
        if seq < 0 or seq != np.floor(seq):
            raise MalformedMessage(f"seq {seq:g} is not a non-negative integer")
        terminated, truncated, first, fresh = (bool(f) for f in flags)
        return Step(data[:n], float(data[n]), terminated, truncated, first, fresh, int(seq))
