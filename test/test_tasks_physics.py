"""Physics sanity of the tasks: the monoped's torque noise, that it falls without control and stands
with a hand-written PD controller, and that a swimmer swims under a travelling-wave gait."""

from __future__ import annotations

import math

import numpy as np

from svg_control.tasks import make_task


def test_monoped_torque_noise_is_five_percent_of_max_strength() -> None:
    task = make_task("monoped")
    assert task.spec.actuator_noise == 0.05
    task.reset(0)
    gear = task.model.actuator_gear[:, 0]
    max_torque = gear * np.abs(task.model.actuator_ctrlrange).max(axis=1)
    action = np.array([0.3, -0.2, 0.99, 0.0])  # near the limit too: the noise is not clipped away
    noise = []
    for _ in range(2000):
        task.step(action)
        torque = gear * task.data.actuator_force  # actuator_force is in ctrl units; times gear = joint N m
        noise.append(torque - gear * action)
    std = np.std(noise, axis=0)
    # sampling error of a std from n=2000 normal samples: ~ std / sqrt(2n) = 1.6 %; allow 5 sigma
    np.testing.assert_allclose(std / max_torque, 0.05, rtol=0.08)
    assert np.all(np.abs(np.mean(noise, axis=0)) < 4 * 0.05 * max_torque / math.sqrt(2000))


def test_noise_free_monoped_applies_the_clipped_action() -> None:
    task = make_task("monoped", actuator_noise=0.0)
    task.reset(0)
    task.step(np.array([2.0, -0.5, 0.0, 0.1]))
    np.testing.assert_allclose(task.data.ctrl, [1.0, -0.5, 0.0, 0.1])


def _stand_pd(obs: np.ndarray) -> np.ndarray:
    """Hold every joint straight; the ankle also leans against the torso's pitch."""
    q, qd = obs[3:7], obs[10:14]
    a = -2.0 * q - 0.2 * qd
    pitch = math.atan2(obs[2], obs[1])
    a[2] += pitch + 0.1 * obs[9]
    return a


def _run(task, policy, seed: int) -> tuple[np.ndarray, float, float]:
    obs, ret, lowest = task.reset(seed), 0.0, np.inf
    for k in range(200):
        res = task.step(policy(obs))
        obs, ret = res.obs, ret + res.reward
        if k >= 100:
            lowest = min(lowest, obs[0])
    return obs, ret, lowest


def test_monoped_falls_with_zero_torque_and_stands_with_pd() -> None:
    task = make_task("monoped")  # with its 5 % torque noise
    for seed in range(3):
        obs, ret_zero, _ = _run(task, lambda o: np.zeros(4), seed)
        assert obs[0] < 0.8, "without torque the leg should collapse"
        obs, ret_pd, lowest = _run(task, _stand_pd, seed)
        assert lowest > 1.15 and obs[1] > 0.95, "the PD controller should land and stand upright"
        assert ret_pd > 150 and ret_zero < 0
    assert task.spec.horizon == 200


def test_monoped_starts_above_standing_height() -> None:
    task = make_task("monoped")
    heights = [task.reset(s)[0] for s in range(20)]
    assert min(heights) >= 1.21 + 0.2 - 1e-9 and max(heights) <= 1.21 + 0.4 + 1e-9


def test_swimmer_swims_under_a_travelling_wave() -> None:
    task = make_task("swimmer5")
    n = 5
    task.reset(0)
    task.data.qpos[:] = 0.0  # nose at the goal, body along -y, straight
    task.data.qvel[:] = 0.0
    start = task.data.qpos[:2].copy()
    for k in range(250):  # 5 s of a 0.5 Hz wave running from tail to head
        t = k * task.spec.dt
        task.step(np.array([math.sin(2 * math.pi * 0.5 * t + 2 * math.pi * i / n) for i in range(n - 1)]))
    moved = task.data.qpos[:2] - start
    assert abs(moved[1]) > 0.15, f"swimmer should travel along its body axis, moved {moved}"
    assert abs(moved[1]) > 2 * abs(moved[0])
    # and without actuation it stays put
    task.reset(0)
    task.data.qpos[:] = 0.0
    task.data.qvel[:] = 0.0
    for _ in range(100):
        task.step(np.zeros(n - 1))
    assert np.linalg.norm(task.data.qpos[:2]) < 1e-6


def test_reacher_moving_target_stays_in_box_and_moves() -> None:
    task = make_task("reacher_moving")
    obs = task.reset(0)
    targets = [obs[6:8]]
    for _ in range(300):
        targets.append(task.step(np.zeros(3)).obs[6:8])
    targets = np.array(targets)
    assert np.abs(targets).max() <= 0.25 + 1e-9
    assert np.ptp(targets, axis=0).max() > 0.1


def test_reacher_targets_are_the_four_corners() -> None:
    task = make_task("reacher")
    corners = {tuple(task.reset(s)[6:8]) for s in range(40)}
    assert corners == {(0.15, 0.15), (-0.15, 0.15), (-0.15, -0.15), (0.15, -0.15)}


def test_half_cheetah_springs_differ() -> None:
    plain, springs = make_task("half_cheetah"), make_task("half_cheetah_springs")
    assert np.all(plain.model.jnt_stiffness == 0) and np.all(springs.model.jnt_stiffness[3:] > 0)
    assert abs(plain.model.body_mass.sum() - 14.0) < 1e-9
