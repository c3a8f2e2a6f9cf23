"""Per-task hyperparameters reach both drivers from one file, and CLI overrides still win."""
from __future__ import annotations

import pytest

from svg_control.core.config import ALGORITHMS, build_config, task_defaults
from svg_control.nodes.params import agent_config
from svg_control.tasks.registry import task_names
from svg_control.trainer import RunSettings, build_agent


def test_task_defaults_layer_between_algorithm_defaults_and_overrides():
    assert build_config("svg1-er").sigma_min == pytest.approx(0.1)
    assert build_config("svg1-er", task="monoped").sigma_min == pytest.approx(0.3)
    assert build_config("svg1-er", {"sigma_min": 0.2}, task="monoped").sigma_min == pytest.approx(0.2)


def test_trainer_and_nodes_build_the_same_config_for_a_task():
    agent, _, _ = build_agent(RunSettings(task="walker", algo="dpg", steps=1))
    assert agent.config == agent_config("dpg", "", "walker")
    assert agent.config.policy_hidden == (128, 128)


@pytest.mark.parametrize("task", task_names())
def test_every_task_file_is_valid_for_every_algorithm(task):
    for algo in ALGORITHMS:
        build_config(algo, task=task)  # raises on an unknown key or a bad value
        assert isinstance(task_defaults(task, algo), dict)
