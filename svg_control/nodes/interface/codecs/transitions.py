"""``transitions`` (controller -> learner): one transition per message, in ``core.transition``'s wire order.

    [s (obs_dim), a (act_dim), s' (obs_dim), reward, terminated, truncated, log_prob, policy_version, actor_id]

``a`` is the policy's unclamped sample and ``log_prob`` its behaviour log-probability, so the learner's
importance weights are exact.
"""
from __future__ import annotations

import numpy as np
from std_msgs.msg import Float64MultiArray

from ....core.task import TaskSpec
from ....core.transition import Transition, wire_labels, wire_length
from ..messages import MAX_ABS, MAX_SEQ, MalformedMessage, array_msg, checked_vector, layout


class TransitionCodec:
    """``encode`` in the controller, ``decode`` in the learner."""

    def __init__(self, spec: TaskSpec) -> None:
        self.obs_dim, self.act_dim = spec.obs_dim, spec.act_dim
        self.blocks = wire_labels(spec.obs_dim, spec.act_dim)
        self.layout = layout(self.blocks)
        self.length = wire_length(spec.obs_dim, spec.act_dim)
        physical = 2 * spec.obs_dim + spec.act_dim
        # s, a, s', reward and log_prob are bounded by MAX_ABS; the flags are 0/1; version and actor id counters
        self._physical = np.r_[0:physical + 1, physical + 3]
        self._flags = slice(physical + 1, physical + 3)

    def encode(self, transition: Transition) -> Float64MultiArray:
        return array_msg(transition.to_array(), self.layout)

    def decode(self, msg: Float64MultiArray) -> Transition:
        """The transition, or MalformedMessage; what passes needs no further checking.

        Checked: the length, every value finite, |s|, |a|, |s'|, |reward| and |log_prob| <= ``MAX_ABS``,
        the policy version and actor id within 2**53 (the replay stores them as int64), terminated and
        truncated exactly 0 or 1, and a layout that is empty or this task's.
        """
        flat = checked_vector(msg, self.length, self.blocks, "transition", bound=MAX_SEQ)
        if float(np.abs(flat[self._physical]).max()) > MAX_ABS:
            raise MalformedMessage(f"a value of s, a, s', reward or log_prob exceeds {MAX_ABS:g} in magnitude")
        flags = flat[self._flags]
        if not np.all((flags == 0.0) | (flags == 1.0)):
            raise MalformedMessage("terminated and truncated must each be 0 or 1")
        return Transition.unpack(flat, self.obs_dim, self.act_dim)
