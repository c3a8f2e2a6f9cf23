"""ros2 launch svg_control monoped.launch.py: simulator, controller and learner for monoped.

Thin: includes svg.launch.py with task:=monoped (one node-set description for every task, the
same set `svg-control launch monoped` starts without ROS 2
launch). Parameters: config/defaults.yaml, and the task.
"""
import os

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from launch import LaunchDescription

TASK = "monoped"


def generate_launch_description() -> LaunchDescription:
    generic = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svg.launch.py")
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the three nodes"),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(generic),
            launch_arguments={"task": TASK, "namespace": LaunchConfiguration("namespace")}.items(),
        ),
    ])
