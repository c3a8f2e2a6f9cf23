"""ros2 launch svg_control svg.launch.py task:=<task> [namespace:=<ns>]

Starts simulator, controller and learner for one task from the node-set description shared with
`svg-control launch` (svg_control/nodes/node_set.py): same executables, node names, parameter file
(config/defaults.yaml), task parameter and overrides. Only runs on a ROS 2 install
(`launch`/`launch_ros` have no PyPI wheels); elsewhere use `svg-control launch <task>`.
"""
import tempfile
from pathlib import Path

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription
from svg_control.nodes.node_set import PACKAGE, node_set, override_file


def _nodes(context, *args, **kwargs):
    task = LaunchConfiguration("task").perform(context)
    namespace = LaunchConfiguration("namespace").perform(context)
    scratch = Path(tempfile.mkdtemp(prefix="svg-launch-"))
    return [
        Node(
            package=PACKAGE,
            executable=spec.executable,
            name=spec.name,
            namespace=namespace,
            # overrides as a /**/<name> file, not a dict: see node_set.override_file
            parameters=[*(str(f) for f in spec.param_files), {"task": spec.task},
                        *(str(f) for f in [override_file(spec, scratch)] if f)],
            remappings=list(spec.remappings),
            output="screen",
            emulate_tty=True,
        )
        for spec in node_set(task)
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("task", default_value="monoped", description="task name (svg-control tasks lists them)"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the three nodes"),
        OpaqueFunction(function=_nodes),
    ])
