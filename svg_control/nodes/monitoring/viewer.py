"""Viewer node: a live view of learning in the browser, built on Rerun (its web viewer ships in its wheel).

Subscribes, in its namespace, to ``episode_return``, ``joint_states`` and ``/diagnostics``, and streams:
- the episode return as a time series, per episode;
- every number the nodes put on ``/diagnostics`` (the learner's model/critic/policy losses, sigma or
  alpha and entropy, update and transition rates, backlog; the controller's rates and watchdog trips;
  the simulator's step rate), under ``<node>/<key>``;
- the robot itself: the task's MuJoCo model posed from ``joint_states`` (forward kinematics only: this
  node never steps physics), drawn as its bodies joined parent to child.

It serves the gRPC stream on ``grpc_port`` and the web viewer on ``web_port``: open
``http://<host>:<web_port>/?url=rerun%2Bhttp://<host>:<grpc_port>/proxy``. Rerun is an optional extra
(``pip install 'svg_control[view]'``; its wheel is about 170 MB): without it the node stops at start
with a message naming the extra.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64

from ..interface import qos, topics
from ..interface.parameter_table import TABLE
from ..interface.params import Param, declare_all
from ..interface.runtime import run_node
from ..interface.task_io import make_task

ROBOT_PERIOD = 1.0 / 30.0  # seconds between robot poses streamed (the page redraws at about this rate)


def parameters() -> list[Param]:
    """This node's parameters, from the one table of them (``parameter_table``)."""
    return list(TABLE["viewer"])


def view_url(web_port: int, grpc_port: int, host: str = "localhost") -> str:
    return f"http://{host}:{web_port}/?url=rerun%2Bhttp://{host}:{grpc_port}/proxy"


class RobotPose:
    """Body positions of a MuJoCo task's model for a joint_states message (None for a task without a model)."""

    def __init__(self, task_name: str) -> None:
        self.model = None
        try:
            import mujoco
        except ImportError:
            return
        task = make_task(task_name)
        model = getattr(task, "model", None)
        if model is None:
            return
        self.mujoco, self.model, self.data = mujoco, model, mujoco.MjData(model)
        self.qpos_of = {mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j): int(model.jnt_qposadr[j])
                        for j in range(model.njnt)}
        self.edges = [(int(model.body_parentid[b]), b) for b in range(2, model.nbody)]  # skip world and its link

    def bodies(self, msg: JointState) -> tuple[np.ndarray, list[np.ndarray]] | None:
        if self.model is None:
            return None
        for name, position in zip(msg.name, msg.position):
            adr = self.qpos_of.get(name)
            if adr is not None and np.isfinite(position):
                self.data.qpos[adr] = position
        self.mujoco.mj_kinematics(self.model, self.data)
        xpos = self.data.xpos[1:].copy()
        return xpos, [np.stack([self.data.xpos[p], self.data.xpos[c]]) for p, c in self.edges]


class ViewerNode(Node):
    def __init__(self, name: str = "viewer", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        try:
            import rerun as rr
        except ImportError:
            raise ValueError("the live view needs Rerun, the optional 'view' extra: "
                             "pip install 'svg_control[view]' (or pip install rerun-sdk)") from None
        self.rr = rr
        rr.init(f"svg_control/{self.p['task']}", spawn=False)
        grpc = rr.serve_grpc(grpc_port=self.p["grpc_port"])
        rr.serve_web_viewer(web_port=self.p["web_port"], open_browser=False, connect_to=grpc)
        self.url = view_url(self.p["web_port"], self.p["grpc_port"])
        self.robot = RobotPose(self.p["task"])
        self.started = time.monotonic()
        self.episodes = 0
        self.last_pose = 0.0
        self.logged: dict[str, int] = {}
        self.create_subscription(Float64, topics.EPISODE_RETURN, self.on_return, qos.PLOT)
        self.create_subscription(JointState, topics.JOINT_STATES, self.on_joints, qos.JOINT_STATES)
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self.on_diagnostics, qos.DIAGNOSTICS)
        self.get_logger().info(f"live view of {self.p['task']}: open {self.url}")

    def _log(self, path: str, archetype: Any) -> None:
        self.rr.set_time("wall_time", duration=time.monotonic() - self.started)
        self.rr.log(path, archetype)
        self.logged[path] = self.logged.get(path, 0) + 1

    def on_return(self, msg: Float64) -> None:
        self.episodes += 1
        self.rr.set_time("episode", sequence=self.episodes)
        self._log("returns/episode_return", self.rr.Scalars(float(msg.data)))

    def on_joints(self, msg: JointState) -> None:
        now = time.monotonic()
        if now - self.last_pose < ROBOT_PERIOD:
            return
        self.last_pose = now
        pose = self.robot.bodies(msg)
        if pose is None:  # a task without a model: its joint positions as a bar chart
            self._log("robot/joint_positions", self.rr.BarChart(np.asarray(msg.position, dtype=np.float64)))
            return
        points, segments = pose
        self._log("robot/bodies", self.rr.Points3D(points, radii=0.04))
        self._log("robot/links", self.rr.LineStrips3D(segments, radii=0.02))

    def on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            node = status.name.strip("/").replace("/", ".") or "node"
            for kv in status.values:
                try:
                    value = float(kv.value)
                except ValueError:
                    continue
                if np.isfinite(value):
                    self._log(f"{node}/{kv.key}", self.rr.Scalars(value))


def main(args: Sequence[str] | None = None) -> int:
    return run_node(ViewerNode, args, "viewer")


if __name__ == "__main__":
    sys.exit(main())
