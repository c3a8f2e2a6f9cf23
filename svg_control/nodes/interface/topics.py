"""Names of every topic the node set uses (one place, beside their QoS in ``qos``).

Relative names resolve in a node's namespace, so namespaced robots run side by side; the absolute ones
(``/diagnostics``, ``/clock``, ``/robot_description``) are shared by the whole ROS graph by convention.
Nodes, the recorder, the bags and the tests name topics through this module; ``test/test_topics.py`` fails
on a topic name written as a literal anywhere else in ``svg_control/``.

This module imports nothing, so any layer may use it.
"""
from __future__ import annotations

OBSERVATION = "observation"
JOINT_STATES = "joint_states"
REWARD = "reward"
EPISODE_RETURN = "episode_return"
TRANSITIONS = "transitions"
POLICY_WEIGHTS = "policy_weights"
LEARNER_BACKLOG = "learner_backlog"
DIAGNOSTICS = "/diagnostics"
CLOCK = "/clock"
ROBOT_DESCRIPTION = "/robot_description"
#: one std_msgs/String in every bag the recorder writes: the task and its sizes (``svg_control.bags``)
BAG_INFO = "/svg_control/bag_info"

#: every fixed name above, for checks that look for them
NAMES = (OBSERVATION, JOINT_STATES, REWARD, EPISODE_RETURN, TRANSITIONS, POLICY_WEIGHTS, LEARNER_BACKLOG,
         DIAGNOSTICS, CLOCK, ROBOT_DESCRIPTION, BAG_INFO)

COMMANDS_SUFFIX = "commands"


def commands(controller_name: str) -> str:
    """The command topic of a forward command controller: ``<controller_name>/commands`` (ros2_control)."""
    return f"{controller_name}/{COMMANDS_SUFFIX}"
