"""Hyperparameters: one dataclass, per-algorithm and per-task differences in YAML, overrides from the CLI.

The dataclass holds every default (what worked for SVG(1)-ER on a 2-core CPU, docs/DESIGN.md);
``algo_configs/<algo>.yaml`` holds only what an algorithm changes, ``algo_configs/tasks/<task>.yaml`` what
a task changes. :func:`build_config` merges them in that order, then the caller's overrides.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .algos import ALGORITHMS, LEARNERS

ALGO_CONFIG_DIR = Path(__file__).resolve().parent.parent / "algo_configs"


@dataclass
class AgentConfig:
    algo: str = "svg1-er"
    gamma: float = 0.99
    activation: str = "tanh"
    policy_hidden: tuple[int, ...] = (64, 64)
    critic_hidden: tuple[int, ...] = (128, 128)
    model_hidden: tuple[int, ...] = (32, 32)
    model_per_dimension: bool = True
    model_noise: str = "additive"
    learned_reward: bool = False
    reward_hidden: tuple[int, ...] = (64, 64)
    policy_lr: float = 3e-4
    critic_lr: float = 1e-3
    model_lr: float = 1e-3
    batch_size: int = 64
    replay_capacity: int = 100_000
    #: share of each minibatch drawn from the newest ``recent_window`` transitions (0 = uniform replay)
    recent_fraction: float = 0.0
    recent_window: int = 5000
    #: learning starts once this many transitions (collected by the untrained policy itself) are stored
    min_replay: int = 64
    updates_per_step: int = 1
    #: model and critic updates before the first policy step (the untrained policy acts meanwhile): a
    #: policy following the gradients of a barely fitted model and V dipped far below its start
    policy_warmup: int = 0
    polyak: float = 0.005
    iw_truncation: float = 5.0
    grad_clip: float = 1.0
    sigma_init: float = 0.3
    sigma_min: float = 0.1
    sigma_max: float = 1.0
    state_dependent_sigma: bool = True
    #: transitions used by the on-policy estimators (svg1, ac): the most recent ones
    onpolicy_window: int = 32
    svgk_horizon: int = 3
    planner_horizon: int = 50
    planner_rollouts: int = 16
    svg0_samples: int = 1
    #: svg1-er's policy step: "inferred" (the paper: noise inferred from the stored action, importance
    #: weighted) or "fresh" (the current policy's own noise at replayed states, unweighted)
    policy_noise: str = "inferred"
    #: svg1-er's critic: "td" (importance-weighted TD(0) on the recorded next state) or "model" (one model
    #: step at a fresh on-policy action with the recorded transition's inferred noise; unweighted)
    critic_target: str = "td"
    #: sac-svg: model steps in the policy's estimate before the critic takes over (H; 0 is plain SAC). 3 is
    #: SAC-SVG(H)'s and measured best of 0, 1, 3 on the monoped (docs/RESULTS.md, sac-svg on the monoped)
    model_horizon: int = 3
    #: sac-svg: the entropy the temperature alpha is learned toward, per action dimension, of the policy's
    #: Gaussian measured in units of each actuator's half-range (-1 per dimension is SAC's -|A|)
    target_entropy: float = -1.0
    #: sac-svg: the target entropy per action dimension once the model enters the policy's estimate (after
    #: ``model_warmup``); None keeps ``target_entropy`` throughout. On the monoped a target of 0 stood sooner
    #: in the warm-up but fell more often after the model entered than -1 (docs/RESULTS.md)
    target_entropy_model: float | None = None
    #: sac-svg: the entropy temperature alpha at the start, and its learning rate
    alpha_init: float = 0.1
    alpha_lr: float = 3e-4
    #: sac-svg: alpha may fall but never rise (SAC-SVG(H)'s ``only_decrease_alpha``): where the value gradient
    #: through the model holds the policy's entropy under its target, alpha is not driven up to fight it;
    #: off: on the monoped the entropy then fell far under its target and fewer seeds stood (docs/RESULTS.md)
    alpha_only_decreases: bool = False
    #: sac-svg: "learned" (a classifier of terminal transitions discounts the model's predicted states and
    #: the critic behind them), "known" (the task's own termination function ends the rollout where it says
    #: so; only for tasks that have one) or "none" (the model's states never end an episode)
    termination: str = "learned"
    termination_hidden: tuple[int, ...] = (64, 64)
    #: sac-svg: SAC's tanh-squashed Gaussian (every sample inside the actuator range, log pi with the change
    #: of variables) instead of the paper's squashed mean with clipped noise (core/policy.py); sac-svg.yaml
    #: turns it on (measured on the monoped, docs/RESULTS.md); the paper's algorithms keep the clipped one
    squash_samples: bool = False
    #: sac-svg: a LayerNorm before each hidden activation of the twin Q critics (core/networks.py)
    critic_layer_norm: bool = False
    #: sac-svg: updates of plain SAC (H = 0) before the model enters the policy's estimate; SAC-SVG(H) runs
    #: 10k steps of SAC first
    model_warmup: int = 0
    #: sac-svg: after the warm-up, updates over which the policy's estimate moves linearly from SAC's
    #: min Q - alpha log pi to the model rollout's (0: the rollout at once); on the monoped most falls after
    #: standing came 2500-7500 steps after the model entered the estimate at full weight
    model_ramp: int = 0
    #: sac-svg: K > 1 single-network models trained side by side, the policy's rollout through their mean
    #: (core/model.py); 1 is one network
    model_ensemble: int = 1
    #: run each update as one torch.compile'd function (core/compiled_update.py; svg1-er, sac-svg): the same
    #: steps, fewer and fused kernels; equal to the eager update up to float rounding, not bit for bit
    compile_update: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Coerce each field to its declared type and check its range; ValueError names the field."""
        if self.algo not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algo!r}; valid: {', '.join(ALGORITHMS)}")
        for f in dataclasses.fields(self):
            setattr(self, f.name, _coerce(f.name, getattr(self, f.name), f.type))
        for name in ("policy_hidden", "critic_hidden", "model_hidden", "reward_hidden", "termination_hidden"):
            value = getattr(self, name)
            if any(v <= 0 for v in value):
                raise ValueError(f"{name} must be positive layer widths, got {value}")
        positive = ("policy_lr", "critic_lr", "model_lr", "batch_size", "replay_capacity", "updates_per_step",
                    "iw_truncation", "grad_clip", "onpolicy_window", "recent_window", "svgk_horizon", "planner_horizon",
                    "planner_rollouts", "svg0_samples", "alpha_init", "alpha_lr")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0.0 <= self.recent_fraction <= 1.0:
            raise ValueError(f"recent_fraction must be in [0, 1], got {self.recent_fraction}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
        if not 0.0 < self.polyak <= 1.0:
            raise ValueError(f"polyak must be in (0, 1], got {self.polyak}")
        if self.policy_warmup < 0:
            raise ValueError(f"policy_warmup must be >= 0, got {self.policy_warmup}")
        if self.min_replay < 1:
            raise ValueError(f"min_replay must be >= 1, got {self.min_replay}")
        if self.policy_noise not in ("inferred", "fresh"):
            raise ValueError(f"policy_noise must be 'inferred' or 'fresh', got {self.policy_noise!r}")
        if self.critic_target not in ("td", "model"):
            raise ValueError(f"critic_target must be 'td' or 'model', got {self.critic_target!r}")
        if self.compile_update and not LEARNERS[self.algo].compilable:
            supported = ", ".join(name for name, cls in LEARNERS.items() if cls.compilable)
            raise ValueError(f"compile_update is implemented for {supported} only, not {self.algo!r}")
        for name in ("target_entropy", "target_entropy_model", "alpha_init", "alpha_lr"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):  # None: target_entropy_model unset
                raise ValueError(f"{name} must be finite, got {value}")
        if self.model_warmup < 0:
            raise ValueError(f"model_warmup must be >= 0, got {self.model_warmup}")
        if self.model_ramp < 0:
            raise ValueError(f"model_ramp must be >= 0, got {self.model_ramp}")
        if self.model_horizon < 0:
            raise ValueError(f"model_horizon must be >= 0, got {self.model_horizon}")
        if self.termination not in ("learned", "known", "none"):
            raise ValueError(f"termination must be 'learned', 'known' or 'none', got {self.termination!r}")
        self._check_options_apply()
        if self.model_ensemble < 1:
            raise ValueError(f"model_ensemble must be >= 1, got {self.model_ensemble}")
        if self.model_ensemble > 1 and self.model_per_dimension:
            raise ValueError("model_ensemble > 1 needs model_per_dimension false (an ensemble of single networks)")
        if self.model_noise not in ("additive", "heteroscedastic"):
            raise ValueError(f"model_noise must be 'additive' or 'heteroscedastic', got {self.model_noise!r}")

    def _check_options_apply(self) -> None:
        """An algorithm-specific option set away from its default for another algorithm is an error, not ignored."""
        owners: dict[str, list[str]] = {}
        for name, cls in LEARNERS.items():
            for option in cls.options:
                owners.setdefault(option, []).append(name)
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for option, algos in owners.items():
            value = getattr(self, option)
            default = defaults[option]
            if self.algo not in algos and value != (tuple(default) if isinstance(default, list) else default):
                raise ValueError(f"{option} applies to {', '.join(algos)} only, not {self.algo!r} "
                                 f"(got {value!r}; leave it at {default!r})")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def _coerce(name: str, value: Any, declared: Any) -> Any:
    """The value as the field's declared type (YAML reads '1e-3' as a string; CLI values arrive as text)."""
    declared = str(declared)
    try:
        if declared == "bool":
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if declared == "int":
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            return int(float(value))
        if declared == "float | None":
            return None if value is None else _coerce(name, value, "float")
        if declared == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if declared.startswith("tuple"):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ValueError
            return tuple(int(v) for v in value)
        if declared == "str":
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        kinds = {"bool": "true or false", "int": "an integer", "float": "a number", "float | None": "a number or null",
                 "str": "a string"}
        kind = "a list of layer widths" if declared.startswith("tuple") else kinds.get(declared, declared)
        raise ValueError(f"{name} must be {kind}, got {value!r}") from None
    return value


def algo_defaults(algo: str) -> dict[str, Any]:
    """The per-algorithm YAML (``svg_control/algo_configs/<algo>.yaml``)."""
    if algo not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGORITHMS)}")
    path = ALGO_CONFIG_DIR / f"{algo}.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    return dict(data or {})


