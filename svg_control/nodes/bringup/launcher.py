"""``svg-control launch <task>``: the node set of ``node_set`` as separate processes, without ``ros2 launch``.

Where ROS 2 comes from PyPI wheels there is no ``launch``/``launch_ros``; this starts exactly what
``launch/<task>.launch.py`` starts (same executables' ``main``, node names, parameter files and
overrides) as ``python -m svg_control.nodes.<room>.<node> --ros-args ...`` children.

Arguments: the launch arguments of ``launch_arguments.py`` under the same names (``--run_dir`` or
``--run-dir``), checked the same way, with ``runs/[<namespace>/]<task>`` as the default run directory.

Lifetime: Ctrl-C / SIGTERM (or ``--duration`` running out) sends SIGINT to every child, waits
``--grace`` seconds, then escalates to SIGTERM and SIGKILL, so nothing is left behind. A node that
exits on its own is reported and the others keep running, as under ``ros2 launch``: a robot's
controller goes on acting on the last good policy while the learner is down. With ``respawn_learner``
the learner is started again (it resumes from its run directory). Two exits stop the whole set: a node
refusing its parameters at start (exit code 2: the set is misconfigured) and the last node ending.
Children run in their own session so that a terminal's Ctrl-C reaches them once, through here. Exit
code: 0 after a requested stop, else the first failing node's code.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..interface.node_set import NodeSpec, node_set, override_file
from ..interface.runtime import EXIT_BAD_PARAMETER
from .launch_arguments import ARGUMENTS, LaunchArgumentError, resolve

RESPAWN_DELAY = 2.0  # seconds, as the launch files' respawn_delay


def format_value(value: Any) -> str:
    """A parameter value as rcl parses it from ``-p name:=value`` (YAML); strings stay strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a double-quoted YAML scalar: "{a: 1}" or "3" stay strings
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return repr(value)


def command(spec: NodeSpec, namespace: str = "", python: str = sys.executable,
            scratch: Path | None = None, log_level: str = "") -> list[str]:
    """The command line that runs ``spec`` like ``launch_ros.actions.Node`` would.

    The task is a ``-p`` parameter (the ``/**`` entry; no parameter file sets it); overrides go into a
    parameter file in ``scratch`` (see ``node_set.override_file``).
    """
    cmd = [python, "-m", spec.module, "--ros-args", "-r", f"__node:={spec.name}"]
    if log_level:
        cmd += ["--log-level", log_level]
    if namespace:
        cmd += ["-r", f"__ns:={namespace if namespace.startswith('/') else '/' + namespace}"]
    extra = override_file(spec, scratch) if scratch is not None and spec.parameters else None
    for f in (*spec.param_files, *([extra] if extra else [])):
        cmd += ["--params-file", str(f)]
    cmd += ["-p", f"task:={format_value(spec.task)}"]
    if spec.parameters and extra is None:
        raise ValueError("parameter overrides need a scratch directory for their parameter file")
    for src, dst in spec.remappings:
        cmd += ["-r", f"{src}:={dst}"]
    return cmd


def _stop(procs: Sequence[subprocess.Popen], grace: float) -> None:
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        alive = [p for p in procs if p.poll() is None]
        if not alive:
            return
        for p in alive:
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(p.poll() is None for p in alive):
            time.sleep(0.05)


