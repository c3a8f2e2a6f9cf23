"""Each node alone over real DDS, with a probe node at the other end of every topic.

Simulator, controller (the ros2_control ``robot_controller`` on a registered task) and learner run in this
process (their own executor, real Fast DDS on a private domain); bad start-up parameters are tried on real
processes, since stopping the process is the behaviour under test.
"""
from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import torch
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, Float64MultiArray, Int64, UInt8MultiArray
from std_srvs.srv import SetBool, Trigger
from test_nodes_support import SimulatorSide, node_command, node_env, pick_domain

from svg_control.core.learner import build_policy
from svg_control.core.policy import GaussianPolicy
from svg_control.core.serialization import load_policy_bytes, policy_to_bytes
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.core.transition import Transition, wire_labels
from svg_control.nodes.interface import messages, qos
from svg_control.nodes.interface.codecs import TransitionCodec
from svg_control.nodes.learning.learner import LearnerNode
from svg_control.nodes.robot.robot_controller import RobotControllerNode
from svg_control.nodes.robot.robot_controller import parameters as controller_parameters
from svg_control.nodes.simulation.simulator import SimulatorNode
from svg_control.tasks.registry import reward_fn

DOMAIN = pick_domain()
SPEC = point_mass().spec
FAST = {"diagnostics_period": 0.2}


def call(ros, client, request):
    assert ros.spin_until(client.service_is_ready, 5.0), "service not discovered"
    future = client.call_async(request)
    assert ros.spin_until(future.done, 5.0), "service did not answer"
    return future.result()


def policy_like_controller() -> GaussianPolicy:
    """The policy a controller with the default ``algo`` builds for the point mass."""
    default_algo = next(p.default for p in controller_parameters() if p.name == "algo")
    return build_policy(SPEC, build_config(default_algo, task="point_mass"))


def running_controller(ros, probe, params):
    """A controller on the point mass with the probe as its simulator, its first episode asked for and granted."""
    sim = SimulatorSide(probe, SPEC)
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass", **params})
    assert ros.spin_until(lambda: ctrl.start_confirmed, 5.0), "the controller never asked for an episode"
    return ctrl, sim


# -- simulator ------------------------------------------------------------------------------------------
def test_simulator_lockstep_publishes_and_drops_malformed_commands(ros, probe):
    sim = ros.make(SimulatorNode, {"task": "point_mass", "max_rate": 0.0, "learner_lead": 0, **FAST})
    observations = probe.listen("observation", Float64MultiArray, qos.OBSERVATION)
    joints = probe.listen("joint_states", JointState, qos.JOINT_STATES)
    rewards = probe.listen("reward", Float64, qos.PLOT)
    returns = probe.listen("episode_return", Float64, qos.PLOT)
    clock = probe.listen("/clock", Clock, qos.CLOCK)
    cmd = probe.create_publisher(Float64MultiArray, "effort_controller/commands", qos.COMMANDS)
    assert ros.spin_until(lambda: cmd.get_subscription_count() > 0 and sim.pub_obs.get_subscription_count() > 0)

    for i in range(5):
        n = len(observations)
        cmd.publish(Float64MultiArray(data=[1.0]))
        assert ros.spin_until(lambda n=n, i=i: len(observations) > n and len(joints) >= i + 1), f"no step after {i}"
    data = np.array(observations[-1].data)
    assert data.shape == (SPEC.obs_dim,)
    assert ros.spin_until(lambda: len(observations) >= 5 and len(rewards) >= 5 and len(clock) >= 1)
    assert [d.label for d in observations[-1].layout.dim] == list(SPEC.obs_labels)
    assert list(joints[-1].name) == list(SPEC.obs_labels)  # toy task: joint states fall back to the obs
    assert ros.spin_until(lambda: abs(clock[-1].clock.sec + clock[-1].clock.nanosec * 1e-9 - 5 * SPEC.dt) < 1e-6)

    n = len(observations)
    for bad in ([1.0, 2.0], [math.nan], [math.inf], []):
        cmd.publish(Float64MultiArray(data=bad))
    assert ros.spin_until(lambda: probe.diag("/simulator", "malformed_commands") == 4), probe.diagnostics
    assert len(observations) == n, "a malformed command stepped the simulator"
    assert probe.diag("/simulator", "steps") == 5

    for _ in range(SPEC.horizon - 5):  # finish the episode: a ros2_control robot waits for its reset service
        k = len(observations)
        cmd.publish(Float64MultiArray(data=[0.0]))
        assert ros.spin_until(lambda k=k: len(observations) > k)
    assert sim.episode_steps == SPEC.horizon and sim.episodes == 0
    ros.spin_for(0.3)
    assert not returns, "the simulator ended an episode itself (the controller ends them and publishes returns)"

    m = len(observations)
    result = call(ros, probe.create_client(Trigger, "reset"), Trigger.Request())
    assert result.success
    assert ros.spin_until(lambda: len(observations) == m + 1)  # the next episode's first observation
    assert sim.episodes == 1 and sim.episode_steps == 0
    np.testing.assert_array_equal(observations[-1].data, sim.obs)
    ros.remove(sim)


