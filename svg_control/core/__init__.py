"""ROS-free, MuJoCo-free implementation of the SVG family and its baselines."""
