"""The ros2_control controller (``robot_controller``) over real DDS: lifecycle, safety, and the monoped's path.

A probe plays the robot (publishes joint_states, listens to the forward controller's commands); the
controller runs in this process. The monoped through the simulator's ros2_control interface by its
generated task file is checked against its hand-written task file transition by transition. A task-file
error is tried on a real process, since stopping it is the behaviour under test.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from rclpy.lifecycle import TransitionCallbackReturn
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger
from test_nodes_support import node_command, node_env, pick_domain

from svg_control.nodes.interface import qos, topics
from svg_control.nodes.interface.codecs import TransitionCodec
from svg_control.nodes.interface.diagnostics import ERROR
from svg_control.nodes.robot.robot_controller import RobotControllerNode
from svg_control.nodes.simulation.simulator import SimulatorNode
from svg_control.tasks.registry import task_spec

DOMAIN = pick_domain()
STANDIN = Path(__file__).resolve().parent / "standin"
sys.path.insert(0, str(STANDIN))
PERIOD = 0.02
LOW, HIGH = np.array([-2.0, -1.0]), np.array([2.0, 3.0])


def arm_file(tmp_path: Path, **changes) -> Path:
    data = {
        "name": "arm", "control_period": PERIOD, "episode_length": 25, "staleness_limit": 0.15,
        "observation": [{"joint": "a", "field": "position"}, {"joint": "a", "field": "velocity"},
                        {"joint": "b", "field": "position"}],
        "commands": {"interface": "effort", "joints": [{"name": "a", "min": -2.0, "max": 2.0},
                                                       {"name": "b", "min": -1.0, "max": 3.0}]},
        "reward": {"function": "toy_reward:effort_cost"},
        "episode_start": {"operator": True},
        **changes,
    }
    path = tmp_path / "arm.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class FakeArm:
    """The probe's side of the robot: joint_states on a timer (or not), commands recorded with their time."""

    def __init__(self, ros, probe) -> None:
        self.pub = probe.create_publisher(JointState, topics.JOINT_STATES, qos.JOINT_STATES)
        self.commands: list[tuple[float, np.ndarray]] = []
        probe.create_subscription(Float64MultiArray, topics.commands("effort_controller"),
                                  lambda m: self.commands.append((time.monotonic(), np.array(m.data))), qos.COMMANDS)
        self.transitions = probe.listen(topics.TRANSITIONS, Float64MultiArray, qos.TRANSITIONS)
        self.sending = True
        self.nan = False
        self.t = 0.0
        probe.create_timer(0.01, self.publish)

    def publish(self) -> None:
        if not self.sending:
            return
        self.t += 0.01
        pos = [float("nan") if self.nan else np.sin(self.t), 0.2]
        self.pub.publish(JointState(name=["b", "a"], position=pos, velocity=[0.0, np.cos(self.t)], effort=[0.0, 0.0]))


@pytest.fixture
def controller(ros):
    """Make a RobotControllerNode in this process; removed when the test ends."""
    made = []

    def make(params):
        made.append(ros.make(RobotControllerNode, params))
        return made[-1]

    yield make
    for node in made:
        ros.remove(node)


def call(ros, client, request):
    assert ros.spin_until(client.service_is_ready, 5.0), "service not discovered"
    future = client.call_async(request)
    assert ros.spin_until(future.done, 5.0), "service did not answer"
    return future.result()


def test_lifecycle_commands_flow_only_while_active_and_stop_safely(ros, probe, controller, tmp_path):
    arm = FakeArm(ros, probe)
    ctrl = controller({"task": str(arm_file(tmp_path)), "autostart": False,
                                          "diagnostics_period": 0.2})
    ros.spin_for(0.3)
    assert not arm.commands, "an unconfigured controller sent commands"
    assert ctrl.trigger_configure() == TransitionCallbackReturn.SUCCESS
    ros.spin_for(0.3)
    assert not arm.commands, "an inactive controller sent commands"

    assert ctrl.trigger_activate() == TransitionCallbackReturn.SUCCESS
    ros.spin_for(0.2)
    assert arm.commands and all(np.allclose(c, 0.0) for _, c in arm.commands), "waiting: zero effort only"
    assert not arm.transitions
    start = probe.create_client(Trigger, "start_episode")
    assert call(ros, start, Trigger.Request()).success
    assert ros.spin_until(lambda: ctrl.state == "running", 2.0)
    assert not call(ros, start, Trigger.Request()).success, "start_episode while running must be refused"
    assert ros.spin_until(lambda: ctrl.counters["episodes"] >= 1, 10.0)
    assert ctrl.state == "starting", "operator mode: the next episode waits for the operator"
    assert call(ros, start, Trigger.Request()).success
    assert ros.spin_until(lambda: ctrl.counters["episodes"] >= 2, 10.0)
    assert ros.spin_until(lambda: len(arm.transitions) >= 50, 2.0)
    codec = TransitionCodec(ctrl.spec)
    assert sum(codec.decode(m).truncated for m in arm.transitions) >= 1  # episode_length ends an episode
    policy_commands = [c for _, c in arm.commands if not np.allclose(c, 0.0)]
    assert len(policy_commands) > 20
    every = np.array([c for _, c in arm.commands])
    assert np.all(every >= LOW - 1e-12) and np.all(every <= HIGH + 1e-12), "a command left the limits"

    before = len(arm.commands)
    asked = time.monotonic()
    assert ctrl.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
    assert ros.spin_until(lambda: len(arm.commands) > before, PERIOD)
    at, last = arm.commands[-1]
    assert np.allclose(last, 0.0) and at - asked <= PERIOD, "deactivate sent no safe command within a period"
    count = len(arm.commands)
    ros.spin_for(0.3)
    assert len(arm.commands) == count, "commands after deactivate"


