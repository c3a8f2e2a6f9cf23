"""A stand-in robot that is not our simulator: Gymnasium's Reacher-v5 behind ros2_control's topics.

What a robot with ``joint_state_broadcaster`` and a forward effort controller offers, and nothing of
ours: it publishes ``joint_states`` (rad, rad/s, N m; the target's two slide joints too), takes
``effort_controller/commands`` (Float64MultiArray, N m for joint0 and joint1, in that order), steps on a
wall-clock timer whatever the controller does (the last command is held, as a forward controller does),
and starts a new episode only when its ``reset`` service (std_srvs/Trigger) is called. Test-only: it
shows that a robot described by a task file alone (``reacher.yaml``) is learned end to end.

Run: ``python reacher_robot.py [--rate HZ] [--seed N]`` (ROS args after ``--ros-args``).
"""
from __future__ import annotations

import argparse
import signal
import sys

import gymnasium as gym
import numpy as np
import rclpy
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger

GEAR = 200.0  # Reacher-v5's motors: ctrl in [-1, 1] times gear 200 is the joint torque
JOINTS = ("joint0", "joint1", "target_x", "target_y")


class ReacherRobot(Node):
    def __init__(self, rate: float, seed: int) -> None:
        super().__init__("reacher_robot")
        self.env = gym.make("Reacher-v5").unwrapped  # no TimeLimit: episodes end when the controller resets
        self.env.reset(seed=seed)
        self.command = np.zeros(2)
        self.steps = 0
        self.pub = self.create_publisher(JointState, "joint_states", 10)
        self.create_subscription(Float64MultiArray, "effort_controller/commands", self.on_command, 10)
        self.create_service(Trigger, "reset", self.on_reset)
        self.create_timer(1.0 / rate, self.on_timer)
        self.publish()

    def on_command(self, msg: Float64MultiArray) -> None:
        values = np.asarray(msg.data, dtype=np.float64)
        if values.shape == (2,) and np.all(np.isfinite(values)):
            self.command = np.clip(values / GEAR, -1.0, 1.0)

    def on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.env.reset()
        self.publish()
        response.success, response.message = True, "reset"
        return response

    def on_timer(self) -> None:
        self.env.step(self.command)
        self.steps += 1
        self.publish()

    def publish(self) -> None:
        data = self.env.data
        msg = JointState(name=list(JOINTS), position=data.qpos[:4].tolist(), velocity=data.qvel[:4].tolist(),
                         effort=(np.concatenate((self.command * GEAR, np.zeros(2)))).tolist())
        msg.header.stamp = self.get_clock().now().to_msg()
        self.pub.publish(msg)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50.0, help="steps per wall second (Reacher-v5: dt 0.02 s)")
    parser.add_argument("--seed", type=int, default=0)
    args, ros_args = parser.parse_known_args()
    rclpy.init(args=[sys.argv[0], *ros_args])
    node = ReacherRobot(args.rate, args.seed)
    signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
