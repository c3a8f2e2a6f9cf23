"""The one description of the node set, used by ``launch/*.launch.py`` and by ``svg-control launch``.

Both paths start the same nodes, with the same names, from the same parameter file
(``config/defaults.yaml``), the same task (the ``task`` parameter of every node, ``NodeSpec.task``)
and the same overrides. This module imports neither rclpy nor launch, so both drivers (and the tests)
can use it anywhere.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "svg_control"
NODES = ("simulator", "controller", "learner")
OPTIONAL_NODES = ("recorder", "viewer")  # started when their overrides are given (``record``, ``view``)


#: the room (subpackage of ``svg_control.nodes``) that holds each executable's module
ROOMS = {"simulator": "simulation", "robot_controller": "robot", "learner": "learning",
         "recorder": "monitoring", "viewer": "monitoring"}


def executable(name: str) -> str:
    """The executable of node ``name``: the controller node runs the lifecycle ``robot_controller``."""
    return "robot_controller" if name == "controller" else name


def node_module(name: str) -> str:
    """The module of node (or executable) ``name``, whose ``main()`` its console script runs (``python -m``)."""
    run = executable(name)
    return f"{PACKAGE}.nodes.{ROOMS[run]}.{run}"


@dataclass(frozen=True)
class NodeSpec:
    """One node of the set: what to run, under which name, with which parameters."""

    executable: str  # console_scripts entry point (setup.py) == ROS 2 executable name
    module: str  # python -m <module> runs the same main()
    name: str
    param_files: tuple[Path, ...]
    task: str  # the ``task`` parameter, the same for every node of the set
    parameters: dict[str, Any] = field(default_factory=dict)  # applied after the files
    remappings: tuple[tuple[str, str], ...] = ()


def override_file(spec: NodeSpec, directory: Path) -> Path | None:
    """``spec.parameters`` as a parameter file keyed ``/**/<name>``, to be passed after the config files.

    Why a file and not ``-p name:=value``: rcl applies ``-p`` (and launch_ros' parameter dicts) to the
    ``/**`` wildcard entry, which the node-specific ``/**/<name>`` sections of the config files
    override whatever the order. The same key in a later file does win.
    """
    if not spec.parameters:
        return None
    import yaml

    path = Path(directory) / f"{spec.name}-overrides.yaml"
    path.write_text(yaml.safe_dump({f"/**/{spec.name}": {"ros__parameters": dict(spec.parameters)}}))
    return path


def config_dir() -> Path:
    """``config/`` of the source tree, or ``share/svg_control/config`` of a colcon install."""
    here = Path(__file__).resolve().parents[3] / "config"
    if here.is_dir():
        return here
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory(PACKAGE)) / "config"
        if share.is_dir():
            return share
    except Exception:  # noqa: BLE001, S110 - ament missing or package not installed: report below
        pass
    raise FileNotFoundError(f"{PACKAGE}: config directory not found (looked in {here} and the ament share dir)")


def config_files(directory: Path | None = None) -> tuple[Path, ...]:
    """The parameter files every node set loads: ``defaults.yaml``; FileNotFoundError when it is missing."""
    path = (directory or config_dir()) / "defaults.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file {path}")
    return (path,)


def node_set(task: str, overrides: Mapping[str, Mapping[str, Any]] | None = None,
             config_directory: Path | None = None, extra_param_files: tuple[Path, ...] = ()) -> list[NodeSpec]:
    """The nodes for ``task``; ``overrides[node_name]`` are extra parameters for that node, applied after
    ``config/defaults.yaml`` and then ``extra_param_files`` (the ``params_file`` launch argument).

    The simulator is a ros2_control robot (its ``observation`` and ``joint_states`` out, each actuator's control
    in); the lifecycle ``robot_controller`` drives it under the node name ``controller``, with the task file
    generated from the task's spec (``robot_task``), stepping once per observation (``trigger: auto``). A task
    file as ``task`` is someone else's robot: controller and learner only.

    ValueError for a task the registry does not have (before any process starts), or an unknown node.
    """
    from ...tasks.registry import task_names
    from .task_io import is_task_file

    robot_file: Path | None = None
    if is_task_file(task):
        robot_file = Path(task).expanduser().absolute()
        if not robot_file.is_file():
            raise ValueError(f"no task file {robot_file}")
    elif task not in task_names():
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(task_names())}, or a task file (*.yaml)")
    files = config_files(config_directory) + tuple(extra_param_files)
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(NODES) - set(OPTIONAL_NODES))
    if unknown:
        raise ValueError(f"overrides for unknown node(s) {unknown}; nodes are {', '.join(NODES + OPTIONAL_NODES)}")
    ours = not is_task_file(task)  # our simulator is the robot
    names = (NODES if ours else NODES[1:]) + tuple(name for name in OPTIONAL_NODES if name in overrides)
    specs = []
    for name in names:
        parameters = dict(overrides.get(name, {}))
        node_task = str(robot_file) if name in ("controller", "learner") and robot_file is not None else task
        specs.append(NodeSpec(executable=executable(name), module=node_module(name), name=name,
                              param_files=files, task=node_task, parameters=parameters))
    return specs