def test_simulator_realtime_substitutes_safe_action(ros, probe):
    sim = ros.make(SimulatorNode, {"task": "point_mass", "mode": "realtime", "realtime_factor": 5.0, **FAST})
    observations = probe.listen("observation", Float64MultiArray, qos.OBSERVATION)
    ros.spin_for(1.0)  # 50 steps/s for 1 s, no controller
    assert 25 <= len(observations) <= 75
    assert sim.missed == sim.sim_steps  # none was a fresh command
    assert ros.spin_until(lambda: probe.diag("/simulator", "missed_steps", 0) >= 25)
    ros.remove(sim)


def test_simulator_realtime_holds_a_command_until_command_timeout_then_applies_the_safe_action(ros, probe):
    """A dead controller leaves the robot on its safe action, not on its last command: the last command is
    held for command_timeout simulated seconds (here 5 steps of 0.1 s), then the safe action is applied."""
    sim = ros.make(SimulatorNode, {"task": "point_mass", "mode": "realtime", "realtime_factor": 5.0,
                                   "command_timeout": 0.5, **FAST})
    applied: list[float] = []
    step = sim.task.step
    sim.task.step = lambda action: (applied.append(float(np.asarray(action)[0])), step(action))[1]
    cmd = probe.create_publisher(Float64MultiArray, "effort_controller/commands", qos.COMMANDS)
    assert ros.spin_until(lambda: cmd.get_subscription_count() > 0)
    cmd.publish(Float64MultiArray(data=[0.8]))
    assert ros.spin_until(lambda: 0.8 in applied)
    first = applied.index(0.8)  # before it: no command yet, the safe action
    assert ros.spin_until(lambda: len(applied) >= first + 15)
    after = applied[first:first + 15]
    assert after[:6] == [0.8] * 6  # the command itself, then held for 5 missed steps (0.5 s)
    assert after[6:] == [float(SPEC.safe_action[0])] * 9
    assert sim.timed_out == len(applied) - first - 6
    assert ros.spin_until(lambda: probe.diag("/simulator", "timed_out_steps", 0) > 0)
    cmd.publish(Float64MultiArray(data=[0.8]))  # a fresh command is applied again at once
    n = len(applied)
    assert ros.spin_until(lambda: 0.8 in applied[n:])
    ros.remove(sim)


