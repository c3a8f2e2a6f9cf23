"""The task file generated from a registered task (``nodes/robot/robot_task.py``) and the controller's logic on it.

No ROS here: for every registered task the generated file has the task's own spec, reward and termination,
observes the simulator's observation vector, and commands the task's controls within their range.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from std_msgs.msg import Float64MultiArray

from svg_control.nodes.interface.codecs import ObservationCodec
from svg_control.nodes.robot.robot_io import CommandShaper, ObservationBuilder, Refused
from svg_control.nodes.robot.robot_task import CONTROL_INTERFACE, registered_task
from svg_control.tasks.registry import reward_fn, task_names, task_spec, termination_fn


@pytest.mark.parametrize("name", task_names())
def test_the_generated_task_is_the_registered_task(name):
    task = registered_task(name, "effort_controller", staleness_limit=0.5)
    spec = task_spec(name)
    assert task.spec == spec  # the same policy as the learner's, which uses the registered task itself
    assert len(task.observation) == spec.obs_dim and len(task.joints) == spec.act_dim
    assert [(j.low, j.high) for j in task.joints] == list(zip(spec.action_low, spec.action_high))
    assert (task.control_period, task.episode_length, task.interface) == (spec.dt, spec.horizon, CONTROL_INTERFACE)
    assert task.reset_service == "reset" and task.controller == "effort_controller"
    gen = torch.Generator().manual_seed(0)
    s, s2 = torch.randn(16, spec.obs_dim, generator=gen), torch.randn(16, spec.obs_dim, generator=gen)
    a = torch.randn(16, spec.act_dim, generator=gen)
    torch.testing.assert_close(task.reward_torch()(s, a, s2), reward_fn(name)(s, a, s2), rtol=0, atol=0)
    known = termination_fn(name)
    if known is None:
        assert task.terminated_torch() is None
    else:
        assert torch.equal(task.terminated_torch()(s, a, s2), known(s, a, s2))


def test_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown task"):
        registered_task("no_such_task", "effort_controller", staleness_limit=0.5)


def test_the_observation_is_the_robot_s_vector_and_bad_vectors_are_refused():
    task = registered_task("point_mass", "effort_controller", staleness_limit=0.5)
    codec = ObservationCodec(task.spec)
    builder = ObservationBuilder(task)
    assert builder.stale(0.0) == "no observation yet"  # joint_states are not needed
    builder.add_observation(codec.encode(np.array([0.25, -3.0])), now=1.0)
    assert builder.stale(1.1) is None and builder.state_seq == 1
    assert np.array_equal(builder.observation(), [0.25, -3.0])
    assert "old" in builder.stale(1.6)
    other = ObservationCodec(task_spec("cartpole")).layout
    for bad in (Float64MultiArray(data=[0.1]), Float64MultiArray(data=[math.nan, 0.0]),
                Float64MultiArray(data=[1e7, 0.0]), Float64MultiArray(data=[0.1, 0.2], layout=other)):
        with pytest.raises(Refused):
            builder.add_observation(bad, now=2.0)
    assert builder.state_seq == 1  # refused messages changed nothing


@pytest.mark.parametrize("name", ["point_mass", "gripper"])
def test_commands_are_the_task_s_controls_within_its_range(name):
    task = registered_task(name, "effort_controller", staleness_limit=0.5, max_command_rate=0.0)
    spec = task.spec
    shaper = CommandShaper(task)
    inside = (spec.low + spec.high) / 2 + 0.3 * (spec.high - spec.low) / 2
    command, exact = shaper.command(inside)
    assert exact and np.allclose(command, inside)  # no mapping: the action is the control
    command, exact = shaper.command(spec.high + 10.0)
    assert exact and np.allclose(command, spec.high)
    assert np.allclose(shaper.safe(None), spec.safe_action)
    shaper.sent(command)
    limited, exact = shaper.command(spec.low, max_rate=1.0)  # the parameter's rate limit
    assert not exact and np.allclose(limited, np.maximum(spec.high - spec.dt, spec.low))
