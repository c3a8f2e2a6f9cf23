"""Learner node: trains an SVG agent online from the ``transitions`` topic and publishes policy weights.

Subscribes ``transitions`` (Transition wire layout, checked by ``TransitionCodec.decode``; reliable,
transient_local, depth 1000), or each topic of ``transition_topics`` (several actors feeding one learner). Publishes
``policy_weights`` (safetensors bytes, latched) whenever the policy has advanced ``publish_every``
versions, and ``/diagnostics`` (rates, losses, versions, drops).

Threads: the executor thread only parses and queues transitions, so DDS is drained at once and
nothing is lost while an update runs (a timer doing updates would let the single-threaded executor
take just one message per update, and the reader queue would overflow). A training thread owns the
agent: it moves queued transitions into the replay buffer, then spends the update budget (each
transition adds ``updates_per_transition``). Budget beyond ``max_backlog`` updates is dropped and
counted (``updates_dropped``): a learner that cannot keep up stays current instead of falling ever
further behind; the diagnostics show ``updates_per_s`` next to ``transitions_per_s``. The books balance:
the updates this process made, plus those dropped, plus the budget not yet spent, are the updates owed
(``updates_owed``: ``updates_per_transition`` for every transition stored once the replay was ready).

Pacing: ``learner_backlog`` (std_msgs/Int64) carries the transitions received whose updates are not
done yet (queued + owed). A lockstep simulator with ``learner_lead`` > 0 holds its next step while that
backlog is above the lead, so a simulated robot is learned from at exactly ``updates_per_transition``
however slow the machine (the headless trainer's ratio); a real robot cannot wait and ignores it.

Priority: ``nice`` (e.g. 10) lowers the learner's own priority so that, where all nodes share a few
cores, commands are not late because of learning. Off by default: on a machine shared with other
work the learner would then starve behind unrelated jobs (measured: 2 updates/s instead of 19).

Run directory (``checkpoint_dir``; off when empty, which only a bare ``ros2 run`` leaves it: both launchers
give every run one): checkpoints every ``checkpoint_every`` updates and at shutdown, atomically
(``core.checkpoint``); with ``resume`` the newest one is loaded at start-up and its policy published at
once, and a directory of another task or algorithm is refused; without it an existing run is moved aside.
The directory also gets ``config.yaml`` and the online learning curve, ``metrics.jsonl``, one line per
finished episode (``run_dir.py``), which ``svg-control plot`` draws, and, where the update is compiled (sac-svg's
default), ``compile_cache``: a relaunch loads the compiled update from it instead of compiling again.
"""
from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from rclpy.node import Node
from std_msgs.msg import Float64MultiArray, Int64, UInt8MultiArray

from ... import cpu
from ...core.algos import make_learner
from ...core.transition import Transition
from ..interface import qos, topics
from ..interface.codecs import MalformedMessage, TransitionCodec, WeightsCodec
from ..interface.diagnostics import ERROR, OK, WARN, DiagnosticsPublisher, RateMeter
from ..interface.parameter_table import TABLE
from ..interface.params import Param, ParameterError, agent_config, declare_all
from ..interface.runtime import run_node
from ..interface.task_io import (
    config_name,
    load_task_file,
    reward_fn,
    robot_description_for,
    task_spec,
    termination_fn,
)
from . import run_dir

#: Transitions moved into replay per training-loop turn. Unbounded, a learner whose ingestion alone is
#: slower than the arrivals (several actors on a small machine) never left the loop and made no update.
INGEST_BATCH = 256
#: cores the learner leaves, by default, to the controller beside it
CONTROLLER_CORES = 1


def parameters() -> list[Param]:
    """This node's parameters, from the one table of them (``parameter_table``)."""
    return list(TABLE["learner"])


