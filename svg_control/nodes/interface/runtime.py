"""Start, spin and stop a node the same way for all three executables.

* ``torch.set_num_threads(1)``: the nodes share a small machine; intra-op threads only fight.
* A :class:`~svg_control.nodes.interface.params.ParameterError` (or any ValueError raised while the node is
  built from its parameters) is logged as one fatal line naming the parameter and the process
  exits with code 2 before anything is published.
* SIGINT and SIGTERM shut the context down (rclpy's own handlers); the spin returns, the node is
  destroyed, ``rclpy.try_shutdown`` runs, and the exit code is 0: no traceback on Ctrl-C.
  Neither signal raises in Python: a KeyboardInterrupt lands at an arbitrary bytecode, and one that
  landed inside rclpy's ``Future.__init__`` left a half-built Task whose ``__del__`` printed a
  traceback at exit (seen once in CI).
"""
from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.timer import Timer

EXIT_BAD_PARAMETER = 2


def steady_timer(node: Node, period: float, callback: Callable[[], None]) -> Timer:
    """A timer on the steady clock, whatever ``use_sim_time`` says.

    Why: with ``use_sim_time`` a node's own clock follows ``/clock``, which only advances while the simulator
    steps. The simulator's stepping timer would then wait for itself, and a watchdog would never fire when
    the simulation (or the robot) goes silent, which is exactly when it must. Stamps follow sim time; the
    pacing of the nodes and their watchdogs follow the wall.
    """
    return node.create_timer(period, callback, clock=Clock(clock_type=ClockType.STEADY_TIME))


def run_node(factory: Callable[[], Node], args: Sequence[str] | None = None, name: str = "node") -> int:
    """Build the node with ``factory`` inside an initialised context and spin it until shutdown."""
    import torch

    torch.set_num_threads(1)
    # rclpy's handlers shut the context down and then chain to the previous handler: the default SIGTERM
    # one kills the process before destroy_node (the learner's last checkpoint) runs, and the default
    # SIGINT one raises KeyboardInterrupt wherever the main thread happens to be.
    stop_requested: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop_requested.append(signum))
    rclpy.init(args=list(args) if args is not None else None)
    node: Node | None = None
    try:
        try:
            node = factory()
        except Exception as exc:
            if stop_requested or not rclpy.ok():  # Ctrl-C while starting: the context went away under it
                return 0
            if not isinstance(exc, ValueError):  # ParameterError is a ValueError
                raise
            rclpy.logging.get_logger(name).fatal(f"{name} not started: {exc}")
            return EXIT_BAD_PARAMETER
        if stop_requested:  # a signal during start-up, before rclpy's handlers could shut anything down
            return 0
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        try:
            executor.spin()
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        except Exception:
            if rclpy.ok():
                raise
            # the signal shut the context down under a callback that was publishing: that is the shutdown
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if node is not None:
            try:
                node.destroy_node()
            except Exception as exc:  # noqa: BLE001 - best effort on the way out
                print(f"[{name}] error while stopping: {exc}", file=sys.stderr)
        # a node whose constructor raised (a bad parameter) is still half alive in reference cycles; collected
        # after the context's shutdown, at interpreter exit, its handles were freed against a dead context and
        # the process could end in a segmentation fault instead of its exit code
        gc.collect()
        rclpy.try_shutdown()
