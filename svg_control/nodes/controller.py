"""Controller node: runs the stochastic policy on each observation and reports what it did.

Subscribes ``step`` (observation + reward + episode flags of one simulator step, see ``codecs.step``)
and ``policy_weights`` (UInt8MultiArray, latched). Publishes ``<controller_name>/commands`` (the
action clamped to the actuator range), ``transitions`` (Transition wire layout, labelled: s, a, s',
reward, terminated, truncated, behaviour log-prob, policy version, actor id) and ``/diagnostics``.
Every message goes through its codec (``codecs``), which checks what arrives once, at the border.
Service ``estop`` (std_srvs/SetBool): while engaged, the safe action is sent and no transitions are
published (they would not be the policy's behaviour).

* Acting starts at once with the untrained policy (no babbling phase).
* The transition stores the *unclamped* action and its log-prob, so the learner's importance
  weights are exact; the learner clamps it for the model and reward as the actuator did.
* The policy runs in a :class:`~svg_control.nodes.policy_runner.PolicyRunner` (numpy mirror on CPU, weights
  checked in a spare before the swap), shared with the ros2_control controller (``robot_controller``).
* Safety: commands are clamped to the actuator range; ``max_command_rate`` (> 0) bounds how fast a command
  may change (a limited step publishes no transition: its log-prob would not be exact); a policy output
  that is NaN/Inf sends the safe action instead (``nonfinite_actions``). E-stop latches the safe action
  until released. Malformed steps (see ``StepCodec.decode``) are dropped and counted before the policy sees them.
* Watchdog: no ``step`` for ``watchdog_timeout`` s (wall time, on purpose: it guards the link, not
  the simulation) -> the safe action is sent every ``watchdog_timeout / 2`` s until steps return.
  In lockstep this also starts the loop when the simulator's first message was missed.
"""
from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Sequence

import numpy as np
import torch
from rclpy.node import Node
from std_msgs.msg import Float64MultiArray, UInt8MultiArray
from std_srvs.srv import SetBool

from ..core.numpy_policy import NumpyPolicy
from ..core.policy import GaussianPolicy
from ..core.transition import Transition
from . import qos
from .codecs import CommandCodec, MalformedMessage, Step, StepCodec, TransitionCodec
from .diagnostics import OK, WARN, DiagnosticsPublisher, RateMeter
from .params import Param, ParameterError, agent_config, declare_all, one_of, relative_topic, torch_device
from .policy_runner import PolicyRunner
from .runtime import run_node, steady_timer
from .task_io import task_names, task_spec


def parameters() -> list[Param]:
    from ..core.algos import ALGORITHMS, DEFAULT_ALGORITHM

    return [
        Param("task", "point_mass", "Task whose spec sizes the policy.", check=one_of(task_names())),
        Param("algo", DEFAULT_ALGORITHM, "Algorithm of the learner (its config sizes the policy).", choices=ALGORITHMS),
        Param("agent_overrides", "", "YAML mapping of AgentConfig overrides, same as the learner's."),
        Param("controller_name", "effort_controller", "Commands go to <controller_name>/commands.",
              check=relative_topic),
        Param("device", "cpu", "Torch device of the policy: cpu or cuda[:N].", check=torch_device),
        Param("numpy_policy", True, "Evaluate the policy with a verified numpy mirror on CPU (~10x faster per "
              "step than torch for one observation)."),
        Param("deterministic", False, "Send the policy mean instead of a sample.", read_only=False),
        Param("publish_transitions", True, "Publish transitions for the learner.", read_only=False),
        Param("watchdog_timeout", 0.5, "Seconds without a step before the safe action is sent.",
              low=0.01, high=60.0, read_only=False),
        Param("max_command_rate", 0.0, "Largest change of a command per second, in actuator units (per "
              "simulated/robot second: steps x dt); 0 = no limit. The safe action is never limited.",
              low=0.0, high=1e9, read_only=False),
        Param("actor_id", 0, "Tag of this robot in its transitions (several actors, one learner).",
              low=0, high=1_000_000),
        Param("seed", 1, "Seed of the exploration noise.", low=0, high=2**31 - 1),
        Param("diagnostics_period", 1.0, "Seconds between /diagnostics messages.", low=0.1, high=60.0),
    ]


