"""Topic names are written once, in ``nodes/interface/topics.py``; every other module of the package uses it.

Every module under ``svg_control/`` is parsed with ``ast`` (nothing is imported) and these are refused, each
failure naming the file and line:

* a topic given as a string literal or an f-string to ``create_publisher`` / ``create_subscription`` (the
  topic argument must be a name from the table, or a value computed from one: a parameter, ``commands()``);
* a string literal equal to one of the table's absolute names (``/diagnostics``, ``/clock``, ...) anywhere:
  those are unambiguous, so any copy is a copy of a topic name;
* a string literal equal to any table name as the default or value of something whose name says it is a
  topic (a function argument, a field or variable, a keyword argument, or a ``Param`` named ``*topic*``);
* an f-string ending in ``/commands``: the command topic is ``topics.commands(controller)``.

Why not every literal equal to a relative name: ``"observation"``, ``"joint_states"`` or ``"transitions"`` are
also task-file keys, diagnostics keys and parameter choices, which are not topic names; the rules above catch
the places where a topic name is actually given.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from svg_control.nodes.interface import topics

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "svg_control"
TABLE = PACKAGE_DIR / "nodes" / "interface" / "topics.py"
NAMES = set(topics.NAMES)
ABSOLUTE = {n for n in NAMES if n.startswith("/")}
CREATE = ("create_publisher", "create_subscription")


def _is_str(node: ast.AST | None, values: set[str] | None = None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (values is None or node.value in values)


def _called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) \
        else ""


def _target_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id if isinstance(t, ast.Name) else t.attr for t in targets if isinstance(t, (ast.Name, ast.Attribute))]


def violations(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) of each topic name written outside the table."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in CREATE:
            topic = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "topic"),
                                                                 None)
            if _is_str(topic) or isinstance(topic, ast.JoinedStr):
                yield node.lineno, f"{_called(node)} with a literal topic"
        if _is_str(node, ABSOLUTE):
            yield node.lineno, f"literal {node.value!r}"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
            pairs += [(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            for arg, default in pairs:
                if "topic" in arg.arg and _is_str(default, NAMES):
                    yield default.lineno, f"argument {arg.arg} defaults to {default.value!r}"
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_str(node.value, NAMES):
            for name in _target_names(node):
                if "topic" in name.lower():
                    yield node.lineno, f"{name} = {node.value.value!r}"
        if isinstance(node, ast.Call):
            for k in node.keywords:
                if k.arg and "topic" in k.arg and _is_str(k.value, NAMES):
                    yield k.value.lineno, f"{k.arg}={k.value.value!r}"
            if _called(node) == "Param" and node.args and _is_str(node.args[0]) and "topic" in node.args[0].value:
                default = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "default"), None)
                if _is_str(default, NAMES):
                    yield node.lineno, f"Param {node.args[0].value} defaults to {default.value!r}"
        if isinstance(node, ast.JoinedStr) and node.values and _is_str(node.values[-1]) \
                and node.values[-1].value.endswith(f"/{topics.COMMANDS_SUFFIX}"):
            yield node.lineno, "an f-string command topic (topics.commands)"


def test_no_topic_name_is_written_outside_the_table():
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path == TABLE:
            continue
        for line, what in violations(ast.parse(path.read_text(), str(path))):
            found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{line}: {what}")
    assert not found, "topic names belong in svg_control/nodes/interface/topics.py:\n" + "\n".join(found)


def test_the_rules_catch_each_kind_of_copy():
    source = '''
node.create_publisher(Float64, "reward", qos.PLOT)
node.create_subscription(Float64, f"{name}/commands", cb, qos.COMMANDS)
CLOCK = "/clock"
def read(path, topic_suffix="transitions"): ...
observation_topic: str = "observation"
robot_description_for(node, task, timeout=1.0, topic="/robot_description")
Param("learner_backlog_topic", "learner_backlog", "where")
commands = f"{controller}/commands"
'''
    lines = sorted({line for line, _ in violations(ast.parse(source))})
    assert lines == list(range(2, 10)), lines
    fine = '''
node.create_publisher(Float64, topics.REWARD, qos.PLOT)
counters = {"transitions": 0, "joint_states": 1}
Param("trigger", "auto", "when", choices=("auto", "joint_states"))
'''
    assert not list(violations(ast.parse(fine)))


def test_commands_topic():
    assert topics.commands("effort_controller") == "effort_controller/commands"
    assert len(NAMES) == len(topics.NAMES)
