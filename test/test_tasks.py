"""Task suite: models load, dims match the paper's table, seeding, reward agreement, bad actions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from svg_control.tasks import make_task, task_names
from svg_control.tasks.mujoco_task import MujocoTask
from svg_control.tasks.table import tasks_table

# (state dim, action dim): the paper's where it gives them, ours (documented in each module) elsewhere
DIMS = {
    "point_mass": (2, 1),
    "hand_ball": (13, 2),
    "cartpole": (5, 1),
    "cartpole_swingup": (5, 1),
    "swimmer3": (10, 2),
    "swimmer5": (14, 4),
    "swimmer7": (18, 6),
    "reacher": (8, 3),
    "reacher_moving": (8, 3),
    "gripper": (10, 4),
    "monoped": (14, 4),
    "half_cheetah": (18, 6),
    "half_cheetah_springs": (18, 6),
    "walker": (18, 6),
}
MUJOCO_TASKS = [n for n in DIMS if n != "point_mass"]


def test_registry_lists_every_task() -> None:
    assert set(task_names()) == set(DIMS)


def test_unknown_task_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="monoped"):
        make_task("no_such_task")


@pytest.mark.parametrize("name", list(DIMS))
def test_dims_and_spec(name: str) -> None:
    task = make_task(name)
    s = task.spec
    assert (s.obs_dim, s.act_dim) == DIMS[name]
    obs = task.reset(0)
    assert obs.shape == (s.obs_dim,) and np.all(np.isfinite(obs))
    if s.obs_labels:
        assert len(s.obs_labels) == s.obs_dim
    assert s.dt > 0 and s.horizon > 0


def test_table_has_every_task() -> None:
    table = tasks_table()
    for name, (n, m) in DIMS.items():
        row = next(line for line in table.splitlines() if line.split()[0] == name)
        assert row.split()[1:3] == [str(n), str(m)]


@pytest.mark.parametrize("name", MUJOCO_TASKS)
def test_seeded_reset_is_reproducible(name: str) -> None:
    a, b = make_task(name), make_task(name)
    rng = np.random.default_rng(1)
    actions = rng.uniform(a.spec.low, a.spec.high, size=(5, a.spec.act_dim))
    for task in (a, b):
        task.reset(123)
    np.testing.assert_array_equal(a.reset(7), b.reset(7))
    for act in actions:
        ra, rb = a.step(act), b.step(act)
        np.testing.assert_array_equal(ra.obs, rb.obs)
        assert ra.reward == rb.reward
    assert not np.array_equal(a.reset(7), a.reset(8))


@pytest.mark.parametrize("name", MUJOCO_TASKS)
def test_torch_reward_equals_step_reward(name: str) -> None:
    task = make_task(name, horizon=20)
    rng = np.random.default_rng(0)
    obs_l, act_l, nxt_l, rew_l = [], [], [], []
    for ep in range(2):
        obs = task.reset(ep)
        done = False
        while not done:
            act = rng.uniform(task.spec.low, task.spec.high)
            res = task.step(act * 1.5)  # also out of range: the reward sees the clipped action
            obs_l.append(obs)
            act_l.append(task.clip_action(act * 1.5))
            nxt_l.append(res.obs)
            rew_l.append(res.reward)
            obs, done = res.obs, res.terminated or res.truncated
    r_torch = task.reward_torch(
        torch.as_tensor(np.array(obs_l)), torch.as_tensor(np.array(act_l)), torch.as_tensor(np.array(nxt_l))
    )
    assert r_torch.shape == (len(rew_l),)
    np.testing.assert_allclose(r_torch.numpy(), rew_l, atol=1e-6, rtol=0)
    if name == "hand_ball":  # reward only at the final step
        assert all(r == 0.0 for r in rew_l[:19]) and rew_l[19] < 0


@pytest.mark.parametrize("name", ["monoped", "reacher", "half_cheetah"])
def test_torch_reward_is_differentiable(name: str) -> None:
    task = make_task(name)
    n, m = task.spec.obs_dim, task.spec.act_dim
    obs = torch.randn(4, n, dtype=torch.float64)
    act = torch.randn(4, m, dtype=torch.float64, requires_grad=True)
    nxt = torch.randn(4, n, dtype=torch.float64, requires_grad=True)
    task.reward_torch(obs, act, nxt).sum().backward()
    assert act.grad is not None and torch.all(torch.isfinite(act.grad))
    assert nxt.grad is not None and torch.any(nxt.grad != 0)


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((1, 4)), np.array([0.0, np.nan, 0.0, 0.0]), np.full(4, np.inf)])
def test_bad_actions_raise(bad: np.ndarray) -> None:
    task = make_task("monoped")
    task.reset(0)
    with pytest.raises(ValueError, match="monoped"):
        task.step(bad)


def test_out_of_range_actions_are_clipped() -> None:
    a, b = make_task("cartpole"), make_task("cartpole")
    a.reset(3)
    b.reset(3)
    np.testing.assert_array_equal(a.step(np.array([50.0])).obs, b.step(np.array([1.0])).obs)


def test_horizon_truncates() -> None:
    task = make_task("cartpole", horizon=5)
    task.reset(0)
    flags = [task.step(np.zeros(1)).truncated for _ in range(5)]
    assert flags == [False] * 4 + [True]


def test_swimmer_mjcf_matches_generator() -> None:
    from svg_control.tasks.mujoco_task import sim_dir
    from svg_control.tasks.swimmer import swimmer_mjcf

    for n in (3, 5, 7):
        assert (sim_dir() / f"swimmer{n}.xml").read_text() == swimmer_mjcf(n), "regenerate sim/swimmer*.xml"


def test_mujoco_tasks_are_mujoco_tasks() -> None:
    for name in MUJOCO_TASKS:
        assert isinstance(make_task(name), MujocoTask)


@pytest.mark.parametrize("n", [3, 7])
def test_egocentric_swimmer_sees_the_goal_from_its_head_and_earns_the_same_reward(n: int) -> None:
    world, ego = make_task(f"swimmer{n}"), make_task(f"swimmer{n}", egocentric=True)
    assert ego.spec.obs_dim == 2 * n + 3 == len(ego.spec.obs_labels)
    world.reset(3), ego.reset(3)
    rng = np.random.default_rng(1)
    for _ in range(100):
        act = rng.uniform(-1, 1, n - 1)
        w, e = world.step(act), ego.step(act)
        assert w.reward == pytest.approx(e.reward, abs=1e-12)
    yaw = w.obs[2]
    forward, right = np.array([-np.sin(yaw), np.cos(yaw)]), np.array([np.cos(yaw), np.sin(yaw)])
    goal, vel = -w.obs[:2], w.obs[n + 2:n + 4]
    np.testing.assert_allclose(e.obs[:2], [goal @ right, goal @ forward], atol=1e-12)
    np.testing.assert_allclose(e.obs[2:n + 1], w.obs[3:n + 2])  # joint angles
    np.testing.assert_allclose(e.obs[n + 1:n + 4], [vel @ right, vel @ forward, w.obs[n + 4]], atol=1e-12)
    np.testing.assert_allclose(e.obs[n + 4:], w.obs[n + 5:])  # joint velocities
    r_torch = ego.reward_torch(torch.as_tensor(e.obs[None]), torch.as_tensor(act[None]), torch.as_tensor(e.obs[None]))
    assert float(r_torch[0]) == pytest.approx(e.reward, abs=1e-9)


def test_egocentric_must_be_a_bool() -> None:
    with pytest.raises(ValueError, match="egocentric"):
        make_task("swimmer3", egocentric="yes please")
