"""Experience as rosbag2 (MCAP): what the recorder writes and what ``svg-control train --from-bag`` reads.

Written and read with ``rosbags`` (pure Python, no ROS install), so a bag recorded here opens in
``ros2 bag info``, Foxglove or any MCAP reader, and one recorded by ``ros2 bag record`` of our topics can
be trained on. The messages are stored exactly as they crossed DDS (CDR), with the ROS 2 message
definitions the bag format carries.

A bag knows its task: the ``/svg_control/bag_info`` topic holds one std_msgs/String, YAML with the task,
its observation and action sizes and the wire labels of a transition. Reading refuses a bag without it,
of another task or sizes, with ``transitions`` of another type, or that is truncated or corrupt
(BagError); a malformed transition inside a good bag is counted and skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .core.task import TaskSpec
from .core.transition import Transition, wire_labels
from .nodes.interface import topics

INFO_TOPIC = topics.BAG_INFO
STRING = "std_msgs/msg/String"
FLOAT64_ARRAY = "std_msgs/msg/Float64MultiArray"


class BagError(ValueError):
    """A bag that cannot be used: the message says which and why."""


def typestore():
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_JAZZY)


def bag_info(spec: TaskSpec) -> dict[str, Any]:
    return {"task": spec.name, "obs_dim": spec.obs_dim, "act_dim": spec.act_dim,
            "transition_labels": [f"{label}:{size}" for label, size in wire_labels(spec.obs_dim, spec.act_dim)]}


class BagWriter:
    """A new rosbag2 directory in MCAP; ``write`` takes the CDR bytes of a message as DDS delivered it."""

    def __init__(self, path: Path, spec: TaskSpec) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer

        if path.exists():
            raise BagError(f"{path} exists: a bag is always a new directory")
        self.store = typestore()
        self.writer = Writer(path, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        self.connections: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        info = self.store.types[STRING](data=yaml.safe_dump(bag_info(spec), sort_keys=False))
        self.write(INFO_TOPIC, STRING, self.store.serialize_cdr(info, STRING), 0)

    def write(self, topic: str, msgtype: str, cdr: bytes, stamp_ns: int) -> None:
        if topic not in self.connections:
            self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=self.store)
        self.writer.write(self.connections[topic], stamp_ns, cdr)
        self.counts[topic] = self.counts.get(topic, 0) + 1

    def close(self) -> None:
        self.writer.close()


@dataclass
class BagContents:
    """What a bag of one task holds for learning: its transitions, and what was skipped and why."""

    info: dict[str, Any]
    transitions: list[Transition] = field(default_factory=list)
    malformed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def read_transitions(path: Path, spec: TaskSpec, topic_suffix: str = topics.TRANSITIONS) -> BagContents:
    """Every transition of the bag at ``path`` (topics ending in ``topic_suffix``), checked against ``spec``."""
    from rosbags.rosbag2 import Reader

    path = Path(path)
    if not (path / "metadata.yaml").is_file():
        raise BagError(f"{path} is not a rosbag2 directory (no metadata.yaml)")
    store = typestore()
    try:
        with Reader(path) as reader:
            counts = {c.topic: c.msgcount for c in reader.connections}
            info_conns = [c for c in reader.connections if c.topic == INFO_TOPIC]
            if not info_conns:
                raise BagError(f"{path} has no {INFO_TOPIC}: not a bag of svg_control's recorder")
            if info_conns[0].msgtype != STRING:
                raise BagError(f"{path}: {INFO_TOPIC} is {info_conns[0].msgtype}, not {STRING}")
            info = _read_info(reader, info_conns, store, path)
            _check_task(info, spec, path)
            conns = [c for c in reader.connections if c.topic.rstrip("/").endswith(topic_suffix)]
            if not conns:
                raise BagError(f"{path} holds no *{topic_suffix} topic; topics: {', '.join(sorted(counts))}")
            wrong = [f"{c.topic} ({c.msgtype})" for c in conns if c.msgtype != FLOAT64_ARRAY]
            if wrong:
                raise BagError(f"{path}: transitions must be {FLOAT64_ARRAY}, found {', '.join(wrong)}")
            contents = BagContents(info=info, counts=counts)
            for _, _, raw in reader.messages(connections=conns):
                try:
                    msg = store.deserialize_cdr(raw, FLOAT64_ARRAY)
                    contents.transitions.append(Transition.from_array(np.asarray(msg.data), spec.obs_dim,
                                                                      spec.act_dim))
                except (ValueError, IndexError, AssertionError):
                    contents.malformed += 1
            return contents
    except BagError:
        raise
    except Exception as exc:  # noqa: BLE001 - rosbags/mcap raise many kinds for a cut or corrupt file
        raise BagError(f"{path} cannot be read (truncated or corrupt?): {type(exc).__name__}: {exc}") from None


def _read_info(reader: Any, conns: list, store: Any, path: Path) -> dict[str, Any]:
    for _, _, raw in reader.messages(connections=conns):
        data = yaml.safe_load(store.deserialize_cdr(raw, STRING).data)
        if isinstance(data, dict):
            return data
        break
    raise BagError(f"{path}: {INFO_TOPIC} holds no task description")


def _check_task(info: dict[str, Any], spec: TaskSpec, path: Path) -> None:
    mine = bag_info(spec)
    for key in ("task", "obs_dim", "act_dim", "transition_labels"):
        if info.get(key) != mine[key]:
            raise BagError(f"{path} is a bag of {info.get('task')!r} ({key} {info.get(key)!r}), "
                           f"not of {spec.name!r} ({key} {mine[key]!r})")
