"""The real ``ros2 launch`` after a ``colcon build``: every declared argument takes effect.

Uses the ROS 2 command line built from the sources in ``../shared/vendor/ros2`` (``scripts/setup.sh``
installs it where that folder exists); skipped with the reason where ``ros2`` or ``colcon`` is missing.
One workspace is built per module (a copy of this tree, as a user's clone would be).

Checked: ``--show-args`` lists every argument with its description; ``namespace`` moves the topics;
``use_sim_time`` shows on ``ros2 param dump``; ``params_file`` reaches the nodes; Ctrl-C leaves a
checkpoint in ``run_dir`` that the next launch resumes from (same update count and policy version); a
wrong value stops the launch naming the argument; a killed learner leaves simulator and controller
running, and with ``respawn_learner`` it comes back and resumes; a robot that is not ours, launched from its
task file alone, is learned.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_nodes_support import REPO, pick_domain

from svg_control.nodes.bringup.launch_arguments import ARGUMENTS

ROS2 = shutil.which("ros2", path=str(Path(sys.executable).parent)) or shutil.which("ros2")
COLCON = shutil.which("colcon", path=str(Path(sys.executable).parent)) or shutil.which("colcon")
pytestmark = pytest.mark.skipif(not (ROS2 and COLCON), reason="ros2 / colcon not installed (the vendored ROS 2 "
                                "command line: bash ../shared/tools/ros2-cli-install)")
DOMAIN = pick_domain()
#: how long the stand-in robot is learned from, once the learner has started
STANDIN_SECONDS = 80.0
#: networks small enough that one update per transition keeps up with 50 Hz on a slow machine
STANDIN_LEARNER = ("/**:\n  ros__parameters:\n    agent_overrides: "
                   "'{policy_hidden: [64, 64], critic_hidden: [64, 64], model_hidden: [64, 64]}'\n")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if name.startswith("runs/") or not (REPO / name).is_file():
            continue
        target = ws / "src" / "svg_control" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    build = subprocess.run([COLCON, "build"], cwd=ws, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    for node in ("simulator", "robot_controller", "learner"):  # colcon from the venv: its torch
        shebang = (ws / "install" / "svg_control" / "lib" / "svg_control" / node).read_text().splitlines()[0]
        assert Path(shebang[2:]).parent == Path(sys.executable).parent, shebang
    return ws


def env_of(ws: Path) -> dict[str, str]:
    """The environment ``. install/setup.bash`` gives, without a shell in between."""
    out = subprocess.run(["bash", "-c", f". {ws}/install/setup.bash && env -0"], capture_output=True, check=True)
    env = dict(line.split("=", 1) for line in out.stdout.decode().split("\0") if "=" in line)
    env.update(ROS_DOMAIN_ID=str(DOMAIN), PYTHONUNBUFFERED="1", ROS_HOME=str(ws / "ros_home"))
    return env


def launch(ws: Path, *args: str, file: str = "point_mass.launch.py") -> subprocess.Popen:
    return subprocess.Popen([ROS2, "launch", "svg_control", file, *args], env=env_of(ws),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for(proc: subprocess.Popen, needle: str | None, timeout: float, seen: list[str]) -> bool:
    """Read the launch's output until a line holds ``needle`` (None: for ``timeout`` seconds); the lines read are
    appended to ``seen``."""
    os.set_blocking(proc.stdout.fileno(), False)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if line:
            seen.append(line)
            if needle is not None and needle in line:
                return True
        elif proc.poll() is not None:
            return False
        else:
            time.sleep(0.05)
    return False


def stop(proc: subprocess.Popen, seen: list[str]) -> int:
    """Ctrl-C, as a terminal sends it to ros2 launch; the rest of the output is kept."""
    proc.send_signal(signal.SIGINT)
    try:
        rest, _ = proc.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate()
    seen.append(rest or "")
    return proc.returncode


def ros2(ws: Path, *args: str, until: str = "", timeout: float = 45.0) -> str:
    """A ros2 command's output; repeated until it holds every ``;``-separated part of ``until`` (discovery takes
    a moment, and without the daemon each call discovers afresh)."""
    end = time.monotonic() + timeout
    while True:
        out = subprocess.run([ROS2, *args], env=env_of(ws), capture_output=True, text=True, timeout=60).stdout
        if all(part in out for part in until.split(";")) or time.monotonic() > end:
            return out
        time.sleep(0.5)


def test_show_args_lists_every_argument(workspace):
    out = subprocess.run([ROS2, "launch", "svg_control", "monoped.launch.py", "--show-args"], env=env_of(workspace),
                         capture_output=True, text=True, timeout=60).stdout
    for argument in ARGUMENTS:
        assert f"'{argument.name}':" in out, out
        assert argument.description.split(";")[0][:40] in " ".join(out.split()), argument.name


def test_a_wrong_value_stops_the_launch_naming_it(workspace):
    for args, name in ((["resume:=maybe"], "resume"), (["algo:=nope"], "algo"), (["log_level:=loud"], "log_level")):
        proc = launch(workspace, *args)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode != 0, out
        assert f"invalid launch argument '{name}'" in out, out


def test_arguments_take_effect_and_ctrl_c_leaves_a_checkpoint_the_next_launch_resumes(workspace, tmp_path):
    run_dir = tmp_path / "run"
    params = tmp_path / "params.yaml"
    params.write_text("/**:\n  ros__parameters:\n    agent_overrides: '{min_replay: 32, batch_size: 32}'\n"
                      "/**/learner:\n  ros__parameters:\n    checkpoint_every: 20\n")
    args = ("namespace:=robot_a", f"run_dir:={run_dir}", f"params_file:={params}", "use_sim_time:=true")
    seen: list[str] = []
    proc = launch(workspace, *args)
    try:
        assert wait_for(proc, "learning point_mass with sac-svg (from scratch)", 60, seen), "".join(seen)
        wanted = "/robot_a/joint_states;/robot_a/transitions"
        topics = ros2(workspace, "topic", "list", "--no-daemon", until=wanted)
        assert all(t in topics for t in wanted.split(";")), topics
        dumped = ros2(workspace, "param", "dump", "--no-daemon", "/robot_a/learner",
                      until="use_sim_time: true;min_replay: 32")
        assert "use_sim_time: true" in dumped and "min_replay: 32" in dumped, dumped
        assert wait_for(proc, "]: checkpoint checkpoint-", 120, seen), "".join(seen)  # the periodic one
    finally:
        stop(proc, seen)
    saved = json.loads(subprocess.run(
        [sys.executable, "-c", "import json,sys; from svg_control.core.checkpoint import read_manifest; "
         "print(json.dumps(read_manifest(sys.argv[1])['counters']))", str(run_dir)],
        capture_output=True, text=True, check=True).stdout)
    assert saved["updates"] > 0
    assert (run_dir / "metrics.jsonl").is_file() and (run_dir / "config.yaml").is_file()

    seen = []
    proc = launch(workspace, *args)
    try:
        resumed = f"(resumed at {saved['updates']} updates, policy version {saved['policy_version']})"
        assert wait_for(proc, resumed, 60, seen), "".join(seen)
    finally:
        stop(proc, seen)


def test_a_killed_learner_leaves_the_others_running_and_respawns(workspace, tmp_path):
    seen: list[str] = []
    proc = launch(workspace, f"run_dir:={tmp_path / 'run'}", "respawn_learner:=true")
    try:
        assert wait_for(proc, "learning point_mass", 60, seen), "".join(seen)
        pids = subprocess.run(["pgrep", "-f", "-s", str(proc.pid), "svg_control/learner"], capture_output=True,
                              text=True).stdout.split()
        assert pids, "".join(seen)
        os.kill(int(pids[0]), signal.SIGKILL)
        assert wait_for(proc, "learning point_mass", 60, seen), "the learner did not come back:\n" + "".join(seen)
        nodes = ros2(workspace, "node", "list", "--no-daemon", until="/simulator;/controller;/learner")
        assert "/simulator" in nodes and "/controller" in nodes and "/learner" in nodes, nodes
        assert not any("process has died" in line and ("simulator" in line or "controller" in line) for line in seen)
    finally:
        stop(proc, seen)


def test_the_monoped_launches_through_ros2_control_with_a_managed_controller(workspace):
    """The default monoped launch: the simulator as a ros2_control robot, the lifecycle controller on it."""
    seen: list[str] = []
    proc = launch(workspace, "run_dir:=none", file="monoped.launch.py")
    try:
        assert wait_for(proc, "configured monoped from", 60, seen), "".join(seen)
        assert wait_for(proc, "[controller]: episode 0: return", 120, seen), "".join(seen)
        state = ros2(workspace, "lifecycle", "get", "--no-daemon", "/controller", until="active")
        assert "active" in state and "inactive" not in state, state
        out = ros2(workspace, "lifecycle", "set", "--no-daemon", "/controller", "deactivate",
                   until="Transitioning successful")
        assert "Transitioning successful" in out, out
        state = ros2(workspace, "lifecycle", "get", "--no-daemon", "/controller", until="inactive")
        assert "inactive" in state, state
        info = ros2(workspace, "topic", "info", "--no-daemon", "/effort_controller/commands",
                    until="Publisher count: 1")
        assert "Float64MultiArray" in info, info
    finally:
        stop(proc, seen)
    assert not any("Traceback" in line for line in seen), "".join(seen)


def test_a_task_file_launches_controller_and_learner_only_and_learns_the_standin_robot(workspace, tmp_path):
    """`svg.launch.py task:=<file>`: someone else's robot; nothing of ours simulates it, time is the wall's.

    The robot is the stand-in (``test/standin/reacher_robot.py``): Gymnasium's Reacher-v5 behind
    ``joint_states`` and a forward effort controller's topic, stepping on its own 50 Hz wall-clock timer and
    resetting only when its Trigger is called; the launch gets nothing but its task file (the reward is the
    user module ``standin/reacher_reward.py``). Its policy must get clearly better within the run: the mean
    return of the last ten episodes above the first ten's by a margin a policy that does not learn does not
    reach. The learner runs 64-wide networks (``params_file``, as a user fits a learner to their computer): a
    real-time robot does not wait, and with the default sizes a learner sharing two busy cores with the robot
    and the controller falls behind the 50 Hz stream, so that how much it learns in the run depends on the
    machine; with these its updates keep up on a machine half as fast.
    """
    standin = REPO / "test" / "standin"
    env = env_of(workspace)
    env["PYTHONPATH"] = os.pathsep.join([str(standin), env.get("PYTHONPATH", "")])  # the user's reward module
    params = tmp_path / "small_networks.yaml"
    params.write_text(STANDIN_LEARNER)
    run_dir = tmp_path / "run"
    robot = subprocess.Popen([sys.executable, str(standin / "reacher_robot.py"), "--rate", "50", "--seed", "3"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen([ROS2, "launch", "svg_control", "svg.launch.py", f"task:={standin / 'reacher.yaml'}",
                             f"run_dir:={run_dir}", f"params_file:={params}"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        assert wait_for(proc, "learning standin_reacher with sac-svg", 90, seen), "".join(seen)
        learning_from = time.monotonic()
        nodes = ros2(workspace, "node", "list", "--no-daemon", until="/controller;/learner")
        assert "/controller" in nodes and "/learner" in nodes and "/simulator" not in nodes, nodes
        sim_time = ros2(workspace, "param", "get", "--no-daemon", "/controller", "use_sim_time", until="False")
        assert "False" in sim_time, sim_time
        state = ros2(workspace, "lifecycle", "get", "--no-daemon", "/controller", until="active")
        assert "active" in state, state
        wait_for(proc, None, STANDIN_SECONDS - (time.monotonic() - learning_from), seen)  # while it learns
    finally:
        stop(proc, seen)
        robot.send_signal(signal.SIGINT)
        robot.wait(timeout=20)
    log = "".join(seen)
    assert any("configured standin_reacher" in line for line in seen), log[-3000:]
    returns = [float(r) for r in re.findall(r"\[controller\]: episode \d+: return (-?[\d.]+)", log)]
    assert len(returns) >= 60, f"{len(returns)} episodes in {STANDIN_SECONDS} s:\n{log[-3000:]}"
    first, last = sum(returns[:10]) / 10, sum(returns[-10:]) / 10
    learner_lines = "".join(line for line in seen if "[learner" in line)
    assert (run_dir / "latest.json").exists(), \
        f"no checkpoint after Ctrl-C; the learner said:\n{learner_lines[-3000:]}\n" \
        f"the launch's last lines:\n{log[-2000:]}"
    counters = json.loads((run_dir / "latest.json").read_text())["counters"]
    assert last > first + 2.0, (f"no learning: first ten {first:.2f}, last ten {last:.2f}; {counters['updates']} "
                                f"updates for {counters['env_steps']} transitions; all {returns}")
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) >= len(returns) - 2  # its online curve
    assert "standin_reacher" in (run_dir / "config.yaml").read_text()
