"""``policy_weights`` (learner -> controller): the policy as safetensors bytes with a content hash.

The format and its checks are ``core.serialization``'s (hash, architecture, every tensor's shape and
finiteness, a version newer than the running one); this codec puts them on the UInt8MultiArray and
turns a refusal into :class:`MalformedMessage` like every other codec.
"""
from __future__ import annotations

from std_msgs.msg import UInt8MultiArray

from ....core.policy import GaussianPolicy
from ....core.serialization import WeightsError, load_policy_bytes, policy_to_bytes
from ..messages import MalformedMessage


class WeightsCodec:
    """``encode`` in the learner, ``decode_into`` in the controller."""

    @staticmethod
    def encode(policy: GaussianPolicy, version: int) -> UInt8MultiArray:
        msg = UInt8MultiArray()
        msg.data = policy_to_bytes(policy, version)
        return msg

    @staticmethod
    def decode_into(policy: GaussianPolicy, msg: UInt8MultiArray, min_version: int | None = None) -> int:
        """Check the message completely, then load it into ``policy`` and return its version.

        MalformedMessage, with ``policy`` untouched, when it is corrupt, foreign or not newer than
        ``min_version``.
        """
        try:
            return load_policy_bytes(policy, bytes(msg.data), min_version=min_version)
        except WeightsError as exc:
            raise MalformedMessage(str(exc)) from None