def test_simulator_paced_by_learner_holds_steps_until_the_backlog_shrinks(ros, probe):
    sim = ros.make(SimulatorNode, {"task": "point_mass", "max_rate": 0.0, "learner_lead": 3, "learner_timeout": 3.0,
                                   **FAST})
    steps = probe.listen("observation", Float64MultiArray, qos.OBSERVATION)
    cmd = probe.create_publisher(Float64MultiArray, "effort_controller/commands", qos.COMMANDS)
    backlog = probe.create_publisher(Int64, "learner_backlog", qos.LEARNER_BACKLOG)
    assert ros.spin_until(lambda: cmd.get_subscription_count() > 0 and backlog.get_subscription_count() > 0
                          and sim.pub_obs.get_subscription_count() > 0)

    def command_and_count(wait: float = 0.3) -> int:
        n = len(steps)
        cmd.publish(Float64MultiArray(data=[0.5]))
        ros.spin_for(wait)
        return len(steps) - n

    ros.spin_for(0.3)
    assert not steps, "the first observation went out before the learner reported"
    assert command_and_count() == 0, "a command before the first observation stepped the simulation"
    backlog.publish(Int64(data=0))
    assert ros.spin_until(lambda: len(steps) == 1)  # the first observation, now that the learner is there
    assert [command_and_count() for _ in range(4)] == [1, 1, 1, 0]  # reported 0 + 3 steps since = the lead
    backlog.publish(Int64(data=1))  # the learner caught up but for one transition
    assert ros.spin_until(lambda: probe.diag("/simulator", "steps", 0) == 4)
    assert command_and_count() == 1 and command_and_count() == 0
    assert ros.spin_until(lambda: probe.diag("/simulator", "paced_waits", 0) == 2)  # the two holds above
    n = len(steps)  # a silent learner (3 s) no longer holds the simulation
    assert ros.spin_until(lambda: len(steps) == n + 1, 5.0)
    assert command_and_count() == 1
    ros.remove(sim)


def test_parameters_refuse_invalid_runtime_changes(ros):
    sim = ros.make(SimulatorNode, {"task": "point_mass"})
    assert not sim.set_parameters([Parameter("mode", value="realtime")])[0].successful  # read-only
    ros.remove(sim)
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass"})
    bad = ctrl.set_parameters([Parameter("max_command_rate", value=-1.0)])[0]
    assert not bad.successful and "max_command_rate" in bad.reason
    assert ctrl.set_parameters([Parameter("max_command_rate", value=0.2)])[0].successful
    assert ctrl.p["max_command_rate"] == 0.2
    described = ctrl.describe_parameter("watchdog_timeout")
    assert described.description and described.floating_point_range[0].to_value == 60.0
    ros.remove(ctrl)


def test_parameters_apply_on_humble_without_a_post_set_hook(ros, monkeypatch):
    """Humble's rclpy has no add_post_set_parameters_callback: the nodes still start and take valid changes."""
    import rclpy.node

    monkeypatch.delattr(rclpy.node.Node, "add_post_set_parameters_callback")
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass"})
    assert not ctrl.set_parameters([Parameter("max_command_rate", value=-1.0)])[0].successful
    assert ctrl.set_parameters([Parameter("max_command_rate", value=0.3)])[0].successful
    assert ctrl.p["max_command_rate"] == 0.3
    ros.remove(ctrl)


