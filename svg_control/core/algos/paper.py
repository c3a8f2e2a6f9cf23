"""Settings the 2015 paper's algorithms share (Heess et al. 2015, "Learning continuous control policies by
stochastic value gradients"), beyond what every algorithm reads (``core/config.py``).

Per-task ``paper:`` settings (``algo_configs/tasks/*.yaml``) apply to every algorithm whose settings class
derives from :class:`PaperConfig`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import AgentConfig, check_positive


@dataclass
class PaperConfig(AgentConfig):
    """The settings of the paper's algorithms and baselines: the shared defaults, as published."""


@dataclass
class WeightedConfig(PaperConfig):
    """Algorithms whose V critic is fitted with truncated importance weights (``Learner.importance_weighted``)."""

    #: the importance weights' upper bound (the paper's truncation: bounded variance, some bias)
    iw_truncation: float = 5.0

    def validate(self) -> None:
        super().validate()
        check_positive(self, ("iw_truncation",))


@dataclass
class OnPolicyConfig(WeightedConfig):
    """Algorithms whose policy step uses the most recent transitions, unweighted (``Learner.on_policy``)."""

    #: how many of the most recent transitions the policy step uses
    onpolicy_window: int = 32
    #: learning starts as soon as a window of transitions is stored
    min_replay: int = 32

    def validate(self) -> None:
        super().validate()
        check_positive(self, ("onpolicy_window",))
