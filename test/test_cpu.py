"""The learner's CPU settings: torch threads (the cores left after the controller by default, clamped with a
warning), core pinning, and refusal of cores the machine does not have."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from svg_control import cpu


def test_auto_threads_leave_the_reserved_cores_and_never_fall_below_one():
    assert cpu.resolve_threads(cpu.AUTO, cores=8, reserved=1) == (7, None)
    assert cpu.resolve_threads(cpu.AUTO, cores=1, reserved=1) == (1, None)
    assert cpu.resolve_threads(3, cores=8) == (3, None)


def test_more_threads_than_cores_are_clamped_with_a_warning():
    threads, warning = cpu.resolve_threads(64, cores=2)
    assert threads == 2 and "64" in warning and "using 2" in warning
    with pytest.raises(ValueError, match="threads must be >= 0"):
        cpu.resolve_threads(-1, cores=2)


def test_cpu_lists_parse_and_refuse_what_the_machine_lacks():
    assert cpu.parse_cpu_list("") == ()
    assert cpu.parse_cpu_list("0") == (0,)
    last = (os.cpu_count() or 1) - 1
    assert cpu.parse_cpu_list(f"0-{last}") == tuple(range(last + 1))
    for bad in ("a", "1-0", "-1", f"{last + 1}"):
        with pytest.raises(ValueError):
            cpu.parse_cpu_list(bad)


def test_apply_pins_the_process_and_sets_torch_threads():
    """In a child process, so the test run keeps its own affinity."""
    code = ("import os, torch; from svg_control import cpu; "
            "print(cpu.apply(cpu.AUTO, (0,), reserved=1)[0], sorted(os.sched_getaffinity(0)), torch.get_num_threads());"
            "print(cpu.apply(99, ())[1] is not None, torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "1 [0] 1"  # pinned to core 0: one core, none left to reserve, yet at least one thread
    assert out[1] == "True 1"  # 99 threads on the one core it may use: clamped to 1, with a warning


def test_the_learner_node_declares_threads_and_affinity():
    from svg_control.nodes.interface.parameter_table import TABLE

    params = {p.name: p for p in TABLE["learner"]}
    assert params["threads"].default == cpu.AUTO
    params["cpu_affinity"].validate("0")
    with pytest.raises(ValueError, match="cpu_affinity"):
        params["cpu_affinity"].validate("9999")


def test_train_clamps_threads_with_a_warning_and_refuses_unknown_cores(tmp_path):
    base = [sys.executable, "-m", "svg_control.cli", "train", "--task", "point_mass", "--algo", "svg1-er",
            "--steps", "20", "--eval-every", "20", "--eval-episodes", "1", "--quiet"]
    ok = subprocess.run([*base, "--threads", "4096", "--out", str(tmp_path / "a")], capture_output=True, text=True)
    assert ok.returncode == 0 and "threads 4096 is more than" in ok.stderr
    bad = subprocess.run([*base, "--cpus", "9999", "--out", str(tmp_path / "b")], capture_output=True, text=True)
    assert bad.returncode == 2 and "9999" in bad.stderr and not (tmp_path / "b").exists()
