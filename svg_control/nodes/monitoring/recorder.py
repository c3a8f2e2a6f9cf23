"""Recorder node: the node set's experience into a rosbag2 (MCAP) directory, without a ROS install.

Subscribes, in its namespace, to ``transitions``, ``observation``, ``<controller_name>/commands``,
``reward``, ``episode_return``, ``joint_states`` and ``/diagnostics`` with the QoS their publishers use,
takes each message as the CDR bytes DDS delivered (nothing is re-encoded) and writes it through
``svg_control.bags.BagWriter``. Timestamps: the message's header stamp where it has one (joint_states,
diagnostics: sim time under ``use_sim_time``), else the receive time on the node's clock. The bag is
closed, and so complete, when the node is destroyed (Ctrl-C). ``svg-control train --from-bag`` reads it.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, Float64MultiArray

from ...bags import BagError, BagWriter
from ..interface import qos, topics
from ..interface.diagnostics import OK, DiagnosticsPublisher
from ..interface.parameter_table import TABLE
from ..interface.params import Param, ParameterError, declare_all
from ..interface.runtime import run_node
from ..interface.task_io import task_spec


def recorded_topics(controller_name: str) -> tuple[tuple[str, type, object, bool], ...]:
    """(relative topic or absolute, message class, QoS, has a header) of each topic recorded."""
    return (
        (topics.TRANSITIONS, Float64MultiArray, qos.TRANSITIONS, False),
        (topics.OBSERVATION, Float64MultiArray, qos.OBSERVATION, False),
        (topics.commands(controller_name), Float64MultiArray, qos.COMMANDS, False),
        (topics.REWARD, Float64, qos.PLOT, False),
        (topics.EPISODE_RETURN, Float64, qos.PLOT, False),
        (topics.JOINT_STATES, JointState, qos.JOINT_STATES, True),
        (topics.DIAGNOSTICS, DiagnosticArray, qos.DIAGNOSTICS, True),
    )


def parameters() -> list[Param]:
    """This node's parameters, from the one table of them (``parameter_table``)."""
    return list(TABLE["recorder"])


def msgtype(cls: type) -> str:
    """The ROS 2 type name of a message class, e.g. std_msgs/msg/Float64MultiArray."""
    module = cls.__module__.split(".")
    return f"{module[0]}/msg/{cls.__name__}"


class RecorderNode(Node):
    def __init__(self, name: str = "recorder", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        self.spec = task_spec(self.p["task"])
        path = Path(self.p["bag_dir"]).expanduser()
        try:
            self.bag = BagWriter(path, self.spec)
        except (BagError, OSError) as exc:
            raise ParameterError("bag_dir", str(exc)) from None
        self.closed = False
        self.resolved: dict[str, str] = {}
        for topic, cls, profile, has_header in recorded_topics(self.p["controller_name"]):
            where: dict[str, str] = {}  # the fully qualified name, known once the subscription exists
            sub = self.create_subscription(cls, topic, self._writer(cls, has_header, where), profile, raw=True)
            where["topic"] = self.resolved[topic] = sub.topic_name
        DiagnosticsPublisher(self, self.spec.name, self.diagnostics, self.p["diagnostics_period"])
        self.get_logger().info(f"recording {self.spec.name} into {path} (MCAP): {', '.join(self.resolved.values())}")

    def _writer(self, cls: type, has_header: bool, where: dict[str, str]):
        type_name = msgtype(cls)

        def on_message(raw: bytes) -> None:
            if self.closed:
                return
            stamp = self.get_clock().now().nanoseconds
            if has_header:
                header = deserialize_message(raw, cls).header.stamp
                stamp = (header.sec * 1_000_000_000 + header.nanosec) or stamp
            self.bag.write(where["topic"], type_name, bytes(raw), stamp)

        return on_message

    def diagnostics(self):
        return OK, "recording", {f"messages{topic}": n for topic, n in self.bag.counts.items()}

    def destroy_node(self) -> None:
        if not self.closed:
            self.closed = True
            self.bag.close()
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> int:
    return run_node(RecorderNode, args, "recorder")


if __name__ == "__main__":
    sys.exit(main())