# -- controller -----------------------------------------------------------------------------------------
def test_controller_acts_publishes_transitions_and_drops_malformed_observations(ros, probe):
    commands = probe.listen("effort_controller/commands", Float64MultiArray, qos.COMMANDS)
    transitions = probe.listen("transitions", Float64MultiArray, qos.TRANSITIONS)
    returns = probe.listen("episode_return", Float64, qos.PLOT)
    ctrl, sim = running_controller(ros, probe, {"watchdog_timeout": 5.0, **FAST})
    assert ros.spin_until(lambda: sim.pub.get_subscription_count() > 0 and ctrl.pub_tr.get_subscription_count() > 0)

    s0, s1, s2 = [0.5, -0.2], [0.55, 0.1], [1e6, 1e6]
    sim.publish(s0)
    assert ros.spin_until(lambda: len(commands) == 1)
    sim.publish(s1)
    assert ros.spin_until(lambda: len(commands) == 2 and len(transitions) == 1)
    t = Transition.from_array(np.array(transitions[0].data), SPEC.obs_dim, SPEC.act_dim)
    assert [(d.label, d.size) for d in transitions[0].layout.dim] == wire_labels(SPEC.obs_dim, SPEC.act_dim)
    np.testing.assert_allclose(t.obs, s0)
    np.testing.assert_allclose(t.next_obs, s1)
    clamped = np.clip(t.action, SPEC.low, SPEC.high)
    expected = float(reward_fn("point_mass")(*(torch.as_tensor(np.array(x)[None], dtype=torch.float32)
                                                for x in (s0, clamped, s1)))[0])
    assert t.reward == pytest.approx(expected, abs=1e-6) and not t.terminated and not t.truncated
    assert math.isfinite(t.log_prob)
    np.testing.assert_allclose(commands[0].data, clamped)

    sim.publish(s2)  # far outside: the command must be clamped to the actuator range
    assert ros.spin_until(lambda: len(commands) == 3)
    assert SPEC.low[0] <= commands[-1].data[0] <= SPEC.high[0]

    for bad in ([0.1], [math.nan] * SPEC.obs_dim, [0.1, math.inf]):
        sim.pub.publish(Float64MultiArray(data=bad))
    assert ros.spin_until(lambda: probe.diag("/controller", "refused_samples") == 3), probe.diagnostics
    assert len(commands) == 3

    for _ in range(SPEC.horizon - 2):  # the horizon's transition is truncated: a transition, but no action
        n = len(commands)
        sim.publish(s1)
        assert ros.spin_until(lambda n=n: len(commands) > n or ctrl.counters["episodes"] == 1)
    assert ros.spin_until(lambda: len(transitions) == SPEC.horizon and len(returns) == 1)
    assert Transition.from_array(np.array(transitions[-1].data), SPEC.obs_dim, SPEC.act_dim).truncated
    ros.spin_for(0.2)
    assert len(commands) == SPEC.horizon and ctrl.state == "starting"
    assert ros.spin_until(lambda: sim.resets == 2)  # and the next episode is asked for

    estop = probe.create_client(SetBool, "estop")
    assert call(ros, estop, SetBool.Request(data=True)).success
    sim.publish(s0)
    sim.publish(s1)
    assert ros.spin_until(lambda: len(commands) == SPEC.horizon + 1)  # the safe command, once, then nothing
    ros.spin_for(0.3)
    assert len(commands) == SPEC.horizon + 1 and commands[-1].data[0] == 0.0  # safe action while latched
    assert len(transitions) == SPEC.horizon  # and no transitions
    assert call(ros, estop, SetBool.Request(data=False)).success
    assert ros.spin_until(lambda: ctrl.start_confirmed, 5.0)
    sim.publish(s0)
    assert ros.spin_until(lambda: len(commands) == SPEC.horizon + 2)  # released: the policy acts again
    ros.remove(ctrl)


def test_sim_time_stamps_follow_the_simulation_and_watchdogs_the_wall(ros, probe):
    """use_sim_time: joint_states carry each step's simulated time; a controller on sim time whose /clock has
    stopped still trips its watchdog (the timers run on the steady clock, or a silent simulator would never
    be noticed)."""
    sim = ros.make(SimulatorNode, {"task": "point_mass", "max_rate": 0.0, "learner_lead": 0, "use_sim_time": True,
                                   **FAST})
    joints = probe.listen("joint_states", JointState, qos.JOINT_STATES)
    cmd = probe.create_publisher(Float64MultiArray, "effort_controller/commands", qos.COMMANDS)
    assert ros.spin_until(lambda: cmd.get_subscription_count() > 0 and sim.pub_joints.get_subscription_count() > 0)
    for i in range(3):
        cmd.publish(Float64MultiArray(data=[0.5]))
        assert ros.spin_until(lambda i=i: len(joints) >= i + 1)
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in joints]
    assert stamps == pytest.approx([1 * SPEC.dt, 2 * SPEC.dt, 3 * SPEC.dt], abs=1e-9)
    ros.remove(sim)

    ctrl, side = running_controller(ros, probe, {"watchdog_timeout": 0.2, "use_sim_time": True, **FAST})
    assert ctrl.get_parameter("use_sim_time").value
    assert ros.spin_until(lambda: side.pub.get_subscription_count() > 0)
    side.publish([0.0, 0.0])  # one observation, then silence
    assert ros.spin_until(lambda: probe.diag("/controller", "stale_trips", 0) >= 1, 5.0)
    ros.remove(ctrl)


