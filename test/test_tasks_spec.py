"""A task's spec and reward without its physics: equal to the built task's, and MuJoCo is never imported.

The no-MuJoCo checks run in a fresh interpreter, since this test process has loaded MuJoCo long ago.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from svg_control.tasks.registry import make_task, reward_fn, task_names, task_spec

REPO = Path(__file__).resolve().parents[1]


def run_fresh(code: str, timeout: float = 120) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_spec_and_reward_of_every_task_load_no_mujoco():
    out = run_fresh("""
        import sys
        import torch
        from svg_control.tasks.registry import reward_fn, task_names, task_spec
        for name in task_names():
            spec, reward = task_spec(name), reward_fn(name)
            obs, act = torch.zeros(4, spec.obs_dim), torch.zeros(4, spec.act_dim)
            assert reward(obs, act, obs).shape == (4,), name
        spec = task_spec("monoped")
        assert (spec.obs_dim, spec.act_dim) == (14, 4)
        assert "mujoco" not in sys.modules, "describing a task imported mujoco"
        print("ok")
    """)
    assert out.strip() == "ok"


def test_controller_and_learner_nodes_load_no_mujoco():
    pytest.importorskip("rclpy")
    out = run_fresh("""
        import sys
        import rclpy
        from rclpy.parameter import Parameter
        from svg_control.nodes.learning.learner import LearnerNode
        from svg_control.nodes.robot.robot_controller import RobotControllerNode
        rclpy.init(domain_id=101)
        params = [Parameter("task", value="monoped")]
        for cls in (RobotControllerNode, LearnerNode):
            node = cls(parameter_overrides=params)
            assert node.spec.name == "monoped"
            node.destroy_node()
        rclpy.try_shutdown()
        assert "mujoco" not in sys.modules, "a controller or learner node imported mujoco"
        print("ok")
    """)
    assert out.strip().endswith("ok")


@pytest.mark.parametrize("name", task_names())
def test_described_spec_and_reward_are_the_built_task_s(name):
    task = make_task(name)
    assert task_spec(name) == task.spec
    rng = np.random.default_rng(0)
    s, a, s2 = (torch.as_tensor(rng.normal(size=(8, d))) for d in (task.spec.obs_dim, task.spec.act_dim,
                                                                   task.spec.obs_dim))
    torch.testing.assert_close(reward_fn(name)(s, a, s2), task.reward_torch(s, a, s2), rtol=0, atol=0)


@pytest.mark.parametrize("name, overrides", [
    ("hand_ball", {"horizon": 200}),  # its final-step reward follows the horizon
    ("monoped", {"actuator_noise": 0.0, "horizon": 50}),
    ("swimmer5", {"egocentric": True}),
])
def test_overrides_reach_the_description(name, overrides):
    task = make_task(name, **overrides)
    assert task_spec(name, **overrides) == task.spec
    s = torch.zeros(2, task.spec.obs_dim)
    s[:, -1] = 0.999  # hand_ball: time at the final step
    a = torch.zeros(2, task.spec.act_dim)
    torch.testing.assert_close(reward_fn(name, **overrides)(s, a, s), task.reward_torch(s, a, s))


def test_a_described_task_cannot_step():
    from svg_control.tasks.monoped import Monoped

    described = Monoped.describe()
    with pytest.raises(RuntimeError, match="without its physics"):
        described.reset(0)


def test_gymnasium_spec_is_its_environment_s():
    pytest.importorskip("gymnasium")
    assert task_spec("gym:InvertedPendulum-v5") == make_task("gym:InvertedPendulum-v5").spec
    with pytest.raises(ValueError, match="monoped"):
        task_spec("no_such_task")
