"""Lockstep speed of the two ways the simulator and controller talk: steps per wall second and transitions.

The same task through the node set (simulator and controller as separate processes, as ``svg-control launch``
starts them, no learner, the simulator unpaced: ``max_rate`` 0, ``learner_lead`` 0), once per interface:

* ``step``: our packed ``step`` topic and the lockstep ``controller``;
* ``ros2_control``: SI ``joint_states`` and effort commands, the lifecycle ``robot_controller`` acting on each
  joint_states message (``trigger: joint_states``).

Runs alternate between the interfaces (``--repeats`` each) so a noisy machine loads both alike; it prints
each run and the ratio of the mean rates measured in the same invocation.

Usage: python -m benchmarks.interface_speed [--task monoped] [--seconds 15] [--repeats 2]
       [--interfaces step,ros2_control]
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from svg_control.nodes.launcher import command
from svg_control.nodes.node_set import node_set

REPO = Path(__file__).resolve().parents[1]
UNPACED = {"simulator": {"max_rate": 0.0, "learner_lead": 0}}


def run_once(task: str, interface: str, seconds: float, domain: int, probe, diags: dict, spin) -> dict[str, float]:
    """One launch of simulator + controller on ``interface``; the rates over ``seconds`` after a warm-up."""
    diags.clear()
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory() as scratch:
        procs = [subprocess.Popen(command(spec, scratch=Path(scratch)), env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
                 for spec in node_set(task, UNPACED, interface=interface) if spec.name in ("simulator", "controller")]
        try:
            end = time.monotonic() + 120
            while float(diags.get("/controller", {}).get("transitions", 0)) < 1 and time.monotonic() < end:
                spin(0.5)  # start-up: imports, the first episode
            spin(2.0)
            sim0, tr0 = float(diags["/simulator"]["steps"]), float(diags["/controller"]["transitions"])
            t0 = time.monotonic()
            spin(seconds)
            elapsed = time.monotonic() - t0
            sim1, tr1 = float(diags["/simulator"]["steps"]), float(diags["/controller"]["transitions"])
        finally:
            for p in procs:
                p.send_signal(2)
            for p in procs:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
    return {"steps_per_s": (sim1 - sim0) / elapsed, "transitions_per_s": (tr1 - tr0) / elapsed,
            "transitions_per_step": (tr1 - tr0) / max(sim1 - sim0, 1.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="monoped")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--interfaces", default="step,ros2_control")
    args = ap.parse_args()
    interfaces = [i for i in args.interfaces.split(",") if i]
    domain = random.randint(101, 200)
    os.environ["ROS_DOMAIN_ID"] = str(domain)
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray

    rclpy.init(domain_id=domain)
    probe = rclpy.create_node("interface_speed_probe")
    diags: dict[str, dict[str, str]] = {}

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            diags[st.name] = {kv.key: kv.value for kv in st.values}

    probe.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 50)

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rclpy.spin_once(probe, timeout_sec=0.05)

    results: dict[str, list[dict[str, float]]] = {i: [] for i in interfaces}
    print(f"{args.task}: {args.seconds:g} s per run, {args.repeats} runs per interface, alternating; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for r in range(args.repeats):
        for interface in interfaces:
            got = run_once(args.task, interface, args.seconds, domain, probe, diags, spin)
            results[interface].append(got)
            print(f"run {r + 1} {interface:>12}: {got['steps_per_s']:7.1f} steps/s, "
                  f"{got['transitions_per_s']:7.1f} transitions/s ({got['transitions_per_step']:.3f} per step)",
                  flush=True)
    means = {i: sum(g["steps_per_s"] for g in runs) / len(runs) for i, runs in results.items()}
    for i, m in means.items():
        print(f"mean {i:>12}: {m:7.1f} steps/s", flush=True)
    if len(interfaces) == 2:
        a, b = interfaces
        print(f"ratio {a}/{b}: {means[a] / means[b]:.2f}", flush=True)
    probe.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
