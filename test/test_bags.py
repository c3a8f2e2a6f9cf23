"""rosbag2 (MCAP) recording and training from a bag (svg_control/bags.py, nodes/monitoring/recorder.py).

Over real DDS: what is published to the recorder is what a second reader (rosbags, and the mcap library)
finds in the bag, message for message and stamp for stamp; training from the bag puts exactly those
transitions into the replay; a bag of another task, a truncated bag, one with transitions of another type
and one without our task description are refused.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, Float64MultiArray
from test_nodes_support import Probe, pick_domain

from svg_control.bags import FLOAT64_ARRAY, INFO_TOPIC, BagError, BagWriter, read_transitions, typestore
from svg_control.core.algos import make_learner
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.core.transition import Transition
from svg_control.nodes.interface import messages, qos, topics
from svg_control.nodes.interface.codecs import TransitionCodec
from svg_control.nodes.monitoring.recorder import RecorderNode
from svg_control.trainer import learn_from_bag

SPEC = point_mass().spec
DOMAIN = pick_domain()  # this module's own DDS domain (conftest's ros fixture)


def transitions(n: int, seed: int = 0) -> list[Transition]:
    rng = np.random.default_rng(seed)
    return [Transition(rng.normal(size=2), rng.normal(size=1), float(rng.normal()), rng.normal(size=2), False,
                       (i + 1) % 10 == 0, float(rng.normal()), i // 5, 0) for i in range(n)]


@pytest.fixture(scope="module")
def recorded(ros, tmp_path_factory):
    """A bag recorded over DDS from known messages; returns (bag path, what was published)."""
    bag = tmp_path_factory.mktemp("bags") / "run"
    recorder = ros.make(RecorderNode, {"task": "point_mass", "bag_dir": str(bag)})
    probe = ros.add(Probe(ros.context, "bag_probe"))
    pubs = {"transitions": probe.create_publisher(Float64MultiArray, topics.TRANSITIONS, qos.TRANSITIONS),
            "commands": probe.create_publisher(Float64MultiArray, topics.commands("effort_controller"), qos.COMMANDS),
            "episode_return": probe.create_publisher(Float64, topics.EPISODE_RETURN, qos.PLOT),
            "joint_states": probe.create_publisher(JointState, topics.JOINT_STATES, qos.JOINT_STATES)}
    assert ros.spin_until(lambda: all(p.get_subscription_count() > 0 for p in pubs.values()))
    sent = transitions(40)
    layout = TransitionCodec(SPEC).layout
    for t in sent:
        pubs["transitions"].publish(messages.array_msg(t.to_array(), layout))
    for k in range(5):
        pubs["commands"].publish(Float64MultiArray(data=[0.1 * k]))
        js = JointState(name=["x"], position=[float(k)])
        js.header.stamp.sec, js.header.stamp.nanosec = 100 + k, 5
        pubs["joint_states"].publish(js)
    pubs["episode_return"].publish(Float64(data=-12.5))
    want = {"/transitions": 40, "/effort_controller/commands": 5, "/joint_states": 5, "/episode_return": 1}
    assert ros.spin_until(lambda: all(recorder.bag.counts.get(t, 0) == n for t, n in want.items()), 15.0), \
        recorder.bag.counts
    ros.remove(recorder)  # closes the bag
    return bag, sent, want


def test_a_second_reader_finds_what_was_published(recorded):
    from rosbags.rosbag2 import Reader

    bag, sent, want = recorded
    assert (bag / "metadata.yaml").is_file() and list(bag.glob("*.mcap"))
    store = typestore()
    with Reader(bag) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        assert {t: counts.get(t) for t in want} == want and counts[INFO_TOPIC] == 1
        rows, stamps = [], []
        for conn, stamp, raw in reader.messages():
            msg = store.deserialize_cdr(raw, conn.msgtype)
            if conn.topic == "/transitions":
                rows.append(np.asarray(msg.data))
            elif conn.topic == "/joint_states":
                stamps.append(stamp)
    np.testing.assert_array_equal(np.stack(rows), np.stack([t.to_array() for t in sent]))
    assert stamps == [(100 + k) * 1_000_000_000 + 5 for k in range(5)]  # the header stamps

    mcap_reader = pytest.importorskip("mcap.reader", reason="the mcap library is an optional second reader")
    with open(next(bag.glob("*.mcap")), "rb") as f:
        by_topic: dict[str, int] = {}
        for _, channel, _ in mcap_reader.make_reader(f).iter_messages():
            by_topic[channel.topic] = by_topic.get(channel.topic, 0) + 1
    assert {t: by_topic.get(t) for t in want} == want


def test_training_from_the_bag_fills_the_replay_with_exactly_its_transitions(recorded):
    bag, sent, _ = recorded
    contents = read_transitions(bag, SPEC)
    assert contents.malformed == 0 and len(contents.transitions) == len(sent)
    task = point_mass()
    agent = make_learner("sac-svg", task.spec, task.reward_torch,
                         build_config("sac-svg", {"min_replay": 16, "batch_size": 16}))
    assert learn_from_bag(agent, bag) == len(sent)
    n = len(agent.replay)
    assert n == len(sent) and agent.updates > 0
    np.testing.assert_allclose(agent.replay.obs[:n], np.stack([t.obs for t in sent]), rtol=1e-6)
    np.testing.assert_allclose(agent.replay.action[:n], np.stack([t.action for t in sent]), rtol=1e-6)
    np.testing.assert_allclose(agent.replay.reward[:n].ravel(), [t.reward for t in sent], rtol=1e-6)


def test_a_bag_of_another_task_is_refused(recorded):
    from svg_control.tasks.registry import task_spec

    with pytest.raises(BagError, match="bag of 'point_mass'.*not of 'cartpole'"):
        read_transitions(recorded[0], task_spec("cartpole"))


def test_a_truncated_bag_is_refused(recorded, tmp_path):
    cut = tmp_path / "cut"
    shutil.copytree(recorded[0], cut)
    data = next(cut.glob("*.mcap"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(BagError, match="truncated or corrupt"):
        read_transitions(cut, SPEC)


def test_transitions_of_another_type_and_foreign_bags_are_refused(tmp_path):
    store = typestore()
    writer = BagWriter(tmp_path / "strings", SPEC)
    text = store.types["std_msgs/msg/String"](data="not a transition")
    writer.write("/transitions", "std_msgs/msg/String", store.serialize_cdr(text, "std_msgs/msg/String"), 1)
    writer.close()
    with pytest.raises(BagError, match=f"transitions must be {FLOAT64_ARRAY}"):
        read_transitions(tmp_path / "strings", SPEC)

    from rosbags.rosbag2 import StoragePlugin, Writer

    with Writer(tmp_path / "foreign", version=9, storage_plugin=StoragePlugin.MCAP) as foreign:
        conn = foreign.add_connection("/transitions", FLOAT64_ARRAY, typestore=store)
        msg = store.types[FLOAT64_ARRAY](layout=store.types["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0),
                                         data=np.zeros(11))
        foreign.write(conn, 1, store.serialize_cdr(msg, FLOAT64_ARRAY))
    with pytest.raises(BagError, match="not a bag of svg_control's recorder"):
        read_transitions(tmp_path / "foreign", SPEC)
    with pytest.raises(BagError, match="exists"):
        BagWriter(tmp_path / "foreign", SPEC)


def test_the_recorder_refuses_an_existing_bag_directory(ros, tmp_path):
    from svg_control.nodes.interface.params import ParameterError

    with pytest.raises(ParameterError, match="bag_dir"):
        ros.make(RecorderNode, {"task": "point_mass", "bag_dir": str(tmp_path)})


def test_train_from_bag_then_online(recorded, tmp_path):
    """svg-control train --from-bag: the bag's transitions count toward --steps, then the run goes on online."""
    import json

    from svg_control.cli import main

    out = tmp_path / "run"
    code = main(["train", "--task", "point_mass", "--steps", "60", "--from-bag", str(recorded[0]), "--out", str(out),
                 "--eval-every", "30", "--eval-episodes", "1", "--set", "min_replay=16", "--set", "batch_size=16",
                 "--quiet"])
    assert code in (0, None)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["step"] == 40 and records[-1]["step"] == 60 and records[-1]["updates"] >= 40
    assert (out / "policy.safetensors").is_file()


def test_record_true_bags_a_launched_run(tmp_path):
    """svg-control launch --record true: the fourth node writes a bag in the run directory that trains."""
    import subprocess
    import sys

    from test_nodes_support import node_env

    run = tmp_path / "run"
    out = subprocess.run([sys.executable, "-m", "svg_control.nodes.bringup.launcher", "point_mass", "--duration", "20",
                          "--run_dir", str(run), "--record", "true"], env=node_env(DOMAIN), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    (bag,) = (run / "bags").iterdir()
    contents = read_transitions(bag, SPEC)
    assert len(contents.transitions) > 20 and contents.malformed == 0
    assert {"/observation", "/effort_controller/commands", "/reward", "/diagnostics"} <= set(contents.counts)
