"""The message codecs: what a sender encodes its receiver decodes unchanged, and every malformed message
raises MalformedMessage with a reason (no DDS needed: the codecs are plain functions of a message)."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("std_msgs")

from std_msgs.msg import Float64MultiArray, UInt8MultiArray  # noqa: E402 - after the importorskip

from svg_control.core.policy import GaussianPolicy  # noqa: E402
from svg_control.core.settings import build_config  # noqa: E402
from svg_control.core.task import TaskSpec  # noqa: E402
from svg_control.core.transition import Transition, wire_labels  # noqa: E402
from svg_control.nodes.interface import messages  # noqa: E402
from svg_control.nodes.interface.codecs import (  # noqa: E402
    CommandCodec,
    MalformedMessage,
    ObservationCodec,
    TransitionCodec,
    WeightsCodec,
)

SPEC = TaskSpec(name="codec_test", obs_dim=3, act_dim=2, action_low=(-1.0, -2.0), action_high=(1.0, 2.0), dt=0.01,
                horizon=10, obs_labels=("x", "y", "z"), joint_names=("hip", "knee"))


def test_observation_round_trip_and_labels():
    codec = ObservationCodec(SPEC)
    obs = np.array([0.1, -0.2, 0.3])
    msg = codec.encode(obs)
    assert [d.label for d in msg.layout.dim] == ["x", "y", "z"]
    np.testing.assert_array_equal(codec.decode(msg), obs)


@pytest.mark.parametrize("data, reason", [
    ([0.0] * 4, "values"),
    ([0.0, math.nan, 0.0], "finite"),
    ([2e6, 0.0, 0.0], "within"),
    ([0.0, -math.inf, 0.0], "finite"),
])
def test_observation_malformed(data, reason):
    with pytest.raises(MalformedMessage, match=reason):
        ObservationCodec(SPEC).decode(Float64MultiArray(data=[float(x) for x in data]))


def test_observation_of_another_task_is_malformed_even_when_its_length_fits():
    other = TaskSpec(name="other", obs_dim=3, act_dim=2, action_low=(-1.0,) * 2, action_high=(1.0,) * 2, dt=0.01,
                     horizon=10, obs_labels=("a", "b", "c"))
    msg = ObservationCodec(other).encode(np.zeros(3))
    with pytest.raises(MalformedMessage, match="layout"):
        ObservationCodec(SPEC).decode(msg)


def test_command_round_trip_and_malformed():
    codec = CommandCodec(SPEC)
    msg = codec.encode(np.array([0.5, -1.5]))
    assert [d.label for d in msg.layout.dim] == ["hip", "knee"]
    np.testing.assert_array_equal(codec.decode(msg), [0.5, -1.5])
    for bad in ([1.0], [math.inf, 0.0], [1e7, 0.0]):
        with pytest.raises(MalformedMessage):
            codec.decode(Float64MultiArray(data=bad))


def test_transition_round_trip_in_wire_order():
    codec = TransitionCodec(SPEC)
    t = Transition(np.array([1.0, 2.0, 3.0]), np.array([0.5, -0.5]), -0.25, np.array([4.0, 5.0, 6.0]), True, False,
                   -1.75, 9, 2)
    msg = codec.encode(t)
    assert [(d.label, d.size) for d in msg.layout.dim] == wire_labels(3, 2)
    assert list(msg.data) == [1, 2, 3, 0.5, -0.5, 4, 5, 6, -0.25, 1, 0, -1.75, 9, 2]  # s, a, s', r, ...
    back = codec.decode(msg)
    for name in ("obs", "action", "next_obs"):
        np.testing.assert_array_equal(getattr(back, name), getattr(t, name))
    assert (back.reward, back.terminated, back.truncated, back.log_prob, back.policy_version, back.actor_id) == (
        -0.25, True, False, -1.75, 9, 2)


@pytest.mark.parametrize("index, value, reason", [
    (0, math.nan, "finite"),
    (8, 1e7, "reward"),  # reward
    (11, -1e9, "log_prob"),  # log-prob
    (9, 0.5, "0 or 1"),  # terminated
    (12, 1e300, "finite ones within"),  # policy version: the replay stores it as int64
    (13, math.inf, "finite"),  # actor id
])
def test_transition_malformed(index, value, reason):
    codec = TransitionCodec(SPEC)
    data = Transition(np.zeros(3), np.zeros(2), 0.0, np.zeros(3), False, False, -1.0).to_array()
    data[index] = value
    with pytest.raises(MalformedMessage, match=reason):
        codec.decode(messages.array_msg(data, codec.layout))


def test_weights_round_trip_and_refusals():
    c = build_config("svg1-er")

    def policy() -> GaussianPolicy:
        return GaussianPolicy(SPEC.obs_dim, SPEC.act_dim, SPEC.action_low, SPEC.action_high, c.policy_hidden)

    sent, received = policy(), policy()
    msg = WeightsCodec.encode(sent, 7)
    assert isinstance(msg, UInt8MultiArray)
    assert WeightsCodec.decode_into(received, msg, min_version=3) == 7
    for name, value in sent.state_dict().items():
        assert np.array_equal(received.state_dict()[name].numpy(), value.numpy())
    with pytest.raises(MalformedMessage, match="not newer"):
        WeightsCodec.decode_into(received, msg, min_version=7)
    with pytest.raises(MalformedMessage):
        WeightsCodec.decode_into(received, UInt8MultiArray(data=b"garbage"))