def test_stale_or_refused_sensors_send_the_safe_command_and_no_transitions(ros, probe, controller, tmp_path):
    arm = FakeArm(ros, probe)
    ctrl = controller({"task": str(arm_file(tmp_path, episode_length=100000))})
    start = probe.create_client(Trigger, "start_episode")
    assert ros.spin_until(lambda: ctrl.state == "starting", 5.0)
    assert call(ros, start, Trigger.Request()).success
    assert ros.spin_until(lambda: len(arm.transitions) > 10, 5.0)

    arm.sending = False
    stopped = time.monotonic()
    assert ros.spin_until(lambda: ctrl.counters["stale_trips"] == 1, 2.0)
    assert time.monotonic() - stopped <= 0.15 + 3 * PERIOD + 0.1
    ros.spin_for(0.05)
    transitions = len(arm.transitions)
    recent = [c for t, c in arm.commands if t > stopped + 0.15 + PERIOD]
    assert recent and all(np.allclose(c, 0.0) for c in recent), "stale sensors: not the safe command"
    ros.spin_for(0.3)
    assert len(arm.transitions) == transitions, "transitions while the sensors were stale"
    assert ctrl.diagnostics()[0] == ERROR  # on /diagnostics while stale

    arm.nan, arm.sending = True, True  # NaN where the observation reads: counted, dropped, still stale
    ros.spin_for(0.4)
    assert ctrl.counters["refused_samples"] > 10 and ctrl.state == "running" and ctrl.stale_reason
    assert len(arm.transitions) == transitions
    arm.nan = False
    assert ros.spin_until(lambda: len(arm.transitions) > transitions + 5, 3.0), "did not resume on fresh sensors"


def test_estop_is_deactivate(ros, probe, controller, tmp_path):
    arm = FakeArm(ros, probe)
    ctrl = controller({"task": str(arm_file(tmp_path))})
    estop = probe.create_client(SetBool, "estop")
    assert call(ros, estop, SetBool.Request(data=True)).success
    assert ctrl._state_machine.current_state[1] == "inactive" and np.allclose(arm.commands[-1][1], 0.0)
    count = len(arm.commands)
    ros.spin_for(0.2)
    assert len(arm.commands) == count
    assert call(ros, estop, SetBool.Request(data=False)).success
    assert ctrl._state_machine.current_state[1] == "active"


