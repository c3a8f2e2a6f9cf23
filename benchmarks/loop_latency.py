"""Latency and throughput of the node set against the issue's targets.

Measures, on loopback with real Fast DDS (nodes as separate processes, like `svg-control launch`):

1. controller compute per step (numpy mirror and torch policy), p50/p99 — target p99 < 0.3 ms;
2. DDS round trip observation -> controller -> command, seen from a stand-in simulator (its ``reset``
   service and ``observation`` topic), p50/p99 — target p99 < 2 ms;
3. lockstep steps/s through simulator + controller processes vs the headless loop in one process
   (agent.act + task.step + agent.observe, with and without agent.update);
4. learner updates/s vs transitions/s with the whole set on a realtime 100 Hz monoped — target
   updates/s >= transitions/s; and the same set in lockstep paced by the learner (the default
   configuration: ``learner_lead`` 10), where the simulation slows to the learner's pace;
5. resident memory of each node — target controller < 400 MB.

Usage: python -m benchmarks.loop_latency [--task monoped] [--seconds 20] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from svg_control.core.algos import make_learner
from svg_control.core.numpy_policy import mirror
from svg_control.core.policy import GaussianPolicy
from svg_control.core.settings import build_config
from svg_control.core.transition import Transition
from svg_control.nodes.bringup.launcher import command
from svg_control.nodes.interface.node_set import node_set
from svg_control.nodes.interface.task_io import make_task

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)), "n": int(a.size)}


def controller_compute(task_name: str, n: int = 5000) -> dict[str, dict[str, float]]:
    """Policy evaluation alone, as the controller does it per step."""
    task = make_task(task_name)
    s, c = task.spec, build_config("svg1-er")
    policy = GaussianPolicy(s.obs_dim, s.act_dim, s.action_low, s.action_high, c.policy_hidden,
                            sigma_init=c.sigma_init, sigma_min=c.sigma_min, sigma_max=c.sigma_max).eval()
    fast = mirror(policy)
    assert fast is not None
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    obs = task.reset(seed=0)
    out: dict[str, dict[str, float]] = {}
    for name, fn in (("numpy_mirror", lambda: fast.act(obs, False, rng)),
                     ("torch", lambda: policy.act(obs, False, gen))):
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            a, _ = fn()
            np.minimum(np.maximum(a, s.low), s.high)
            if i >= 200:
                times.append((time.perf_counter() - t0) * 1e3)
        out[name] = pct(times)
    return out


def headless(task_name: str, steps: int, update: bool) -> float:
    """Steps/s of the single-process loop (what `svg-control train` does)."""
    task = make_task(task_name)
    agent = make_learner("svg1-er", task.spec, task.reward_torch, build_config("svg1-er"), seed=0)
    obs = task.reset(seed=0)
    t0 = None
    for i in range(steps + agent.config.min_replay):
        if i == agent.config.min_replay:
            t0 = time.perf_counter()
        a, lp = agent.act(obs)
        r = task.step(a)
        agent.observe(Transition(obs, a, r.reward, r.obs, r.terminated, r.truncated, lp, agent.policy_version))
        if update:
            agent.update()
        obs = task.reset() if (r.terminated or r.truncated) else r.obs
    return steps / (time.perf_counter() - t0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process, all its threads and its live child processes (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                total += cpu_seconds(int(child))
            except OSError:
                pass  # exited meanwhile
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class NodeProcs:
    """A subset of the node set as processes on a private domain, with parameter overrides."""

    def __init__(self, task: str, names: tuple[str, ...], overrides: dict, domain: int) -> None:
        self.scratch = tempfile.TemporaryDirectory()
        env = dict(os.environ, ROS_DOMAIN_ID=str(domain), PYTHONPATH=str(REPO))
        self.procs = {}
        for spec in node_set(task, overrides):
            if spec.name in names:
                self.procs[spec.name] = subprocess.Popen(command(spec, scratch=Path(self.scratch.name)), env=env,
                                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss(self) -> dict[str, float]:
        return {name: rss_mb(p.pid) for name, p in self.procs.items()}

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(p.pid) for name, p in self.procs.items()}

    def stop(self) -> None:
        for p in self.procs.values():
            p.send_signal(2)
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.scratch.cleanup()


def realtime_learner(args, results: dict, domain: int, diags: dict, spin) -> None:
    """4./5. The whole set with a realtime simulator at the task's rate: does the learner keep up?

    Also the CPU each node used in the measured window (as a share of one core: the learner's thread is
    one core's worth at most) and the resident memory of each node.
    """
    diags.clear()
    full = NodeProcs(args.task, ("simulator", "controller", "learner"), {"simulator": {"mode": "realtime"}}, domain)
    end = time.monotonic() + 120
    while float(diags.get("/learner", {}).get("updates", 0)) < 1 and time.monotonic() < end:
        spin(0.5)  # start-up (torch import, agent build) and the min_replay fill
    spin(5.0)
    rates = []
    dropped0 = float(diags.get("/learner", {}).get("updates_dropped", "nan"))
    cpu0, t0 = full.cpu(), time.monotonic()
    for _ in range(int(args.seconds)):
        spin(1.0)
        d = diags.get("/learner", {})
        rates.append((float(d.get("transitions_per_s", "nan")), float(d.get("updates_per_s", "nan"))))
    cpu1, elapsed = full.cpu(), time.monotonic() - t0
    learner, simulator = diags.get("/learner", {}), diags.get("/simulator", {})
    results["learner"] = {"transitions_per_s": float(np.nanmean([r[0] for r in rates])),
                          "updates_per_s": float(np.nanmean([r[1] for r in rates])),
                          "update_ms": learner.get("update_ms"),
                          "updates_dropped_since_start": learner.get("updates_dropped"),
                          "updates_dropped_in_window": float(learner.get("updates_dropped", "nan")) - dropped0,
                          "realtime_missed_steps": simulator.get("missed_steps"),
                          "simulator_steps": simulator.get("steps")}
    results["realtime_cpu_share"] = {name: round((cpu1[name] - cpu0[name]) / elapsed, 3) for name in cpu0}
    results["rss_mb"] = full.rss()
    full.stop()
    print("realtime learner", results["learner"], "CPU share of one core", results["realtime_cpu_share"],
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="monoped")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", choices=("round_trip", "realtime"), default=None, help="run just that part")
    args = ap.parse_args()
    torch.set_num_threads(1)
    domain = random.randint(101, 200)
    os.environ["ROS_DOMAIN_ID"] = str(domain)
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from std_msgs.msg import Float64MultiArray
    from std_srvs.srv import Trigger

    from svg_control.nodes.interface import qos
    from svg_control.nodes.interface.codecs import ObservationCodec

    results: dict[str, object] = {"task": args.task, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}
    results["controller_compute_ms"] = controller_compute(args.task)
    print("controller compute", results["controller_compute_ms"], flush=True)

    rclpy.init(domain_id=domain)
    probe = rclpy.create_node("bench_probe")
    diags: dict[str, dict[str, str]] = {}

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            diags[st.name] = {kv.key: kv.value for kv in st.values}

    probe.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rclpy.spin_once(probe, timeout_sec=0.05)

    # 2. round trip: the probe plays the simulator, the controller is a real process
    task = make_task(args.task)
    if args.only == "realtime":
        realtime_learner(args, results, domain, diags, spin)
        probe.destroy_node()
        rclpy.try_shutdown()
        print(json.dumps(results, indent=2))
        return
    spec = task.spec
    ctrl = NodeProcs(args.task, ("controller",), {"controller": {"watchdog_timeout": 30.0}}, domain)
    got: list[float] = []
    resets = [0]

    def on_reset(request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        resets[0] += 1  # the controller asks for each episode
        response.success = True
        return response

    probe.create_service(Trigger, "reset", on_reset)
    pub = probe.create_publisher(Float64MultiArray, "observation", qos.OBSERVATION)
    probe.create_subscription(Float64MultiArray, "effort_controller/commands",
                              lambda m: got.append(time.perf_counter()), qos.COMMANDS)
    end = time.monotonic() + 30
    while (pub.get_subscription_count() == 0 or resets[0] == 0) and time.monotonic() < end:
        spin(0.1)
    spin(1.0)
    codec = ObservationCodec(spec)
    obs, rtt, first = task.reset(seed=0), [], True
    for i in range(3000):
        n, asked = len(got), resets[0]
        t0 = time.perf_counter()
        pub.publish(codec.encode(obs))
        while len(got) == n and resets[0] == asked and time.perf_counter() - t0 < 1.0:
            rclpy.spin_once(probe, timeout_sec=0.001)
        if len(got) > n and i >= 100 and not first:
            rtt.append((got[-1] - t0) * 1e3)
        first = resets[0] > asked  # the episode ended here: the next observation starts the one asked for
        obs = task.reset() if first else task.step(spec.safe_action).obs
    spin(1.5)
    results["round_trip_ms"] = pct(rtt)
    results["controller_node_compute_ms"] = {k: diags.get("/controller", {}).get(k)
                                             for k in ("compute_ms_p50", "compute_ms_p99")}
    results["rss_controller_alone_mb"] = ctrl.rss()["controller"]
    ctrl.stop()
    print("round trip", results["round_trip_ms"], results["controller_node_compute_ms"], flush=True)
    if args.only == "round_trip":
        probe.destroy_node()
        rclpy.try_shutdown()
        return

    # 3. lockstep steps/s through simulator + controller processes (no learner)
    pair = NodeProcs(args.task, ("simulator", "controller"),
                     {"controller": {"publish_transitions": False},
                                                     "simulator": {"max_rate": 0.0, "learner_lead": 0}}, domain)
    end = time.monotonic() + 120
    while float(diags.get("/simulator", {}).get("steps", 0)) < 1 and time.monotonic() < end:
        spin(0.5)
    spin(3.0)
    steps0, t0 = float(diags.get("/simulator", {}).get("steps", 0)), time.monotonic()
    spin(args.seconds)
    steps1 = float(diags.get("/simulator", {}).get("steps", 0))
    results["lockstep_nodes_steps_per_s"] = (steps1 - steps0) / (time.monotonic() - t0)
    pair.stop()
    results["headless_steps_per_s_no_update"] = headless(args.task, 2000, update=False)
    results["headless_steps_per_s_with_update"] = headless(args.task, 300, update=True)
    print("lockstep", {k: results[k] for k in results if "steps_per_s" in k}, flush=True)

    realtime_learner(args, results, domain, diags, spin)

    # 4b. the default configuration: lockstep paced by the learner (learner_lead from config/defaults.yaml)
    diags.clear()
    paced = NodeProcs(args.task, ("simulator", "controller", "learner"), {}, domain)
    end = time.monotonic() + 120
    while float(diags.get("/learner", {}).get("updates", 0)) < 1 and time.monotonic() < end:
        spin(0.5)
    spin(5.0)
    first = {k: dict(v) for k, v in diags.items()}
    t0 = time.monotonic()
    spin(args.seconds)
    elapsed = time.monotonic() - t0

    def grew(node: str, key: str) -> float:
        return (float(diags.get(node, {}).get(key, "nan")) - float(first.get(node, {}).get(key, "nan"))) / elapsed

    results["paced_lockstep"] = {"sim_steps_per_s": grew("/simulator", "steps"),
                                 "transitions_per_s": grew("/learner", "transitions"),
                                 "updates_per_s": grew("/learner", "updates"),
                                 "updates_dropped": diags.get("/learner", {}).get("updates_dropped"),
                                 "learner_backlog": diags.get("/simulator", {}).get("learner_backlog"),
                                 "paced_waits_per_s": grew("/simulator", "paced_waits")}
    paced.stop()
    results["load_avg_end"] = os.getloadavg()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    probe.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
