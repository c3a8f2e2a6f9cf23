"""A robot that is not our simulator, from its task file alone (real processes over DDS), without ``ros2 launch``.

The stand-in (``standin/reacher_robot.py``) is Gymnasium's Reacher-v5 behind ``joint_states`` and a
forward effort controller's topic, stepping on its own wall-clock timer at 50 Hz and resetting only when
its Trigger is called. ``svg-control launch standin/reacher.yaml`` (for machines without ``ros2 launch``)
starts the lifecycle controller and the learner only, with nothing but that file (its reward is the user
module ``standin/reacher_reward.py``), and the learner trains on the robot's stream. That the policy gets
better over a longer run is checked through ``ros2 launch`` (test_ros_launch.py), which starts the same two
nodes from the same file; ``check-robot`` tells a user what their robot lacks.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_nodes_support import node_env, pick_domain

DOMAIN = pick_domain()
STANDIN = Path(__file__).resolve().parent / "standin"
RUN_SECONDS = 25.0


def test_svg_control_launch_starts_controller_and_learner_for_a_task_file_and_trains(tmp_path):
    pytest.importorskip("gymnasium")
    env = node_env(DOMAIN, PYTHONPATH=os.pathsep.join([str(STANDIN), os.environ.get("PYTHONPATH", ""),
                                                       str(Path(__file__).resolve().parents[1])]))
    robot = subprocess.Popen([sys.executable, str(STANDIN / "reacher_robot.py"), "--rate", "50", "--seed", "3"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        launch = subprocess.run([sys.executable, "-m", "svg_control.cli", "launch", str(STANDIN / "reacher.yaml"),
                                 "--duration", str(RUN_SECONDS), "--run_dir", str(tmp_path / "run")],
                                env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 90)
    finally:
        robot.send_signal(signal.SIGINT)
        robot.wait(timeout=20)
    log = launch.stdout + launch.stderr
    assert launch.returncode == 0, log[-3000:]
    assert "configured standin_reacher" in log and "learning standin_reacher with sac-svg" in log, log[-3000:]
    assert "[simulator]" not in log, log[-3000:]  # nothing of ours simulates someone else's robot
    returns = re.findall(r"\[controller\]: episode \d+: return (-?[\d.]+)", log)
    assert len(returns) >= 10, f"{len(returns)} episodes in {RUN_SECONDS} s:\n{log[-3000:]}"
    run = tmp_path / "run"
    counters = json.loads((run / "latest.json").read_text())["counters"]
    assert counters["updates"] > 0 and counters["env_steps"] >= 10 * 50, counters
    assert len((run / "metrics.jsonl").read_text().splitlines()) >= len(returns) - 2  # its online curve
    assert "standin_reacher" in (run / "config.yaml").read_text()


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
