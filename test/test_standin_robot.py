"""A robot that is not our simulator, learned end to end from its task file alone (real processes over DDS).

The stand-in (``standin/reacher_robot.py``) is Gymnasium's Reacher-v5 behind ``joint_states`` and a
forward effort controller's topic, stepping on its own wall-clock timer at 50 Hz and resetting only when
its Trigger is called. ``svg-control launch standin/reacher.yaml`` starts the lifecycle controller and the
learner with nothing but that file (its reward is the user module ``standin/reacher_reward.py``). The
policy must get clearly better within the run: the mean return of the last ten episodes above the first
ten's by a margin that a policy that does not learn does not reach.

The learner runs smaller networks than its defaults (a ROS parameter file, as a user tunes a learner to their
computer): a real-time robot does not wait, and with the default networks a learner sharing two busy cores with
the robot and the controller falls behind the 50 Hz stream, and how much it learns in the run then depends on
the machine; with these its updates keep up with the transitions on a machine half as fast.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_nodes_support import node_env, pick_domain

DOMAIN = pick_domain()
STANDIN = Path(__file__).resolve().parent / "standin"
RUN_SECONDS = 80.0
#: networks small enough that one update per transition keeps up with 50 Hz on a slow machine
SMALL_NETWORKS = ("/**:\n  ros__parameters:\n    agent_overrides: "
                  "'{policy_hidden: [64, 64], critic_hidden: [64, 64], model_hidden: [64, 64]}'\n")


@pytest.mark.timeout(240)
def test_the_standin_reacher_learns_from_its_task_file(tmp_path):
    pytest.importorskip("gymnasium")
    env = node_env(DOMAIN, PYTHONPATH=os.pathsep.join([str(STANDIN), os.environ.get("PYTHONPATH", ""),
                                                       str(Path(__file__).resolve().parents[1])]))
    params = tmp_path / "small_networks.yaml"
    params.write_text(SMALL_NETWORKS)
    robot = subprocess.Popen([sys.executable, str(STANDIN / "reacher_robot.py"), "--rate", "50", "--seed", "3"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        launch = subprocess.run([sys.executable, "-m", "svg_control.cli", "launch", str(STANDIN / "reacher.yaml"),
                                 "--duration", str(RUN_SECONDS), "--run_dir", str(tmp_path / "run"),
                                 "--params_file", str(params)],
                                env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 90)
    finally:
        robot.send_signal(signal.SIGINT)
        robot.wait(timeout=20)
    log = launch.stdout + launch.stderr
    assert launch.returncode == 0, log[-3000:]
    returns = [float(r) for r in re.findall(r"\[controller\]: episode \d+: return (-?[\d.]+)", log)]
    assert len(returns) >= 60, f"{len(returns)} episodes in {RUN_SECONDS} s:\n{log[-3000:]}"
    first, last = float(np.mean(returns[:10])), float(np.mean(returns[-10:]))
    counters = json.loads((tmp_path / "run" / "latest.json").read_text())["counters"]
    assert last > first + 2.0, (f"no learning: first ten {first:.2f}, last ten {last:.2f}; {counters['updates']} "
                                f"updates for {counters['env_steps']} transitions; all {returns}")
    metrics = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) >= len(returns) - 2  # the learner got the episodes (its online curve)
    assert (tmp_path / "run" / "config.yaml").read_text().count("standin_reacher") >= 1


def test_check_robot_reports_what_the_controller_needs(tmp_path):
    env = node_env(DOMAIN, PYTHONPATH=os.pathsep.join([str(STANDIN), os.environ.get("PYTHONPATH", ""),
                                                       str(Path(__file__).resolve().parents[1])]))
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text((STANDIN / "reacher.yaml").read_text().replace("{joint: target_y,", "{joint: wrist,")
                     .replace("trigger: reset", "trigger: go_home"))

    def check(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "svg_control.cli", "check-robot", str(path), "--seconds", "3"],
                              env=env, capture_output=True, text=True, timeout=60)

    assert check(STANDIN / "reacher.yaml").returncode == 1  # no robot yet: nothing on joint_states
    robot = subprocess.Popen([sys.executable, str(STANDIN / "reacher_robot.py"), "--rate", "50"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        good = check(STANDIN / "reacher.yaml")
        assert good.returncode == 0, good.stdout + good.stderr
        for name in ("joint_states", "commands", "episode start", "observation"):
            assert f"[PASS] {name}:" in good.stdout, good.stdout
        bad = check(wrong)
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "[FAIL] joint_states:" in bad.stdout and "lacks joint(s) wrist" in bad.stdout, bad.stdout
        assert "[FAIL] episode start: go_home" in bad.stdout, bad.stdout
    finally:
        robot.send_signal(signal.SIGINT)
        robot.wait(timeout=20)
