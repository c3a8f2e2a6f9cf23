"""Each algorithm's settings are its own dataclass: what it does not read is refused by name, the shared config
knows no algorithm, and every run recorded by an earlier version of the package rebuilds as it was trained."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from svg_control.core.algos import ALGORITHMS, DEFAULT_ALGORITHM, LEARNERS
from svg_control.core.algos.paper import OnPolicyConfig, PaperConfig, WeightedConfig
from svg_control.core.config import AgentConfig, setting_names
from svg_control.core.settings import VALUE_BEFORE_FIELD, build_config, recorded_settings, settings_class
from svg_control.trainer import RunSettings, build_agent, load_trained_policy, read_settings, save_policy

REPO = Path(__file__).resolve().parents[1]
RECORDED_RUNS = sorted(p.parent for p in (REPO / "docs" / "runs").rglob("config.yaml")
                       if isinstance(yaml.safe_load(p.read_text()).get("agent"), dict))


def test_an_option_of_another_algorithm_is_refused_naming_it_and_the_valid_ones():
    with pytest.raises(ValueError, match="model_horizon is not a setting of svg1-er; its settings are: ") as info:
        build_config("svg1-er", {"model_horizon": 2})
    assert all(name in str(info.value) for name in setting_names(settings_class("svg1-er")))
    for algo, option in (("svg0", "iw_truncation"), ("dpg", "onpolicy_window"), ("sac-svg", "policy_noise"),
                         ("svg1", "svgk_horizon"), ("planner", "squash_samples"), ("svg-inf", "model_ensemble")):
        with pytest.raises(ValueError, match=f"{option} is not a setting of {algo}"):
            build_config(algo, {option: settings_class_value(option)})


def settings_class_value(option: str):
    """The option's default in whichever algorithm has it (a valid value, so only the name can be refused)."""
    for cls in LEARNERS.values():
        if option in setting_names(cls.settings):
            return getattr(cls.settings(), option)
    raise AssertionError(option)


def test_each_learner_names_its_settings_and_they_match_what_it_reads():
    for name, cls in LEARNERS.items():
        assert cls.settings.algo == name and build_config(name).algo == name
        assert isinstance(build_config(name), cls.settings)
        assert issubclass(cls.settings, PaperConfig) == (name != "sac-svg")
        assert issubclass(cls.settings, WeightedConfig) == cls.importance_weighted, name
        assert issubclass(cls.settings, OnPolicyConfig) == cls.on_policy, name


def test_the_shared_settings_are_not_an_algorithm():
    with pytest.raises(TypeError, match="settings every algorithm shares"):
        AgentConfig()


def test_compile_update_is_refused_where_the_update_is_not_compilable():
    with pytest.raises(ValueError, match="compile_update is implemented for svg1-er, sac-svg only, not 'svgk'"):
        build_config("svgk", {"compile_update": True})


def test_a_layer_naming_another_algorithm_is_refused():
    assert build_config("dpg", {"algo": "dpg"}) == build_config("dpg")
    with pytest.raises(ValueError, match="'svg0', not 'dpg'"):
        build_config("dpg", {"algo": "svg0"})


def test_the_shared_config_does_not_import_the_algorithm_table():
    code = "import sys, svg_control.core.config; assert 'svg_control.core.algos' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_one_default_algorithm_everywhere():
    from svg_control.cli import build_parser

    defaults = yaml.safe_load((REPO / "config" / "defaults.yaml").read_text())
    assert defaults["/**"]["ros__parameters"]["algo"] == DEFAULT_ALGORITHM
    assert build_parser().parse_args(["train", "--task", "point_mass"]).algo == DEFAULT_ALGORITHM
    assert RunSettings(task="point_mass", steps=1).algo == DEFAULT_ALGORITHM
    assert DEFAULT_ALGORITHM in ALGORITHMS


# -- runs recorded by earlier versions ---------------------------------------------------------------------------

def test_there_are_recorded_runs_to_load():
    assert len(RECORDED_RUNS) > 50


@pytest.mark.parametrize("run", RECORDED_RUNS, ids=lambda p: str(p.relative_to(REPO / "docs" / "runs")))
def test_every_recorded_run_rebuilds_with_the_values_it_was_trained_with(run):
    recorded = yaml.safe_load((run / "config.yaml").read_text())["agent"]
    settings = read_settings(run)
    config = build_config(settings.algo, settings.overrides, task=settings.task).to_dict()
    for name, value in config.items():  # the run's own fields as recorded, the ones it lacks as they were
        assert value == recorded.get(name, VALUE_BEFORE_FIELD.get(name)), name
    if (run / "policy.safetensors").exists():
        load_trained_policy(run)


def test_a_policy_trained_under_the_oldest_recorded_format_loads(tmp_path):
    """The recorded run that lacks the most fields: its saved policy loads through ``load_trained_policy``."""
    oldest = max(RECORDED_RUNS, key=lambda run: len(set(VALUE_BEFORE_FIELD) - set(
        yaml.safe_load((run / "config.yaml").read_text())["agent"])))
    shutil.copy(oldest / "config.yaml", tmp_path / "config.yaml")
    agent, _, _ = build_agent(read_settings(tmp_path))
    assert agent.config.squash_samples is False and agent.config.critic_layer_norm is False
    save_policy(agent, tmp_path / "policy.safetensors")
    policy, _ = load_trained_policy(tmp_path)
    for loaded, saved in zip(policy.state_dict().values(), agent.policy.state_dict().values()):
        torch.testing.assert_close(loaded, saved)


def test_recorded_settings_drop_what_the_algorithm_never_read():
    recorded = {**build_config("svg1-er").to_dict(), "model_horizon": 3, "svgk_horizon": 3}
    assert recorded_settings("svg1-er", recorded) == {k: v for k, v in build_config("svg1-er").to_dict().items()
                                                      if k != "algo"}


def test_recorded_settings_refuse_what_cannot_be_rebuilt_naming_the_field():
    recorded = build_config("sac-svg").to_dict()
    with pytest.raises(ValueError, match="extras"):
        recorded_settings("sac-svg", {**recorded, "extras": {"x": 1}})
    with pytest.raises(ValueError, match="lack gamma"):
        recorded_settings("sac-svg", {k: v for k, v in recorded.items() if k != "gamma"})
    with pytest.raises(ValueError, match="'sac-svg', the run for 'svg1-er'"):
        recorded_settings("svg1-er", recorded)
