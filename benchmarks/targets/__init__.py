"""Learning-target benchmarks: does a method reach a task's target return, how fast, and does it hold it."""
