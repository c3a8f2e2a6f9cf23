"""The controller side, what runs beside a robot: the lifecycle controller, its policy, its I/O and the robot check."""
