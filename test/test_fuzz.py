"""Bad input on every subscribed topic, over real DDS: thousands of malformed messages, no crash.

Each node runs in this process (its own executor, real Fast DDS on a private domain) so the test can
also look inside: what reached the policy, the replay buffer and the running weights. Malformed
messages are generated from a seeded numpy stream (reproducible) in kinds: wrong length, empty,
NaN, +-Inf, huge finite values, wrong layout labels or sizes, and for weights random
bytes, truncations, bit flips, wrong shapes, non-finite tensors and older versions. Valid messages
are interleaved so the test also shows that good traffic still flows. Every drop must be counted
exactly, in the node and in ``/diagnostics``. Invalid parameters are refused at start-up (real
processes, exit code 2) and at run time.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch
from rclpy.parameter import Parameter
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, MultiArrayLayout, UInt8MultiArray
from test_nodes_support import SimulatorSide, node_command, node_env, node_policy, pick_domain

from svg_control.core.policy import GaussianPolicy
from svg_control.core.serialization import policy_to_bytes
from svg_control.core.toy import point_mass
from svg_control.core.transition import wire_labels, wire_length
from svg_control.nodes.interface import messages, qos
from svg_control.nodes.interface.codecs import CommandCodec, ObservationCodec, TransitionCodec
from svg_control.nodes.learning.learner import LearnerNode
from svg_control.nodes.robot.robot_controller import RobotControllerNode
from svg_control.nodes.simulation.simulator import SimulatorNode

DOMAIN = pick_domain()
SPEC = point_mass().spec
N, A = SPEC.obs_dim, SPEC.act_dim
FAST = {"diagnostics_period": 0.2}
BATCH = 8  # below every reader's depth (10): nothing is lost to the queue, so counts are exact


def wrong_layouts(blocks: list[tuple[str, int]], rng: np.random.Generator) -> MultiArrayLayout:
    kind = rng.integers(4)
    dims = [MultiArrayDimension(label=label, size=size, stride=size) for label, size in blocks]
    if kind == 0:
        dims[rng.integers(len(dims))].label = "other_task"
    elif kind == 1:
        dims[rng.integers(len(dims))].size += 1
    elif kind == 2 and len(dims) > 1:  # (an empty layout is accepted: hand-typed messages have none)
        dims = dims[:-1]
    else:
        dims = dims + [MultiArrayDimension(label="extra", size=1, stride=1)]
    return MultiArrayLayout(dim=dims, data_offset=0)


def corrupt(valid: np.ndarray, physical: int, rng: np.random.Generator) -> tuple[list[float], str]:
    """A malformed variant of ``valid`` (a flat vector whose first ``physical`` values are bounded)."""
    kind = ["length", "empty", "nan", "inf", "huge", "random"][rng.integers(6)]
    data = valid.copy()
    if kind == "length":
        n = int(rng.choice([k for k in (1, len(data) - 1, len(data) + 1, 3 * len(data), 1000) if k != len(data)]))
        return rng.normal(size=n).tolist(), kind
    if kind == "empty":
        return [], kind
    i = int(rng.integers(len(data)))
    if kind == "nan":
        data[i] = np.nan
    elif kind == "inf":
        data[i] = rng.choice([np.inf, -np.inf])
    elif kind == "huge":
        data[int(rng.integers(physical))] = rng.choice([-1, 1]) * 10.0 ** rng.uniform(6.5, 308)
    else:  # every value random over many magnitudes: some finite-looking, always out of bounds somewhere
        data = rng.choice([-1, 1], size=len(data)) * 10.0 ** rng.uniform(-3, 300, size=len(data))
        data[int(rng.integers(physical))] = 1e300
    return data.tolist(), kind


def pump(ros, pub, messages_, counted, timeout=30.0) -> None:
    """Publish in batches below the reader depth, waiting until the node has counted each batch."""
    for start in range(0, len(messages_), BATCH):
        target = counted() + len(messages_[start:start + BATCH])
        for m in messages_[start:start + BATCH]:
            pub.publish(m)
        assert ros.spin_until(lambda t=target: counted() >= t, timeout), \
            f"node counted {counted()} of {target} messages (batch at {start})"


# -- controller: observation ---------------------------------------------------------------------------------
def test_controller_survives_malformed_observations(ros, probe):
    sim = SimulatorSide(probe, SPEC)
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass", "watchdog_timeout": 60.0, **FAST})
    seen: list[np.ndarray] = []
    act = ctrl.runner.fast.act

    def recording_act(obs, deterministic, rng):
        seen.append(np.array(obs))
        return act(obs, deterministic, rng)

    ctrl.runner.fast.act = recording_act
    commands = probe.listen("effort_controller/commands", Float64MultiArray, qos.COMMANDS)
    assert ros.spin_until(lambda: sim.pub.get_subscription_count() > 0 and ctrl.start_confirmed)
    rng = np.random.default_rng(0)
    blocks = ObservationCodec(SPEC).blocks
    good_layout = ObservationCodec(SPEC).layout
    msgs, bad, valid, sent = [], 0, 0, []
    for i in range(1500):
        obs = rng.uniform(-10, 10, N)
        if i % 5 == 0:
            msgs.append(messages.array_msg(obs, good_layout))
            valid += 1
            sent.append(obs)
            continue
        if rng.integers(2) == 0:
            data, _ = corrupt(obs, N, rng)
            msg = Float64MultiArray(data=data)
        else:
            msg = messages.array_msg(obs, wrong_layouts(blocks, rng))
        msgs.append(msg)
        bad += 1
    refused = ctrl.counters
    pump(ros, sim.pub, msgs, lambda: refused["refused_samples"] + ctrl.builder.state_seq)
    assert refused["refused_samples"] == bad and ctrl.builder.state_seq == valid
    # every observation the policy saw is a valid one; it acted on each of them but the episodes' last
    assert len(seen) == ctrl.counters["steps"] - ctrl.counters["episodes"] > valid // 2, \
        "a malformed observation reached the policy (or a valid one did not)"
    valid_rows = np.array(sent)
    assert all(np.any(np.all(valid_rows == o, axis=1)) for o in seen)
    assert ros.spin_until(lambda: len(commands) >= len(seen), 10.0)
    cmds = np.array([m.data for m in commands])
    assert np.all(np.isfinite(cmds)) and np.all(cmds >= SPEC.low) and np.all(cmds <= SPEC.high)
    assert ros.spin_until(lambda: probe.diag("/controller", "refused_samples") == bad, 5.0), probe.diagnostics
    ros.remove(ctrl)


# -- simulator: commands -----------------------------------------------------------------------------------
def test_simulator_survives_malformed_commands(ros, probe):
    sim = ros.make(SimulatorNode, {"task": "point_mass", "max_rate": 0.0, "learner_lead": 0, "publish_clock": False,
                                         **FAST})
    pub = probe.create_publisher(Float64MultiArray, "effort_controller/commands", qos.COMMANDS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    rng = np.random.default_rng(1)
    blocks = CommandCodec(SPEC).blocks
    msgs, bad, valid = [], 0, 0
    for i in range(1500):
        row = rng.uniform(-5, 5, A)
        if i % 5 == 0:
            msgs.append(messages.array_msg(row, CommandCodec(SPEC).layout))
            valid += 1
        elif i % 5 == 1:
            msgs.append(messages.array_msg(row, wrong_layouts(blocks, rng)))
            bad += 1
        else:
            data, _ = corrupt(row, A, rng)
            msgs.append(Float64MultiArray(data=data))
            bad += 1
    pump(ros, pub, msgs, lambda: sim.malformed + sim.commands)
    assert sim.malformed == bad and sim.commands == valid and sim.sim_steps == valid
    assert np.all(np.isfinite(sim.obs))
    assert ros.spin_until(lambda: probe.diag("/simulator", "malformed_commands") == bad, 5.0), probe.diagnostics
    ros.remove(sim)


# -- learner: transitions ----------------------------------------------------------------------------------
def test_learner_survives_malformed_transitions(ros, probe):
    learner = ros.make(LearnerNode, {"task": "point_mass", "agent_overrides": "{min_replay: 5000}", **FAST})
    pub = probe.create_publisher(Float64MultiArray, "transitions", qos.TRANSITIONS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    rng = np.random.default_rng(2)
    blocks = wire_labels(N, A)
    layout = TransitionCodec(SPEC).layout
    length = wire_length(N, A)
    physical = 2 * N + A + 1  # obs, action, next_obs, reward
    msgs, bad, valid = [], 0, 0
    for i in range(1500):
        row = np.concatenate([rng.uniform(-10, 10, 2 * N + A), [rng.normal(), 0.0, 0.0, -1.0, 3.0, 0.0]])
        assert len(row) == length
        if i % 5 == 0:
            msgs.append(messages.array_msg(row, layout))
            valid += 1
            continue
        kind = rng.integers(4)
        if kind == 0:
            data, _ = corrupt(row, physical, rng)
            msg = Float64MultiArray(data=data)
        elif kind == 1:
            msg = messages.array_msg(row, wrong_layouts(blocks, rng))
        elif kind == 2:  # Inf / NaN version or actor id (int(inf) once killed the learner)
            row[length - 1 - rng.integers(2)] = rng.choice([np.inf, -np.inf, np.nan])
            msg = messages.array_msg(row, layout)
        else:  # log-prob out of bounds
            row[2 * N + A + 3] = rng.choice([-1e300, 1e9, np.nan])
            msg = messages.array_msg(row, layout)
        msgs.append(msg)
        bad += 1
    pump(ros, pub, msgs, lambda: learner.malformed + learner.received)
    assert ros.spin_until(lambda: len(learner.agent.replay) == valid and not learner.queue, 30.0), \
        (len(learner.agent.replay), valid, learner.received, learner.malformed, bad, learner.train_error)
    assert learner.malformed == bad and learner.received == valid
    assert learner.trainer.is_alive() and not learner.train_error
    for name, arr in learner.agent.replay.arrays().items():
        stored = np.asarray(arr[:valid], dtype=np.float64)
        assert np.all(np.isfinite(stored)) and np.abs(stored).max() <= 1e6, name
    assert np.all(np.isfinite(learner.agent.policy.obs_norm.mean.numpy()))
    assert ros.spin_until(lambda: probe.diag("/learner", "malformed_transitions") == bad, 5.0), probe.diagnostics
    ros.remove(learner)


# -- controller: policy_weights ----------------------------------------------------------------------------
def policy(hidden=None) -> GaussianPolicy:
    return node_policy(**({"policy_hidden": list(hidden)} if hidden else {}))


def bad_weights(good: bytes, rng: np.random.Generator) -> list[bytes]:
    out: list[bytes] = [b"", b"\x00" * 8, b"\xff" * 8 + b"{}", policy_to_bytes(policy(), 3)]  # last: older
    for _ in range(60):
        out.append(rng.bytes(int(rng.integers(1, 4000))))  # random bytes
        cut = int(rng.integers(1, len(good)))
        out.append(good[:cut])  # truncated
        flipped = bytearray(good)
        flipped[int(rng.integers(len(good) // 2, len(good)))] ^= 1 << int(rng.integers(8))  # tensor data
        out.append(bytes(flipped))
        head = bytearray(good)
        head[int(rng.integers(8, 200))] = int(rng.integers(256))  # header (JSON) byte
        out.append(bytes(head))
    out.append(policy_to_bytes(policy([7, 7]), 100))  # wrong shapes, correct hash
    nan = policy()
    with torch.no_grad():
        next(p for p in nan.parameters() if p.dim() == 2)[0, 0] = float("nan")
    out.append(policy_to_bytes(nan, 100))  # non-finite weights, correct hash
    huge = policy()
    with torch.no_grad():
        next(p for p in huge.parameters() if p.dim() == 2).fill_(float("inf"))
    out.append(policy_to_bytes(huge, 101))
    return [b for b in out if b != good]


def test_controller_refuses_malformed_weights(ros, probe):
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass", "watchdog_timeout": 60.0, **FAST})
    pub = probe.create_publisher(UInt8MultiArray, "policy_weights", qos.POLICY_WEIGHTS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    good_policy = policy()
    good = policy_to_bytes(good_policy, 5)
    pub.publish(UInt8MultiArray(data=good))
    assert ros.spin_until(lambda: ctrl.runner.version == 5)
    reference = {k: v.clone() for k, v in ctrl.runner.policy.state_dict().items()}
    blobs = bad_weights(good, np.random.default_rng(3))
    for i, blob in enumerate(blobs):  # depth 1: one at a time, or a newer one replaces an unread one
        n = ctrl.counters["weights_rejected"]
        pub.publish(UInt8MultiArray(data=blob))
        assert ros.spin_until(lambda n=n: ctrl.counters["weights_rejected"] > n, 10.0), \
            f"weights message {i} not counted"
    assert ctrl.counters["weights_rejected"] == len(blobs) and ctrl.counters["weights_loaded"] == 1
    assert ctrl.runner.version == 5
    for k, v in ctrl.runner.policy.state_dict().items():
        assert torch.equal(v, reference[k]), f"running policy changed by a rejected message ({k})"
    assert ros.spin_until(lambda: probe.diag("/controller", "weights_rejected") == len(blobs), 5.0)
    ros.remove(ctrl)


# -- parameters --------------------------------------------------------------------------------------------
def test_invalid_parameters_refused_at_runtime(ros):
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass"})
    for name, value in (("max_command_rate", -1.0), ("max_command_rate", 1e10)):
        result = ctrl.set_parameters([Parameter(name, value=value)])[0]
        assert not result.successful and name in result.reason, (name, value, result.reason)
    wrong_type = ctrl.set_parameters([Parameter("max_command_rate", value="fast")])[0]
    assert not wrong_type.successful
    assert not ctrl.set_parameters([Parameter("task", value="monoped")])[0].successful  # read-only
    assert ctrl.set_parameters([Parameter("max_command_rate", value=2.0)])[0].successful
    assert ctrl.p["max_command_rate"] == 2.0
    ros.remove(ctrl)
    learner = ros.make(LearnerNode, {"task": "point_mass"})
    for name, value in (("updates_per_transition", 0.0), ("publish_every", 0), ("max_backlog", -5)):
        result = learner.set_parameters([Parameter(name, value=value)])[0]
        assert not result.successful and name in result.reason, (name, value, result.reason)
    ros.remove(learner)


@pytest.mark.timeout(120)
def test_invalid_parameters_refused_at_startup():
    cases = [
        ("robot_controller", {"task": "point_mass", "max_command_rate": -3.0}, "max_command_rate"),
        ("learner", {"task": "point_mass", "agent_overrides": "{batch_size: [1}"}, "agent_overrides"),
        ("simulator", {"task": "no_such_task"}, "task"),
    ]
    procs = [(subprocess.Popen(node_command(node, params), env=node_env(DOMAIN), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True), name) for node, params, name in cases]
    for proc, name in procs:
        out, _ = proc.communicate(timeout=100)
        assert proc.returncode == 2, out
        assert f"'{name}'" in out and "not started" in out, out