def test_controller_watchdog_sends_safe_action(ros, probe):
    commands = probe.listen("effort_controller/commands", Float64MultiArray, qos.COMMANDS)
    ctrl, sim = running_controller(ros, probe, {"watchdog_timeout": 0.2, **FAST})
    assert ros.spin_until(lambda: sim.pub.get_subscription_count() > 0)
    sim.publish([0.5, 0.5])
    assert ros.spin_until(lambda: len(commands) == 1)
    assert ros.spin_until(lambda: len(commands) >= 4, 5.0)  # no more observations: safe actions keep coming
    assert all(c.data[0] == 0.0 for c in commands[1:])
    assert ros.spin_until(lambda: probe.diag("/controller", "stale_trips", 0) >= 1)
    ros.remove(ctrl)


def test_controller_swaps_only_valid_newer_weights(ros, probe):
    weights = probe.create_publisher(UInt8MultiArray, "policy_weights", qos.POLICY_WEIGHTS)
    commands = probe.listen("effort_controller/commands", Float64MultiArray, qos.COMMANDS)
    ctrl, sim = running_controller(ros, probe, {"deterministic": True, "watchdog_timeout": 5.0, **FAST})
    assert ros.spin_until(lambda: weights.get_subscription_count() > 0 and sim.pub.get_subscription_count() > 0)

    policy = policy_like_controller()
    with_bias = {k: v.clone() for k, v in policy.state_dict().items()}
    with_bias["net.4.bias"][0] = 1.0  # a recognisable mean: center + scale * tanh(1)
    policy.load_state_dict(with_bias)
    good = policy_to_bytes(policy, 7)
    weights.publish(UInt8MultiArray(data=good))
    assert ros.spin_until(lambda: ctrl.runner.version == 7)
    for i, bad in enumerate((b"garbage", good[:-10], policy_to_bytes(policy, 3))):  # random, truncated, stale
        weights.publish(UInt8MultiArray(data=bad))  # depth 1, latest wins: one at a time
        assert ros.spin_until(lambda i=i: ctrl.counters["weights_rejected"] == i + 1)
    assert ros.spin_until(lambda: probe.diag("/controller", "weights_rejected", 0) == 3), probe.diagnostics
    assert ctrl.runner.version == 7 and probe.diag("/controller", "policy_version") == 7

    sim.publish([0.0, 0.0])
    assert ros.spin_until(lambda: len(commands) == 1)
    mu, _ = policy.act(np.zeros(2), deterministic=True)
    np.testing.assert_allclose(commands[0].data, np.clip(mu, SPEC.low, SPEC.high), rtol=1e-5)
    ros.remove(ctrl)


# -- learner --------------------------------------------------------------------------------------------
def rollout(n: int, seed: int = 0) -> list[Transition]:
    task, rng = point_mass(), np.random.default_rng(seed)
    obs, out = task.reset(seed=seed), []
    for _ in range(n):
        a = rng.normal(0.0, 2.0, 1)
        r = task.step(a)
        out.append(Transition(obs, a, r.reward, r.obs, r.terminated, r.truncated, -1.0, 0))
        obs = task.reset() if r.truncated else r.obs
    return out


