"""Watching a run: the rosbag2 recorder and the live viewer."""
