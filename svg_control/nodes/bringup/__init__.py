"""Starting the node set without ROS 2 launch: the launcher and the launch arguments it shares with launch/."""
