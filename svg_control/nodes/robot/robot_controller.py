"""ros2_control controller node: learns on any robot that offers ``joint_states`` and a forward command controller.

A managed (lifecycle) node named ``controller``:

* **configure** loads the task (a task file, ``tasks/task_file.py``, or a registered task, whose task file
  ``robot_task`` generates from its spec: our simulator as the robot) and builds the policy; a wrong file
  fails here with its field named (``autostart`` then stops the process with exit code 2).
* **activate** starts episodes and commands; **deactivate** sends the safe command at once and stops;
  ``estop`` (std_srvs/SetBool) is deactivate (true) and activate (false).

Reads the task file's ``joint_states`` (sensor_msgs/JointState) and, where the observation needs them,
``sensor_msgs/Imu`` and ``nav_msgs/Odometry`` (a registered task: the simulator's ``observation``, instead);
writes ``<controller>/commands`` (Float64MultiArray in the task file's joint order, SI units: what
ros2_control's forward_command_controller takes; a registered task's controls),
``transitions`` for the learner, ``episode_return`` and ``/diagnostics``; takes ``policy_weights``.

The control step (``trigger``): ``timer`` acts every control period on the newest samples (a real robot;
the forward controller holds the last command between steps); ``joint_states`` acts on every new state
message, joint_states or a registered task's observation (a simulator stepping once per command, like ours
in lockstep). Either way:

* samples older than the task's ``staleness_limit`` (or refused ones: a missing joint, a NaN) send the
  safe command (zero effort/velocity, or hold the current position) and no transition;
* commands are the policy's action mapped onto the joint limits, clamped there and rate-limited
  (``commands.max_rate``, and the ``max_command_rate`` parameter); a rate-limited step publishes no transition
  (its log-prob would not be exact);
* the reward is the task's torch reward of (s, a, s') (or the newest value on the reward topic); an
  episode ends at ``episode_length`` steps or when the termination function says so; the next one starts
  when the robot's ``std_srvs/Trigger`` answers (``episode_start.trigger``) or when the operator calls our
  ``start_episode`` service. The controller never waits for the learner. An episode whose first sample
  does not come within the staleness limit of the robot's answer is asked for again (a lockstep simulator
  waits for a command, so a lost first sample would stall the loop).
"""
from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float64, Float64MultiArray, String, UInt8MultiArray
from std_srvs.srv import SetBool, Trigger

from ...core.transition import Transition
from ..interface import qos, topics
from ..interface.codecs import MalformedMessage, TransitionCodec
from ..interface.diagnostics import ERROR, OK, WARN, DiagnosticsPublisher, RateMeter
from ..interface.messages import array_msg, layout, scalar_blocks
from ..interface.parameter_table import TABLE
from ..interface.params import Param, ParameterError, agent_config, declare_all
from ..interface.runtime import run_node, steady_timer
from ..interface.task_io import is_task_file, load_task_file, robot_description_for
from .policy_runner import PolicyRunner
from .robot_io import CommandShaper, ObservationBuilder, Refused
from .robot_task import RegisteredTask, registered_task

STARTING, RUNNING, INACTIVE = "starting", "running", "inactive"


def parameters() -> list[Param]:
    """This node's parameters, from the one table of them (``parameter_table``)."""
    return list(TABLE["controller"])


