"""Simulator node: steps a task with actuator noise and publishes what a robot's ros2_control stack would.

Publishes (relative names): ``observation`` (labelled Float64MultiArray, ``codecs.ObservationCodec``),
``joint_states`` (SI: rad or m, rad/s or m/s, and the actuators' joint effort in N m or N, noise included),
``reward``, ``/clock``, ``/diagnostics``.
Subscribes ``<controller_name>/commands`` (Float64MultiArray, one value per actuator).
Service ``reset`` (std_srvs/Trigger) starts a new episode.

It is what a ros2_control robot offers: it publishes no ``episode_return`` (the controller, which ends
episodes, does), holds the last command between commands, and resets only when ``reset`` is called. Its
commands (``command_units``) are each actuator's control
(``control``: what the task file generated from a registered task sends, ``robot_task``) or SI joint efforts
(``si``: the forward effort controller's topic, each divided by its motor's gear to give the control; for
tasks whose actuators are all motors on joints, as a hand-written task file such as
``robots/monoped.yaml`` commands them).

Modes:

* ``lockstep``: one step per command received, as fast as the controller answers (or at most
  ``max_rate`` steps per second). ``/clock``
  carries simulated time (steps x dt), so nodes started with ``use_sim_time`` see the task's time.
* ``learner_lead`` > 0 (lockstep only) paces the simulation by learning: a command is held while the
  learner's ``learner_backlog`` plus the steps taken since it was reported exceed the lead, so the
  learner keeps up by construction and the run learns at the same updates-per-step ratio as the headless
  trainer. At start-up the first observation waits up to ``learner_timeout`` s for the learner's report;
  a learner silent for longer (not launched, crashed) suspends pacing until it reports again.
* ``realtime``: a timer steps every ``dt / realtime_factor`` seconds like a real robot; when no
  command arrived since the last step the last command is held (the safe action before the first one), as
  a forward command controller does, and the step is counted as ``missed``. Held for longer than
  ``command_timeout`` simulated seconds, the command gives way to the task's safe action (counted as
  ``timed_out_steps``): the command timeout a real robot's stack must have (docs/ROBOTS.md), so a
  controller that dies leaves the robot on its safe action, not on its last command.

Malformed commands (wrong length, NaN/Inf, |value| > ``messages.MAX_ABS``, a labelled layout that is not
this task's joints: ``CommandCodec.decode``) are dropped, counted (``malformed_commands`` in
``/diagnostics``) and logged at most once a second. QoS: see ``qos``.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, Float64MultiArray, Int64
from std_srvs.srv import Trigger

from ..interface import qos, topics
from ..interface.codecs import CommandCodec, MalformedMessage, ObservationCodec
from ..interface.diagnostics import OK, WARN, DiagnosticsPublisher, RateMeter
from ..interface.parameter_table import TABLE
from ..interface.params import Param, ParameterError, declare_all
from ..interface.runtime import run_node, steady_timer
from ..interface.task_io import EffortInterface, JointStateReader, make_task


def parameters() -> list[Param]:
    """This node's parameters, from the one table of them (``parameter_table``)."""
    return list(TABLE["simulator"])


