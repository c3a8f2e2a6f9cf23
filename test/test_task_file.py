"""Robot task files (``tasks/task_file.py``) and the controller's plain logic on them (``nodes/robot/robot_io.py``).

No ROS here: the file's validation (every wrong field named), the monoped's shipped file against the
monoped task, the observation built from joint_states / IMU / odometry messages, staleness, and the
commands' mapping, limits, rate limit and safe values.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import yaml

from svg_control.nodes.robot.robot_io import CommandShaper, ObservationBuilder, Refused
from svg_control.tasks.registry import reward_fn, task_spec
from svg_control.tasks.task_file import TaskFileError, load_task_file

STANDIN = Path(__file__).resolve().parent / "standin"
MONOPED_FILE = Path(__file__).resolve().parents[1] / "svg_control" / "robots" / "monoped.yaml"
sys.path.insert(0, str(STANDIN))  # the stand-in's reward module, as a user's package would be importable


def base() -> dict:
    return {
        "name": "arm",
        "control_period": 0.02,
        "episode_length": 50,
        "observation": [{"joint": "a", "field": "position", "transform": "cos"},
                        {"joint": "a", "field": "velocity", "scale": 0.5, "offset": 1.0},
                        {"joint": "b", "field": "effort"}],
        "commands": {"interface": "effort", "joints": [{"name": "a", "min": -2.0, "max": 2.0},
                                                       {"name": "b", "min": -1.0, "max": 3.0}]},
        "reward": {"function": "toy_reward:effort_cost"},
        "episode_start": {"operator": True},
    }


def write(tmp_path: Path, data: dict, name: str = "task.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def joint_states(names, position=(), velocity=(), effort=()):
    return SimpleNamespace(name=list(names), position=list(position), velocity=list(velocity), effort=list(effort))


# -- the file ---------------------------------------------------------------------------------------------
def test_a_valid_file_gives_the_spec_and_a_reward_in_si_units(tmp_path):
    calls = []

    task = load_task_file(write(tmp_path, base()))
    spec = task.spec
    assert (spec.obs_dim, spec.act_dim, spec.dt, spec.horizon) == (3, 2, 0.02, 50)
    assert spec.obs_labels == ("cos(a.position)", "a.velocity", "b.effort") and spec.joint_names == ("a", "b")
    assert spec.action_low == (-1.0, -1.0) and spec.action_high == (1.0, 1.0)
    # the action maps onto the limits linearly; the reward sees SI commands and un-normalised observations
    assert np.allclose(task.command_si(np.array([-1.0, 1.0])), [-2.0, 3.0])
    assert np.allclose(task.command_si(np.array([0.0, 0.0])), [0.0, 1.0])

    def spy(s, a, s2):
        calls.append((s.clone(), a.clone()))
        return s[..., 0] * 0

    object.__setattr__(task, "_reward", spy)
    task.reward_torch()(torch.tensor([[0.5, 2.0, 7.0]]), torch.tensor([[1.0, -1.0]]), torch.zeros(1, 3))
    s, a = calls[0]
    assert torch.allclose(s, torch.tensor([[0.5, 5.0, 7.0]]))  # 2.0 / 0.5 + 1.0
    assert torch.allclose(a, torch.tensor([[2.0, -1.0]]))


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.update(colour="red"), "colour"),
    (lambda d: d.update(control_period=0), "control_period"),
    (lambda d: d.update(episode_length=10.5), "episode_length"),
    (lambda d: d["observation"][0].update(field="torque"), "observation[0].field"),
    (lambda d: d["observation"].append({"imu": "angular_velocity.x"}), "topics.imu"),
    (lambda d: d["observation"].append({"odometry": "twist.linear.q"}), "observation[3].odometry"),
    (lambda d: d["observation"].append({"joint": "a", "field": "position", "transform": "cos"}), "observation"),
    (lambda d: d["commands"].update(interface="torque"), "commands.interface"),
    (lambda d: d["commands"]["joints"][0].update(max=float("inf")), "commands.joints[0].max"),
    (lambda d: d["commands"]["joints"][1].update(min=5.0), "commands.joints[1]"),
    (lambda d: d["commands"]["joints"].append({"name": "c"}), "commands.joints[2]"),
    (lambda d: d["commands"]["joints"].append({"name": "a", "min": 0, "max": 1}), "commands.joints"),
    (lambda d: d.update(reward={"function": "no_such_module_here:reward"}), "reward.function"),
    (lambda d: d.update(reward={"function": "math:nothing"}), "reward.function"),
    (lambda d: d.update(reward={"function": "math:sqrt"}), "reward.function"),  # runs, but not on tensors
    (lambda d: d.update(reward={"task": "monoped", "topic": "reward"}), "reward"),
    (lambda d: d.update(reward={"task": "not_a_task"}), "reward.task"),
    (lambda d: d.update(termination={"function": "nowhere:fallen"}), "termination.function"),
    (lambda d: d.update(episode_start={}), "episode_start"),
    (lambda d: d.update(episode_start={"trigger": "bad name!"}), "episode_start.trigger"),
])
def test_a_wrong_field_is_named(tmp_path, change, field):
    data = base()
    change(data)
    with pytest.raises(TaskFileError) as err:
        load_task_file(write(tmp_path, data))
    assert err.value.field == field, str(err.value)
    assert f"'{field}'" in str(err.value) and str(tmp_path) in str(err.value)


def test_limits_come_from_a_urdf_and_unknown_joints_are_refused(tmp_path):
    urdf = """<robot name="r">
      <joint name="a" type="revolute"><limit lower="-1" upper="1" effort="7" velocity="3"/></joint>
      <joint name="b" type="revolute"><limit lower="-2" upper="0.5" effort="4" velocity="2"/></joint>
    </robot>"""
    (tmp_path / "r.urdf").write_text(urdf)
    data = base()
    data["commands"] = {"interface": "effort", "limits_from": "r.urdf", "joints": ["a", "b"]}
    task = load_task_file(write(tmp_path, data))
    assert [(j.low, j.high) for j in task.joints] == [(-7.0, 7.0), (-4.0, 4.0)]
    data["commands"]["interface"] = "position"
    assert [(j.low, j.high) for j in load_task_file(write(tmp_path, data)).joints] == [(-1.0, 1.0), (-2.0, 0.5)]
    data["commands"]["joints"] = ["a", "elbow"]
    with pytest.raises(TaskFileError, match="unknown joint 'elbow'") as err:
        load_task_file(write(tmp_path, data))
    assert err.value.field == "commands.joints[1]"
    data["commands"]["joints"] = ["a", "b"]
    data["observation"][2]["joint"] = "wrist"
    with pytest.raises(TaskFileError, match="unknown joint 'wrist'"):
        load_task_file(write(tmp_path, data))
    data["commands"]["limits_from"] = "robot_description"  # no URDF received (yet)
    with pytest.raises(TaskFileError, match="no robot_description was received"):
        load_task_file(write(tmp_path, data))


def test_the_monoped_file_is_the_monoped_task():
    task = load_task_file(MONOPED_FILE)
    mine, theirs = task.spec, task_spec("monoped")
    assert (mine.obs_dim, mine.act_dim, mine.dt, mine.horizon) == (theirs.obs_dim, theirs.act_dim, theirs.dt,
                                                                   theirs.horizon)
    assert [j.high for j in task.joints] == [200.0] * 4  # the motors' gear: SI limits of the [-1, 1] controls
    gen = torch.Generator().manual_seed(0)
    s, s2 = torch.randn(64, 14, generator=gen), torch.randn(64, 14, generator=gen)
    a = torch.rand(64, 4, generator=gen) * 2 - 1
    assert torch.allclose(task.reward_torch()(s, a, s2), reward_fn("monoped")(s, a, s2))
    assert task_spec(str(MONOPED_FILE)).obs_dim == 14  # the registry's door takes files too


# -- observations ----------------------------------------------------------------------------------------
def test_the_observation_is_built_from_the_named_joints_in_any_order(tmp_path):
    task = load_task_file(write(tmp_path, base()))
    builder = ObservationBuilder(task)
    assert builder.stale(0.0) == "no joint_states yet"
    builder.add_joint_states(joint_states(["x", "b", "a"], [9, 1.0, 0.3], [9, 0, 4.0], [9, 2.5, 0]), now=1.0)
    assert builder.stale(1.05) is None
    assert np.allclose(builder.observation(), [math.cos(0.3), (4.0 - 1.0) * 0.5, 2.5])
    assert "old" in builder.stale(1.0 + task.staleness_limit + 0.01)
    with pytest.raises(Refused, match="lacks joint"):
        builder.add_joint_states(joint_states(["a"], [0.1], [0.1], [0.1]), now=2.0)
    with pytest.raises(Refused, match="not finite"):
        builder.add_joint_states(joint_states(["a", "b"], [float("nan"), 0], [0, 0], [0, 0]), now=2.0)
    with pytest.raises(Refused, match="missing or not finite"):  # effort read but not sent
        builder.add_joint_states(joint_states(["a", "b"], [0, 0], [0, 0]), now=2.0)
    assert builder.state_seq == 1  # refused messages changed nothing


def test_imu_and_odometry_fields(tmp_path):
    data = base()
    data["topics"] = {"imu": "imu/data", "odometry": "odom"}
    data["observation"] += [{"imu": "angular_velocity.y"}, {"odometry": "twist.linear.x", "scale": 2.0}]
    builder = ObservationBuilder(load_task_file(write(tmp_path, data)))
    builder.add_joint_states(joint_states(["a", "b"], [0, 0], [1, 0], [0, 0]), now=0.0)
    assert builder.stale(0.0) == "no imu yet"
    builder.add_imu(SimpleNamespace(angular_velocity=SimpleNamespace(y=0.7)), now=0.0)
    builder.add_odometry(SimpleNamespace(twist=SimpleNamespace(linear=SimpleNamespace(x=1.5))), now=0.0)
    assert builder.stale(0.0) is None
    assert np.allclose(builder.observation()[3:], [0.7, 3.0])


# -- commands ------------------------------------------------------------------------------------------------
def test_commands_are_clamped_rate_limited_and_safe_per_interface(tmp_path):
    data = base()
    data["commands"]["max_rate"] = 10.0  # SI per second: 0.2 per 0.02 s period
    task = load_task_file(write(tmp_path, data))
    shaper = CommandShaper(task)
    command, exact = shaper.command(np.array([5.0, -5.0]))  # outside [-1, 1]: clamped onto the limits
    assert exact and np.allclose(command, [2.0, -1.0])
    shaper.sent(command)
    limited, exact = shaper.command(np.array([-1.0, 1.0]))
    assert not exact and np.allclose(limited, [1.8, -0.8])
    assert np.allclose(shaper.safe(None), [0.0, 0.0])
    data["commands"]["interface"] = "position"
    data["commands"]["joints"][1].update(min=0.5, max=3.0)
    shaper = CommandShaper(load_task_file(write(tmp_path, data)))
    assert shaper.safe(None) is None  # nothing to hold yet
    assert np.allclose(shaper.safe(np.array([0.3, 9.0])), [0.3, 3.0])  # hold, within the limits
    rng = np.random.default_rng(0)
    for _ in range(200):
        command, _ = shaper.command(rng.normal(0, 3, 2))
        assert np.all(command >= shaper.low) and np.all(command <= shaper.high)
