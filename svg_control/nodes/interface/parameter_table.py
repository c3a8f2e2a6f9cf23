"""The one declaration table of every node's parameters (ros2_control's model: parameters declared from a table).

``TABLE[node]`` lists, in declaration order, the :class:`~.params.Param` entries (name, default, which gives the
type, description, range or choices, read-only flag, check) of the node of that name; each node declares
``declare_all(self, TABLE["<node>"])``. A parameter several nodes have (``algo``, ``agent_overrides``, ``device``,
``controller_name``, ``diagnostics_period``) is defined once below and listed by each of them. Run-level
defaults the headless trainer shares (``checkpoint_every``, ``device``, the simulator's ``seed``) are read from
``trainer.RunSettings``, so each value is written once (``test/test_single_source.py``).

Generated from it by ``python -m svg_control.nodes.interface.parameter_table --write`` (without ``--write`` it only
says which committed file is out of date; ``test/test_parameter_table.py`` fails on one):

* ``config/defaults.yaml``: every parameter of the node set with its default and description; parameters
  several nodes share go under ``/**``, the others under ``/**/<node>``. ``task`` is left out (the launchers
  pass it).
* the parameter tables of ``docs/ROS_INTERFACE.md``, between ``<!-- parameters:begin -->`` and
  ``<!-- parameters:end -->``.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ...core.algos import ALGORITHMS, DEFAULT_ALGORITHM
from ...cpu import AUTO as AUTO_THREADS
from ...cpu import parse_cpu_list
from ...trainer import run_default
from . import topics
from .node_set import NODES, OPTIONAL_NODES
from .params import Param, relative_topic, topic_list, topic_name, torch_device
from .task_io import task_names, valid_task

REPO = Path(__file__).resolve().parents[3]
DEFAULTS_FILE = "defaults.yaml"
DOC = REPO / "docs" / "ROS_INTERFACE.md"
DOC_BEGIN, DOC_END = "<!-- parameters:begin -->", "<!-- parameters:end -->"

#: the task a node started without a ``task`` parameter uses (``ros2 run``, the tests)
DEFAULT_TASK = "point_mass"


def cpu_list(value: str) -> str | None:
    """Check for ``cpu_affinity``: a cpu list of cores this machine has."""
    try:
        parse_cpu_list(value)
    except ValueError as exc:
        return str(exc)
    return None


def registered_task(value: str) -> str | None:
    """Check for the name of a registered task (looked up when checked, not when this module is imported)."""
    valid = task_names()
    return None if value in valid else f"{value!r} is not one of {', '.join(valid)}"


# -- shared by several nodes -------------------------------------------------------------------------------
ALGO = Param("algo", DEFAULT_ALGORITHM,
             "SVG algorithm or baseline (sac-svg: maximum-entropy SVG(H); svg1-er: the paper's SVG(1)-ER); the "
             "learner trains it and the controller sizes its policy by the same config.", choices=ALGORITHMS)
AGENT_OVERRIDES = Param("agent_overrides", "", "YAML mapping of AgentConfig overrides, e.g. '{batch_size: 128}'; "
                        "controller and learner read the same one, so their policies match.")
DEVICE = Param("device", run_default("device"), "Torch device: cpu or cuda[:N] (the learner trains on it, the "
               "controller evaluates its policy on it).", check=torch_device)
CONTROLLER_NAME = Param("controller_name", "effort_controller", "Commands travel on <controller_name>/commands "
                        "(ros2_control's forward command controller convention); a task file names its own "
                        "commands.controller.", check=relative_topic)
DIAGNOSTICS_PERIOD = Param("diagnostics_period", 1.0, "Seconds between /diagnostics messages.", low=0.1, high=60.0)

SEED_RANGE = {"low": 0, "high": 2**31 - 1}

SIMULATOR = (
    Param("task", DEFAULT_TASK, "Task to simulate (svg-control tasks lists them).", check=registered_task),
    Param("command_units", "control", "Commands are: control: each actuator's control in the task's "
          "units (a registered task's generated task file); si: joint efforts in N m or N (motors on joints "
          "only; a hand-written task file such as robots/monoped.yaml).", choices=("control", "si")),
    Param("mode", "lockstep", "lockstep: one step per command; realtime: step on a timer at 1/dt.",
          choices=("lockstep", "realtime")),
    CONTROLLER_NAME,
    Param("actuator_noise", -1.0, "Torque-noise std as a fraction of each actuator's range; -1 keeps the "
          "task's default.", low=-1.0, high=1.0),
    Param("seed", run_default("seed"), "Seed of the task's random stream (reset distribution, actuator noise).",
          **SEED_RANGE),
    Param("max_rate", 100.0, "lockstep: at most this many steps per wall second (0 = as fast as commands "
          "come), to leave CPU to the learner on a small machine.", low=0.0, high=100_000.0),
    Param("learner_lead", 10, "lockstep: steps the simulation may run ahead of the learner's updates; "
          "0 = never wait for the learner.", low=0, high=1_000_000),
    Param("learner_backlog_topic", topics.LEARNER_BACKLOG, "Where the learner reports its backlog "
          "(std_msgs/Int64); '/learner_backlog' for namespaced actors sharing one learner.", check=topic_name),
    Param("learner_timeout", 10.0, "Seconds of learner silence after which pacing is suspended (also the "
          "longest wait for its first report).", low=0.1, high=3600.0),
    Param("realtime_factor", 1.0, "realtime mode: simulated seconds per wall second.", low=0.01, high=100.0),
    Param("command_timeout", 0.5, "realtime mode: simulated seconds a command is held without a fresh one "
          "before the task's safe action replaces it (a robot stack's command timeout).", low=0.0, high=3600.0),
    Param("publish_clock", True, "Publish /clock with simulated time (for use_sim_time)."),
    DIAGNOSTICS_PERIOD,
)

CONTROLLER = (  # robot_controller, the lifecycle ros2_control controller, runs under the node name ``controller``
    Param("task", "monoped", "A robot task file (*.yaml, docs/ROBOTS.md), or a registered task (our simulator "
          "as the robot; its task file is generated from the task's spec).", check=valid_task),
    ALGO,
    AGENT_OVERRIDES,
    Param("trigger", "auto", "timer: act every control period on the newest samples (a robot); joint_states: "
          "act on each new joint_states message, or observation for a registered task (a simulator stepping "
          "once per command); auto: joint_states for a registered task (our simulator), timer for a task file.",
          choices=("auto", "timer", "joint_states")),
    Param("autostart", True, "Configure and activate at start (a failed configure stops the process); false: "
          "wait for 'ros2 lifecycle set'."),
    Param("robot_description_topic", topics.ROBOT_DESCRIPTION, "Where the URDF is latched, for a task file whose "
          "commands.limits_from is robot_description."),
    Param("robot_description_timeout", 10.0, "Seconds to wait at start for that URDF.", low=0.0, high=3600.0),
    CONTROLLER_NAME,
    Param("watchdog_timeout", 0.5, "Registered task: seconds without a fresh observation before the safe "
          "command is sent (a task file has its own staleness_limit).", low=0.01, high=60.0),
    Param("max_command_rate", 0.0, "Largest change of a command per second, in command units (per simulated/"
          "robot second: steps x dt); 0 = no limit. A task file's commands.max_rate applies as well: the "
          "tighter one wins. The safe command is never limited.", low=0.0, high=1e9, read_only=False),
    DEVICE,
    Param("numpy_policy", True, "Evaluate the policy with a verified numpy mirror on CPU."),
    Param("deterministic", False, "Send the policy mean instead of a sample.", read_only=False),
    Param("publish_transitions", True, "Publish transitions for the learner.", read_only=False),
    Param("actor_id", 0, "Tag of this robot in its transitions (several actors, one learner).",
          low=0, high=1_000_000),
    Param("seed", 1, "Seed of the exploration noise.", **SEED_RANGE),
    DIAGNOSTICS_PERIOD,
)

LEARNER = (
    Param("task", DEFAULT_TASK, "Task, or a robot task file (*.yaml): its torch reward is differentiated by "
          "the learner (a reward on a topic is learned).", check=valid_task),
    ALGO,
    AGENT_OVERRIDES,
    DEVICE,
    Param("seed", 2, "Seed of the agent (initialisation, minibatches).", **SEED_RANGE),
    Param("updates_per_transition", 1.0, "Updates owed per transition received.", low=0.01, high=64.0,
          read_only=False),
    Param("publish_every", 10, "Publish weights when the policy advanced this many versions.",
          low=1, high=1_000_000, read_only=False),
    Param("max_backlog", 200, "Owed updates beyond this are dropped (counted).", low=1, high=1_000_000,
          read_only=False),
    Param("max_queue", 20000, "Transitions received but not yet in replay, at most; beyond, the oldest are "
          "dropped (counted as transitions_dropped): memory stays bounded when arrivals outpace learning.",
          low=100, high=10_000_000),
    Param("nice", 0, "Added to the process's nice value at start-up (e.g. 10): on a small robot computer the "
          "control loop then wins the CPU and learning takes what is left.", low=0, high=19),
    Param("threads", AUTO_THREADS, "Torch threads for learning; 0: the cores this process may use but one (the "
          "controller's), at least 1. More than there are is clamped, with a warning.", low=0, high=4096),
    Param("cpu_affinity", "", "Cores the learner runs on, e.g. '1-3' (the kernel's cpu-list format); empty: all. "
          "Leave the controller's core out so the control loop always wins.", check=cpu_list),
    Param("checkpoint_dir", "", "Run directory: checkpoints, config.yaml and the online metrics.jsonl; "
          "empty disables them."),
    Param("checkpoint_every", run_default("checkpoint_every"), "Updates between checkpoints.", low=1,
          high=100_000_000, read_only=False),
    Param("resume", True, "Load the newest checkpoint from checkpoint_dir at start-up; false moves an "
          "existing run there aside and starts over."),
    Param("transition_topics", topics.TRANSITIONS, "Comma-separated topics to learn from: several actors, one "
          "learner, e.g. '/actor_0/transitions,/actor_1/transitions' (each transition carries its actor_id).",
          check=topic_list),
    DIAGNOSTICS_PERIOD,
)

RECORDER = (
    Param("task", DEFAULT_TASK, "Task whose experience is recorded (stored in the bag).", check=registered_task),
    Param("bag_dir", "", "The bag directory to create; it must not exist yet.",
          check=lambda v: None if v else "give the bag directory to create"),
    CONTROLLER_NAME,
    DIAGNOSTICS_PERIOD,
)

VIEWER = (
    Param("task", DEFAULT_TASK, "Task whose robot is drawn.", check=registered_task),
    Param("web_port", 9090, "Port of the web viewer page.", low=1, high=65535),
    Param("grpc_port", 9876, "Port of the Rerun gRPC stream the page reads.", low=1, high=65535),
)

#: every node's parameters by node name, in declaration order
TABLE: dict[str, tuple[Param, ...]] = {
    "simulator": SIMULATOR, "controller": CONTROLLER, "learner": LEARNER, "recorder": RECORDER, "viewer": VIEWER,
}
#: the nodes ``config/defaults.yaml`` configures (the optional ones get their parameters from the launchers)
FILE_NODES = NODES
#: the launch argument that starts each optional node
LAUNCH_ARGUMENT = {"recorder": "record", "viewer": "view"}
#: left out of the file: the launchers pass it to every node
PASSED_BY_LAUNCHERS = ("task",)


def shared(nodes: Sequence[str] = FILE_NODES) -> tuple[Param, ...]:
    """The parameters defined once and listed by more than one of ``nodes``, in first-declaration order."""
    seen: dict[int, Param] = {}
    counts: dict[int, int] = {}
    for node in nodes:
        for p in TABLE[node]:
            seen.setdefault(id(p), p)
            counts[id(p)] = counts.get(id(p), 0) + 1
    return tuple(p for key, p in seen.items() if counts[key] > 1)


def ros_type(p: Param) -> str:
    """The ROS 2 parameter type the default gives (bool before int: a bool is an int in Python)."""
    for cls, name in ((bool, "bool"), (int, "integer"), (float, "double"), (str, "string")):
        if isinstance(p.default, cls):
            return name
    raise TypeError(f"parameter {p.name!r}: default {p.default!r} has no ROS 2 parameter type")


# -- config/defaults.yaml ----------------------------------------------------------------------------------
def yaml_value(value: Any) -> str:
    """``value`` as a YAML scalar that loads back as the same value and type."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif value and yaml.safe_load(value) == value and not any(c in value for c in ":#{}[],&*!|>'\"%@`"):
        text = value
    else:
        text = json.dumps(value)
    loaded = yaml.safe_load(text)
    assert loaded == value and type(loaded) is type(value), (value, text)
    return text


