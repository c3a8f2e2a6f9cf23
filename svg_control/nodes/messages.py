"""numpy <-> std_msgs conversions and the wire layouts of ``step``, ``observation`` and ``transitions``.

Every Float64MultiArray we publish carries a labelled layout (one dimension per named block), so
``ros2 topic echo`` and rosbag readers see what each number is without our package.

``step`` (simulator -> controller), one message per simulator step, and one more (``first`` = 1)
after each reset::

    [obs (obs_dim), reward, terminated, truncated, first, fresh, seq]

* ``reward``/``terminated``/``truncated``: the result of the step that produced ``obs``.
* ``first``: ``obs`` follows a reset (or is the very first): no action led to it, so the controller
  must not form a transition from it.
* ``fresh``: the action applied was a command received for this step (0 = the simulator substituted
  its safe action because no command arrived in time, real-time mode): the controller does not
  pair such a step with its own action.
* ``seq``: a counter increasing by one per message; the controller ignores repeats and counts gaps.

Why one message and not ``observation`` + ``reward``: the controller needs s', r and done of the
*same* step to build a transition, and two topics do not arrive atomically. ``observation`` is still
published for everyone else.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, MultiArrayLayout

from ..core.transition import wire_labels, wire_length

STEP_FIELDS = ("reward", "terminated", "truncated", "first", "fresh", "seq")


def layout(blocks: Sequence[tuple[str, int]]) -> MultiArrayLayout:
    """One labelled dimension per block; ``stride`` is the block's size."""
    return MultiArrayLayout(dim=[MultiArrayDimension(label=label, size=int(size), stride=int(size))
                                 for label, size in blocks], data_offset=0)


def array_msg(data: np.ndarray | Sequence[float], msg_layout: MultiArrayLayout) -> Float64MultiArray:
    msg = Float64MultiArray()
    msg.layout = msg_layout
    msg.data = np.asarray(data, dtype=np.float64).tolist()
    return msg


def finite_vector(data: Sequence[float], expected: int) -> np.ndarray | None:
    """``data`` as a float64 array if it has ``expected`` finite values, else None (malformed)."""
    if len(data) != expected:
        return None
    arr = np.asarray(data, dtype=np.float64)
    if not math.isfinite(float(arr.sum())):
        return None
    return arr


def obs_layout(labels: Sequence[str], obs_dim: int) -> MultiArrayLayout:
    return layout(obs_layout_blocks(labels, obs_dim))


def step_layout(labels: Sequence[str], obs_dim: int) -> MultiArrayLayout:
    return layout(obs_layout_blocks(labels, obs_dim) + [(f, 1) for f in STEP_FIELDS])


def obs_layout_blocks(labels: Sequence[str], obs_dim: int) -> list[tuple[str, int]]:
    names = list(labels) if len(labels) == obs_dim else [f"s{i}" for i in range(obs_dim)]
    return [(n, 1) for n in names]


def step_length(obs_dim: int) -> int:
    return obs_dim + len(STEP_FIELDS)


def command_layout(joint_names: Sequence[str], act_dim: int) -> MultiArrayLayout:
    names = list(joint_names) if len(joint_names) == act_dim else [f"u{i}" for i in range(act_dim)]
    return layout([(n, 1) for n in names])


def transition_layout(obs_dim: int, act_dim: int) -> MultiArrayLayout:
    return layout(wire_labels(obs_dim, act_dim))


__all__ = ["STEP_FIELDS", "array_msg", "command_layout", "finite_vector", "layout", "obs_layout", "step_layout",
           "step_length", "transition_layout", "wire_length"]
