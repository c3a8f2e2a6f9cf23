"""The node-set description, the launch files and the config agree with each other and the package.

Every node-set entry names a console script of setup.py whose module has ``main``; every task of the
registry has ``launch/<task>.launch.py`` and reaches every node as its ``task`` parameter; every
parameter of ``config/defaults.yaml`` is one its node declares, with the declared default as its value;
the launcher builds the same command lines launch_ros would. The launch files themselves need
``launch_ros`` (no wheels): they are compiled here and, where launch_ros exists, evaluated.
"""
from __future__ import annotations

import ast
import importlib
import py_compile
import re
from pathlib import Path

import pytest
import yaml

from svg_control.nodes.bringup import launcher
from svg_control.nodes.interface.node_set import NODES, config_dir, node_set, override_file
from svg_control.nodes.interface.parameter_table import TABLE
from svg_control.tasks.registry import task_names

REPO = Path(__file__).resolve().parents[1]


def console_scripts() -> dict[str, str]:
    tree = ast.parse((REPO / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "console_scripts":
                    entries = [ast.literal_eval(e) for e in value.elts]
                    return dict(tuple(part.strip() for part in e.split("=", 1)) for e in entries)
    raise AssertionError("setup.py has no console_scripts")


def test_every_task_has_a_launch_file_and_reaches_every_node(tmp_path):
    for task in task_names():
        specs = node_set(task)
        assert [s.task for s in specs] == [task] * len(NODES)
        for spec in specs:
            cmd = launcher.command(spec, scratch=tmp_path)
            assert cmd[cmd.index(f"task:={launcher.format_value(task)}") - 1] == "-p"
        launch_file = REPO / "launch" / f"{task}.launch.py"
        assert launch_file.is_file(), launch_file
        assert re.search(rf'TASK = "{task}"', launch_file.read_text())


def test_node_set_names_real_executables_and_modules():
    scripts = console_scripts()
    for spec in node_set("monoped"):
        assert scripts[spec.executable] == f"{spec.module}:main"
        module = importlib.import_module(spec.module)
        assert callable(module.main)
        assert spec.param_files == (config_dir() / "defaults.yaml",)
    assert [s.name for s in node_set("point_mass")] == list(NODES)


def node_modules() -> dict[str, str]:
    """Each node's module (the controller node runs ``robot_controller``)."""
    return {spec.name: spec.module for spec in node_set("point_mass")}


def test_configured_parameters_are_declared_by_their_nodes():
    declared = {n: {p.name: p for p in TABLE[n]} for n in NODES}
    for path in sorted(config_dir().glob("*.yaml")):
        for key, section in yaml.safe_load(path.read_text()).items():
            targets = list(NODES) if key == "/**" else [key.removeprefix("/**/")]
            for name, value in section["ros__parameters"].items():
                owners = [n for n in targets if name in declared[n]]
                assert owners, f"{path.name}: {key} sets {name!r}, which no node declares"
                for n in owners:  # types as declared: rcl refuses an int for a double
                    assert type(value) is type(declared[n][name].default), f"{path.name}: {n}.{name}={value!r}"
                    declared[n][name].validate(value)


def test_defaults_yaml_holds_the_declared_defaults():
    """One value per default: what ``config/defaults.yaml`` sets is what each node it reaches declares."""
    declared = {n: {p.name: p.default for p in TABLE[n]} for n in NODES}
    data = yaml.safe_load((config_dir() / "defaults.yaml").read_text())
    assert set(data) == {"/**", *(f"/**/{n}" for n in NODES)}
    for key, section in data.items():
        targets = list(NODES) if key == "/**" else [key.removeprefix("/**/")]
        for name, value in section["ros__parameters"].items():
            for n in (t for t in targets if name in declared[t]):
                assert value == declared[n][name], f"defaults.yaml {key} {name}={value!r}, {n} declares " \
                    f"{declared[n][name]!r}"
    assert "task" not in data["/**"]["ros__parameters"]  # the launchers pass it


def test_launcher_command_lines(tmp_path):
    specs = node_set("cartpole", {"simulator": {"mode": "realtime", "max_rate": 5.0}})
    cmd = launcher.command(specs[0], namespace="actor_0", scratch=tmp_path)
    assert cmd[1:3] == ["-m", "svg_control.nodes.simulation.simulator"]
    assert cmd[cmd.index("-r") + 1] == "__node:=simulator" and "__ns:=/actor_0" in cmd
    files = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--params-file"]
    assert files[:-1] == [str(f) for f in specs[0].param_files]
    assert yaml.safe_load(Path(files[-1]).read_text()) == {
        "/**/simulator": {"ros__parameters": {"mode": "realtime", "max_rate": 5.0}}}
    assert override_file(specs[1], tmp_path) is None
    assert launcher.coerce("simulator", "max_rate", 100) == 100.0
    with pytest.raises(ValueError, match="no parameter"):
        launcher.coerce("learner", "nope", 1)
    with pytest.raises(ValueError, match="unknown node"):
        node_set("cartpole", {"planner": {}})
    with pytest.raises(ValueError, match="unknown task"):
        node_set("no_such_task")
    with pytest.raises(FileNotFoundError):
        node_set("cartpole", config_directory=tmp_path / "empty")


def test_launcher_main_rejects_bad_arguments():
    assert launcher.main(["no_such_task", "--duration", "1"]) == 2
    assert launcher.main(["point_mass", "--param", "simulator.bogus=1"]) == 2


def test_launch_files_compile_and_evaluate_where_launch_ros_exists(tmp_path):
    files = sorted((REPO / "launch").glob("*.launch.py"))
    assert REPO / "launch" / "svg.launch.py" in files
    for f in files:
        py_compile.compile(str(f), cfile=str(tmp_path / (f.name + "c")), doraise=True)
    pytest.importorskip("launch_ros", reason="launch_ros has no PyPI wheels; evaluated only on a ROS 2 install")
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    from launch import LaunchContext

    source = PythonLaunchDescriptionSource(str(REPO / "launch" / "monoped.launch.py"))
    assert source.get_launch_description(LaunchContext()) is not None
