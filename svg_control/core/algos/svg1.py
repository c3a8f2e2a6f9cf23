"""SVG(1) and SVG(1) with experience replay (Heess et al. 2015, Algorithm 2 and eq. 13).

The policy maximises r(s, a, s') + gamma V(s') re-enacted at the transition's inferred noise: the policy
noise eta that explains the stored action and the model noise xi that explains the recorded next state
are inferred (no gradient), then a = pi(s, eta) and s' = f(s, a, xi) are rebuilt with gradient
(``estimators.svg1_objective``). V is fitted by TD(0) on the recorded next state. SVG(1)-ER replays old
transitions and corrects both with truncated importance weights w = min(pi_now / pi_then, 5) (Alg. 2).

SVG(1)-ER's weight-free options replace the weights where they collapse (docs/RESULTS.md, "SVG(1)-ER
without importance weights"):
``policy_noise: fresh`` takes the policy step with the current policy's own noise at replayed states
(``estimators.svg1_fresh_objective``); ``critic_target: model`` regresses V on one model step at such a
fresh action (``estimators.fresh_action_step``). Both off is the paper's estimator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..config import check_choice
from ..learner import Batch, Learner, PolicyOutputs
from .paper import OnPolicyConfig, WeightedConfig


@dataclass
class SVG1Config(OnPolicyConfig):
    """On-policy SVG(1)'s settings: the paper's, on the most recent transitions."""

    algo: ClassVar[str] = "svg1"


@dataclass
class SVG1ERConfig(WeightedConfig):
    """SVG(1)-ER's settings: the paper's estimator by default, each weight-free option on its own."""

    algo: ClassVar[str] = "svg1-er"
    #: the policy step's noise: "inferred" (the paper: noise inferred from the stored action, importance
    #: weighted) or "fresh" (the current policy's own noise at replayed states, unweighted)
    policy_noise: str = "inferred"
    #: V's target: "td" (importance-weighted TD(0) on the recorded next state) or "model" (one model step at a
    #: fresh on-policy action with the recorded transition's inferred noise; unweighted)
    critic_target: str = "td"

    def validate(self) -> None:
        super().validate()
        check_choice(self, "policy_noise", ("inferred", "fresh"))
        check_choice(self, "critic_target", ("td", "model"))


class SVG1(Learner):
    """On-policy SVG(1): the policy step on the most recent ``onpolicy_window`` transitions, w = 1."""

    name = SVG1Config.algo
    settings = SVG1Config
    config: SVG1Config
    critic_kind = "value"
    importance_weighted = True
    on_policy = True

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, weights = inputs
        return est.svg1_objective(self.policy, self.model, self.reward_fn, self.critic, batch, self.config.gamma,
                                  weights)


class SVG1ER(Learner):
    """SVG(1)-ER: SVG(1) on replay, importance weighted (the paper's), or weight-free (see the module)."""

    name = SVG1ERConfig.algo
    settings = SVG1ERConfig
    config: SVG1ERConfig
    critic_kind = "value"
    importance_weighted = True
    compilable = True

    @property
    def fresh_policy_noise(self) -> bool:
        return self.config.policy_noise == "fresh"

    @property
    def model_critic_target(self) -> bool:
        return self.config.critic_target == "model"

    def draw_noise(self, batch: Batch, policy_steps: bool) -> dict[str, torch.Tensor]:
        """The critic target's eta, then the policy step's: the order the update uses them."""
        n = batch["obs"].shape[0]
        noise = {}
        if self.model_critic_target:
            noise["eta_critic"] = self.fresh_eta(n)
        if self.fresh_policy_noise and policy_steps:
            noise["eta_policy"] = self.fresh_eta(n)
        return noise

    def prepare_batch(self, batch: Batch) -> Batch:
        """The recorded transitions' model noise, once for critic target and policy step (same model)."""
        if not (self.fresh_policy_noise or self.model_critic_target):
            return batch
        action = self.policy.clamp_action(batch["action"])
        return {**batch, "xi": self.model.infer_xi(batch["obs"], action, batch["next_obs"])}

    def critic_weights(self, weights: torch.Tensor | None) -> torch.Tensor | None:
        return None if self.model_critic_target else weights  # the model target is on-policy

    def value_target(self, batch: Batch, noise: dict[str, torch.Tensor], outputs: PolicyOutputs | None
                     ) -> torch.Tensor:
        if not self.model_critic_target:
            return super().value_target(batch, noise, outputs)
        reward, s_next = est.fresh_action_step(self.policy, self.model, self.reward_fn, batch, noise["eta_critic"],
                                               outputs)
        return reward + self.config.gamma * (1.0 - batch["terminated"]) * self.critic_target(s_next)

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, weights = inputs
        first_step = self.policy(batch["obs"])  # inside the differentiated closure: the compiled step sees it
        if self.fresh_policy_noise:
            return est.svg1_fresh_objective(self.policy, self.model, self.reward_fn, self.critic, batch,
                                            self.config.gamma, noise["eta_policy"], first_step)
        return est.svg1_objective(self.policy, self.model, self.reward_fn, self.critic, batch, self.config.gamma,
                                  weights, first_step)