class SimulatorNode(Node):
    def __init__(self, name: str = "simulator", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        noise = self.p["actuator_noise"]
        try:
            self.task = make_task(self.p["task"], actuator_noise=None if noise < 0 else noise)
        except ValueError as exc:
            raise ParameterError("actuator_noise" if noise >= 0 else "task", str(exc)) from None
        spec = self.task.spec
        self.spec = spec
        self.lockstep = self.p["mode"] == "lockstep"
        self._dt_ns = round(spec.dt * 1e9)
        self.joints = JointStateReader(self.task)
        self.effort: EffortInterface | None = None
        if self.p["command_units"] == "si":
            try:
                self.effort = EffortInterface(self.task)
            except (ValueError, AttributeError) as exc:
                raise ParameterError("command_units", f"task {spec.name!r} takes no SI joint efforts: {exc}") \
                    from None
        self.observation_codec = ObservationCodec(spec)
        self.command_codec = CommandCodec(spec)

        self.pub_obs = self.create_publisher(Float64MultiArray, topics.OBSERVATION, qos.OBSERVATION)
        self.pub_joints = self.create_publisher(JointState, topics.JOINT_STATES, qos.JOINT_STATES)
        self.pub_reward = self.create_publisher(Float64, topics.REWARD, qos.PLOT)
        self.pub_clock = self.create_publisher(Clock, topics.CLOCK, qos.CLOCK) if self.p["publish_clock"] else None
        self.create_subscription(Float64MultiArray, topics.commands(self.p["controller_name"]), self.on_command,
                                 qos.COMMANDS)
        self.create_service(Trigger, "reset", self.on_reset)
        self.paced = self.lockstep and self.p["learner_lead"] > 0
        self.learner_backlog: int | None = None
        self.backlog_at = time.monotonic()  # start-up counts as a report: wait that long for the first one
        self.steps_since_report = 0
        self.paced_waits = 0
        if self.paced:
            self.create_subscription(Int64, self.p["learner_backlog_topic"], self.on_backlog, qos.LEARNER_BACKLOG)
            steady_timer(self, 0.1, self.release_if_learner_silent)

        self.seq = -1
        self.sim_steps = 0
        self.episode_steps = 0
        self.started = time.monotonic()
        self.episodes = 0
        self.episode_return = 0.0
        self.last_return = float("nan")
        self.commands = 0
        self.malformed = 0
        self.missed = 0
        self.pending: np.ndarray | None = None  # realtime: newest command not yet applied
        self.held: np.ndarray | None = None  # the last command, applied until the next one
        self.held_steps = 0  # steps since the last command arrived
        self.timed_out = 0  # steps on the safe action because the held command was older than command_timeout
        self.step_rate = RateMeter()
        self.obs = self.task.reset(seed=self.p["seed"])
        self.announced = False  # paced: the first observation waits for the learner (or learner_timeout)
        if not self.paced:
            self.announce()
        if not self.lockstep:
            steady_timer(self, spec.dt / self.p["realtime_factor"], self.on_timer)
        elif self.p["max_rate"] > 0:
            steady_timer(self, 1.0 / self.p["max_rate"], self.on_timer)
        DiagnosticsPublisher(self, spec.name, self.diagnostics, self.p["diagnostics_period"])
        self.get_logger().info(f"simulating {spec.name} ({self.p['mode']}, dt={spec.dt} s, obs {spec.obs_dim}, "
                               f"act {spec.act_dim}); commands on {topics.commands(self.p['controller_name'])}")

    # -- inputs ------------------------------------------------------------------------------------------
    def announce(self) -> None:
        """Publish the first observation (once): the controller answers it and the loop begins."""
        if not self.announced:
            self.announced = True
            self._publish(self.obs)

    def on_command(self, msg: Float64MultiArray) -> None:
        if not self.announced:
            return  # answers no observation of ours (e.g. a controller watchdog's safe action during start-up)
        try:
            action = self.command_codec.decode(msg)
        except MalformedMessage as exc:
            self.malformed += 1
            self.get_logger().warning(f"dropped malformed command: {exc}; {self.malformed} so far",
                                      throttle_duration_sec=1.0)
            return
        self.commands += 1
        if self.effort is not None:
            action = self.effort.to_ctrl(action)
        self.held, self.held_steps = action, 0  # a forward command controller holds its last command
        allowed = self.learner_allows()
        if self.lockstep and self.p["max_rate"] <= 0 and allowed:
            self.advance(action)
        else:
            if not allowed and self.pending is None:
                self.paced_waits += 1
            self.pending = action

    def on_timer(self) -> None:
        if self.pending is None and self.lockstep:
            return  # lockstep never steps without a command
        if self.lockstep and not self.learner_allows():
            return
        if self.pending is None:
            self.missed += 1
            self.held_steps += 1
            if self.held is not None and self.held_steps * self.spec.dt > self.p["command_timeout"]:
                self.held = None  # too old to trust: the safe action until a fresh command comes
                self.timed_out += 1
            elif self.held is None and self.commands:
                self.timed_out += 1
            self.advance(self.spec.safe_action if self.held is None else self.held)
        else:
            action, self.pending = self.pending, None
            self.advance(action)

    def on_backlog(self, msg: Int64) -> None:
        self.learner_backlog, self.backlog_at, self.steps_since_report = int(msg.data), time.monotonic(), 0
        self.announce()
        self.release_held_command()

    def learner_silent(self) -> bool:
        return time.monotonic() - self.backlog_at > self.p["learner_timeout"]

    def release_if_learner_silent(self) -> None:
        if self.learner_silent():
            self.announce()
            self.release_held_command()

    def release_held_command(self) -> None:
        """Step the held command now that the learner allows it (the max_rate timer steps it otherwise)."""
        if self.pending is not None and self.p["max_rate"] <= 0 and self.learner_allows():
            action, self.pending = self.pending, None
            self.advance(action)

    def learner_allows(self) -> bool:
        """Whether one more step keeps the simulation within ``learner_lead`` steps of the learner."""
        if not self.paced:
            return True
        if self.learner_silent():
            return True  # a simulation never waits forever for its learner
        if self.learner_backlog is None:
            return False  # start-up: the learner's first report is due within learner_timeout
        return self.learner_backlog + self.steps_since_report < self.p["learner_lead"]

    def on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.announced = True  # the new episode's first observation is published now
        if self.episode_steps == 0:
            # nothing happened since the last reset (a controller that resets when it activates): the episode is
            # already new; drawing another start would only shift the random stream the seed fixed
            self._publish(self.obs)
        else:
            self._new_episode()
        response.success = True
        response.message = f"episode {self.episodes} started"
        return response

    # -- stepping ----------------------------------------------------------------------------------------
    def advance(self, action: np.ndarray) -> None:
        result = self.task.step(action)
        self.sim_steps += 1
        self.episode_steps += 1
        self.steps_since_report += 1
        self.step_rate.tick()
        self.episode_return += result.reward
        self.obs = result.obs
        self._publish(result.obs)
        self.pub_reward.publish(Float64(data=float(result.reward)))
        # the episode goes on until the reset service is called: the controller ends episodes, logs their returns

    def _new_episode(self) -> None:
        self.last_return = self.episode_return
        self.episodes += 1
        self.episode_return = 0.0
        self.episode_steps = 0
        self.obs = self.task.reset()
        self._publish(self.obs)

    def _publish(self, obs: np.ndarray) -> None:
        self.seq += 1
        self.pub_obs.publish(self.observation_codec.encode(obs))
        ns = self.sim_steps * self._dt_ns
        sim_time = Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)
        # under use_sim_time the stamp is this step's simulated time itself, not the node clock's last /clock
        stamp = sim_time if self.get_parameter("use_sim_time").value else self.get_clock().now().to_msg()
        names, pos, vel, eff = self.joints.read(obs)
        js = JointState(name=names, position=pos, velocity=vel, effort=eff)
        js.header.stamp = stamp
        self.pub_joints.publish(js)
        if self.pub_clock is not None:
            self.pub_clock.publish(Clock(clock=sim_time))

    def diagnostics(self) -> tuple[bytes, str, dict[str, object]]:
        rate = self.step_rate.rate()
        level, message = OK, "running"
        if self.malformed or self.missed:
            level, message = WARN, f"{self.malformed} malformed commands, {self.missed} missed steps"
        return level, message, {
            "task": self.spec.name, "mode": self.p["mode"], "steps": self.sim_steps, "steps_per_s": rate,
            "episodes": self.episodes, "last_episode_return": self.last_return,
            "episode_return_so_far": self.episode_return, "commands": self.commands,
            "malformed_commands": self.malformed, "missed_steps": self.missed, "timed_out_steps": self.timed_out,
            "seq": self.seq,
            "learner_backlog": -1 if self.learner_backlog is None else self.learner_backlog,
            "paced_waits": self.paced_waits,
            "sim_time_s": self.sim_steps * self.spec.dt, "wall_time_s": round(time.monotonic() - self.started, 3),
        }


def main(args: Sequence[str] | None = None) -> int:
    return run_node(SimulatorNode, args, "simulator")


if __name__ == "__main__":
    sys.exit(main())
