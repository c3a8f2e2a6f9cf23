"""Load benchmark: N simulator/controller pairs (/actor_0 .. /actor_{N-1}) feeding one learner over DDS.

    python -m benchmarks.load --actors 8 --duration 600            # the full run
    python -m benchmarks.load --actors 4 --duration 90 --out load.json   # a short one (2-core machine)

Every node is a real process started exactly as ``svg-control launch`` starts it (same parameter
files, same override mechanism), in its actor's namespace; the controllers take the one learner's
weights (``-r policy_weights:=/policy_weights``) and the learner subscribes to every actor's
transitions (``transition_topics``). The script samples each process's resident memory (VmRSS) every
``--sample`` seconds and listens to ``/diagnostics``; at the end it reports, as text and JSON:

* memory per process: first sample after warm-up, peak, last, and the slope over the second half
  (MB/min): bounded memory means a slope near zero and the learner's replay at most its capacity;
* message drops from ``/diagnostics``: malformed commands and transitions, refused sensor samples, stale
  trips and failed resets of the controllers, updates the learner dropped because it could not keep up;
* learner update rate (updates/s over the run), transitions/s received vs produced, and lag: the
  transitions produced but not yet received (in flight) and the policy versions the controllers are
  behind the learner.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actors", type=int, default=8)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of measurement after warm-up")
    ap.add_argument("--warmup", type=float, default=15.0, help="seconds after start before measuring")
    ap.add_argument("--task", default="point_mass")
    ap.add_argument("--replay-capacity", type=int, default=20000)
    ap.add_argument("--max-rate", type=float, default=50.0, help="simulator steps per second per actor (lockstep)")
    ap.add_argument("--sample", type=float, default=2.0, help="seconds between memory samples")
    ap.add_argument("--domain", type=int, default=int(os.environ.get("ROS_DOMAIN_ID", "42")))
    ap.add_argument("--out", type=Path, default=None, help="write the summary as JSON here")
    args = ap.parse_args(argv)

    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor

    from svg_control.nodes.bringup.launcher import command
    from svg_control.nodes.interface import topics
    from svg_control.nodes.interface.node_set import node_set

    actors = [f"actor_{i}" for i in range(args.actors)]
    agent = f"{{replay_capacity: {args.replay_capacity}}}"
    overrides = {
        # learner_lead 0: this benchmark loads the learner on purpose (paced actors would wait for it instead)
        "simulator": {"mode": "lockstep", "max_rate": args.max_rate, "learner_lead": 0, "diagnostics_period": 2.0},
        "controller": {"agent_overrides": agent, "diagnostics_period": 2.0},
        "learner": {"agent_overrides": agent, "diagnostics_period": 2.0,
                    "transition_topics": ",".join(f"/{a}/{topics.TRANSITIONS}" for a in actors)},
    }
    env = dict(os.environ, ROS_DOMAIN_ID=str(args.domain), PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    scratch = tempfile.TemporaryDirectory(prefix="svg-load-")
    procs: dict[str, subprocess.Popen] = {}
    logs = Path(scratch.name)

    def start(key: str, cmd: list[str]) -> None:
        with (logs / f"{key.replace('/', '_')}.log").open("w") as out:
            procs[key] = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    specs = {s.name: s for s in node_set(args.task, overrides)}
    for i, ns in enumerate(actors):
        ctrl = dataclasses.replace(specs["controller"], parameters={**specs["controller"].parameters, "actor_id": i,
                                                                   "seed": 100 + i},
                                   remappings=(("policy_weights", "/policy_weights"),))
        sim = dataclasses.replace(specs["simulator"], parameters={**specs["simulator"].parameters, "seed": i,
                                                                  "publish_clock": False})
        sub = logs / ns
        sub.mkdir()
        start(f"/{ns}/simulator", command(sim, ns, scratch=sub))
        start(f"/{ns}/controller", command(ctrl, ns, scratch=sub))
    start("/learner", command(specs["learner"], "", scratch=logs))

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=args.domain)
    node = rclpy.create_node("load_probe", context=ctx)
    latest: dict[str, dict[str, str]] = {}
    learner_series: list[tuple[float, dict[str, str]]] = []

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            values = {kv.key: kv.value for kv in st.values}
            latest[st.name] = values
            if st.name == "/learner":
                learner_series.append((time.monotonic(), values))

    node.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, on_diag, 50)
    executor = SingleThreadedExecutor(context=ctx)
    executor.add_node(node)
    memory: dict[str, list[tuple[float, float]]] = {k: [] for k in procs}

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)

    def value(name: str, key: str, default: float = float("nan")) -> float:
        try:
            return float(latest.get(name, {}).get(key, default))
        except ValueError:
            return default

    failed = ""
    try:
        print(f"[load] {args.actors} actors + 1 learner ({len(procs)} processes), warm-up {args.warmup:.0f} s",
              flush=True)
        spin(args.warmup)
        t0 = time.monotonic()
        u0 = value("/learner", "updates", 0.0)
        tr0 = value("/learner", "transitions", 0.0)
        next_report = t0 + 30
        while time.monotonic() - t0 < args.duration:
            now = time.monotonic()
            for key, p in procs.items():
                if p.poll() is not None:
                    failed = f"{key} exited with {p.returncode}"
                memory[key].append((now - t0, rss_mb(p.pid)))
            if failed:
                break
            if now >= next_report:
                print(f"[load] t={now - t0:4.0f}s learner updates={value('/learner', 'updates'):.0f} "
                      f"replay={value('/learner', 'replay_size'):.0f} rss={rss_mb(procs['/learner'].pid):.0f} MB",
                      flush=True)
                next_report += 30
            spin(args.sample)
        elapsed = time.monotonic() - t0
        spin(2.5)  # one more diagnostics period
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=ctx)

    def mem_summary(series: list[tuple[float, float]]) -> dict[str, float]:
        if not series:
            return {}
        xs = [t for t, _ in series]
        ys = [m for _, m in series]
        half = [(t, m) for t, m in series if t >= xs[-1] / 2]
        slope = 0.0
        if len(half) >= 2:
            mt = sum(t for t, _ in half) / len(half)
            mm = sum(m for _, m in half) / len(half)
            var = sum((t - mt) ** 2 for t, _ in half)
            slope = 60.0 * sum((t - mt) * (m - mm) for t, m in half) / var if var > 0 else 0.0
        return {"first_mb": round(ys[0], 1), "peak_mb": round(max(ys), 1), "last_mb": round(ys[-1], 1),
                "slope_mb_per_min_2nd_half": round(slope, 2)}

    produced = sum(value(f"/{a}/controller", "transitions", 0.0) for a in actors)
    received = value("/learner", "transitions", 0.0)
    published = value("/learner", "published_version")
    sum_key = lambda node_name, key: sum(value(f"/{a}/{node_name}", key, 0.0) for a in actors)  # noqa: E731
    summary = {
        "actors": args.actors, "task": args.task, "duration_s": round(elapsed, 1), "failed": failed,
        "cpu_count": os.cpu_count(), "replay_capacity": args.replay_capacity, "max_rate_per_actor": args.max_rate,
        "learner": {
            "updates_per_s": round((value("/learner", "updates", 0.0) - u0) / elapsed, 2),
            "transitions_per_s_received": round((received - tr0) / elapsed, 1),
            "updates": value("/learner", "updates"), "replay_size": value("/learner", "replay_size"),
            "replay_within_capacity": value("/learner", "replay_size") <= args.replay_capacity,
            "updates_dropped": value("/learner", "updates_dropped"), "queued": value("/learner", "queued"),
            "malformed_transitions": value("/learner", "malformed_transitions"),
            "published_version": published,
        },
        "lag": {
            # diagnostics of different nodes are up to one period apart: small negative values are skew
            "transitions_in_flight": produced - received,
            "controller_versions_behind": {a: published - value(f"/{a}/controller", "policy_version")
                                           for a in actors},
        },
        "drops": {
            "simulator_malformed_commands": sum_key("simulator", "malformed_commands"),
            "controller_refused_samples": sum_key("controller", "refused_samples"),
            "controller_stale_trips": sum_key("controller", "stale_trips"),
            "controller_reset_failures": sum_key("controller", "reset_failures"),
            "learner_malformed_transitions": value("/learner", "malformed_transitions", 0.0),
            "learner_updates_dropped": value("/learner", "updates_dropped", 0.0),
            "learner_transitions_dropped": value("/learner", "transitions_dropped", 0.0),
        },
        "steps_per_s_per_actor": {a: value(f"/{a}/simulator", "steps", 0.0) / max(elapsed + args.warmup, 1e-9)
                                  for a in actors},
        "memory": {k: mem_summary(v) for k, v in memory.items()},
    }
    text = json.dumps(summary, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if failed:
        print(f"[load] FAILED: {failed}; logs in {logs}", file=sys.stderr)
        for f in sorted(logs.glob("*.log")):
            print(f"--- {f.name}\n{f.read_text()[-1500:]}", file=sys.stderr)
    scratch.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