class RobotControllerNode(LifecycleNode):
    def __init__(self, name: str = "controller", **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        self.robot_description = robot_description_for(self, self.p["task"],
                                                        self.p["robot_description_topic"],
                                                        self.p["robot_description_timeout"])
        if self.robot_description is None:  # a later one (robot_state_publisher started after us) for a re-configure
            self.create_subscription(String, self.p["robot_description_topic"], self.on_robot_description,
                                     qos.ROBOT_DESCRIPTION)
        self.state = INACTIVE
        self.configured = False
        self.error = ""
        self.stale_reason: str | None = None
        self.counters = dict.fromkeys(("steps", "transitions", "episodes", "refused_samples", "stale_trips",
                                       "safe_commands", "rate_limited_commands", "nonfinite_actions",
                                       "weights_loaded", "weights_rejected", "reset_failures", "no_reward"), 0)
        self.compute_ms: deque[float] = deque(maxlen=2000)
        self.step_rate = RateMeter()
        self.recent_returns: deque[float] = deque(maxlen=10)
        self.last_return = float("nan")
        if self.p["autostart"]:
            if self.trigger_configure() != TransitionCallbackReturn.SUCCESS:
                raise ParameterError("task", self.error or "configure failed")
            self.trigger_activate()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._configure()
        except ValueError as exc:  # TaskFileError, ParameterError: the message names the field
            self.error = str(exc)
            self.get_logger().error(f"configure failed: {exc}")
            return TransitionCallbackReturn.FAILURE
        self.configured = True
        return TransitionCallbackReturn.SUCCESS

    def _configure(self) -> None:
        name = self.p["task"]
        self.task = task = load_task_file(name, self.robot_description) if is_task_file(name) else \
            registered_task(name, self.p["controller_name"], self.p["watchdog_timeout"])
        self.spec = spec = task.spec
        self.trigger = self.p["trigger"] if self.p["trigger"] != "auto" else \
            "joint_states" if isinstance(task, RegisteredTask) else "timer"
        config = agent_config(self.p["algo"], self.p["agent_overrides"], task.name)
        self.runner = PolicyRunner(spec, config, torch.device(self.p["device"]), self.p["numpy_policy"],
                                   self.p["seed"])
        self.builder = ObservationBuilder(task)
        self.shaper = CommandShaper(task)
        self.reward = task.reward_torch()
        self.terminated = task.terminated_torch()
        self.command_layout = layout(scalar_blocks(spec.joint_names, spec.act_dim, "u"))
        self.transition_codec = TransitionCodec(spec)
        lockstep = self.trigger == "joint_states"
        self.entities: list[Any] = [
            self.create_publisher(Float64MultiArray, topics.commands(task.controller), qos.COMMANDS),
            self.create_publisher(Float64MultiArray, topics.TRANSITIONS, qos.TRANSITIONS),
            self.create_publisher(Float64, topics.EPISODE_RETURN, qos.PLOT),
        ]
        self.pub_cmd, self.pub_tr, self.pub_return = self.entities
        self.entities += [
            self.create_subscription(UInt8MultiArray, topics.POLICY_WEIGHTS, self.on_weights, qos.POLICY_WEIGHTS),
            self.create_service(SetBool, "estop", self.on_estop),
            self.create_service(Trigger, "start_episode", self.on_start_episode),
        ]
        if isinstance(task, RegisteredTask):  # the robot's observation vector is the one sensor: no joint_states
            self.entities.append(self.create_subscription(Float64MultiArray, task.observation_topic,
                                                          self.on_observation, qos.OBSERVATION))
        else:  # lockstep waits on every sample: reliable; a robot's broadcaster may be best-effort: sensor QoS
            self.entities.append(self.create_subscription(JointState, task.joint_states_topic, self.on_joint_states,
                                                          qos.JOINT_STATES if lockstep else qos_profile_sensor_data))
        if task.imu_topic:
            self.entities.append(self.create_subscription(Imu, task.imu_topic, self.on_imu, qos_profile_sensor_data))
        if task.odometry_topic:
            from nav_msgs.msg import Odometry

            self.entities.append(self.create_subscription(Odometry, task.odometry_topic, self.on_odometry,
                                                          qos_profile_sensor_data))
        self.reward_value: float | None = None
        if task.reward_topic:
            self.entities.append(self.create_subscription(Float64, task.reward_topic, self.on_reward, qos.PLOT))
        self.reset_client = self.create_client(Trigger, task.reset_service) if task.reset_service else None
        if not hasattr(self, "diagnostics_publisher"):  # once: a re-configure keeps reporting under the first name
            self.diagnostics_publisher = DiagnosticsPublisher(self, spec.name, self.diagnostics,
                                                              self.p["diagnostics_period"])
        source = "its spec" if isinstance(task, RegisteredTask) else str(task.path)
        self.get_logger().info(f"configured {spec.name} from {source}: {spec.obs_dim} observations, "
                               f"{task.interface} commands on {task.controller}/commands for "
                               f"{', '.join(spec.joint_names)}")

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.pending: tuple[np.ndarray, np.ndarray, float, int] | None = None
        self.last_used_seq = 0
        self.stale_reason = None
        self.control_timers = [steady_timer(self, min(self.task.staleness_limit / 2, 0.05), self.on_staleness_check)]
        if self.trigger == "timer":
            self.control_timers.append(steady_timer(self, self.task.control_period, self.on_timer))
        self.begin_episode()
        self.get_logger().info("active: commanding")
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.state = INACTIVE
        self.pending = None
        for timer in self.control_timers:
            self.destroy_timer(timer)
        self.control_timers = []
        self.send_safe()
        self.get_logger().warning("inactive: safe command sent, no more commands")
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        for entity in self.entities:
            if hasattr(entity, "topic_name") and hasattr(entity, "publish"):
                self.destroy_publisher(entity)
            elif hasattr(entity, "srv_type") and hasattr(entity, "srv_name"):
                self.destroy_service(entity)
            else:
                self.destroy_subscription(entity)
        self.entities = []
        if self.reset_client is not None:
            self.destroy_client(self.reset_client)
        self.configured = False
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.state != INACTIVE:
            self.state = INACTIVE
            self.send_safe()
        return TransitionCallbackReturn.SUCCESS

    # -- inputs ------------------------------------------------------------------------------------------
    def on_robot_description(self, msg: String) -> None:
        self.robot_description = msg.data

    def on_joint_states(self, msg: JointState) -> None:
        if self._take(self.builder.add_joint_states, msg, "joint_states") and self.trigger == "joint_states":
            self.control_step()

    def on_observation(self, msg: Float64MultiArray) -> None:
        if self._take(self.builder.add_observation, msg, "observation") and self.trigger == "joint_states":
            self.control_step()

    def on_imu(self, msg: Imu) -> None:
        self._take(self.builder.add_imu, msg, "imu")

    def on_odometry(self, msg: Any) -> None:
        self._take(self.builder.add_odometry, msg, "odometry")

    def _take(self, add: Any, msg: Any, what: str) -> bool:
        try:
            add(msg, time.monotonic())
        except (Refused, AttributeError, TypeError, ValueError) as exc:
            self.counters["refused_samples"] += 1
            self.get_logger().warning(f"dropped {what}: {exc}; {self.counters['refused_samples']} so far",
                                      throttle_duration_sec=1.0)
            return False
        return True

    def on_reward(self, msg: Float64) -> None:
        value = float(msg.data)
        if np.isfinite(value):
            self.reward_value = value
        else:
            self.counters["refused_samples"] += 1

    def on_weights(self, msg: UInt8MultiArray) -> None:
        if not self.configured:
            return
        try:
            self.runner.load(msg)
        except MalformedMessage as exc:
            self.counters["weights_rejected"] += 1
            self.get_logger().warning(f"rejected policy weights: {exc}", throttle_duration_sec=1.0)
            return
        self.counters["weights_loaded"] += 1

    def on_estop(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        engage = bool(request.data)
        result = self.trigger_deactivate() if engage else self.trigger_activate()
        response.success = result == TransitionCallbackReturn.SUCCESS
        response.message = ("estop engaged: deactivated, safe command sent" if engage else "estop released: active") \
            if response.success else f"no transition from {self._state_machine.current_state[1]}"
        return response

    def on_start_episode(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.state != STARTING or self.task.reset_service:
            response.success = False
            response.message = "not waiting for the operator" if self.state != STARTING else \
                f"episodes start through {self.task.reset_service}"
            return response
        self._started()
        response.success, response.message = True, f"episode {self.counters['episodes']} started"
        return response

    # -- episodes ----------------------------------------------------------------------------------------
    def begin_episode(self) -> None:
        self.state = STARTING
        self.pending = None
        self.episode_return = 0.0
        self.t = 0
        self.start_confirmed = False
        self.start_seq = self.builder.state_seq
        self.reset_requested_at = time.monotonic()
        self.reset_future: Any = None
        if self.reset_client is None:
            self.get_logger().info(f"episode {self.counters['episodes']}: waiting for the operator "
                                   f"(ros2 service call {self.get_fully_qualified_name()}/start_episode "
                                   "std_srvs/srv/Trigger)")
            return
        self._request_reset()

    def _request_reset(self) -> None:
        assert self.reset_client is not None
        self.reset_requested_at = time.monotonic()
        if not self.reset_client.service_is_ready():
            return  # on_staleness_check asks again
        self.reset_future = self.reset_client.call_async(Trigger.Request())
        self.reset_future.add_done_callback(self._on_reset_done)

    def _on_reset_done(self, future: Any) -> None:
        if self.state != STARTING:
            return
        response = future.result()
        if response is None or not response.success:
            self.counters["reset_failures"] += 1
            self.get_logger().warning(f"{self.task.reset_service} refused the reset: "
                                      f"{getattr(response, 'message', 'no answer')}; asking again")
            self.reset_future = None
            return
        self._started()

    def _started(self) -> None:
        self.start_confirmed = True
        self.started_at = time.monotonic()
        if self.trigger == "timer":
            self.start_seq = self.builder.state_seq  # only samples taken after the robot said it is ready
        elif self.builder.state_seq > self.start_seq:
            self.control_step()  # the new episode's first joint_states came before the answer

    def end_episode(self) -> None:
        self.counters["episodes"] += 1
        self.last_return = self.episode_return
        self.recent_returns.append(self.episode_return)
        self.pub_return.publish(Float64(data=float(self.episode_return)))
        self.get_logger().info(f"episode {self.counters['episodes'] - 1}: return {self.episode_return:.1f} "
                               f"(mean of last {len(self.recent_returns)}: {np.mean(self.recent_returns):.1f})")
        self.begin_episode()

    # -- control -----------------------------------------------------------------------------------------
    def on_timer(self) -> None:
        self.control_step()

    def on_staleness_check(self) -> None:
        now = time.monotonic()
        if self.state == STARTING and self.reset_client is not None and not self.start_confirmed:
            overdue = now - self.reset_requested_at > self.task.reset_timeout
            if self.reset_future is None or (overdue and not self.reset_future.done()):
                if overdue and self.reset_future is not None:
                    self.counters["reset_failures"] += 1
                    self.get_logger().warning(f"{self.task.reset_service} did not answer within "
                                              f"{self.task.reset_timeout:g} s; asking again")
                self._request_reset()
        elif self.state == STARTING and self.reset_client is not None and self.builder.state_seq == self.start_seq \
                and now - self.started_at > self.task.staleness_limit:
            self.start_confirmed = False  # the episode's first sample was lost: ask the robot again
            self._request_reset()
        if self.state == RUNNING and self.trigger == "joint_states":
            reason = self.builder.stale(now)
            if reason is not None:
                self._trip(reason)

    def control_step(self) -> None:
        if self.state == INACTIVE:
            return
        t0 = time.perf_counter()
        if self.state == STARTING:
            if not (self.start_confirmed and self.builder.state_seq > self.start_seq):
                if self.trigger == "timer":
                    self.send_safe()  # waiting for the robot or the operator: hold still
                return
            self.state = RUNNING
        reason = self.builder.stale(time.monotonic())
        if reason is not None:
            self._trip(reason)
            return
        if self.builder.state_seq == self.last_used_seq:
            return  # no new sample since the last step: the forward controller holds the last command
        self.last_used_seq = self.builder.state_seq
        if self.stale_reason is not None:
            self.get_logger().info("sensors fresh again: commanding")
            self.stale_reason = None
        obs = self.builder.observation()
        self.counters["steps"] += 1
        self.step_rate.tick()
        previous, self.pending = self.pending, None
        if previous is not None and self._finish_step(previous, obs):
            return
        self._act(obs)
        self.compute_ms.append((time.perf_counter() - t0) * 1e3)

    def _finish_step(self, previous: tuple[np.ndarray, np.ndarray, float, int], obs: np.ndarray) -> bool:
        """Publish the transition into ``obs``; True when it ended the episode."""
        s, action, log_prob, version = previous
        reward = self._reward(s, action, obs)
        if reward is None:
            self.counters["no_reward"] += 1
            return False
        self.t += 1
        self.episode_return += reward
        terminated = False
        if self.terminated is not None:
            with torch.no_grad():
                a = torch.as_tensor(np.clip(action, self.spec.low, self.spec.high), dtype=torch.float32)[None]
                terminated = bool(self.terminated(torch.as_tensor(s, dtype=torch.float32)[None], a,
                                                  torch.as_tensor(obs, dtype=torch.float32)[None])[0])
        truncated = not terminated and self.t >= self.task.episode_length
        if self.p["publish_transitions"]:
            transition = Transition(s, action, reward, obs, terminated, truncated, log_prob, version,
                                    self.p["actor_id"])
            self.pub_tr.publish(self.transition_codec.encode(transition))
            self.counters["transitions"] += 1
        if terminated or truncated:
            if self.trigger == "timer":
                self.send_safe()  # a lockstep simulator would step on it; it waits for the reset anyway
            self.end_episode()
            return True
        return False

    def _reward(self, s: np.ndarray, action: np.ndarray, s2: np.ndarray) -> float | None:
        if self.reward is None:
            value, self.reward_value = self.reward_value, None
            return value
        with torch.no_grad():
            a = torch.as_tensor(np.clip(action, self.spec.low, self.spec.high), dtype=torch.float32)[None]
            value = self.reward(torch.as_tensor(s, dtype=torch.float32)[None], a,
                                torch.as_tensor(s2, dtype=torch.float32)[None])
        return float(value[0])

    def _act(self, obs: np.ndarray) -> None:
        acted = self.runner.act(obs, self.p["deterministic"])
        if acted is None:
            self.counters["nonfinite_actions"] += 1
            self.get_logger().warning("policy output is not finite: safe command sent", throttle_duration_sec=1.0)
            self.send_safe()
            return
        action, log_prob, version = acted
        command, exact = self.shaper.command(action, self.p["max_command_rate"])
        self._send(command)
        if not exact:
            self.counters["rate_limited_commands"] += 1
        elif self.p["publish_transitions"]:
            self.pending = (obs, action, log_prob, version)

    def _trip(self, reason: str) -> None:
        if self.stale_reason is None:
            self.counters["stale_trips"] += 1
            self.get_logger().warning(f"sensors stale ({reason}): safe command")
        self.stale_reason = reason
        self.pending = None
        self.send_safe()

    def send_safe(self) -> None:
        command = self.shaper.safe(self.builder.commanded_positions())
        if command is None:
            self.get_logger().error("position interface and no joint positions yet: no safe command to send",
                                    throttle_duration_sec=1.0)
            return
        self.counters["safe_commands"] += 1
        self._send(command)

    def _send(self, command: np.ndarray) -> None:
        self.shaper.sent(command)
        self.pub_cmd.publish(array_msg(command, self.command_layout))

    # -- diagnostics -------------------------------------------------------------------------------------
    def diagnostics(self) -> tuple[bytes, str, dict[str, object]]:
        times = np.asarray(self.compute_ms) if self.compute_ms else np.zeros(1)
        level, message = OK, self.state
        if self.state == INACTIVE:
            level, message = WARN, "inactive (deactivated or estop)"
        elif self.stale_reason is not None:
            level, message = ERROR, f"sensors stale: {self.stale_reason}"
        elif self.counters["refused_samples"]:
            level, message = WARN, f"{self.counters['refused_samples']} sensor messages refused"
        return level, message, {
            "task": self.spec.name, "interface": self.task.interface, "state": self.state,
            "policy_version": self.runner.version, **self.counters, "steps_per_s": self.step_rate.rate(),
            "episode_step": getattr(self, "t", 0), "last_episode_return": self.last_return,
            "compute_ms_p50": float(np.percentile(times, 50)), "compute_ms_p99": float(np.percentile(times, 99)),
            "numpy_policy": self.runner.fast is not None,
        }


def main(args: Sequence[str] | None = None) -> int:
    return run_node(RobotControllerNode, args, "controller")


if __name__ == "__main__":
    sys.exit(main())
