"""ros2 launch svg_control hand_ball.launch.py: simulator, controller and learner for hand_ball.

Thin: includes svg.launch.py with task:=hand_ball (one node-set description for every task, the
same set `svg-control launch hand_ball` starts without ROS 2
launch). Parameters: config/defaults.yaml, and the task.
"""
import os

from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from launch import LaunchDescription

TASK = "hand_ball"


def generate_launch_description() -> LaunchDescription:
    generic = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svg.launch.py")
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the three nodes"),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(generic),
            launch_arguments={"task": TASK, "namespace": LaunchConfiguration("namespace")}.items(),
        ),
    ])
