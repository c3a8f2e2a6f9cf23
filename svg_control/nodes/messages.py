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


#: Largest magnitude accepted for a physical value (observation, action, reward, log-prob). Larger finite
#: values are malformed: the replay stores float32 (1e39 becomes Inf) and the normalisers would be ruined.
MAX_ABS = 1e6
#: Largest accepted ``seq`` (integers are exact in float64 up to 2**53).
MAX_SEQ = float(2**53)


def finite_vector(data: Sequence[float], expected: int, bound: float = MAX_ABS) -> np.ndarray | None:
    """``data`` as a float64 array if it has ``expected`` finite values within ``bound``, else None (malformed)."""
    if len(data) != expected:
        return None
    arr = np.asarray(data, dtype=np.float64)
    if not math.isfinite(float(arr.sum())) or float(np.abs(arr).max(initial=0.0)) > bound:
        return None
    return arr


def layout_ok(msg_layout: MultiArrayLayout, expected: Sequence[tuple[str, int]]) -> bool:
    """True if the message's layout is empty (a hand-typed ``ros2 topic pub``) or labels the blocks we expect.

    A labelled layout that differs (another task, another wire version) marks a message as malformed even
    when its length happens to fit.
    """
    dims = msg_layout.dim
    if not dims:
        return True
    return len(dims) == len(expected) and all(d.label == label and d.size == size
                                              for d, (label, size) in zip(dims, expected))


def obs_layout(labels: Sequence[str], obs_dim: int) -> MultiArrayLayout:
    return layout(obs_layout_blocks(labels, obs_dim))


def step_layout(labels: Sequence[str], obs_dim: int) -> MultiArrayLayout:
    return layout(obs_layout_blocks(labels, obs_dim) + [(f, 1) for f in STEP_FIELDS])


def obs_layout_blocks(labels: Sequence[str], obs_dim: int) -> list[tuple[str, int]]:
    names = list(labels) if len(labels) == obs_dim else [f"s{i}" for i in range(obs_dim)]
    return [(n, 1) for n in names]


def step_blocks(labels: Sequence[str], obs_dim: int) -> list[tuple[str, int]]:
    return obs_layout_blocks(labels, obs_dim) + [(f, 1) for f in STEP_FIELDS]


def step_length(obs_dim: int) -> int:
    return obs_dim + len(STEP_FIELDS)


def command_layout(joint_names: Sequence[str], act_dim: int) -> MultiArrayLayout:
    return layout(command_blocks(joint_names, act_dim))


def command_blocks(joint_names: Sequence[str], act_dim: int) -> list[tuple[str, int]]:
    names = list(joint_names) if len(joint_names) == act_dim else [f"u{i}" for i in range(act_dim)]
    return [(n, 1) for n in names]


def transition_layout(obs_dim: int, act_dim: int) -> MultiArrayLayout:
    return layout(wire_labels(obs_dim, act_dim))


__all__ = ["MAX_ABS", "MAX_SEQ", "STEP_FIELDS", "array_msg", "command_blocks", "command_layout", "finite_vector",
           "layout", "layout_ok", "obs_layout", "step_blocks", "step_layout", "step_length", "transition_layout",
           "wire_labels", "wire_length"]
