"""Helpers shared by the node tests (no tests here): an rclpy context on a private domain, a probe
node that records topics, and spinning until a condition holds.

Real DDS throughout: every test module gets its own ROS_DOMAIN_ID so modules (and other people's
runs on the same machine) cannot hear each other.
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

rclpy = pytest.importorskip("rclpy")

from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402 - after the importorskip
from rclpy.executors import SingleThreadedExecutor  # noqa: E402 - after the importorskip
from rclpy.node import Node  # noqa: E402 - after the importorskip
from rclpy.parameter import Parameter  # noqa: E402 - after the importorskip

from svg_control.nodes.interface import topics  # noqa: E402 - after the importorskip

REPO = Path(__file__).resolve().parents[1]


def pick_domain() -> int:
    """A domain id in 1..100 that no other test module of this run has taken."""
    taken = {int(x) for x in os.environ.get("SVG_TEST_DOMAINS", "").split(",") if x}
    domain = random.choice([d for d in range(1, 101) if d not in taken])
    os.environ["SVG_TEST_DOMAINS"] = ",".join(str(d) for d in sorted(taken | {domain}))
    return domain


class Ros:
    """An initialised context on ``domain`` with one executor; nodes added to it spin together."""

    def __init__(self, domain: int) -> None:
        self.domain = domain
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.nodes: list[Node] = []

    def add(self, node: Node) -> Node:
        self.executor.add_node(node)
        self.nodes.append(node)
        return node

    def make(self, cls: type, params: dict[str, Any] | None = None, **kwargs: Any) -> Node:
        overrides = [Parameter(k, value=v) for k, v in (params or {}).items()]
        return self.add(cls(context=self.context, parameter_overrides=overrides, **kwargs))

    def remove(self, node: Node) -> None:
        self.executor.remove_node(node)
        self.nodes.remove(node)
        node.destroy_node()

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def spin_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return True
            self.executor.spin_once(timeout_sec=0.01)
        return condition()

    def close(self) -> None:
        for node in list(self.nodes):
            self.remove(node)
        self.executor.shutdown()
        rclpy.try_shutdown(context=self.context)


class SimulatorSide:
    """Our simulator's side of the ros2_control loop of a registered task, played by a probe: the ``reset``
    service (counted) and the ``observation`` topic, on which the test publishes each observation itself."""

    def __init__(self, probe: Node, spec: Any, namespace: str = "") -> None:
        from std_msgs.msg import Float64MultiArray
        from std_srvs.srv import Trigger

        from svg_control.nodes.interface import qos
        from svg_control.nodes.interface.codecs import ObservationCodec

        prefix = f"/{namespace}/" if namespace else ""
        self.codec = ObservationCodec(spec)
        self.pub = probe.create_publisher(Float64MultiArray, f"{prefix}observation", qos.OBSERVATION)
        self.resets = 0
        probe.create_service(Trigger, f"{prefix}reset", self.on_reset)

    def on_reset(self, request: Any, response: Any) -> Any:
        self.resets += 1
        response.success = True
        return response

    def publish(self, obs: Any) -> None:
        import numpy as np

        self.pub.publish(self.codec.encode(np.asarray(obs, dtype=np.float64)))


class Probe(Node):
    """The test's end of every topic: records what arrives, publishes what the test asks."""

    def __init__(self, context: Any, name: str = "probe") -> None:
        super().__init__(name, context=context)
        self.received: dict[str, list[Any]] = {}
        self.diagnostics: dict[str, dict[str, str]] = {}
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self._on_diagnostics, 10)

    def listen(self, topic: str, msg_type: type, qos: Any) -> list[Any]:
        store: list[Any] = self.received.setdefault(topic, [])
        self.create_subscription(msg_type, topic, store.append, qos)
        return store

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            self.diagnostics[status.name] = {kv.key: kv.value for kv in status.values}

    def diag(self, node_name: str, key: str, default: float = float("nan")) -> float:
        value = self.diagnostics.get(node_name, {}).get(key)
        try:
            return float(value) if value is not None else default
        except ValueError:
            return default


def node_env(domain: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["ROS_DOMAIN_ID"] = str(domain)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def node_command(name: str, params: dict[str, Any]) -> list[str]:
    from svg_control.nodes.bringup.launcher import format_value
    from svg_control.nodes.interface.node_set import node_module

    cmd = [sys.executable, "-m", node_module(name), "--ros-args"]
    for key, value in params.items():
        cmd += ["-p", f"{key}:={format_value(value)}"]
    return cmd


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment contains ``marker`` (to prove nothing was left behind)."""
    pids = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                stat = (entry / "stat").read_text()
                if ") Z " not in stat:  # zombies have already exited
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def default_algo() -> str:
    """The algorithm a node set runs when none is given: the controller's declared default."""
    from svg_control.nodes.robot.robot_controller import parameters

    return next(p.default for p in parameters() if p.name == "algo")


def node_policy(task: str = "point_mass", **overrides: Any):
    """The policy a controller with the default algorithm builds for ``task`` (its weights fit)."""
    from svg_control.core.learner import build_policy
    from svg_control.core.settings import build_config
    from svg_control.tasks.registry import task_spec

    return build_policy(task_spec(task), build_config(default_algo(), overrides, task=task))


def node_learner(task: str = "point_mass", **overrides: Any):
    """A learner like the learner node's with the default algorithm (its checkpoints load into the node)."""
    from svg_control.core.algos import make_learner
    from svg_control.core.settings import build_config
    from svg_control.tasks.registry import reward_fn, task_spec

    algo = default_algo()
    return make_learner(algo, task_spec(task), reward_fn(task), build_config(algo, overrides, task=task))