class LearnerNode(Node):
    def __init__(self, name: str = "learner", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.p = declare_all(self, parameters())
        if self.p["nice"]:
            os.nice(self.p["nice"])
        self.threads, warning = cpu.apply(self.p["threads"], cpu.parse_cpu_list(self.p["cpu_affinity"]),
                                          reserved=CONTROLLER_CORES)
        if warning:
            self.get_logger().warning(warning)
        self.get_logger().info(f"learning on {self.threads} torch thread(s), cores {list(cpu.usable_cores())}")
        try:
            description = robot_description_for(self, self.p["task"], topics.ROBOT_DESCRIPTION, 10.0)
            if description is not None:  # a task file whose limits are the URDF's (its reward sees SI commands)
                robot = load_task_file(self.p["task"], description)
                spec, reward, termination = robot.spec, robot.reward_torch(), robot.terminated_torch()
            else:
                spec, reward = task_spec(self.p["task"]), reward_fn(self.p["task"])
                termination = termination_fn(self.p["task"])
        except ValueError as exc:
            raise ParameterError("task", str(exc)) from None
        self.spec = spec
        config = agent_config(self.p["algo"], self.p["agent_overrides"], config_name(self.p["task"]))
        self.agent = make_learner(self.p["algo"], spec, reward, config, seed=self.p["seed"], termination_fn=termination,
                                  device=self.p["device"])
        self.checkpoint_dir = Path(self.p["checkpoint_dir"]).expanduser() if self.p["checkpoint_dir"] else None
        self.resumed = False
        self.episode_log: run_dir.EpisodeLog | None = None
        if self.checkpoint_dir is not None:
            self._open_run_dir(config.to_dict())
        if self.agent.compiled_update is not None:  # one line before each compilation (no updates meanwhile)
            self.agent.compiled_update.announce = self.get_logger().info
            if self.checkpoint_dir is not None:  # a relaunch in the run directory loads the compiled code
                self.agent.compiled_update.keep_cache_in(self.checkpoint_dir)
        # executor thread -> training thread (deque ops are atomic); bounded: the oldest is dropped (counted)
        self.queue: deque[Transition] = deque(maxlen=self.p["max_queue"])
        self.dropped_transitions = 0
        self.train_error = ""
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.budget = 0.0
        self.received = 0
        self.malformed = 0
        self.dropped_updates = 0
        self.owed_updates = 0.0
        self.start_updates = self.agent.updates  # a resumed run's updates were owed by the run before
        self.published_version = -1
        self.publications = 0
        self.checkpoints = 0
        self.last_checkpoint_updates = self.agent.updates
        self.update_ms = 0.0
        self.transition_rate = RateMeter()
        self.update_rate = RateMeter()
        self.transition_codec = TransitionCodec(spec)
        self.pub_weights = self.create_publisher(UInt8MultiArray, topics.POLICY_WEIGHTS, qos.POLICY_WEIGHTS)
        self.pub_backlog = self.create_publisher(Int64, topics.LEARNER_BACKLOG, qos.LEARNER_BACKLOG)
        self.reported_backlog = -1
        self.reported_at = 0.0
        for topic in (t.strip() for t in self.p["transition_topics"].split(",")):
            self.create_subscription(Float64MultiArray, topic, self.on_transition, qos.TRANSITIONS)
        DiagnosticsPublisher(self, spec.name, self.diagnostics, self.p["diagnostics_period"])
        self.publish_weights()
        self.trainer = threading.Thread(target=self.train_loop, name="svg-learner", daemon=True)
        self.trainer.start()
        how = f"resumed at {self.agent.updates} updates, policy version {self.agent.policy_version}" \
            if self.resumed else "from scratch"
        self.get_logger().info(f"learning {spec.name} with {self.p['algo']} ({how}); "
                               f"{self.p['updates_per_transition']} updates per transition")

    def _open_run_dir(self, config: dict) -> None:
        """Check the run directory, resume from it or move an old run aside, and continue its curve."""
        from ...core.checkpoint import CheckpointError, load_checkpoint

        assert self.checkpoint_dir is not None
        try:
            task, algo = config_name(self.p["task"]), self.p["algo"]
            moved = run_dir.prepare(self.checkpoint_dir, task, algo, self.p["resume"])
            if self.p["resume"]:
                self.resumed = load_checkpoint(self.agent, self.checkpoint_dir)
            run_dir.record_config(self.checkpoint_dir, task, algo, config)
        except CheckpointError as exc:
            raise ParameterError("checkpoint_dir", f"cannot resume {self.checkpoint_dir}: {exc}; its networks were "
                                 "made with other settings (an algorithm's defaults may have changed since): "
                                 "set the run's settings in agent_overrides, or resume false to move the run "
                                 "aside and start over") from None
        except (run_dir.RunDirError, OSError) as exc:
            raise ParameterError("checkpoint_dir", f"cannot use {self.checkpoint_dir}: {exc}") from None
        if moved is not None:
            self.get_logger().warning(f"resume is false: the run that was in {self.checkpoint_dir} is now {moved}")
        self.episode_log = run_dir.EpisodeLog(self.checkpoint_dir)

    # -- executor thread ---------------------------------------------------------------------------------
    def on_transition(self, msg: Float64MultiArray) -> None:
        try:
            transition = self.transition_codec.decode(msg)
        except MalformedMessage as exc:
            self.malformed += 1
            self.get_logger().warning(f"dropped malformed transition: {exc}; {self.malformed} so far",
                                      throttle_duration_sec=1.0)
            return
        self.received += 1
        self.transition_rate.tick()
        if self.episode_log is not None:
            self._log_episode(transition)
        if len(self.queue) == self.queue.maxlen:
            self.dropped_transitions += 1
        self.queue.append(transition)
        self.wake.set()

    def _log_episode(self, transition: Transition) -> None:
        assert self.episode_log is not None
        a = self.agent

        def extra() -> dict:
            return {"updates": a.updates, "updates_dropped": self.dropped_updates, "updates_owed": self.owed_updates,
                    "policy_version": a.policy_version, "nonfinite_skips": a.nonfinite_skips, **a.last_losses}

        try:
            self.episode_log.add(transition.actor_id, float(transition.reward),
                                 bool(transition.terminated or transition.truncated), extra)
        except OSError as exc:  # a full disk must not stop learning; the checkpoints report their own errors
            self.get_logger().error(f"metrics not written: {exc}", throttle_duration_sec=10.0)

    # -- training thread ---------------------------------------------------------------------------------
    def train_loop(self) -> None:
        try:
            while not self.stopping.is_set():
                self._ingest()
                self.report_backlog()
                if self.budget < 1.0:
                    self.wake.wait(0.05)
                    self.wake.clear()
                    continue
                start = time.perf_counter()
                self.agent.update()
                self.update_ms = (time.perf_counter() - start) * 1e3
                self.budget -= 1.0
                self.update_rate.tick()
                if self.agent.policy_version - self.published_version >= self.p["publish_every"]:
                    self.publish_weights()
                if self.checkpoint_dir is not None and \
                        self.agent.updates - self.last_checkpoint_updates >= self.p["checkpoint_every"]:
                    self.save_checkpoint()
        except Exception as exc:  # noqa: BLE001 - a dead trainer must be loud, not silent
            if self.stopping.is_set() or not self.context.ok():
                return  # shutting down: the context went away under a publish
            self.get_logger().fatal(f"training thread stopped: {exc!r}")
            self.train_error = repr(exc)

    def _ingest(self) -> None:
        upt, backlog = self.p["updates_per_transition"], self.p["max_backlog"]
        # bounded in count and in time (about one update's worth): under overload ingestion and updates
        # share the CPU instead of ingestion taking it all; the queue bound then drops the oldest
        deadline = time.perf_counter() + max(self.update_ms, 5.0) / 1e3
        for _ in range(min(len(self.queue), INGEST_BATCH)):
            if time.perf_counter() > deadline:
                break
            transition = self.queue.popleft()
            try:
                self.agent.observe(transition)
            except ValueError as exc:
                self.malformed += 1
                self.get_logger().warning(f"dropped transition: {exc}", throttle_duration_sec=1.0)
                continue
            if self.agent.ready():
                self.budget += upt
                self.owed_updates += upt
        if self.budget > backlog:
            excess = int(self.budget - backlog)
            self.dropped_updates += excess
            self.budget -= excess

    def backlog(self) -> int:
        """Transitions received whose updates are still owed: queued ones plus the unspent update budget."""
        upt = self.p["updates_per_transition"]
        owed = math.ceil(self.budget / upt - 1e-9) if self.budget >= 1.0 else 0
        return len(self.queue) + owed

    def report_backlog(self) -> None:
        """Publish the backlog when it changed, and twice a second anyway (a paced simulator waits on it)."""
        backlog, now = self.backlog(), time.monotonic()
        if backlog != self.reported_backlog or now - self.reported_at > 0.5:
            self.pub_backlog.publish(Int64(data=backlog))
            self.reported_backlog, self.reported_at = backlog, now

    def publish_weights(self) -> None:
        self.pub_weights.publish(WeightsCodec.encode(self.agent.policy, self.agent.policy_version))
        self.published_version = self.agent.policy_version
        self.publications += 1

    def save_checkpoint(self) -> None:
        from ...core.checkpoint import save_checkpoint

        assert self.checkpoint_dir is not None
        path = save_checkpoint(self.agent, self.checkpoint_dir)
        self.last_checkpoint_updates = self.agent.updates
        self.checkpoints += 1
        self.get_logger().info(f"checkpoint {path.name} at {self.agent.updates} updates")

    def destroy_node(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.trainer.join(timeout=30.0)
        if self.checkpoint_dir is not None and self.agent.updates > self.last_checkpoint_updates \
                and not self.trainer.is_alive():
            try:
                self.save_checkpoint()
            except Exception as exc:  # noqa: BLE001 - shutting down: report, never raise
                print(f"[learner] final checkpoint failed: {exc}", file=sys.stderr)
        super().destroy_node()

    def diagnostics(self) -> tuple[bytes, str, dict[str, object]]:
        a = self.agent
        t_rate, u_rate = self.transition_rate.rate(), self.update_rate.rate()
        level, message = OK, "learning" if a.ready() else "filling replay"
        if self.train_error:
            level, message = ERROR, f"training stopped: {self.train_error}"
        elif self.malformed:
            level, message = WARN, f"{self.malformed} malformed transitions dropped"
        elif self.dropped_updates:
            level, message = WARN, f"not keeping up: {self.dropped_updates} updates dropped"
        values: dict[str, object] = {
            "task": self.spec.name, "algo": self.p["algo"], "threads": self.threads, "transitions": self.received,
            "transitions_per_s": t_rate, "updates": a.updates, "updates_per_s": u_rate,
            "update_ms": self.update_ms, "updates_dropped": self.dropped_updates, "updates_owed": self.owed_updates,
            "backlog": self.budget,
            "backlog_transitions": self.reported_backlog,
            "queued": len(self.queue), "transitions_dropped": self.dropped_transitions,
            "replay_size": len(a.replay), "policy_version": a.policy_version,
            "published_version": self.published_version, "publications": self.publications,
            "malformed_transitions": self.malformed, "nonfinite_skips": a.nonfinite_skips,
            "checkpoints": self.checkpoints, "resumed": self.resumed,
        }
        values.update({f"loss/{k}": v for k, v in a.last_losses.items()})
        return level, message, values


def main(args: Sequence[str] | None = None) -> int:
    return run_node(LearnerNode, args, "learner")


if __name__ == "__main__":
    sys.exit(main())
