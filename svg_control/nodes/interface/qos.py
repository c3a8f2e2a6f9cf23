"""Quality-of-service profiles of every topic, chosen on purpose (one place, so the table stays true).

========================  ===========  ===============  =====  ===========================================
topic                     reliability  durability       depth  why
========================  ===========  ===============  =====  ===========================================
``observation``           reliable     volatile         10     the controller of a registered task steps on
                                                               each one (lockstep: none may be lost); rqt,
                                                               loggers read it too
``<ctrl>/commands``       reliable     volatile         10     lockstep steps once per command: none may be
                                                               lost (ros2_control forward controllers use
                                                               reliable/10 too)
``joint_states``          reliable     volatile         10     a reliable writer serves both SensorDataQoS
                                                               (best-effort) readers and the reliable
                                                               robot_state_publisher; a best-effort one
                                                               would not reach the latter
``reward``,               reliable     volatile         10     plotting (rqt_plot); low rate
``episode_return``
``transitions``           reliable     transient_local  1000   the learner must lose nothing while it is
                                                               busy in an update (~10 s of a 100 Hz robot);
                                                               transient_local: the controller keeps its last
                                                               1000 transitions, and a learner that restarts
                                                               (crash, kill -9) gets them when it rejoins
``policy_weights``        reliable     transient_local  1      latched: a controller that (re)starts gets
                                                               the newest weights at once; older versions
                                                               are worthless
``learner_backlog``       reliable     volatile         1      a paced simulator waits on the newest value;
                                                               reliable so the one that releases it arrives
``/diagnostics``          reliable     volatile         10     diagnostic_aggregator convention
``/clock``                reliable     volatile         1      only the newest time matters; reliable
                                                               writers serve best-effort ClockQoS readers
``/robot_description``    reliable     transient_local  1      robot_state_publisher latches the URDF
========================  ===========  ===============  =====  ===========================================

The ros2_control controller (``robot_controller``) reads a robot's ``joint_states``, IMU and odometry with
``SensorDataQoS`` (best-effort, depth 5): it matches both best-effort and reliable publishers, and a lost
sample is replaced by the next. With ``trigger: joint_states`` (a simulator that steps once per command) it
reads ``joint_states`` reliably, since a lost sample would stall the loop until the staleness limit.
"""
from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy


def _reliable(depth: int, durability: DurabilityPolicy = DurabilityPolicy.VOLATILE) -> QoSProfile:
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.RELIABLE,
                      durability=durability)


OBSERVATION = _reliable(10)
COMMANDS = _reliable(10)
JOINT_STATES = _reliable(10)
PLOT = _reliable(10)
TRANSITIONS = _reliable(1000, DurabilityPolicy.TRANSIENT_LOCAL)
POLICY_WEIGHTS = _reliable(1, DurabilityPolicy.TRANSIENT_LOCAL)
LEARNER_BACKLOG = _reliable(1)
DIAGNOSTICS = _reliable(10)
CLOCK = _reliable(1)
ROBOT_DESCRIPTION = _reliable(1, DurabilityPolicy.TRANSIENT_LOCAL)