def launch(task: str, overrides: Mapping[str, Mapping[str, Any]] | None = None, duration: float | None = None,
           namespace: str = "", grace: float = 10.0, config_directory: Path | None = None,
           env: Mapping[str, str] | None = None, quiet: bool = False, log_level: str = "",
           respawn_learner: bool = False, extra_param_files: tuple[Path, ...] = ()) -> int:
    """Run the node set for ``task`` until a signal, ``duration`` seconds, a node refusing its parameters, or
    every node ending; return the exit code."""
    specs = node_set(task, overrides, config_directory, extra_param_files)
    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    package_root = str(Path(__file__).resolve().parents[3])
    if package_root not in child_env.get("PYTHONPATH", "").split(os.pathsep):  # run from a source tree too
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, child_env.get("PYTHONPATH")) if p)
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: list[subprocess.Popen] = []
    failed: tuple[str, int] | None = None
    scratch = tempfile.TemporaryDirectory(prefix="svg-launch-")
    out = subprocess.DEVNULL if quiet else None

    def start(spec: NodeSpec) -> subprocess.Popen:
        return subprocess.Popen(command(spec, namespace, scratch=Path(scratch.name), log_level=log_level),
                                env=child_env, start_new_session=True, stdout=out, stderr=out)

    reported: set[int] = set()
    respawn_at: dict[int, float] = {}
    try:
        procs.extend(start(spec) for spec in specs)
        began = time.monotonic()
        while not stop_requested:
            now = time.monotonic()
            if duration is not None and now - began >= duration:
                break
            for i, (spec, proc) in enumerate(zip(specs, procs)):
                code = proc.poll()
                if code is None or i in reported:
                    continue
                reported.add(i)
                failed = failed or (spec.name, code if code != 0 else 1)
                if code == EXIT_BAD_PARAMETER:
                    print(f"[launch] node {spec.name} refused its parameters (exit code {code}); stopping the others",
                          file=sys.stderr)
                    stop_requested = True
                elif spec.name == "learner" and respawn_learner:
                    print(f"[launch] node {spec.name} exited with code {code}; respawning it in {RESPAWN_DELAY:g} s",
                          file=sys.stderr)
                    respawn_at[i] = now + RESPAWN_DELAY
                else:
                    print(f"[launch] node {spec.name} exited with code {code}; the others keep running",
                          file=sys.stderr)
            for i, when in list(respawn_at.items()):
                if now >= when and not stop_requested:
                    procs[i] = start(specs[i])
                    reported.discard(i)
                    del respawn_at[i]
            if not respawn_at and all(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
    finally:
        _stop(procs, grace)
        scratch.cleanup()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed is not None:
        return failed[1]
    bad = [(s.name, p.returncode) for s, p in zip(specs, procs) if p.returncode not in (0, -signal.SIGINT)]
    if bad:
        print(f"[launch] nodes did not stop cleanly: {bad}", file=sys.stderr)
        return 1
    return 0


def coerce(node: str, name: str, value: Any) -> Any:
    """``value`` in the type of the node's declared parameter (``100`` -> ``100.0`` for a double).

    rcl refuses an integer for a double parameter, and a YAML scalar typed on the command line cannot
    know which one is meant; the node's own parameter table does. Unknown names are an error here,
    before any process starts.
    """
    import importlib

    from ..interface.node_set import NODES, OPTIONAL_NODES, node_module

    if node not in NODES + OPTIONAL_NODES:
        raise ValueError(f"--param for unknown node {node!r}; nodes are {', '.join(NODES + OPTIONAL_NODES)}")
    specs = {p.name: p for p in importlib.import_module(node_module(node)).parameters()}
    if name not in specs:
        raise ValueError(f"node {node} has no parameter {name!r}; it has {', '.join(sorted(specs))}")
    default = specs[name].default
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, str) and not isinstance(value, str):
        return str(value)
    return value


def parse_param(text: str) -> tuple[str, str, Any]:
    """``node.name=value`` (value parsed as YAML) -> (node, name, value)."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise argparse.ArgumentTypeError(f"--param {text!r} must look like node.name=value")
    key, raw = text.split("=", 1)
    node, name = key.split(".", 1)
    value = yaml.safe_load(raw) if raw else ""
    return node, name, raw if isinstance(value, (dict, type(None))) else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="svg-control launch",
        description="Start simulator, controller and learner for a task as separate processes: the node set "
                    "launch/<task>.launch.py starts, for machines without ros2 launch. Ctrl-C stops them all.")
    parser.add_argument("task", help="task name (svg-control tasks lists them), or a robot's task file (*.yaml, "
                                     "docs/ROBOTS.md): then only controller and learner start")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    for argument in ARGUMENTS:  # the launch files' arguments, under the same names
        parser.add_argument(f"--{argument.name}", *([f"--{argument.name.replace('_', '-')}"] if "_" in argument.name
                                                    else []), dest=argument.name, default=None,
                            help=f"{argument.description} (default: {argument.default or 'empty'})")
    parser.add_argument("--param", action="append", default=[], type=parse_param, metavar="NODE.NAME=VALUE",
                        help="parameter override for one node, e.g. simulator.mode=realtime (repeatable)")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds nodes get to stop after SIGINT")
    parser.add_argument("--config-dir", type=Path, default=None, help="directory with the defaults.yaml to load")
    args = parser.parse_args(argv)
    try:
        values = {a.name: getattr(args, a.name) for a in ARGUMENTS if getattr(args, a.name) is not None}
        plan = resolve(args.task, values, driver="svg-control")
        overrides: dict[str, dict[str, Any]] = {node: dict(params) for node, params in plan.overrides.items()}
        for node, name, value in args.param:  # --param wins over the arguments
            overrides.setdefault(node, {})[name] = coerce(node, name, value)
        if plan.run_dir is not None:
            print(f"[launch] run directory {plan.run_dir}", file=sys.stderr)
        return launch(args.task, overrides, args.duration, plan.namespace, args.grace, args.config_dir,
                      log_level=plan.log_level, respawn_learner=plan.respawn_learner,
                      extra_param_files=plan.param_files)
    except (FileNotFoundError, ValueError, LaunchArgumentError) as exc:
        print(f"svg-control launch: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
