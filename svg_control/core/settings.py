"""An algorithm's settings for a task: its settings class's defaults, the task's file, then the caller's layers.

Each algorithm's defaults are its settings dataclass (``core/algos/<algo>.py``); ``algo_configs/tasks/<task>.yaml``
holds what a task changes. Both drivers (trainer and nodes) resolve settings here, so a task is configured in
one place. A run recorded by an earlier version of the package is rebuilt with :func:`recorded_settings`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .algos import ALGORITHMS, LEARNERS
from .algos.paper import PaperConfig
from .config import AgentConfig, setting_names

ALGO_CONFIG_DIR = Path(__file__).resolve().parent.parent / "algo_configs"

#: For a field a run's recorded settings lack (the run predates it): the behaviour the package had before the
#: field existed, which is not always the field's default today. A field added later needs an entry here.
VALUE_BEFORE_FIELD: dict[str, Any] = {
    "recent_fraction": 0.0, "recent_window": 5000, "policy_warmup": 0, "policy_noise": "inferred",
    "critic_target": "td", "compile_update": False, "target_entropy_model": None, "alpha_only_decreases": False,
    "squash_samples": False, "critic_layer_norm": False, "model_warmup": 0, "model_ramp": 0, "model_ensemble": 1,
    "normalize_observations": True, "model_data_fraction": 0.0, "model_rollout_length": 1, "model_rollout_every": 25,
    "model_data_refreshes": 10, "model_data_warmup": 1000, "model_layer_norm": False, "model_activation": None,
    "normalize_until": 0, "model_ensemble_members": "all", "model_entry_error": None,
    "model_train_horizon": 1, "critic_heads": 2, "critic_target_heads": 2, "critic_policy_value": "min",
}


def settings_class(algo: str) -> type[AgentConfig]:
    """The settings class of the algorithm registered as ``algo`` (ValueError lists the valid names)."""
    if algo not in LEARNERS:
        raise ValueError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGORITHMS)}")
    return LEARNERS[algo].settings


def task_defaults(task: str | None, algo: str) -> dict[str, Any]:
    """Per-task hyperparameters (``svg_control/algo_configs/tasks/<task>.yaml``, ':' spelled '_'): the
    settings of the task named by its ``base`` key (if any), then its ``all`` mapping (every algorithm), its
    ``paper`` mapping (the 2015 paper's algorithms only), then the mapping under the algorithm's name.
    A robot that runs as several tasks names one ``base`` instead of repeating it; a task without a file
    uses the algorithm's defaults.
    """
    return _task_layers(task, algo, ())


def _task_layers(task: str | None, algo: str, seen: tuple[str, ...]) -> dict[str, Any]:
    if not task:
        return {}
    if task in seen:
        raise ValueError(f"per-task hyperparameter files form a base cycle: {' -> '.join((*seen, task))}")
    path = ALGO_CONFIG_DIR / "tasks" / f"{task.replace(':', '_')}.yaml"  # gym:Hopper-v5 -> gym_Hopper-v5.yaml
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'base', 'all' and/or per-algorithm sections")
    base = _task_layers(data.get("base"), algo, (*seen, task))
    paper = (data.get("paper") or {}) if issubclass(settings_class(algo), PaperConfig) else {}
    return {**base, **(data.get("all") or {}), **paper, **(data.get(algo) or {})}


def build_config(algo: str, *layers: dict[str, Any], task: str | None = None) -> AgentConfig:
    """The algorithm's defaults, the task's, then each layer of overrides in order.

    A key that is not a setting of the algorithm is an error naming it and the algorithm's settings.
    """
    settings = settings_class(algo)
    merged: dict[str, Any] = dict(task_defaults(task, algo))
    for layer in layers:
        merged.update(layer or {})
    named = merged.pop("algo", algo)  # a recorded config's own name may come along; another one is an error
    if named != algo:
        raise ValueError(f"the settings given are for algorithm {named!r}, not {algo!r}")
    names = setting_names(settings)
    unknown = sorted(set(merged) - set(names))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} {'is not a setting' if len(unknown) == 1 else 'are not settings'} "
                         f"of {algo}; its settings are: {', '.join(names)}")
    config = settings(**merged)
    if config.compile_update and not LEARNERS[algo].compilable:
        supported = ", ".join(name for name, cls in LEARNERS.items() if cls.compilable)
        raise ValueError(f"compile_update is implemented for {supported} only, not {algo!r}")
    return config


def recorded_settings(algo: str, recorded: dict[str, Any]) -> dict[str, Any]:
    """The settings a recorded run of ``algo`` was trained with, as overrides for :func:`build_config`.

    ``recorded`` is the run's ``agent`` mapping (``AgentConfig.to_dict``) as any version of the package wrote
    it: a field of another algorithm (older versions recorded every algorithm's) is dropped, since this one
    never read it; a field the record lacks takes :data:`VALUE_BEFORE_FIELD`, the behaviour the run had. So
    a run keeps loading as it was trained when an algorithm's defaults change later. ValueError names a
    field that cannot be rebuilt.
    """
    settings = settings_class(algo)
    if recorded.get("algo", algo) != algo:
        raise ValueError(f"the recorded settings are for {recorded['algo']!r}, the run for {algo!r}")
    names = setting_names(settings)
    every = {name for cls in LEARNERS.values() for name in setting_names(cls.settings)}
    foreign = sorted(set(recorded) - every - {"algo"})
    if foreign:
        raise ValueError(f"recorded setting(s) {', '.join(foreign)} are no setting of any algorithm; "
                         "the run cannot be rebuilt as it was trained")
    out = {}
    for name in names:
        if name in recorded:
            out[name] = recorded[name]
        elif name in VALUE_BEFORE_FIELD:
            out[name] = VALUE_BEFORE_FIELD[name]
        else:
            raise ValueError(f"the recorded settings lack {name}, a setting of {algo} with no known value before "
                             "it existed; the run cannot be rebuilt as it was trained")
    return out


__all__ = ["ALGO_CONFIG_DIR", "VALUE_BEFORE_FIELD", "build_config", "recorded_settings", "settings_class",
           "task_defaults"]