def _yaml_entries(params: Sequence[Param]) -> list[str]:
    lines = []
    for p in params:
        if p.name in PASSED_BY_LAUNCHERS:
            continue
        lines += textwrap.wrap(p.description, 110, initial_indent="    # ", subsequent_indent="    # ")
        lines.append(f"    {p.name}: {yaml_value(p.default)}")
    return lines


def defaults_yaml() -> str:
    """The text of ``config/defaults.yaml``: every parameter of the node set at its declared default."""
    common = shared()
    lines = [
        "# Parameters of every task's node set; the task itself is passed as each node's `task` parameter.",
        "# ROS 2 parameters-file format: `/**` reaches every node, `/**/<node>` one node in any namespace.",
        "# The same file serves `ros2 launch svg_control <task>.launch.py` and `svg-control launch <task>`.",
        "# GENERATED from svg_control/nodes/interface/parameter_table.py",
        "# (python -m svg_control.nodes.interface.parameter_table --write): edit the table, not this file. Every",
        "# value is its node's declared default, so a node started without this file (`ros2 run`, the tests)",
        "# behaves the same; copy a section into your own file (the `params_file` launch argument) to change a value.",
        "/**:",
        "  ros__parameters:",
        *_yaml_entries(common),
    ]
    for node in FILE_NODES:
        own = [p for p in TABLE[node] if all(p is not c for c in common)]
        lines += ["", f"/**/{node}:", "  ros__parameters:", *_yaml_entries(own)]
    return "\n".join(lines) + "\n"


