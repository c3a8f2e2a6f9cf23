"""``/diagnostics`` publishing: one DiagnosticStatus per node, about once a second.

Each node hands a callable returning ``{key: value}``; values are formatted here so the nodes stay
free of message plumbing. ``RateMeter`` turns counters into per-second rates over the last period.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from . import qos, topics
from .runtime import steady_timer

Values = dict[str, object]


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class RateMeter:
    """Events per second between successive ``rate()`` calls."""

    def __init__(self) -> None:
        self.count = 0
        self._last_count = 0
        self._last_time = time.monotonic()

    def tick(self, n: int = 1) -> None:
        self.count += n

    def rate(self) -> float:
        now = time.monotonic()
        dt = max(now - self._last_time, 1e-9)
        r = (self.count - self._last_count) / dt
        self._last_count, self._last_time = self.count, now
        return r


class DiagnosticsPublisher:
    """Publishes ``fill()`` on the absolute ``/diagnostics`` topic every ``period`` seconds.

    ``fill`` returns (level, message, values); level is OK / WARN / ERROR below (bytes, as in the message).
    """

    def __init__(self, node: Node, hardware_id: str, fill: Callable[[], tuple[bytes, str, Values]],
                 period: float = 1.0) -> None:
        self.node, self.hardware_id, self.fill = node, hardware_id, fill
        self.pub = node.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, qos.DIAGNOSTICS)
        self.timer = steady_timer(node, period, self.publish)  # stamped with the node's clock (sim time or not)

    def publish(self) -> None:
        level, message, values = self.fill()
        status = DiagnosticStatus(level=level, name=self.node.get_fully_qualified_name(),
                                  message=message, hardware_id=self.hardware_id,
                                  values=[KeyValue(key=k, value=_fmt(v)) for k, v in values.items()])
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.pub.publish(msg)


OK, WARN, ERROR = DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR
