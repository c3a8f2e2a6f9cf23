"""ament_python package that also installs with plain pip.

colcon uses this file on a ROS 2 install (rclpy etc. come from the distro);
`pip install -e .[ros]` pulls rclpy from the PyPI wheels on machines without
ROS 2. The ROS wheels are only an extra so they are never forced onto a
machine where ROS 2 is sourced.
"""
from glob import glob

from setuptools import find_packages, setup

package_name = "svg_control"

ROS_WHEELS = [
    "ros-rclpy",
    "ros-rmw-fastrtps-cpp",
    "ros-std-msgs",
    "ros-sensor-msgs",
    "ros-diagnostic-msgs",
    "ros-std-srvs",
    "ros-nav-msgs",
    "ros-lifecycle-msgs",
    "ros-rosgraph-msgs",
    "ros-builtin-interfaces",
]

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*", "benchmarks", "benchmarks.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
        ("share/" + package_name + "/launch", glob("launch/*.py")),
        ("share/" + package_name + "/config", glob("config/*.yaml")),
        ("share/" + package_name + "/sim", glob("sim/*.xml")),
    ],
    package_data={package_name: ["py.typed", "algo_configs/tasks/*.yaml", "robots/*.yaml"]},
    python_requires=">=3.10",
    install_requires=[
        "numpy>=1.24",
        "torch==2.13.0",
        "mujoco>=3.1",
        "gymnasium>=1.0",
        "safetensors>=0.4",
        "pyyaml>=6",
        "tqdm>=4.60",
        "matplotlib>=3.7",
        "rosbags>=0.10",
    ],
    extras_require={
        "ros": ROS_WHEELS,
        "dev": ["pytest>=7", "pytest-timeout>=2.1", "ruff>=0.5", "mcap>=1.1", "playwright>=1.40"],
        "render": ["imageio>=2.30", "imageio-ffmpeg>=0.4"],
        # pinned: the peers' numbers in docs/RESULTS.md are only comparable under one SB3 (benchmarks/peers.py)
        "bench": ["stable-baselines3==2.9.2"],
        # the live view (nodes/monitoring/viewer.py): Rerun's wheel carries its web viewer (~170 MB), so it is optional
        "view": ["rerun-sdk>=0.20"],
    },
    zip_safe=True,
    maintainer="svg_control developers",
    description="Stochastic Value Gradient learning for ROS 2 robots",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "svg-control = svg_control.cli:main",
            "simulator = svg_control.nodes.simulation.simulator:main",
            "robot_controller = svg_control.nodes.robot.robot_controller:main",
            "learner = svg_control.nodes.learning.learner:main",
            "recorder = svg_control.nodes.monitoring.recorder:main",
            "viewer = svg_control.nodes.monitoring.viewer:main",
        ],
    },
)