def task_defaults(task: str | None, algo: str) -> dict[str, Any]:
    """Per-task hyperparameters (``svg_control/algo_configs/tasks/<task>.yaml``, ':' spelled '_'): the
    settings of the task named by its ``base`` key (if any), then its ``all`` mapping (every algorithm), its
    ``paper`` mapping (the 2015 paper's algorithms only), then the mapping under the algorithm's name. Both
    drivers (trainer and nodes) apply it, so a task is configured in one place
    (a robot that runs as several tasks names one ``base`` instead of repeating it); a task without a
    file uses the algorithm's defaults.
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
    paper = (data.get("paper") or {}) if LEARNERS[algo].from_paper else {}
    return {**base, **(data.get("all") or {}), **paper, **(data.get(algo) or {})}


def parse_override(text: str) -> tuple[str, Any]:
    """'key=value' with a YAML-parsed value (so 1e-3, true, [64, 64] work)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like key=value")
    key, raw = text.split("=", 1)
    try:
        return key.strip(), yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ValueError(f"override {text!r}: value is not valid YAML ({exc.__class__.__name__})") from None


def build_config(algo: str, *layers: dict[str, Any], task: str | None = None) -> AgentConfig:
    """Algorithm defaults, the task's defaults, then each layer of overrides in order; unknown keys are an error."""
    merged: dict[str, Any] = {**algo_defaults(algo), **task_defaults(task, algo)}
    for layer in layers:
        merged.update(layer or {})
    merged["algo"] = algo
    known = {f.name for f in dataclasses.fields(AgentConfig)}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; valid: {sorted(known)}")
    return AgentConfig(**merged)
