"""ros2 launch svg_control svg.launch.py task:=<task or task file> [namespace:=...] [run_dir:=...] ...

Starts simulator, controller and learner for one task (controller and learner for a robot's task file)
from the node-set description shared with
`svg-control launch` (svg_control/nodes/interface/node_set.py): same executables, node names, parameter file
(config/defaults.yaml), task parameter and overrides. Its arguments are the table in
svg_control/nodes/bringup/launch_arguments.py (`--show-args` lists them); a wrong value stops the launch with a
message naming the argument. Only runs on a ROS 2 install (`launch`/`launch_ros` have no PyPI wheels);
elsewhere use `svg-control launch <task>`, which takes the same arguments.
"""
import tempfile
from pathlib import Path

from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription
from svg_control.nodes.bringup.launch_arguments import ARGUMENTS, resolve
from svg_control.nodes.interface.node_set import PACKAGE, node_set, override_file


def _nodes(context, *args, **kwargs):
    task = LaunchConfiguration("task").perform(context)
    values = {a.name: LaunchConfiguration(a.name).perform(context) for a in ARGUMENTS}
    plan = resolve(task, values, driver="ros2")  # LaunchArgumentError names a wrong argument
    scratch = Path(tempfile.mkdtemp(prefix="svg-launch-"))
    where = f"run directory {plan.run_dir}" if plan.run_dir else "no run directory: learning is not kept"
    return [LogInfo(msg=f"svg_control: {task}, {where}")] + [
        Node(
            package=PACKAGE,
            executable=spec.executable,
            name=spec.name,
            namespace=plan.namespace,
            # overrides as a /**/<name> file, not a dict: see node_set.override_file
            parameters=[*(str(f) for f in spec.param_files), {"task": spec.task},
                        *(str(f) for f in [override_file(spec, scratch)] if f)],
            remappings=list(spec.remappings),
            ros_arguments=["--log-level", plan.log_level],
            respawn=spec.name == "learner" and plan.respawn_learner,
            respawn_delay=2.0,
            output="screen",
            emulate_tty=True,
        )
        for spec in node_set(task, plan.overrides, extra_param_files=plan.param_files)
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("task", default_value="monoped", description="task name (svg-control tasks lists them), "
                              "or a robot's task file (*.yaml, docs/ROBOTS.md): controller and learner only"),
        *(DeclareLaunchArgument(a.name, default_value=a.default, description=a.description) for a in ARGUMENTS),
        OpaqueFunction(function=_nodes),
    ])