def test_a_wrong_task_file_fails_configure_naming_the_field(controller, tmp_path):
    bad = arm_file(tmp_path, commands={"interface": "torque", "joints": ["a"]})
    ctrl = controller({"task": str(bad), "autostart": False})
    assert ctrl.trigger_configure() == TransitionCallbackReturn.FAILURE
    assert "'commands.interface'" in ctrl.error
    assert ctrl._state_machine.current_state[1] == "unconfigured"
    # autostart: the process stops at once with exit code 2 and one line naming the file's field
    result = subprocess.run(node_command("robot_controller", {"task": str(bad)}), env=node_env(DOMAIN),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "'commands.interface'" in result.stderr and "Traceback" not in result.stderr


MONOPED_FILE = Path(__file__).resolve().parents[1] / "svg_control" / "robots" / "monoped.yaml"
# how each path reaches the monoped: (simulator parameters, controller class, controller parameters)
MONOPED_PATHS = {
    "generated": ({}, RobotControllerNode, {"trigger": "joint_states"}),
    "task_file": ({"command_units": "si"}, RobotControllerNode, {"trigger": "joint_states", "task": str(MONOPED_FILE)}),
}


@pytest.mark.timeout(180)
def test_the_monoped_gives_the_same_transitions_on_every_path(ros):
    """Same seeds, the policy's mean: the task file generated from the monoped (its observation vector, its
    controls) and the shipped hand-written file (SI joint_states, SI efforts) give the same transitions
    (episodes 1 and 2)."""
    from test_nodes_support import Probe

    def run(path: str) -> list:
        sim_params, cls, ctrl_params = MONOPED_PATHS[path]
        probe = ros.add(Probe(ros.context, name=f"probe_{path}"))
        got = probe.listen(f"/{path}/transitions", Float64MultiArray, qos.TRANSITIONS)
        sim = ros.make(SimulatorNode, {"task": "monoped", "max_rate": 0.0, "learner_lead": 0, "publish_clock": False,
                                       **sim_params}, namespace=path)
        ctrl = ros.make(cls, {"task": "monoped", "deterministic": True, **ctrl_params}, namespace=path)
        assert ros.spin_until(lambda: len(got) >= 650, 60.0)
        for node in (ctrl, sim, probe):
            ros.remove(node)
        codec = TransitionCodec(task_spec("monoped"))
        return [codec.decode(m) for m in got[:650]]

    def episodes_1_2(transitions: list) -> list:
        ends = [i for i, t in enumerate(transitions) if t.truncated]
        return transitions[ends[0] + 1:ends[2] + 1]

    generated, robot = episodes_1_2(run("generated")), episodes_1_2(run("task_file"))
    assert len(generated) == len(robot) == 400
    for field in ("obs", "action", "next_obs"):
        a = np.array([getattr(t, field) for t in generated])
        b = np.array([getattr(t, field) for t in robot])
        assert np.abs(a - b).max() < 1e-9, field
    rewards = np.array([[t.reward for t in generated], [t.reward for t in robot]])
    assert np.abs(rewards[0] - rewards[1]).max() < 1e-4  # the controller's reward is the task's, in float32
    assert [t.truncated for t in generated] == [t.truncated for t in robot]


def test_limits_from_the_latched_robot_description(ros, probe, controller, tmp_path):
    from std_msgs.msg import String

    from svg_control.nodes.learning.learner import LearnerNode

    urdf = """<robot name="arm">
      <joint name="a" type="revolute"><limit lower="-1" upper="1" effort="0.5" velocity="2"/></joint>
      <joint name="b" type="revolute"><limit lower="-1" upper="1" effort="1.5" velocity="2"/></joint>
    </robot>"""
    latched = probe.create_publisher(String, topics.ROBOT_DESCRIPTION, qos.ROBOT_DESCRIPTION)
    latched.publish(String(data=urdf))
    path = arm_file(tmp_path, commands={"interface": "effort", "limits_from": "robot_description",
                                        "joints": ["a", "b"]})
    ctrl = controller({"task": str(path)})
    assert [(j.low, j.high) for j in ctrl.task.joints] == [(-0.5, 0.5), (-1.5, 1.5)]
    learner = ros.make(LearnerNode, {"task": str(path), "checkpoint_dir": ""})
    try:
        assert learner.spec.joint_names == ("a", "b")  # its reward maps actions onto the same limits
    finally:
        ros.remove(learner)


def test_cleanup_and_configure_again(ros, probe, controller, tmp_path):
    arm = FakeArm(ros, probe)
    ctrl = controller({"task": str(arm_file(tmp_path)), "autostart": False})
    for _ in range(2):
        assert ctrl.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert ctrl.trigger_activate() == TransitionCallbackReturn.SUCCESS
        assert ros.spin_until(lambda: len(arm.commands) > 3, 2.0)
        assert ctrl.trigger_deactivate() == TransitionCallbackReturn.SUCCESS
        assert ctrl.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
        ros.spin_for(0.1)  # deactivate's safe command, still on its way
        arm.commands.clear()
        ros.spin_for(0.2)
        assert not arm.commands, "commands after cleanup"


def test_a_reward_on_a_topic_is_learned(ros, probe, controller, tmp_path):
    """``reward: {topic: ...}``: the robot's own reward goes into the transitions; the learner fits a reward model."""
    from std_msgs.msg import Float64

    from svg_control.nodes.learning.learner import LearnerNode

    arm = FakeArm(ros, probe)
    rewards = probe.create_publisher(Float64, "my_reward", qos.PLOT)
    probe.create_timer(0.01, lambda: rewards.publish(Float64(data=0.25)))
    path = arm_file(tmp_path, reward={"topic": "my_reward"})
    ctrl = controller({"task": str(path)})
    start = probe.create_client(Trigger, "start_episode")
    assert call(ros, start, Trigger.Request()).success
    assert ros.spin_until(lambda: len(arm.transitions) >= 10, 5.0)
    codec = TransitionCodec(ctrl.spec)
    assert {codec.decode(m).reward for m in arm.transitions} == {0.25}
    learner = ros.make(LearnerNode, {"task": str(path), "checkpoint_dir": ""})
    try:
        assert learner.agent.reward_model is not None  # its gradient stands in for the unknown reward's
    finally:
        ros.remove(learner)


def test_the_termination_function_ends_episodes(ros, probe, controller, tmp_path):
    arm = FakeArm(ros, probe)  # b's position is sin(t): the observation's third entry passes 0.5 after ~0.5 s
    path = arm_file(tmp_path, episode_length=100000, termination={"function": "toy_reward:third_above_half"})
    ctrl = controller({"task": str(path)})
    start = probe.create_client(Trigger, "start_episode")
    assert call(ros, start, Trigger.Request()).success
    assert ros.spin_until(lambda: ctrl.counters["episodes"] == 1, 5.0)
    codec = TransitionCodec(ctrl.spec)
    assert ros.spin_until(lambda: any(codec.decode(m).terminated for m in arm.transitions), 2.0)
    last = next(codec.decode(m) for m in arm.transitions if codec.decode(m).terminated)
    assert last.next_obs[2] > 0.5 and not last.truncated
