"""ros2 launch svg_control half_cheetah_springs.launch.py: simulator, controller and learner for half_cheetah_springs.

Thin: includes svg.launch.py with task:=half_cheetah_springs (one node-set description for every task, the
same set `svg-control launch half_cheetah_springs` starts without ROS 2
launch). Parameters: config/defaults.yaml, and the task.
"""
import os

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from launch import LaunchDescription

TASK = "half_cheetah_springs"


def generate_launch_description() -> LaunchDescription:
    generic = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svg.launch.py")
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the three nodes"),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(generic),
            launch_arguments={"task": TASK, "namespace": LaunchConfiguration("namespace")}.items(),
        ),
    ])