class ControllerNode(Node):
    def __init__(self, name: str = "controller", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        config = agent_config(self.p["algo"], self.p["agent_overrides"], self.p["task"])
        try:
            self.spec = spec = task_spec(self.p["task"])
        except ValueError as exc:
            raise ParameterError("task", str(exc)) from None
        self.device = torch.device(self.p["device"])
        self.runner = PolicyRunner(spec, config, self.device, self.p["numpy_policy"], self.p["seed"])
        self.low, self.high = spec.low, spec.high
        self.safe = spec.safe_action

        self.step_codec = StepCodec(spec)
        self.command_codec = CommandCodec(spec)
        self.transition_codec = TransitionCodec(spec)
        self.pub_cmd = self.create_publisher(Float64MultiArray, f"{self.p['controller_name']}/commands",
                                             qos.COMMANDS)
        self.pub_tr = self.create_publisher(Float64MultiArray, "transitions", qos.TRANSITIONS)
        self.create_subscription(Float64MultiArray, "step", self.on_step, qos.STEP)
        self.create_subscription(UInt8MultiArray, "policy_weights", self.on_weights, qos.POLICY_WEIGHTS)
        self.create_service(SetBool, "estop", self.on_estop)

        self.estop = False
        self.last_seq = -1
        self.last_step_time = time.monotonic()
        self.tripped = False
        self.pending: tuple[np.ndarray, np.ndarray, float, int] | None = None  # obs, action, log-prob, version
        self.steps = 0
        self.transitions = 0
        self.malformed = 0
        self.duplicates = 0
        self.gaps = 0
        self.unpaired = 0
        self.watchdog_trips = 0
        self.safe_commands = 0
        self.weights_loaded = 0
        self.weights_rejected = 0
        self.nonfinite_actions = 0
        self.rate_limited = 0
        self.last_command: np.ndarray | None = None
        self.compute_ms: deque[float] = deque(maxlen=2000)
        self.step_rate = RateMeter()
        period = self.p["watchdog_timeout"] / 2
        steady_timer(self, min(period, 0.1), self.on_watchdog)
        DiagnosticsPublisher(self, spec.name, self.diagnostics, self.p["diagnostics_period"])
        self.get_logger().info(f"controlling {spec.name} on {self.device}; policy {config.policy_hidden}, "
                               f"commands on {self.p['controller_name']}/commands")

    # -- control loop ------------------------------------------------------------------------------------
    def on_step(self, msg: Float64MultiArray) -> None:
        t0 = time.perf_counter()
        try:
            step = self.step_codec.decode(msg)
        except MalformedMessage as exc:
            self.malformed += 1
            self.get_logger().warning(f"dropped malformed step: {exc}; {self.malformed} so far",
                                      throttle_duration_sec=1.0)
            return
        seq = step.seq
        if seq <= self.last_seq and not (step.first and seq < self.last_seq):  # a restarted simulator is fine
            self.duplicates += 1
            return
        if self.last_seq >= 0 and seq > self.last_seq + 1:
            self.gaps += seq - self.last_seq - 1
        self.last_seq = seq
        self.last_step_time = time.monotonic()
        self.tripped = False
        self.steps += 1
        self.step_rate.tick()
        previous, self.pending = self.pending, None
        # the command first (the robot is waiting), the transition of the previous step after it
        if not step.done:
            self._act(step.obs)
            self.compute_ms.append((time.perf_counter() - t0) * 1e3)
        if previous is not None and not step.first:
            if step.fresh:
                self._publish_transition(previous, step)
            else:
                self.unpaired += 1
        # on done: no action; the simulator resets and sends the next episode's first observation

    def _act(self, obs: np.ndarray) -> None:
        if self.estop:
            self._send(self.safe)
            self.safe_commands += 1
            return
        acted = self.runner.act(obs, self.p["deterministic"])
        if acted is None:
            self.nonfinite_actions += 1
            self.get_logger().warning(f"policy output is not finite: safe action sent ({self.nonfinite_actions} so "
                                      "far)", throttle_duration_sec=1.0)
            self._send(self.safe)
            self.safe_commands += 1
            return
        action, log_prob, version = acted
        command = np.minimum(np.maximum(action, self.low), self.high)
        limited = self._rate_limit(command)
        self._send(limited)
        if self.p["publish_transitions"]:
            if limited is command:
                self.pending = (obs, action, log_prob, version)
            else:  # the robot did not get the policy's sample: no exact log-prob for it, so no transition
                self.rate_limited += 1

    def _rate_limit(self, command: np.ndarray) -> np.ndarray:
        """``command`` moved at most ``max_command_rate * dt`` from the last command sent (the same object if
        the limit is off or not reached). The safe action (e-stop, watchdog) is never limited."""
        rate, last = self.p["max_command_rate"], self.last_command
        if rate <= 0.0 or last is None:
            return command
        step = rate * self.spec.dt
        if float(np.abs(command - last).max()) <= step:
            return command
        return np.clip(command, last - step, last + step)

    def _send(self, command: np.ndarray) -> None:
        command = np.asarray(command, dtype=np.float64)
        self.last_command = command
        self.pub_cmd.publish(self.command_codec.encode(command))

    def _publish_transition(self, previous: tuple[np.ndarray, np.ndarray, float, int], step: Step) -> None:
        obs, action, log_prob, version = previous
        transition = Transition(obs, action, step.reward, step.obs, step.terminated, step.truncated, log_prob,
                                version, self.p["actor_id"])
        self.pub_tr.publish(self.transition_codec.encode(transition))
        self.transitions += 1

    def on_watchdog(self) -> None:
        if time.monotonic() - self.last_step_time <= self.p["watchdog_timeout"]:
            return
        if not self.tripped:
            self.tripped = True
            self.watchdog_trips += 1
            if self.steps:
                self.get_logger().warning(f"no step for {self.p['watchdog_timeout']} s: sending the safe action")
        self.pending = None
        self._send(self.safe)
        self.safe_commands += 1

    # -- weights and services ----------------------------------------------------------------------------
    def on_weights(self, msg: UInt8MultiArray) -> None:
        try:
            self.runner.load(msg)
        except MalformedMessage as exc:
            self.weights_rejected += 1
            self.get_logger().warning(f"rejected policy weights: {exc}", throttle_duration_sec=1.0)
            return
        self.weights_loaded += 1

    @property
    def version(self) -> int:
        return self.runner.version

    @property
    def policy(self) -> GaussianPolicy:
        return self.runner.policy

    @property
    def fast(self) -> NumpyPolicy | None:
        return self.runner.fast

    def on_estop(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self.estop = bool(request.data)
        self.pending = None
        if self.estop:
            self._send(self.safe)
            self.safe_commands += 1
        self.get_logger().warning(f"estop {'ENGAGED' if self.estop else 'released'}")
        response.success = True
        response.message = "estop engaged: safe action latched" if self.estop else "estop released"
        return response

    def diagnostics(self) -> tuple[bytes, str, dict[str, object]]:
        times = np.asarray(self.compute_ms) if self.compute_ms else np.zeros(1)
        level, message = OK, "running"
        if self.estop:
            level, message = WARN, "estop engaged"
        elif self.tripped:
            level, message = WARN, "watchdog: no steps"
        elif self.malformed:
            level, message = WARN, f"{self.malformed} malformed steps dropped"
        return level, message, {
            "task": self.spec.name, "policy_version": self.version, "steps": self.steps,
            "steps_per_s": self.step_rate.rate(), "transitions": self.transitions, "malformed_steps": self.malformed,
            "duplicate_steps": self.duplicates, "missed_steps": self.gaps, "unpaired_steps": self.unpaired,
            "watchdog_trips": self.watchdog_trips, "safe_commands": self.safe_commands, "estop": self.estop,
            "nonfinite_actions": self.nonfinite_actions, "rate_limited_commands": self.rate_limited,
            "weights_loaded": self.weights_loaded, "weights_rejected": self.weights_rejected,
            "compute_ms_p50": float(np.percentile(times, 50)), "compute_ms_p99": float(np.percentile(times, 99)),
            "deterministic": self.p["deterministic"], "numpy_policy": self.fast is not None,
        }


def main(args: Sequence[str] | None = None) -> int:
    return run_node(ControllerNode, args, "controller")


if __name__ == "__main__":
    sys.exit(main())
