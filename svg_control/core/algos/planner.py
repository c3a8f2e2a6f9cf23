"""The model-based planning baseline: back-propagation through model-*sampled* rollouts (paper, section 5).

Unlike SVG, the rollouts' policy and model noise is drawn afresh rather than inferred from real
trajectories, so model errors compound unchecked (``estimators.planner_objective``). One policy step per
finished episode, from ``planner_rollouts`` replayed start states (the real episode's own start always
among them), over ``planner_horizon`` steps or the episode's length.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import estimators as est
from ..config import check_positive
from ..learner import Batch, Learner
from .paper import PaperConfig


@dataclass
class PlannerConfig(PaperConfig):
    """The planner baseline's settings: the paper's, with the rollouts' shape."""

    algo: ClassVar[str] = "planner"
    #: model steps per rollout (at most the finished episode's length)
    planner_horizon: int = 50
    #: rollouts per policy step, each from a replayed real start state
    planner_rollouts: int = 16
    #: one policy step per episode, so a larger one than the per-step algorithms take
    policy_lr: float = 1e-3

    def validate(self) -> None:
        super().validate()
        check_positive(self, ("planner_horizon", "planner_rollouts"))


class Planner(Learner):
    name = PlannerConfig.algo
    settings = PlannerConfig
    config: PlannerConfig
    episodic = True

    def policy_inputs(self, batch: Batch, weights: torch.Tensor | None) -> Any:
        if not self.finished_episodes:
            return None
        episode = self.finished_episodes.pop()
        starts = self.replay.sample(self.config.planner_rollouts, self.rng, self.device, self.dtype)["obs"]
        starts[0] = torch.as_tensor(episode[0].obs, dtype=self.dtype, device=self.device)
        return starts, min(self.config.planner_horizon, len(episode))

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        starts, horizon = inputs
        return est.planner_objective(self.policy, self.model, self.reward_fn, starts, horizon, self.config.gamma,
                                     generator=self.generator)
