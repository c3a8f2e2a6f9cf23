"""Hyperparameters every algorithm shares, with the type coercion and range checks of all settings.

Each algorithm's own settings are a dataclass in its module (``core/algos/<algo>.py``) that subclasses
:class:`AgentConfig` (the 2015 paper's algorithms through ``core/algos/paper.py``), adds the fields only it
reads and sets the defaults it ships with. An option another algorithm reads is not a field of that
dataclass, so it is refused by name. ``core/settings.py`` resolves an algorithm's settings with the task's
and the caller's layers on top; this module knows no algorithm, so the algorithm table may import it.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml


@dataclass
class AgentConfig:
    """What every algorithm reads: networks, learning rates, minibatch, replay, target critic, exploration.

    The defaults are the paper's algorithms' (docs/DESIGN.md); an algorithm's own dataclass changes them.
    """

    #: the algorithm's registered name (``core/algos/__init__.py``); set by each algorithm's settings class
    algo: ClassVar[str]
    #: the policy's samples are SAC's tanh-squashed Gaussian (every sample inside the actuator range, log pi
    #: with the change of variables) instead of the paper's squashed mean with clipped noise
    #: (``core/policy.py``); fixed here, a setting only of the algorithms that offer it
    squash_samples: ClassVar[bool] = False
    #: K single-network dynamics models trained side by side (``core/model.py``); fixed to one network here,
    #: a setting only of the algorithms that offer it
    model_ensemble: ClassVar[int] = 1

    #: discount of future rewards
    gamma: float = 0.99
    #: hidden activation of every network
    activation: str = "tanh"
    policy_hidden: tuple[int, ...] = (64, 64)
    critic_hidden: tuple[int, ...] = (128, 128)
    model_hidden: tuple[int, ...] = (32, 32)
    #: one small dynamics network per state dimension instead of one network for the whole state
    model_per_dimension: bool = True
    #: the model's noise: "additive" (learned per dimension) or "heteroscedastic" (a function of state and action)
    model_noise: str = "additive"
    #: learn the reward too, even where the task supplies its own differentiable reward
    learned_reward: bool = False
    reward_hidden: tuple[int, ...] = (64, 64)
    policy_lr: float = 3e-4
    critic_lr: float = 1e-3
    #: learning rate of the dynamics model and of the other learned models (reward, termination)
    model_lr: float = 1e-3
    batch_size: int = 64
    replay_capacity: int = 100_000
    #: share of each minibatch drawn from the newest ``recent_window`` transitions (0 = uniform replay)
    recent_fraction: float = 0.0
    recent_window: int = 5000
    #: learning starts once this many transitions (collected by the untrained policy itself) are stored
    min_replay: int = 64
    #: updates per environment step
    updates_per_step: int = 1
    #: model and critic updates before the first policy step (the untrained policy acts meanwhile): a policy
    #: following the gradients of a barely fitted model and critic can move far from its start
    policy_warmup: int = 0
    #: rate at which the target critic follows the critic
    polyak: float = 0.005
    #: norm to which the policy's gradient is clipped
    grad_clip: float = 1.0
    #: the policy's exploration sigma at the start, and its bounds, in actuator units per unit of range
    sigma_init: float = 0.3
    sigma_min: float = 0.1
    sigma_max: float = 1.0
    #: sigma is a function of the state (else one learned value per action dimension)
    state_dependent_sigma: bool = True
    #: the networks see each observation dimension standardised by its running mean and std
    #: (``core/normalizer.py``); off, they see the observation as it comes (as SAC does). A dimension that
    #: barely moves while data is gathered (cos theta of a balanced pole) is divided by a tiny std, so its
    #: input grows large and keeps shifting once the state does move
    normalize_observations: bool = True
    #: env steps after which the normalisation statistics stop moving (0: they follow all data): the inputs
    #: the critic and the policy have learned on keep their meaning while the data's distribution moves
    normalize_until: int = 0
    #: run each update as one torch.compile'd function (``core/compiled_update.py``): the same steps, fewer and
    #: fused kernels; equal to the eager update up to float rounding, not bit for bit. Only algorithms whose
    #: update has no host-side branching implement it (``Learner.compilable``)
    compile_update: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Coerce each field to its declared type and check its range; ValueError names the field.

        An algorithm's settings class extends this with the checks of its own fields.
        """
        if not isinstance(getattr(type(self), "algo", None), str):
            raise TypeError(f"{type(self).__name__} holds the settings every algorithm shares; build one algorithm's "
                            "settings (core/settings.py: settings_class, build_config)")
        for f in dataclasses.fields(self):
            setattr(self, f.name, _coerce(f.name, getattr(self, f.name), f.type))
        check_widths(self, ("policy_hidden", "critic_hidden", "model_hidden", "reward_hidden"))
        check_positive(self, ("policy_lr", "critic_lr", "model_lr", "batch_size", "replay_capacity", "updates_per_step",
                              "grad_clip", "recent_window"))
        if not 0.0 <= self.recent_fraction <= 1.0:
            raise ValueError(f"recent_fraction must be in [0, 1], got {self.recent_fraction}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
        if not 0.0 < self.polyak <= 1.0:
            raise ValueError(f"polyak must be in (0, 1], got {self.polyak}")
        check_at_least(self, ("policy_warmup", "normalize_until"), 0)
        check_at_least(self, ("min_replay",), 1)
        check_choice(self, "model_noise", ("additive", "heteroscedastic"))

    def to_dict(self) -> dict[str, Any]:
        """``algo`` and every field, tuples as lists (the form run directories and checkpoints record)."""
        d = dataclasses.asdict(self)
        return {"algo": self.algo, **{k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}}


def setting_names(settings: type[AgentConfig]) -> tuple[str, ...]:
    """The fields of an algorithm's settings class: what a config for it may set."""
    return tuple(f.name for f in dataclasses.fields(settings))


def check_widths(config: AgentConfig, names: tuple[str, ...]) -> None:
    """ValueError naming the first of ``names`` (lists of layer widths) with a width that is not positive."""
    for name in names:
        value = getattr(config, name)
        if any(v <= 0 for v in value):
            raise ValueError(f"{name} must be positive layer widths, got {value}")


def check_positive(config: AgentConfig, names: tuple[str, ...]) -> None:
    """ValueError naming the first of ``names`` that is not > 0."""
    for name in names:
        if not getattr(config, name) > 0:
            raise ValueError(f"{name} must be > 0, got {getattr(config, name)}")


def check_at_least(config: AgentConfig, names: tuple[str, ...], low: int) -> None:
    """ValueError naming the first of ``names`` below ``low``."""
    for name in names:
        if getattr(config, name) < low:
            raise ValueError(f"{name} must be >= {low}, got {getattr(config, name)}")


def check_finite(config: AgentConfig, names: tuple[str, ...]) -> None:
    """ValueError naming the first of ``names`` that is not finite (None passes: an unset optional)."""
    for name in names:
        value = getattr(config, name)
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")


def check_choice(config: AgentConfig, name: str, choices: tuple[str, ...]) -> None:
    """ValueError naming ``name`` if its value is not one of ``choices``."""
    value = getattr(config, name)
    if value not in choices:
        spelled = [repr(c) for c in choices]
        raise ValueError(f"{name} must be {', '.join(spelled[:-1])} or {spelled[-1]}, got {value!r}")


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


def parse_override(text: str) -> tuple[str, Any]:
    """'key=value' with a YAML-parsed value (so 1e-3, true, [64, 64] work)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like key=value")
    key, raw = text.split("=", 1)
    try:
        return key.strip(), yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ValueError(f"override {text!r}: value is not valid YAML ({exc.__class__.__name__})") from None
