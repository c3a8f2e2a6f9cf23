"""The launch arguments of the node set, one table for ``ros2 launch`` and ``svg-control launch``.

``ros2 launch`` silently accepts any ``key:=value``, so an argument that is not declared does nothing;
every argument here is declared by ``launch/svg.launch.py`` (and so by each per-task launch file, which
forwards them) and taken by ``svg-control launch`` under the same name, and :func:`resolve` checks each
value before a node starts: a wrong one stops the launch with a message naming the argument.

This module imports neither rclpy nor launch, so both drivers and the tests can use it anywhere.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class Argument:
    name: str
    default: str
    description: str


ARGUMENTS = (
    Argument("namespace", "", "ROS namespace of the three nodes (e.g. actor_0); topics move with it."),
    Argument("use_sim_time", "auto", "Every node on /clock (the simulator's simulated time); stamps are sim time. "
             "auto: true with our simulator, false for a task file's robot (which has no /clock)."),
    Argument("params_file", "", "An extra ROS 2 parameter file, applied after config/defaults.yaml."),
    Argument("run_dir", "", "Run directory of the learner (checkpoints, config.yaml, metrics.jsonl). Empty: "
             "$ROS_HOME/svg_control/runs/<namespace or 'default'>/<task> for ros2 launch, runs/[<namespace>/]<task> "
             "for svg-control launch; 'none': no checkpoints (learning is lost at exit)."),
    Argument("resume", "true", "Continue the run in run_dir from its newest checkpoint; false moves it aside "
             "and starts over."),
    Argument("algo", "", "Learning algorithm (svg-control train --help lists them); empty: config/defaults.yaml's "
             "(sac-svg). The paper's SVG(1)-ER: svg1-er."),
    Argument("log_level", "info", f"Log level of the nodes: {', '.join(LOG_LEVELS)}."),
    Argument("record", "false", "Record transitions, observations, commands, rewards and diagnostics as a rosbag2 "
             "(MCAP) in <run_dir>/bags/<time> (svg-control train --from-bag reads it)."),
    Argument("view", "false", "A live view in the browser (Rerun; the optional 'view' extra): the returns, "
             "losses, alpha, rates and the robot moving, at http://localhost:9090 (the viewer's log names the URL)."),
    Argument("respawn_learner", "false", "Restart the learner when it dies; it resumes from its run directory "
             "while the controller keeps acting on the last policy it received."),
)
DEFAULTS = {a.name: a.default for a in ARGUMENTS}


class LaunchArgumentError(ValueError):
    """A launch argument has a wrong value; the message names it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"invalid launch argument '{name}': {reason}")
        self.name = name


@dataclass(frozen=True)
class LaunchPlan:
    """What the arguments mean for the node set: parameters per node, extra files, ROS args, respawn."""

    namespace: str
    run_dir: Path | None
    log_level: str
    respawn_learner: bool
    param_files: tuple[Path, ...] = ()
    bag_dir: Path | None = None
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)


def flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise LaunchArgumentError(name, f"{value!r} is not true or false")


def default_run_dir(task: str, namespace: str, driver: str) -> Path:
    """Where a run lives when ``run_dir`` is not given: under ROS_HOME for ros2 launch, ./runs otherwise."""
    ns = namespace.strip("/")
    if driver == "ros2":
        ros_home = Path(os.environ.get("ROS_HOME") or Path.home() / ".ros")
        return ros_home / "svg_control" / "runs" / (ns.replace("/", "_") or "default") / task
    return Path("runs") / ns / task if ns else Path("runs") / task


def resolve(task: str, values: dict[str, str], driver: str) -> LaunchPlan:
    """The checked plan for ``values`` (argument name -> text, as both drivers receive them).

    ``driver`` is "ros2" or "svg-control" (only the default run directory differs). LaunchArgumentError
    names the first wrong argument; an unknown name is one too.
    """
    from ...core.algos import ALGORITHMS

    unknown = sorted(set(values) - set(DEFAULTS) - {"task"})
    if unknown:
        raise LaunchArgumentError(unknown[0], f"no such argument; arguments are {', '.join(DEFAULTS)}")
    v = {**DEFAULTS, **{k: str(x) for k, x in values.items() if k != "task"}}
    from ..interface.task_io import config_name, is_task_file

    robot_file = is_task_file(task)
    if robot_file and not Path(task).expanduser().is_file():
        raise LaunchArgumentError("task", f"no task file {task}")
    run_name = config_name(task) if robot_file else task
    namespace = v["namespace"].strip()
    if namespace and not all(c.isalnum() or c in "_/" for c in namespace):
        raise LaunchArgumentError("namespace", f"{namespace!r} is not a valid ROS namespace")
    use_sim_time = not robot_file if v["use_sim_time"].strip().lower() == "auto" else \
        flag("use_sim_time", v["use_sim_time"])
    resume = flag("resume", v["resume"])
    respawn, record = flag("respawn_learner", v["respawn_learner"]), flag("record", v["record"])
    view = flag("view", v["view"])
    if view and robot_file:
        raise LaunchArgumentError("view", "the live view poses our simulator's MuJoCo robots; a task file's robot "
                                          "has none (rqt and Foxglove read its topics)")
    if v["log_level"].lower() not in LOG_LEVELS:
        raise LaunchArgumentError("log_level", f"{v['log_level']!r} is not one of {', '.join(LOG_LEVELS)}")
    algo = v["algo"].strip()
    if algo and algo not in ALGORITHMS:
        raise LaunchArgumentError("algo", f"{algo!r} is not one of {', '.join(ALGORITHMS)}")
    files: tuple[Path, ...] = ()
    if v["params_file"]:
        path = Path(v["params_file"]).expanduser()
        if not path.is_file():
            raise LaunchArgumentError("params_file", f"no file {path}")
        files = (path,)
    if v["run_dir"].strip().lower() == "none":
        run_dir = None
    else:
        run_dir = Path(v["run_dir"]).expanduser() if v["run_dir"] else default_run_dir(run_name, namespace, driver)
        if run_dir.exists() and not run_dir.is_dir():
            raise LaunchArgumentError("run_dir", f"{run_dir} exists and is not a directory")
        run_dir = run_dir.absolute()
    overrides: dict[str, dict[str, Any]] = {node: {"use_sim_time": use_sim_time}
                                            for node in ("simulator", "controller", "learner")}
    if algo:
        overrides["controller"]["algo"] = overrides["learner"]["algo"] = algo
    overrides["learner"]["resume"] = resume
    overrides["learner"]["checkpoint_dir"] = str(run_dir) if run_dir is not None else ""
    bag_dir = None
    if record:
        import time

        bag_dir = (run_dir or default_run_dir(run_name, namespace, driver).absolute()) / "bags" / \
            time.strftime("%Y%m%d-%H%M%S")
        overrides["recorder"] = {"use_sim_time": use_sim_time, "bag_dir": str(bag_dir)}
    if view:
        overrides["viewer"] = {"use_sim_time": use_sim_time}
    return LaunchPlan(namespace=namespace, run_dir=run_dir, log_level=v["log_level"].lower(),
                      respawn_learner=respawn, param_files=files, overrides=overrides, bag_dir=bag_dir)
