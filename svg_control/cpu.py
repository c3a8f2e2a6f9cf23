"""The CPU a learner may use: torch's intra-op threads and the cores the process runs on.

On a robot computer the control loop must always win the CPU. The learner node therefore takes by default
the cores left after the controller (all the cores this process may use but one, at least one), and can be
pinned to chosen cores (``cpu_affinity``) so that the controller's cores stay free; ``nice`` lowers its
priority besides. The headless trainer takes the same settings from ``svg-control train --threads/--cpus``.
A thread count above the cores there are is clamped with a warning, never an error: a launch file written
for a bigger computer still runs.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

#: the ``threads`` value that asks for the cores left after the ones reserved for other work
AUTO = 0


def usable_cores() -> tuple[int, ...]:
    """The cores this process may run on (its affinity), sorted."""
    return tuple(sorted(os.sched_getaffinity(0)))


def parse_cpu_list(text: str) -> tuple[int, ...]:
    """'0,2-3' -> (0, 2, 3), the kernel's cpu-list format; '' -> () (no pinning). ValueError names the text."""
    cores: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"{text!r} is not a list of cores like '0,2-3'") from None
        if first < 0 or last < first:
            raise ValueError(f"{text!r}: {part!r} is not a range of core numbers")
        cores.update(range(first, last + 1))
    machine = os.cpu_count() or 1
    beyond = sorted(c for c in cores if c >= machine)
    if beyond:
        raise ValueError(f"{text!r} names cores {beyond} but this machine has cores 0-{machine - 1}")
    return tuple(sorted(cores))


def resolve_threads(requested: int, cores: int, reserved: int = 0) -> tuple[int, str | None]:
    """(threads to use, a warning or None): ``AUTO`` is the ``cores`` left after ``reserved`` (at least 1);
    more than ``cores`` is clamped to ``cores``, with a warning."""
    if requested < 0:
        raise ValueError(f"threads must be >= 0 (0: the cores left after the controller), got {requested}")
    if requested == AUTO:
        return max(1, cores - reserved), None
    if requested > cores:
        return cores, f"threads {requested} is more than the {cores} cores this process may use: using {cores}"
    return requested, None


def apply(threads: int, cpus: Sequence[int] = (), reserved: int = 0) -> tuple[int, str | None]:
    """Pin the process to ``cpus`` (all usable cores when empty), then set torch's threads (``resolve_threads``
    over the cores it may then use). Returns (threads set, warning or None)."""
    import torch

    if cpus:
        os.sched_setaffinity(0, cpus)
    threads, warning = resolve_threads(threads, len(usable_cores()), reserved)
    torch.set_num_threads(threads)
    return threads, warning
