"""TD-advantage actor-critic, the paper's likelihood-ratio baseline: delta * grad log pi(a|s).

delta = r + gamma V(s') - V(s) is held fixed (``estimators.actor_critic_objective``); the policy step uses
the most recent ``onpolicy_window`` transitions. V is fitted as in SVG(1) (``core/algos/svg1.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..learner import Learner
from .paper import OnPolicyConfig


@dataclass
class ActorCriticConfig(OnPolicyConfig):
    """The actor-critic baseline's settings: the paper's, on the most recent transitions."""

    algo: ClassVar[str] = "ac"


class ActorCritic(Learner):
    name = ActorCriticConfig.algo
    settings = ActorCriticConfig
    config: ActorCriticConfig
    critic_kind = "value"
    importance_weighted = True
    on_policy = True

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, _ = inputs
        return est.actor_critic_objective(self.policy, self.critic, batch, self.config.gamma)[0]
