"""What every Float64MultiArray codec shares: labelled layouts, bounds, and the malformed-message error.

Every Float64MultiArray we publish carries a labelled layout (one dimension per named block), so
``ros2 topic echo`` and rosbag readers see what each number is without our package. The codecs of the
single messages (``codecs``) are built from these pieces.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, MultiArrayLayout

#: Largest magnitude accepted for a physical value (observation, action, reward, log-prob). Larger finite
#: values are malformed: the replay stores float32 (1e39 becomes Inf) and the normalisers would be ruined.
MAX_ABS = 1e6
#: Largest accepted counter (``seq``, policy version, actor id): integers are exact in float64 up to 2**53.
MAX_SEQ = float(2**53)

Blocks = list[tuple[str, int]]


class MalformedMessage(ValueError):
    """A received message that must be dropped (and counted); the text says what is wrong with it."""


def layout(blocks: Sequence[tuple[str, int]]) -> MultiArrayLayout:
    """One labelled dimension per block; ``stride`` is the block's size."""
    return MultiArrayLayout(dim=[MultiArrayDimension(label=label, size=int(size), stride=int(size))
                                 for label, size in blocks], data_offset=0)


def array_msg(data: np.ndarray | Sequence[float], msg_layout: MultiArrayLayout) -> Float64MultiArray:
    msg = Float64MultiArray()
    msg.layout = msg_layout
    msg.data = np.asarray(data, dtype=np.float64).tolist()
    return msg


def scalar_blocks(labels: Sequence[str], n: int, prefix: str) -> Blocks:
    """One block of size 1 per value: ``labels`` when there are ``n`` of them, else ``<prefix>0`` ..."""
    names = list(labels) if len(labels) == n else [f"{prefix}{i}" for i in range(n)]
    return [(name, 1) for name in names]


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


def checked_vector(msg: Float64MultiArray, expected: int, blocks: Sequence[tuple[str, int]], what: str,
                   bound: float = MAX_ABS) -> np.ndarray:
    """The message's values when their count, finiteness, magnitude and layout are right; else MalformedMessage."""
    arr = finite_vector(msg.data, expected, bound)
    if arr is None:
        raise MalformedMessage(f"{len(msg.data)} values, expected {expected} finite ones within {bound:g}")
    if not layout_ok(msg.layout, blocks):
        raise MalformedMessage(f"layout labels are not this task's {what} layout")
    return arr


class LabelledVectorCodec:
    """One vector per message, one labelled dimension per value: ``encode`` on the sending end, ``decode``
    (the vector, or MalformedMessage: wrong length, NaN/Inf, |value| > ``MAX_ABS``, another layout) on the
    receiving one."""

    def __init__(self, labels: Sequence[str], dim: int, prefix: str, what: str) -> None:
        self.dim, self.what = dim, what
        self.blocks = scalar_blocks(labels, dim, prefix)
        self.layout = layout(self.blocks)

    def encode(self, vector: np.ndarray) -> Float64MultiArray:
        return array_msg(vector, self.layout)

    def decode(self, msg: Float64MultiArray) -> np.ndarray:
        return checked_vector(msg, self.dim, self.blocks, self.what)
