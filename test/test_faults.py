"""Faults and safety of the running system, over real DDS.

Process faults (simulator, controller and learner as real processes, killed with SIGKILL):

* kill -9 the learner: the controller keeps controlling with the last good policy; the transitions
  produced meanwhile are kept by the controller's transient_local writer (bound: the last 1000,
  ``qos.TRANSITIONS``) and reach the restarted learner; the restarted learner resumes from its last
  checkpoint, which survived the kill: same policy version and weights (compared with the first
  weights it publishes), same update count (its start-up log line), and the replay contents are
  transitions the controller really sent (compared with what the probe recorded).
* kill -9 the controller: the simulator (real-time mode, a ros2_control robot) counts a missed command from
  the next step and holds the last command, as a forward command controller does, until its command timeout
  gives way to the safe action; a restarted controller gets the latched weights.
* kill -9 the simulator: the controller's watchdog trips (safe commands, counted, logged) and it
  recovers when a new simulator publishes observations again.
* a process writing checkpoints in a loop, killed at random moments: the latest checkpoint always loads.

Safety (the ros2_control controller in this process, the probe as its simulator): commands stay in the
actuator range, ``max_command_rate`` limits their change, e-stop sends the safe action and nothing else until
released, and a policy whose output overflows to NaN sends the safe action (counted) instead of NaN.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Float64MultiArray, UInt8MultiArray
from std_srvs.srv import SetBool
from test_nodes_support import Probe, SimulatorSide, node_command, node_env, node_learner, node_policy, pick_domain

from svg_control.core.algos import make_learner
from svg_control.core.checkpoint import CheckpointError, load_checkpoint, read_manifest
from svg_control.core.policy import GaussianPolicy
from svg_control.core.serialization import policy_to_bytes, read_policy_bytes
from svg_control.core.settings import build_config
from svg_control.core.toy import point_mass
from svg_control.nodes.interface import qos
from svg_control.nodes.robot.robot_controller import RobotControllerNode

DOMAIN = pick_domain()
SPEC = point_mass().spec
N, A = SPEC.obs_dim, SPEC.act_dim
OVERRIDES = "{min_replay: 32, batch_size: 32, replay_capacity: 5000}"
EVERY = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class Proc:
    """One node (named ``node``, running executable ``module``) as a real process, its output in a log file (read
    by the test)."""

    def __init__(self, node: str, params: dict, log_dir: Path, module: str = "") -> None:
        self.node, self.params, self.log_dir, self.module = node, params, log_dir, module or node
        self.runs = 0
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.runs += 1
        self.log = self.log_dir / f"{self.node}-{self.runs}.log"
        with self.log.open("w") as out:
            env = node_env(DOMAIN, RCUTILS_LOGGING_BUFFERED_STREAM="0")
            self.proc = subprocess.Popen(node_command(self.module, self.params), env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self, probe: Probe | None = None) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"{self.node} died early:\n{self.text()}"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        if probe is not None:  # what the probe knows from now on comes from the next process
            probe.diagnostics.pop(f"/{self.node}", None)

    def text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def system(ros, tmp_path_factory):
    """simulator (real time, 4x), controller and learner (checkpoints every 10 updates) as processes."""
    tmp = tmp_path_factory.mktemp("faults")
    probe = ros.add(Probe(ros.context))
    rec = {
        "weights": probe.listen("policy_weights", UInt8MultiArray, EVERY),
        "transitions": probe.listen("transitions", Float64MultiArray, EVERY),
        "commands": probe.listen("effort_controller/commands", Float64MultiArray, qos.COMMANDS),
    }
    common = {"task": "point_mass", "diagnostics_period": 0.25}
    procs = {
        "simulator": Proc("simulator", {**common, "mode": "realtime", "realtime_factor": 4.0}, tmp),
        "controller": Proc("controller", {**common, "agent_overrides": OVERRIDES, "watchdog_timeout": 0.5}, tmp,
                           module="robot_controller"),
        "learner": Proc("learner", {**common, "agent_overrides": OVERRIDES, "checkpoint_dir": str(tmp / "ckpt"),
                                    "checkpoint_every": 10, "publish_every": 5}, tmp),
    }
    yield ros, probe, procs, rec, tmp
    for p in procs.values():
        p.stop()
    ros.remove(probe)


def diag(probe, node, key):
    return probe.diag(f"/{node}", key)


def wait(ros, condition, timeout, what):
    assert ros.spin_until(condition, timeout), f"timed out after {timeout} s waiting for {what}"


def test_learner_kill9_controller_keeps_policy_and_learner_resumes(system):
    ros, probe, procs, rec, tmp = system
    wait(ros, lambda: diag(probe, "learner", "checkpoints") >= 3 and diag(probe, "controller", "policy_version") >= 5,
         90, "learning, checkpoints and weights at the controller")
    procs["learner"].kill9()
    ros.spin_for(0.6)  # weights already in flight, and diagnostics from before the kill, settle
    version = diag(probe, "controller", "policy_version")
    transitions_at_kill = diag(probe, "controller", "transitions")
    steps_at_kill = diag(probe, "controller", "steps")
    ros.spin_for(3.0)  # the learner is down
    wait(ros, lambda: diag(probe, "controller", "steps") > steps_at_kill + 40, 20, "the controller to keep going")
    assert diag(probe, "controller", "policy_version") == version, "the controller lost its last good policy"
    produced = diag(probe, "controller", "transitions") - transitions_at_kill
    assert 0 < produced < 1000, produced  # within the transient_local bound of qos.TRANSITIONS

    # the checkpoint the kill left behind loads (checksum verified), and its replay holds real transitions
    ckpt = tmp / "ckpt"
    manifest = read_manifest(ckpt)
    agent = node_learner(min_replay=32, batch_size=32, replay_capacity=5000)
    assert load_checkpoint(agent, ckpt)
    counters = manifest["counters"]
    assert agent.updates == counters["updates"] > 0 and agent.policy_version == counters["policy_version"]
    sent = np.array([m.data for m in rec["transitions"]])
    stored = np.concatenate([agent.replay.obs, agent.replay.action, agent.replay.next_obs], axis=1)[:len(agent.replay)]
    sent_rows = sent[:, :2 * N + A].astype(np.float32)
    matched = [np.any(np.all(np.isclose(sent_rows, row, atol=1e-6), axis=1)) for row in stored]
    assert len(stored) > 0 and all(matched), f"{matched.count(False)} replay rows were never sent"

    weights_before = len(rec["weights"])
    learner = procs["learner"]
    learner.start()
    wait(ros, lambda: "resumed at" in learner.text(), 60, "the restarted learner")
    resumed = int(re.search(r"resumed at (\d+) updates", learner.text()).group(1))
    assert resumed == counters["updates"], (resumed, counters)
    wait(ros, lambda: len(rec["weights"]) > weights_before, 20, "weights from the restarted learner")
    tensors, meta = read_policy_bytes(bytes(rec["weights"][weights_before].data))
    # The restarted learner publishes the checkpoint's policy at once, but the probe's reader may match the
    # new (latched, depth 1) writer only after newer versions replaced it: a fast learner had done 115
    # updates on the transitions waiting for it by then (seen in a CI dry-run). The exact resumed weights
    # are checked in-process in test_nodes; here: continued from the checkpoint, not from scratch.
    assert int(meta["version"]) >= counters["policy_version"] > 0, (meta["version"], counters)
    if int(meta["version"]) == counters["policy_version"]:
        for name, value in agent.policy.state_dict().items():
            assert torch.equal(tensors[name], value), f"restarted policy differs from the checkpoint in {name}"
    # what the controller produced while the learner was down reached the restarted learner
    ok = ros.spin_until(lambda: probe.diagnostics.get("/learner", {}).get("resumed") == "True"
                        and diag(probe, "learner", "transitions") >= produced, 30)
    assert ok, (produced, counters, probe.diagnostics.get("/learner"), learner.text()[-2000:])
    wait(ros, lambda: diag(probe, "learner", "updates") > counters["updates"], 30, "learning to go on")


def test_controller_kill9_simulator_counts_missed_steps_and_restart_gets_latched_weights(system):
    ros, probe, procs, rec, _ = system
    wait(ros, lambda: len(rec["weights"]) > 0, 30, "weights")
    wait(ros, lambda: diag(probe, "controller", "steps") > 10, 30, "a running loop")
    ros.spin_for(0.3)  # the simulator's latest diagnostics
    missed = diag(probe, "simulator", "missed_steps")
    procs["controller"].kill9(probe)
    killed = time.monotonic()
    wait(ros, lambda: diag(probe, "simulator", "missed_steps") > missed, 10, "a step without a command")
    latency = time.monotonic() - killed
    assert latency < 0.5 + 0.5 + 0.25, f"a missed step counted {latency:.3f} s after the controller died " \
        "(a step every 25 ms, diagnostics every 0.25 s)"
    missed = diag(probe, "simulator", "missed_steps")
    wait(ros, lambda: diag(probe, "simulator", "missed_steps") >= missed + 10, 10, "missed steps to be counted")
    # the held command gives way to the safe action after command_timeout (0.5 simulated s)
    wait(ros, lambda: diag(probe, "simulator", "timed_out_steps") > 0, 10, "the safe action after the command timeout")
    timed_out = time.monotonic() - killed
    assert timed_out < 0.5 + 0.5 + 0.5 + 0.25, f"the safe action came {timed_out:.3f} s after the controller died " \
        "(held for 0.5 s of simulated time, then a step every 25 ms, diagnostics every 0.25 s)"

    procs["controller"].start()
    ok = ros.spin_until(lambda: diag(probe, "controller", "policy_version") >= 0
                        and diag(probe, "controller", "steps") > 10, 60)
    assert ok, ("the restarted controller did not load weights and control", probe.diagnostics.get("/controller"),
                procs["controller"].text()[-2000:])
    latest = int(read_policy_bytes(bytes(rec["weights"][-1].data))[1]["version"])
    wait(ros, lambda: diag(probe, "controller", "policy_version") >= latest - 10, 10, "the latched weights")


def test_simulator_kill9_watchdog_trips_and_recovers(system):
    ros, probe, procs, rec, _ = system
    wait(ros, lambda: diag(probe, "controller", "steps") > 10, 30, "a running loop")
    trips, safe = diag(probe, "controller", "stale_trips"), diag(probe, "controller", "safe_commands")
    procs["simulator"].kill9()
    n = len(rec["commands"])
    tripped = ros.spin_until(lambda: diag(probe, "controller", "stale_trips") >= trips + 1
                             and diag(probe, "controller", "safe_commands") >= safe + 3, 30)
    assert tripped, (trips, safe, probe.diagnostics.get("/controller"), procs["controller"].text()[-3000:])
    wait(ros, lambda: len(rec["commands"]) >= n + 3, 10, "safe commands on the topic")
    assert all(list(m.data) == list(SPEC.safe_action) for m in rec["commands"][-3:])
    wait(ros, lambda: "sensors stale" in procs["controller"].text(), 10, "the watchdog's log line")

    steps = diag(probe, "controller", "steps")
    procs["simulator"].start()
    wait(ros, lambda: diag(probe, "controller", "steps") > steps + 20, 60, "control to resume")
    n = len(rec["commands"])
    wait(ros, lambda: len(rec["commands"]) >= n + 10, 10, "commands")
    assert any(list(m.data) != list(SPEC.safe_action) for m in rec["commands"][n:]), "still only safe commands"


CHECKPOINT_LOOP = textwrap.dedent("""
    import sys, numpy as np
    from svg_control.core.algos import make_learner
    from svg_control.core.checkpoint import load_checkpoint, save_checkpoint
    from svg_control.core.settings import build_config
    from svg_control.core.toy import point_mass
    from svg_control.core.transition import Transition
    task = point_mass()
    agent = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er"))
    if not load_checkpoint(agent, sys.argv[1]):  # resume, as the learner does
        rng = np.random.default_rng(0)
        for _ in range(500):
            o = rng.normal(size=2)
            agent.observe(Transition(o, rng.normal(size=1), 0.0, o + 0.1, False, False, -1.0))
        save_checkpoint(agent, sys.argv[1])
    print("ready", flush=True)
    while True:
        agent.updates += 1
        agent.policy_version += 1
        save_checkpoint(agent, sys.argv[1])
