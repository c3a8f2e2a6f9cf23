"""The model-based planning baseline: back-propagation through model-*sampled* rollouts (paper, section 5).

Unlike SVG, the rollouts' policy and model noise is drawn afresh rather than inferred from real
trajectories, so model errors compound unchecked (``estimators.planner_objective``). One policy step per
finished episode, from ``planner_rollouts`` replayed start states (the real episode's own start always
among them), over ``planner_horizon`` steps or the episode's length.
"""
from __future__ import annotations

from typing import Any

import torch

from .. import estimators as est
from ..learner import Batch, Learner


class Planner(Learner):
    name = "planner"
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