# -- docs/ROS_INTERFACE.md ---------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _default_cell(p: Param) -> str:
    return f"`{yaml_value(p.default)}`" if p.default != "" else "empty"


def _range_cell(p: Param) -> str:
    if p.choices:
        return ", ".join(f"`{c}`" for c in p.choices)
    if p.low is not None and p.high is not None:
        if isinstance(p.default, int):
            return f"{int(p.low)} … {int(p.high)}"
        return f"{p.low:g} … {p.high:g}"
    return ""


def _doc_rows(params: Sequence[Param], nodes_column: bool) -> list[str]:
    head = "| parameter | " + ("nodes | " if nodes_column else "") + "type | default | range | run time | description |"
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for p in params:
        owners = ", ".join(n for n in TABLE if any(q is p for q in TABLE[n]))
        rows.append(f"| `{p.name}` | " + (f"{owners} | " if nodes_column else "") +
                    f"{ros_type(p)} | {_default_cell(p)} | {_range_cell(p)} | {'' if p.read_only else 'settable'} | "
                    f"{_cell(p.description)} |")
    return rows


def parameters_doc() -> str:
    """The generated part of ``docs/ROS_INTERFACE.md``: the marker lines and the tables between them."""
    common = shared(tuple(TABLE))
    lines = [DOC_BEGIN,
             "<!-- generated from svg_control/nodes/interface/parameter_table.py by "
             "`python -m svg_control.nodes.interface.parameter_table --write`: edit the table, not this text -->",
             "", "### Shared by several nodes", "", *_doc_rows(common, nodes_column=True)]
    for node, params in TABLE.items():
        optional = f" (optional: launch argument `{LAUNCH_ARGUMENT[node]}`)" if node in OPTIONAL_NODES else ""
        has = [p.name for p in params if any(p is c for c in common)]
        lines += ["", f"### {node}{optional}", ""]
        if has:
            lines += [f"Shared: {', '.join(f'`{n}`' for n in has)}.", ""]
        lines += _doc_rows([p for p in params if all(p is not c for c in common)], nodes_column=False)
    return "\n".join([*lines, "", DOC_END])


def with_parameters_doc(text: str) -> str:
    """``text`` (the document) with the part between the markers replaced by :func:`parameters_doc`."""
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{DOC.name} lacks the markers {DOC_BEGIN} ... {DOC_END}")
    return text[:begin] + parameters_doc() + text[end + len(DOC_END):]


# -- command line ------------------------------------------------------------------------------------------
def generated_files() -> dict[Path, str]:
    """Each generated file and the text it should hold."""
    from .node_set import config_dir

    return {config_dir() / DEFAULTS_FILE: defaults_yaml(), DOC: with_parameters_doc(DOC.read_text())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m svg_control.nodes.interface.parameter_table",
                                     description="Write or check config/defaults.yaml and the parameter tables "
                                                 "of docs/ROS_INTERFACE.md, generated from the parameter table.")
    parser.add_argument("--write", action="store_true", help="write the files (default: only check them)")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_files().items():
        if path.read_text() != text:
            if args.write:
                path.write_text(text)
                print(f"wrote {path}")
            else:
                stale.append(path)
    for path in stale:
        print(f"{path} is out of date: python -m svg_control.nodes.interface.parameter_table --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
