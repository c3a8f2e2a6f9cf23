"""Our MuJoCo tasks as a ros2_control robot: the simulator node."""
