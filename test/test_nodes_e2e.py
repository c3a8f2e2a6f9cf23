"""End to end: simulator, controller and learner as separate processes (started by the launcher, as
`svg-control launch` does) learn the point-mass task over real DDS for a bounded time.

Checks that transitions flow, the learner publishes several policy versions, the controller swaps to
them, the last policy is clearly better than the first (both evaluated here, offline, from the
weights captured on ``policy_weights``), and that stopping leaves no process behind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import UInt8MultiArray
from test_nodes_support import Probe, node_env, pick_domain, processes_with

from svg_control.core.policy import GaussianPolicy
from svg_control.core.serialization import load_policy_bytes
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass

DOMAIN = pick_domain()
DURATION = 60.0


def evaluate(data: bytes, episodes: int = 10) -> tuple[int, float]:
    task = point_mass()
    c = build_config("svg-inf")
    s = task.spec
    policy = GaussianPolicy(s.obs_dim, s.act_dim, s.action_low, s.action_high, c.policy_hidden,
                            sigma_init=c.sigma_init, sigma_min=c.sigma_min, sigma_max=c.sigma_max,
                            state_dependent_sigma=c.state_dependent_sigma, activation=c.activation)
    version = load_policy_bytes(policy, data)
    returns = []
    for ep in range(episodes):
        obs, total = task.reset(seed=10_000 + ep), 0.0
        for _ in range(s.horizon):
            action, _ = policy.act(obs, deterministic=True)
            result = task.step(action)
            total += result.reward
            obs = result.obs
        returns.append(total)
    return version, float(np.mean(returns))


def test_three_processes_learn_and_stop_cleanly(ros, tmp_path):
    probe = ros.add(Probe(ros.context))
    # every version, not only the latest: a reliable volatile reader with room (compatible with the latched writer)
    weights = probe.listen("policy_weights", UInt8MultiArray,
                           QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                                      durability=DurabilityPolicy.VOLATILE))
    marker = f"SVG_TEST_RUN={uuid.uuid4().hex}"
    key, value = marker.split("=")
    # SVG(inf), not the default svg1-er: headless on this toy it improved monotonically on 4 of 4 seeds
    # (4000 steps), while online svg1-er dipped to -1000..-2800 between recoveries and failed this test in
    # 2 of 3 runs (docs/RESULTS.md). One policy version per 50-step episode, so publish every 5.
    cmd = [sys.executable, "-m", "svg_control.nodes.bringup.launcher", "point_mass", "--duration", str(DURATION),
           "--param", "simulator.max_rate=100", "--param", "learner.publish_every=5",
           "--param", "learner.algo=svg-inf", "--param", "controller.algo=svg-inf",
           "--grace", "10", "--run_dir", str(tmp_path / "run")]
    launcher = subprocess.Popen(cmd, env=node_env(DOMAIN, **{key: value}), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + DURATION + 30
        while launcher.poll() is None and time.monotonic() < deadline:
            ros.spin_for(0.2)
        ctrl_version = probe.diag("/controller", "policy_version", -1)
        transitions = probe.diag("/learner", "transitions", 0)
    finally:
        if launcher.poll() is None:
            launcher.kill()
        out = launcher.communicate()[0]
    assert launcher.returncode == 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    time.sleep(0.5)
    assert processes_with(marker) == [], "processes left behind"
    run = tmp_path / "run"  # learning kept: the last checkpoint and the online curve are in the run directory
    assert (run / "latest.json").is_file() and len((run / "metrics.jsonl").read_text().splitlines()) >= 10

    assert transitions > 1000, probe.diagnostics
    versions = [evaluate(bytes(m.data), 1)[0] for m in weights]
    assert len(versions) >= 4, f"only {len(versions)} policy versions published; {probe.diagnostics}"
    assert versions == sorted(versions)
    # diagnostics lag up to a second behind: the controller must run one of the later versions
    assert ctrl_version >= versions[len(versions) // 2], f"controller ran v{ctrl_version}; published {versions}"
    first_version, first_return = evaluate(bytes(weights[0].data))
    last_version, last_return = evaluate(bytes(weights[-1].data))
    print(f"first policy v{first_version}: {first_return:.1f}; last v{last_version}: {last_return:.1f}; "
          f"{transitions:.0f} transitions; diagnostics {probe.diagnostics}")
    assert last_version > first_version
    curve = [evaluate(bytes(m.data), 3) for m in weights[:: max(1, len(weights) // 10)]]
    # Online learning on this unbounded toy can have transient dips (a single late version can sit in one), so
    # the claim is about the late policies as a group: the median of up to 5 versions from the last
    # quarter of the run must be clearly above the untrained policy.
    late = weights[-max(1, len(weights) // 4):]
    late = late[:: max(1, len(late) // 5)][:5]
    late_median = float(np.median([evaluate(bytes(m.data))[1] for m in late]))
    assert late_median > first_return + 0.5 * abs(first_return), (first_return, late_median, last_return, curve)


def node_pids(marker: str) -> dict[str, list[int]]:
    """Live node processes started with ``marker`` in their environment, by node name."""
    out: dict[str, list[int]] = {}
    for pid in processes_with(marker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for name in ("simulator", "controller", "learner"):
            if f"__node:={name}".encode() in cmdline:
                out.setdefault(name, []).append(pid)
    return out


def test_a_killed_learner_is_respawned_and_the_others_keep_running(tmp_path):
    """As under ros2 launch: kill -9 of the learner is reported, simulator and controller keep running
    (same processes), and with --respawn_learner the learner comes back and resumes from its run directory."""
    marker = f"SVG_TEST_RUN={uuid.uuid4().hex}"
    key, value = marker.split("=")
    cmd = [sys.executable, "-m", "svg_control.nodes.bringup.launcher", "point_mass", "--duration", "60",
           "--run_dir", str(tmp_path / "run"), "--respawn_learner", "true",
           "--param", "learner.agent_overrides={min_replay: 32, batch_size: 32}",
           "--param", "controller.agent_overrides={min_replay: 32, batch_size: 32}",
           "--param", "learner.checkpoint_every=20"]
    log = tmp_path / "launch.log"
    launcher = subprocess.Popen(cmd, env=node_env(DOMAIN, **{key: value}), stdout=log.open("w"),
                                stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(node_pids(marker)) < 3:
            time.sleep(0.2)
        before = node_pids(marker)
        assert len(before) == 3, before
        checkpoint = tmp_path / "run" / "latest.json"
        while time.monotonic() < deadline + 60 and not checkpoint.exists():
            time.sleep(0.2)  # a periodic checkpoint: kill -9 leaves no last one
        assert checkpoint.exists()
        os.kill(before["learner"][0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and node_pids(marker).get("learner", before["learner"]) == before["learner"]:
            time.sleep(0.2)
        after = node_pids(marker)
        assert after.get("learner") and after["learner"] != before["learner"], after
        assert after["simulator"] == before["simulator"] and after["controller"] == before["controller"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "(resumed at" not in log.read_text():
            time.sleep(0.2)
        assert launcher.poll() is None, "the launcher stopped the node set"
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=60)
    out = log.read_text()
    assert "node learner exited with code -9; respawning it" in out, out[-3000:]
    assert out.count("learning point_mass with") == 2 and "(resumed at" in out, out[-3000:]
    assert processes_with(marker) == [], "processes left behind"
