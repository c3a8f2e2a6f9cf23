"""ros2 launch svg_control half_cheetah.launch.py [namespace:=...] [run_dir:=...] [resume:=...] [algo:=...] ...

Thin: includes svg.launch.py with task:=half_cheetah, forwarding every argument of the node set
(svg_control/nodes/bringup/launch_arguments.py; `--show-args` lists them). The same set
`svg-control launch half_cheetah`
starts without ROS 2 launch. Parameters: config/defaults.yaml, then the arguments.
"""
import os

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from launch import LaunchDescription
from svg_control.nodes.bringup.launch_arguments import ARGUMENTS

TASK = "half_cheetah"


def generate_launch_description() -> LaunchDescription:
    generic = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svg.launch.py")
    return LaunchDescription([
        *(DeclareLaunchArgument(a.name, default_value=a.default, description=a.description) for a in ARGUMENTS),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(generic),
            launch_arguments={"task": TASK, **{a.name: LaunchConfiguration(a.name) for a in ARGUMENTS}}.items(),
        ),
    ])