""")


def test_checkpoint_survives_kill9_at_any_moment(tmp_path):
    directory = tmp_path / "ckpt"
    rng = np.random.default_rng()
    env = node_env(DOMAIN)
    updates = -1
    for _round in range(3):
        proc = subprocess.Popen([sys.executable, "-c", CHECKPOINT_LOOP, str(directory)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.05, 1.0)))  # somewhere inside a save: that is all the loop does
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        task = point_mass()
        agent = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er"))
        assert load_checkpoint(agent, directory), "no loadable latest checkpoint after kill -9"
        assert len(agent.replay) == 500 and agent.updates >= updates
        updates = agent.updates
    latest = directory / read_manifest(directory)["file"]
    data = bytearray(latest.read_bytes())
    data[-5] ^= 0xFF  # the verification on load is what protects "latest": flip a byte, it is refused
    latest.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(make_learner("svg1-er", SPEC, point_mass().reward_torch, build_config("svg1-er")), directory)
    os.sync()


# -- safety (controller in this process) -------------------------------------------------------------------
def controller_policy() -> GaussianPolicy:
    return node_policy()


@pytest.fixture
def loop(ros):
    probe = ros.add(Probe(ros.context, "safety_probe"))
    ns = f"safety_{os.getpid()}"
    sim = SimulatorSide(probe, SPEC, ns)
    commands = probe.listen(f"/{ns}/effort_controller/commands", Float64MultiArray, qos.COMMANDS)
    transitions = probe.listen(f"/{ns}/transitions", Float64MultiArray, qos.TRANSITIONS)
    weights = probe.create_publisher(UInt8MultiArray, f"/{ns}/policy_weights", qos.POLICY_WEIGHTS)
    ctrl = ros.make(RobotControllerNode, {"task": "point_mass", "watchdog_timeout": 60.0, "diagnostics_period": 0.2},
                    namespace=ns)
    assert ros.spin_until(lambda: sim.pub.get_subscription_count() > 0 and ctrl.pub_cmd.get_subscription_count() > 0)

    def step(obs, count=1):
        """``count`` observations, each answered by one command (an episode's end waits for the reset first)."""
        for _ in range(count):
            while True:
                assert ros.spin_until(lambda: ctrl.state == "running" or ctrl.start_confirmed, 10.0)
                n, episodes = len(commands), ctrl.counters["episodes"]
                sim.publish(obs)
                assert ros.spin_until(lambda n=n, e=episodes: len(commands) > n or ctrl.counters["episodes"] > e,
                                      10.0)
                if len(commands) > n:
                    break
        return np.array([m.data for m in commands[-count:]])

    yield ros, probe, ctrl, step, commands, transitions, weights, ns, sim
    ros.remove(ctrl)
    ros.remove(probe)


def test_commands_in_range_and_rate_limited(loop):
    ros, probe, ctrl, step, commands, _, weights, _, _ = loop
    wild = controller_policy()  # a policy with huge noise: samples far outside the range, clamped
    with torch.no_grad():
        wild.log_sigma_bias.fill_(50.0)
    weights.publish(UInt8MultiArray(data=policy_to_bytes(wild, 1)))
    assert ros.spin_until(lambda: ctrl.runner.version == 1)
    rng = np.random.default_rng(0)
    free = np.concatenate([step(rng.uniform(-3, 3, N)) for _ in range(60)])
    assert np.all(free >= SPEC.low) and np.all(free <= SPEC.high)
    assert np.abs(np.diff(free[:, 0])).max() > 1.0  # unlimited: jumps
    rate = 2.0  # units per second; dt = 0.1 s -> 0.2 per step
    assert ctrl.set_parameters([rclpy_param("max_command_rate", rate)])[0].successful
    limited = np.concatenate([step(rng.uniform(-3, 3, N)) for _ in range(60)])
    assert np.abs(np.diff(np.concatenate([free[-1:], limited])[:, 0])).max() <= rate * SPEC.dt + 1e-9
    assert np.all(limited >= SPEC.low) and np.all(limited <= SPEC.high)
    assert ctrl.counters["rate_limited_commands"] > 0
    assert ros.spin_until(lambda: probe.diag(f"/{loop[7]}/controller", "rate_limited_commands")
                          == ctrl.counters["rate_limited_commands"])


def rclpy_param(name, value):
    from rclpy.parameter import Parameter

    return Parameter(name, value=value)


def test_estop_sends_the_safe_action_and_nothing_else(loop):
    ros, probe, ctrl, step, commands, transitions, _, ns, sim = loop
    client = probe.create_client(SetBool, f"/{ns}/estop")
    assert ros.spin_until(client.service_is_ready, 10.0)

    def estop(on):
        future = client.call_async(SetBool.Request(data=on))
        assert ros.spin_until(future.done, 10.0)
        assert future.result().success

    step([1.0, -1.0], 3)
    n = len(commands)
    estop(True)
    n_tr = ctrl.counters["transitions"]
    assert ros.spin_until(lambda: len(commands) > n, 5.0)
    for _ in range(20):  # observations keep coming: the estopped controller answers none
        sim.publish([2.0, 1.0])
        ros.spin_for(0.02)
    ros.spin_for(0.3)
    latched = np.array([m.data for m in commands[n:]])
    assert np.all(latched == SPEC.safe_action), "a command other than the safe action left during e-stop"
    assert ctrl.counters["transitions"] == n_tr  # no transitions while engaged
    estop(False)
    released = step([2.0, 1.0], 20)
    assert np.any(released != SPEC.safe_action)


def test_policy_nan_never_leaves_the_controller(loop):
    ros, probe, ctrl, step, commands, transitions, weights, ns, _ = loop
    ok = step([0.1, 0.1], 3)  # the initial policy: normal (finite) commands
    assert np.all(np.isfinite(ok))
    # Finite weights and statistics (accepted) under which the policy computes NaN. The normalised input
    # must itself be +-Inf: where matmul uses fused multiply-add, two finite products never become
    # Inf - Inf (3e38 * 5 - 3e38 * 5 gave +Inf, not NaN, on one of our machines).
    overflow = controller_policy()
    with torch.no_grad():
        overflow.obs_norm.std.fill_(-overflow.obs_norm.eps)  # std + eps == 0: every observation normalises to +-Inf
        linears = [m for m in overflow.net if isinstance(m, torch.nn.Linear)]
        linears[0].weight.fill_(1.0)
    weights.publish(UInt8MultiArray(data=policy_to_bytes(overflow, 2)))
    assert ros.spin_until(lambda: ctrl.runner.version == 2)
    assert ctrl.runner.fast is None, "the numpy mirror disagrees with torch here and must not be used"
    n_tr = ctrl.counters["transitions"]
    out = step([5.0, -5.0], 5)  # +Inf + (-Inf) = NaN in the first layer
    assert np.all(out == SPEC.safe_action)
    assert ctrl.counters["nonfinite_actions"] == 5
    assert ros.spin_until(lambda: probe.diag(f"/{ns}/controller", "nonfinite_actions") == 5, 5.0)
    ros.spin_for(0.2)
    assert ctrl.counters["transitions"] <= n_tr + 1  # no transition carries the NaN step
    assert all(np.all(np.isfinite(m.data)) for m in transitions)


def test_learner_fresh_run_moves_old_checkpoints_aside(ros, tmp_path):
    """resume:=false beside an older run's checkpoints moves that run aside, whole, and starts empty: writing
    beside it would let pruning by name delete the new run's own files (checkpoint-000000000... sorts before
    the old run's), leaving 'latest' unreadable; deleting it would lose the learning."""
    from svg_control.core.checkpoint import load_checkpoint, save_checkpoint
    from svg_control.nodes.learning.learner import LearnerNode

    run = tmp_path / "run"
    old = node_learner()
    old.updates = 500
    save_checkpoint(old, run)
    fresh = ros.make(LearnerNode, {"task": "point_mass", "checkpoint_dir": str(run), "resume": False})
    assert not fresh.resumed and fresh.agent.updates == 0
    ros.remove(fresh)
    (aside,) = [d for d in tmp_path.iterdir() if d.name.startswith("run.old-")]
    kept = node_learner()
    assert load_checkpoint(kept, aside) and kept.updates == 500
    learner = ros.make(LearnerNode, {"task": "point_mass", "checkpoint_dir": str(aside), "resume": True})
    assert learner.resumed and learner.agent.updates == 500
    ros.remove(learner)