def test_learner_trains_publishes_checkpoints_and_resumes(ros, probe, tmp_path):
    params = {"task": "point_mass", "nice": 0, "publish_every": 5, "checkpoint_dir": str(tmp_path),
              "checkpoint_every": 20, "agent_overrides": "{min_replay: 16, batch_size: 16}", **FAST}
    learner = ros.make(LearnerNode, params)
    weights = probe.listen("policy_weights", UInt8MultiArray, qos.POLICY_WEIGHTS)
    backlog = probe.listen("learner_backlog", Int64, qos.LEARNER_BACKLOG)
    pub = probe.create_publisher(Float64MultiArray, "transitions", qos.TRANSITIONS)
    assert ros.spin_until(lambda: len(weights) >= 1 and pub.get_subscription_count() > 0)  # version 0, latched
    layout = TransitionCodec(SPEC).layout
    for t in rollout(120):
        pub.publish(messages.array_msg(t.to_array(), layout))
    bad_nan = rollout(1)[0].to_array()
    bad_nan[0] = math.nan
    for bad in ([1.0, 2.0], bad_nan):
        pub.publish(Float64MultiArray(data=list(bad)))
    assert ros.spin_until(lambda: probe.diag("/learner", "transitions", 0) == 120
                          and probe.diag("/learner", "malformed_transitions", 0) == 2, 20.0), probe.diagnostics
    assert ros.spin_until(lambda: learner.agent.updates >= 60 and len(weights) >= 3, 60.0), probe.diagnostics

    assert ros.spin_until(lambda: learner.agent.updates >= 120 - 16 and backlog and backlog[-1].data == 0), \
        "the learner never reported that it had caught up"
    policy = policy_like_controller()
    versions = [load_policy_bytes(policy, bytes(m.data)) for m in weights]
    assert versions == sorted(versions) and versions[-1] > versions[0] == 0
    assert ros.spin_until(lambda: learner.checkpoints >= 1, 10.0)
    ros.remove(learner)  # stops the training thread and writes a last checkpoint
    final_version = learner.agent.policy_version
    assert (tmp_path / "latest.json").is_file()

    resumed = ros.make(LearnerNode, params)
    assert resumed.resumed and resumed.agent.policy_version == final_version
    assert resumed.published_version == final_version  # the resumed policy goes out at once (latched)
    assert ros.spin_until(lambda: len(weights) > len(versions))
    assert load_policy_bytes(policy, bytes(weights[-1].data)) == final_version
    ros.remove(resumed)

    # networks of another layout (a default that changed since): refused by name, the run's record untouched
    recorded = (tmp_path / "config.yaml").read_text()
    other_layout = {**params, "agent_overrides": "{min_replay: 16, batch_size: 16, critic_layer_norm: false}"}
    with pytest.raises(ValueError, match="checkpoint_dir.*critic.*resume false"):
        ros.make(LearnerNode, other_layout)
    assert (tmp_path / "config.yaml").read_text() == recorded


