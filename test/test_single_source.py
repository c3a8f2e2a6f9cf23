"""Each default of a setting is defined once: the node parameters, the headless trainer and the CLI agree.

A *setting* is a name with a default in one of three places: the node parameter table
(``svg_control/nodes/interface/parameter_table.py``), the run settings of the headless trainer (``trainer.RunSettings``)
and the options of ``svg-control train`` (``cli.build_parser``). Two checks:

1. **Same value everywhere.** A setting's default is the same in every place that has it (the learner's
   ``checkpoint_every`` and ``device``, RunSettings' and ``--checkpoint-every``, ...), compared as loaded, type
   included. ``PER_NODE`` lists the names whose node defaults differ on purpose, with the reason; for those the
   trainer and the CLI still agree with each other.
2. **Written once.** ``svg_control/`` is parsed with ``ast`` and every *literal* default of a setting is counted
   where defaults are declared: ``Param(name, default)`` calls, fields of ``@dataclass`` classes and
   ``add_argument(..., default=...)`` calls. Each (setting, value) may appear as a literal at most once; the
   other places read it (``run_default("checkpoint_every")``, ``DEFAULT_TASK``, ``topics.TRANSITIONS``). A
   value read from a named constant has that constant as its one place, and no literal here.

The CLI's other commands (``render --steps``: frames to render, ``eval --episodes``, ``plot --output``) have
options of their own, which are not run settings; they take part only in the literal count of check 2 when they
share a name with a setting.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

from svg_control import cli, trainer
from svg_control.nodes.interface.parameter_table import TABLE

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "svg_control"
#: names whose node defaults differ on purpose
PER_NODE = {
    "seed": "each node draws its own random stream (simulator: the task, as the trainer's run seed; controller: "
            "exploration; learner: the agent)",
    "task": "the controller's default is a robot (monoped), the others' a registered task (point_mass)",
}
#: (name, file) of declarations that share a setting's name but are another thing, with the reason
OTHER_THINGS = {
    ("actor_id", "svg_control/core/transition.py"): "a transition's own field: an untagged transition is actor 0",
    ("max_command_rate", "svg_control/tasks/task_file.py"): "a task file's own commands.max_rate, which the "
                                                            "controller's parameter tightens",
}

def train_options() -> dict[str, Any]:
    """``svg-control train``'s options with a default (dest -> default)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    train = sub.choices["train"]
    return {a.dest: a.default for a in train._actions
            if a.default is not None and a.default is not argparse.SUPPRESS and not isinstance(a.default, list)}


def defaults_by_source() -> dict[str, dict[str, Any]]:
    """setting name -> {place: default} for every place that gives it one."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for node, params in TABLE.items():
        for p in params:
            out[p.name][f"parameter {node}.{p.name}"] = p.default
    for f in dataclasses.fields(trainer.RunSettings):
        if f.default is not dataclasses.MISSING:
            out[f.name][f"RunSettings.{f.name}"] = f.default
    for dest, default in train_options().items():
        if dest not in ("func", "threads", "quiet"):  # the command itself, and options of the process only
            out[dest][f"train --{dest.replace('_', '-')}"] = default
    return out


def _typed(value: Any) -> tuple[type, Any]:
    return type(value), value


def test_a_setting_has_the_same_default_everywhere():
    defaults = defaults_by_source()
    assert {"checkpoint_every", "device", "seed", "eval_every"} <= set(defaults)
    assert len(defaults["checkpoint_every"]) == 3 and len(defaults["device"]) == 4  # 2 nodes, RunSettings, CLI
    for name, places in defaults.items():
        if name in PER_NODE:
            places = {k: v for k, v in places.items() if not k.startswith("parameter ")}
        values = {_typed(v) for v in places.values()}
        assert len(values) <= 1, f"{name} has different defaults: {places}"


def _literal(node: ast.AST | None) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node) if node is not None else None
    except ValueError:
        return False, None
    return isinstance(value, (bool, int, float, str)), value


def _is_dataclass(cls: ast.ClassDef) -> bool:
    for d in cls.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if (isinstance(target, ast.Name) and target.id == "dataclass") or \
                (isinstance(target, ast.Attribute) and target.attr == "dataclass"):
            return True
    return False


def literal_defaults(tree: ast.AST) -> list[tuple[str, Any, int]]:
    """(name, value, line) of each literal default in Param calls, dataclass fields and add_argument calls."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_dataclass(node):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                    value = stmt.value
                    if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "field":
                        value = next((k.value for k in value.keywords if k.arg == "default"), None)
                    ok, literal = _literal(value)
                    if ok:
                        found.append((stmt.target.id, literal, stmt.lineno))
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        keyword = {k.arg: k.value for k in node.keywords}
        if called == "Param" and node.args and isinstance(node.args[0], ast.Constant):
            ok, literal = _literal(node.args[1] if len(node.args) > 1 else keyword.get("default"))
            if ok:
                found.append((node.args[0].value, literal, node.lineno))
        if called == "add_argument" and "default" in keyword:
            options = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            long = next((o for o in options if o.startswith("--")), options[0] if options else "")
            dest = keyword["dest"].value if isinstance(keyword.get("dest"), ast.Constant) else \
                long.lstrip("-").replace("-", "_")
            ok, literal = _literal(keyword["default"])
            if ok:
                found.append((dest, literal, node.lineno))
    return found


def test_each_default_is_written_as_a_literal_once():
    settings = set(defaults_by_source())
    sites: dict[tuple[str, type, Any], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for name, value, line in literal_defaults(ast.parse(path.read_text(), str(path))):
            if name in settings and (name, str(path.relative_to(PACKAGE_DIR.parent))) not in OTHER_THINGS:
                sites[(name, *_typed(value))].append(f"{path.relative_to(PACKAGE_DIR.parent)}:{line}")
    assert sites[("checkpoint_every", int, 5000)] == ["svg_control/trainer.py:" + str(
        next(line for n, _, line in literal_defaults(ast.parse((PACKAGE_DIR / "trainer.py").read_text()))
             if n == "checkpoint_every"))]
    copies = {key: where for key, where in sites.items() if len(where) > 1}
    assert not copies, "defaults written more than once (read them from their one place instead): " + "; ".join(
        f"{name}={value!r} at {', '.join(where)}" for (name, _, value), where in copies.items())


def test_the_literal_count_sees_each_kind_of_declaration():
    source = '''
@dataclass
class S:
    every: int = 5
    name: str = field(default="x")
Param("every", 5, "doc")
Param("every", default=-1.0, description="doc")
p.add_argument("--every", type=int, default=5)
p.add_argument("-e", dest="every", default=run_default("every"))
'''
    assert sorted((n, v) for n, v, _ in literal_defaults(ast.parse(source))) == [
        ("every", -1.0), ("every", 5), ("every", 5), ("every", 5), ("name", "x")]
