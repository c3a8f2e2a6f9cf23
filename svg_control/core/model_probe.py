"""How well the model predicts real states it has never trained on: open-loop k-step errors, as they arrive.

A value gradient through the model is only as good as the model's predictions a few steps ahead from the
states the policy visits. The loss the model is trained on (its one-step likelihood on replayed transitions)
does not say that: it is measured on data the model has fit, one step at a time. The probe measures it on
held-out data instead, without setting any aside: every arriving real transition is predicted before the
learner stores it, so no update has seen it (a prequential, test-then-train, estimate, as in Dawid 1984).

From each arriving state the probe rolls the model's mean forward open loop under the actions the robot
actually took, and when a rollout is k steps old it is compared with the real state:

    error_k = sum ||(s_hat_{t+k} - s_{t+k}) / sigma_delta||^2  /  sum ||(s_t - s_{t+k}) / sigma_delta||^2

summed over the last ``window`` rollouts of that length (sigma_delta: the model's current scale of one-step
state changes, per dimension, applied when the error is read, so early rollouts scored while that scale
was still settling weigh as the later ones do). It is the error relative to predicting no change at all:
1 means the model is no better than assuming the state stands still, 0.1 that it removes 90 % of the
squared error of that guess.
A rollout stops at the end of an episode. The probe draws no random numbers and changes no weights, so a
seeded run learns exactly as it would without it. It is not checkpointed: a resumed run scores the stream
from its restart on.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import torch

from .model import TransitionModel

#: rollouts of each length the reported error sums over: recent enough to follow a model that is learning
WINDOW = 500


class ModelProbe:
    """Open-loop k-step prediction errors of ``model`` on transitions it has not trained on."""

    def __init__(self, model: TransitionModel, horizons: Sequence[int], scale: Callable[[], torch.Tensor],
                 window: int = WINDOW) -> None:
        if not horizons or min(horizons) < 1:
            raise ValueError(f"probe horizons must be positive step counts, got {tuple(horizons)}")
        self.model, self.scale = model, scale
        self.horizons = tuple(sorted(set(horizons)))
        self.longest = self.horizons[-1]
        self.starts: list[torch.Tensor] = []  # the real state each rollout in flight started from
        self.predicted: list[torch.Tensor] = []  # its prediction of the state arriving next
        self.window = window
        # per horizon: the scored rollouts' squared errors and squared changes per dimension, and their sums
        self.scored: dict[int, deque[torch.Tensor]] = {k: deque() for k in self.horizons}
        self.totals: dict[int, torch.Tensor] = {}
        self.latest: dict[str, float] | None = None  # errors() until the next observed transition

    @torch.no_grad()
    def observe(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor, episode_ends: bool) -> None:
        """Advance every rollout in flight (and a new one from ``obs``) by the action taken; score those that
        reached a horizon against ``next_obs``."""
        self.latest = None
        self.starts.insert(0, obs)
        self.predicted.insert(0, obs)
        states = torch.stack(self.predicted)
        mean, _ = self.model.mean_and_std(states, action.expand(len(states), -1))
        predictions = states + mean
        for age, (start, prediction) in enumerate(zip(self.starts, predictions), start=1):
            if age in self.scored:
                self._score(age, torch.stack([(prediction - next_obs) ** 2, (start - next_obs) ** 2]).double())
        keep = 0 if episode_ends else self.longest - 1  # rollouts younger than the longest horizon go on
        self.starts, self.predicted = self.starts[:keep], list(predictions[:keep])

    def _score(self, k: int, squares: torch.Tensor) -> None:
        """Add one rollout's (2, obs_dim) squared error and squared change; drop the oldest beyond the window."""
        self.scored[k].append(squares)
        self.totals[k] = self.totals[k] + squares if k in self.totals else squares.clone()
        if len(self.scored[k]) > self.window:
            self.totals[k] -= self.scored[k].popleft()

    def settled_error(self, k: int) -> float | None:
        """``model_error_<k>`` once a full window of k-step rollouts is scored (None before): a figure over
        hundreds of predictions, not the first few, so a decision taken on it does not rest on luck."""
        if len(self.scored.get(k, ())) < self.window:
            return None
        return self.errors().get(f"model_error_{k}")

    def errors(self) -> dict[str, float]:
        """``model_error_<k>`` for each horizon with a scored rollout and a nonzero change. Kept until the next
        transition arrives: the learner reads it after every update, and between transitions neither the sums
        nor the learner's scale of state changes move."""
        if self.latest is not None:
            return dict(self.latest)
        out = {}
        for k, totals in self.totals.items():
            error, change = (totals * self.scale().to(totals).pow(-2)).sum(-1).tolist()
            if change > 0.0:
                out[f"model_error_{k}"] = error / change
        self.latest = out
        return dict(out)
