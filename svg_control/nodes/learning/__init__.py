"""The learner side: the node that trains on the controller's transitions and its run directory."""
