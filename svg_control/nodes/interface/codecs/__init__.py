"""One codec per message the nodes exchange, used by the sending and the receiving end alike.

The layout of each message is written down once, in its codec: the sender ``encode``s with it and the
receiver ``decode``s with it. ``decode`` is the only place a received message is checked (length,
finiteness, magnitudes, flags, layout labels); what it returns is safe to act on, and anything else
raises :class:`~svg_control.nodes.interface.messages.MalformedMessage` with the reason, for the node to count,
log and drop.

=====================  ==========================  ==========================================
message                codec                       sender -> receiver
=====================  ==========================  ==========================================
``observation``        :class:`ObservationCodec`   simulator -> controller (and rqt, loggers)
``<ctrl>/commands``    :class:`CommandCodec`       controller -> simulator (or a robot)
``transitions``        :class:`TransitionCodec`    controller -> learner
``policy_weights``     :class:`WeightsCodec`       learner -> controller
=====================  ==========================  ==========================================
"""
from ..messages import MalformedMessage
from .commands import CommandCodec
from .observation import ObservationCodec
from .transitions import TransitionCodec
from .weights import WeightsCodec

__all__ = ["CommandCodec", "MalformedMessage", "ObservationCodec", "TransitionCodec", "WeightsCodec"]
