"""The parameter table is the one source of the nodes' parameters, ``config/defaults.yaml`` and the docs' tables.

The committed ``config/defaults.yaml`` and the part of ``docs/ROS_INTERFACE.md`` between the parameter markers
must equal what ``svg_control.nodes.interface.parameter_table`` generates, so neither can drift from what the nodes
declare (``python -m svg_control.nodes.interface.parameter_table --write`` rewrites both). Each node module declares
exactly its table entry, and a parameter several nodes have is one definition, not copies.
"""
from __future__ import annotations

import importlib

import pytest
import yaml

from svg_control.nodes.interface import parameter_table as pt
from svg_control.nodes.interface.node_set import NODES, OPTIONAL_NODES, config_dir, node_module

#: parameters whose default is refused on purpose: the launchers always pass them
MUST_BE_GIVEN = {("recorder", "bag_dir")}
FIX = "run `python -m svg_control.nodes.interface.parameter_table --write` and commit the result"


def test_committed_defaults_yaml_is_the_generated_one():
    assert (config_dir() / pt.DEFAULTS_FILE).read_text() == pt.defaults_yaml(), f"config/defaults.yaml: {FIX}"


def test_committed_parameter_docs_are_the_generated_ones():
    text = pt.DOC.read_text()
    assert text.count(pt.DOC_BEGIN) == 1 and text.count(pt.DOC_END) == 1
    assert text == pt.with_parameters_doc(text), f"docs/ROS_INTERFACE.md: {FIX}"


def test_check_command_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    doc = tmp_path / "ROS_INTERFACE.md"
    doc.write_text(f"# x\n{pt.DOC_BEGIN}\nhand-written\n{pt.DOC_END}\n")
    monkeypatch.setattr(pt, "DOC", doc)
    assert pt.main([]) == 1
    assert "ROS_INTERFACE.md is out of date" in capsys.readouterr().err
    with pytest.raises(ValueError, match="markers"):
        pt.with_parameters_doc("no markers here")


def test_the_file_sets_every_parameter_but_task_at_its_declared_default():
    data = yaml.safe_load(pt.defaults_yaml())
    assert set(data) == {"/**", *(f"/**/{n}" for n in NODES)}
    common = data["/**"]["ros__parameters"]
    for node in NODES:
        mine = data[f"/**/{node}"]["ros__parameters"]
        assert not set(mine) & set(common)
        seen = {**{k: v for k, v in common.items() if k in {p.name for p in pt.TABLE[node]}}, **mine}
        declared = {p.name: p.default for p in pt.TABLE[node] if p.name != "task"}
        assert seen == declared and all(type(seen[k]) is type(declared[k]) for k in declared), node


def test_every_node_declares_its_table_entry():
    for node in NODES + OPTIONAL_NODES:
        params = importlib.import_module(node_module(node)).parameters()
        assert tuple(params) == pt.TABLE[node]
        assert len({p.name for p in params}) == len(params), f"{node} declares a name twice"
        for p in params:
            pt.ros_type(p)  # a ROS 2 parameter type
            if (node, p.name) not in MUST_BE_GIVEN:
                p.validate(p.default)  # every default passes its own checks


def test_shared_parameters_are_one_definition():
    by_name: dict[str, set[int]] = {}
    for params in pt.TABLE.values():
        for p in params:
            by_name.setdefault(p.name, set()).add(id(p))
    for p in (pt.ALGO, pt.AGENT_OVERRIDES, pt.DEVICE, pt.CONTROLLER_NAME, pt.DIAGNOSTICS_PERIOD):
        assert by_name[p.name] == {id(p)}, f"{p.name} is defined more than once"
    assert {p.name for p in pt.shared()} == {"algo", "agent_overrides", "device", "controller_name",
                                              "diagnostics_period"}


def test_yaml_values_load_back_as_written():
    for value in ("", "cpu", "/robot_description", "a: b", "true", "1.0", True, 0, -1.0, 1e9):
        assert yaml.safe_load(pt.yaml_value(value)) == value