def test_a_learner_that_falls_behind_drops_updates_and_its_books_balance(ros, probe):
    """A burst far beyond ``max_backlog``: updates are dropped and counted, and once the learner has caught up the
    updates it made, plus those dropped, plus the budget left, are exactly the updates it owed."""
    learner = ros.make(LearnerNode, {"task": "point_mass", "nice": 0, "max_backlog": 3, "updates_per_transition": 1.5,
                                     "agent_overrides": "{min_replay: 16, batch_size: 16}", **FAST})
    pub = probe.create_publisher(Float64MultiArray, "transitions", qos.TRANSITIONS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    layout = TransitionCodec(SPEC).layout
    for t in rollout(200):
        pub.publish(messages.array_msg(t.to_array(), layout))
    assert ros.spin_until(lambda: probe.diag("/learner", "transitions", 0) == 200 and not learner.queue
                          and learner.budget < 1.0, 60.0), probe.diagnostics
    made = learner.agent.updates - learner.start_updates
    assert learner.dropped_updates > 0 and made > 0
    assert learner.owed_updates == pytest.approx(1.5 * (200 - 15))  # from the transition that readied the replay
    assert made + learner.dropped_updates + learner.budget == pytest.approx(learner.owed_updates)
    assert ros.spin_until(lambda: probe.diag("/learner", "updates_owed", 0) == pytest.approx(learner.owed_updates))
    ros.remove(learner)


def test_learner_run_dir_logs_the_online_curve_and_refuses_another_run(ros, probe, tmp_path):
    """Episode returns from the transitions go to metrics.jsonl (plottable); another task's learner is refused
    on the same directory; resume false moves the run aside instead of deleting it."""
    import json

    from svg_control.plotting import load_curve, plot_runs

    run = tmp_path / "run"
    params = {"task": "point_mass", "checkpoint_dir": str(run), "agent_overrides": "{min_replay: 16, batch_size: 16}",
              **FAST}
    learner = ros.make(LearnerNode, params)
    pub = probe.create_publisher(Float64MultiArray, "transitions", qos.TRANSITIONS)
    assert ros.spin_until(lambda: pub.get_subscription_count() > 0)
    layout = TransitionCodec(SPEC).layout
    rewards = [[-1.0, -2.0, -3.0], [0.5, 0.25]]  # two episodes, the last transition of each truncated
    for episode in rewards:
        for i, r in enumerate(episode):
            t = Transition(np.zeros(2), np.zeros(1), r, np.zeros(2), False, i == len(episode) - 1, -1.0, 0)
            pub.publish(messages.array_msg(t.to_array(), layout))
    metrics = run / "metrics.jsonl"
    assert ros.spin_until(lambda: metrics.exists() and len(metrics.read_text().splitlines()) == 2, 10.0)
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [line["episode_return"] for line in lines] == [-6.0, 0.75]
    assert [line["step"] for line in lines] == [3, 5] and lines[1]["episode_return_mean"] == pytest.approx(-2.625)
    steps, returns = load_curve(run)
    assert list(steps) == [3, 5] and returns[-1] == pytest.approx(-2.625)
    assert plot_runs([run], tmp_path / "curve.png").stat().st_size > 0
    ros.remove(learner)

    with pytest.raises(ValueError, match="checkpoint_dir.*task 'point_mass'"):
        ros.make(LearnerNode, {**params, "task": "cartpole"})
    fresh = ros.make(LearnerNode, {**params, "resume": False})
    assert not fresh.resumed
    aside = [d for d in tmp_path.iterdir() if d.name.startswith("run.old-")]
    assert len(aside) == 1 and (aside[0] / "metrics.jsonl").read_text() == metrics_text(lines)
    assert not metrics.exists()
    ros.remove(fresh)


def metrics_text(lines: list[dict]) -> str:
    import json

    return "".join(json.dumps(line) + "\n" for line in lines)


# -- start-up parameter validation (real processes) -----------------------------------------------------
BAD = [
    ("simulator", {"mode": "bogus"}, "mode"),
    ("simulator", {"task": "no_such_task"}, "task"),
    ("simulator", {"actuator_noise": 5.0}, "actuator_noise"),
    ("robot_controller", {"watchdog_timeout": -1.0}, "watchdog_timeout"),
    ("robot_controller", {"device": "tpu"}, "device"),
    ("learner", {"algo": "nope"}, "algo"),
    ("learner", {"agent_overrides": "{batch_size: -3}"}, "agent_overrides"),
    ("learner", {"updates_per_transition": "many"}, "updates_per_transition"),
    # a GPU the machine does not have (here, where torch sees none: the CUDA tests are in test_cuda.py)
    *([("learner", {"device": "cuda"}, "device")] if not torch.cuda.is_available() else []),
]


def test_bad_parameter_stops_node_naming_it():
    env = node_env(DOMAIN)
    procs = [(subprocess.Popen(node_command(node, params), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True), node, name) for node, params, name in BAD]
    failures = []
    for proc, node, name in procs:
        try:
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            failures.append(f"{node} with bad {name} did not stop")
            continue
        if proc.returncode != 2 or f"'{name}'" not in out or "Traceback" in out:
            failures.append(f"{node} bad {name}: rc={proc.returncode}\n{out[-800:]}")
    assert not failures, "\n".join(failures)


def test_joint_states_of_a_mujoco_task_cover_passive_joints():
    from svg_control.nodes.interface.task_io import JointStateReader, make_task

    task = make_task("cartpole")
    task.reset(seed=0)
    task.step(np.array([0.5]))
    names, pos, vel, eff = JointStateReader(task).read(np.zeros(task.spec.obs_dim))
    assert names == ["slider", "hinge"] and len(pos) == len(vel) == len(eff) == 2
    gear = float(task.model.actuator_gear[0, 0])  # SI: the slider's force in N, the control times the gear
    assert gear != 1.0 and eff[0] == pytest.approx(0.5 * gear) and eff[1] == 0.0  # the pole is passive
