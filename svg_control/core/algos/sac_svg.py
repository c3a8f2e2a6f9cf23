"""SAC-SVG(H): the maximum-entropy stochastic value gradient through H model steps, with twin (or more) Q critics.

Amos, Stanton, Yarats, Wilson 2021, "On the model-based stochastic value gradient for continuous RL";
code: facebookresearch/svg. SAC (Haarnoja et al. 2018) learns the critics and the temperature; the policy
follows the SVG(1) step of Heess et al. 2015 (eq. 13) carried H model steps. One update, in order:

* model: maximise log p(s' | s, a) on replayed transitions; a learned termination model p(d | s, a, s');
* critics, on real transitions (by default; ``model_data_fraction`` mixes in the model's, as MBPO), a' ~ pi(.|s'):
  y = r + gamma (1 - d) (min_i Q'_i(s', a') - alpha log pi(a'|s')),  loss = mean_i mse(Q_i(s, a), y)
  (two heads by default; with ``critic_heads`` > 2 the min is over a random pair, REDQ);
* policy, from replayed s_0 with a_h = pi(s_h, eta_h) and s_{h+1} = s_h + f(s_h, a_h) (+ sigma xi_0 at h = 0,
  the replayed transition's inferred model noise; an ensemble's mean, or each state's own member), maximise
  sum_{h<H} gamma^h S_h (r(s_h, a_h, s_{h+1}) - alpha log pi(a_h|s_h))
      + gamma^H S_H (min_i Q_i(s_H, a_H) - alpha log pi(a_H|s_H)),
  S_h the survival probability along the rollout (learned, or the task's known termination);
* temperature: descend log alpha (H(pi) - target), so alpha falls while the policy is more random than the
  target entropy and rises while it is less.

H = 0 (``model_horizon: 0``, and the first ``model_warmup`` updates) is plain SAC. log pi and the entropy are
in units of each actuator's half-range, so a target entropy means the same on every robot. Why each part
and each default: docs/DESIGN.md ("SAC-SVG(H)"); the runs behind them: docs/RESULTS.md (the sac-svg sections).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import AgentConfig, check_at_least, check_choice, check_finite, check_positive, check_widths
from ..critic import QEnsembleCritic
from ..learner import Batch, Learner, Report, Step
from ..model import DynamicsModel
from ..model_data import ModelDataBuffer
from ..networks import ACTIVATIONS
from ..termination_model import TerminationModel

HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


class Temperature(nn.Module):
    """The entropy temperature alpha, learned in log space so it stays positive."""

    def __init__(self, alpha_init: float) -> None:
        super().__init__()
        self.log_alpha = nn.Parameter(torch.tensor(math.log(alpha_init)))

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp()


@dataclass
class SACSVGConfig(AgentConfig):
    """SAC-SVG(H)'s settings: SAC's network sizes, batch and learning rates, one model network for the whole
    state, and a low sigma floor, since the learned temperature, not a floor, keeps exploration alive."""

    algo: ClassVar[str] = "sac-svg"
    activation: str = "relu"
    policy_hidden: tuple[int, ...] = (256, 256)
    critic_hidden: tuple[int, ...] = (256, 256)
    model_hidden: tuple[int, ...] = (200, 200)
    model_per_dimension: bool = False
    #: sac-svg's update compiles by default (``core/compiled_update.py``): at its sizes the compiled update is
    #: cheaper than the eager one on a CPU (docs/RESULTS.md) and takes the same steps up to float rounding. The
    #: paper's algorithms stay eager by default, as published
    compile_update: bool = True
    batch_size: int = 256
    min_replay: int = 256
    critic_lr: float = 3e-4
    sigma_init: float = 0.5
    sigma_min: float = 0.02
    #: model steps in the policy's estimate before the critic takes over (H; 0 is plain SAC); SAC-SVG(H)'s
    model_horizon: int = 3
    #: the entropy the temperature alpha is learned toward, per action dimension, of the policy's Gaussian in
    #: units of each actuator's half-range (-1 per dimension is SAC's -|A|)
    target_entropy: float = -1.0
    #: the target entropy per action dimension once the model enters the policy's estimate (after
    #: ``model_warmup``), as SAC-SVG(H) schedules its target per task; None keeps ``target_entropy`` throughout
    target_entropy_model: float | None = None
    #: the entropy temperature alpha at the start, and its learning rate
    alpha_init: float = 0.1
    alpha_lr: float = 3e-4
    #: alpha may fall but never rise (SAC-SVG(H)'s ``only_decrease_alpha``); off: the rise defends the
    #: policy's entropy where the value gradient through the model holds it under its target
    alpha_only_decreases: bool = False
    #: "learned" (a classifier of terminal transitions discounts the model's predicted states and the critic
    #: behind them), "known" (the task's own termination function ends the rollout where it says so; only for
    #: tasks that have one) or "none" (the model's states never end an episode)
    termination: str = "learned"
    termination_hidden: tuple[int, ...] = (64, 64)
    #: SAC's tanh-squashed Gaussian (every sample inside the actuator range), as SAC-SVG(H) and SAC use it
    squash_samples: bool = True
    #: a LayerNorm before each hidden activation of the twin Q critics (RLPD, DHMBPO): keeps the critics'
    #: error from growing over a long run (``core/networks.py``)
    critic_layer_norm: bool = True
    #: Q networks fitted side by side to one TD target (batched as one network): SAC's and SAC-SVG(H)'s twin
    #: critics are 2; REDQ (Chen et al. 2021) and DHMBPO fit more
    critic_heads: int = 2
    #: how many heads, drawn at random each update, the TD target takes its min over (REDQ's and DHMBPO's
    #: random pair among more heads; all of them at ``critic_heads``)
    critic_target_heads: int = 2
    #: how the policy's estimate reads the heads at its end: "min" (SAC, SAC-SVG(H)) or "mean" (REDQ's actor,
    #: DHMBPO's ``actor_reduction: mean``), which with more heads is less pessimistic than their min
    critic_policy_value: str = "min"
    #: updates of plain SAC (H = 0) before the model enters the policy's estimate, as SAC-SVG(H) runs SAC
    #: first: an early model leads the policy where the data does not yet go
    model_warmup: int = 10000
    #: the model enters the policy's estimate as soon as its error H steps ahead on transitions it has not
    #: trained on (``model_error_<H>``, relative to predicting no change; ``core/model_probe.py``), over a full
    #: window of rollouts, is at or below this, and at ``model_warmup`` updates at the latest; it stays in from
    #: then on. None: the warm-up alone decides
    model_entry_error: float | None = None
    #: after the warm-up, updates over which the policy's estimate moves linearly from SAC's min Q - alpha log
    #: pi to the model rollout's (0: the rollout at once)
    model_ramp: int = 0
    #: K > 1 single-network models trained side by side, the policy's rollout through their mean
    #: (``core/model.py``); 1 is one network
    model_ensemble: int = 1
    #: how an ensemble's members meet the states (``core/model.py``): "all" (each member on every state, the
    #: rollout through their mean; K networks' cost) or "one_per_state" (each state through one member, in
    #: training and in the rollout, which keeps its member, as DHMBPO's TS rollouts; one network's cost)
    model_ensemble_members: str = "all"
    #: steps of the model's own open-loop prediction its likelihood is trained over: each model step fits
    #: batch_size / k windows of k consecutive real transitions from their first state under the applied
    #: actions (``DynamicsModel.rollout_nll_and_mse``; SAC-SVG(H) fits its model over H steps), the same
    #: number of model evaluations as one-step training; 1 is the one-step likelihood
    model_train_horizon: int = 1
    #: a LayerNorm before each hidden activation of the model, as DHMBPO's model (Kubo et al. 2025)
    model_layer_norm: bool = False
    #: the model's hidden activation (DHMBPO's is "silu"); None: ``activation``, the other networks' one
    model_activation: str | None = None
    #: the share of each critic minibatch drawn from model-generated transitions: MBPO's branched rollouts
    #: (Janner et al. 2019), DHMBPO's distribution rollouts (Kubo et al. 2025); 0 keeps the critic on real
    #: transitions only, as SAC-SVG(H)
    model_data_fraction: float = 0.0
    #: model steps per rollout, each from a replayed state under the current policy, through a member drawn at
    #: random per step with the model's own noise (MBPO's practice)
    model_rollout_length: int = 1
    #: updates between refreshes of the model data; a refresh makes batch_size x this many transitions, so
    #: the model data grows as fast as the critic reads it
    model_rollout_every: int = 25
    #: refreshes the model data holds before the oldest are overwritten (DHMBPO keeps 10)
    model_data_refreshes: int = 10
    #: updates before the first model data: the model learns from the first update, and rollouts of an
    #: untrained model would teach the critic noise
    model_data_warmup: int = 1000

    def validate(self) -> None:
        super().validate()
        check_widths(self, ("termination_hidden",))
        check_positive(self, ("alpha_init", "alpha_lr"))
        check_finite(self, ("target_entropy", "target_entropy_model", "alpha_init", "alpha_lr", "model_entry_error"))
        if self.model_entry_error is not None and self.model_entry_error <= 0.0:
            raise ValueError(f"model_entry_error must be > 0 (an error relative to predicting no change), "
                             f"got {self.model_entry_error}")
        check_at_least(self, ("model_warmup", "model_ramp", "model_horizon"), 0)
        check_choice(self, "termination", ("learned", "known", "none"))
        check_choice(self, "critic_policy_value", ("min", "mean"))
        check_at_least(self, ("critic_heads", "critic_target_heads"), 1)
        if self.critic_target_heads > self.critic_heads:
            raise ValueError(f"critic_target_heads ({self.critic_target_heads}) must be at most critic_heads "
                             f"({self.critic_heads}): the TD target's min is over heads drawn from them")
        check_choice(self, "model_ensemble_members", DynamicsModel.MEMBERS)
        if self.model_activation is not None:
            check_choice(self, "model_activation", tuple(ACTIVATIONS))
        check_at_least(self, ("model_ensemble", "model_rollout_length", "model_rollout_every",
                              "model_data_refreshes", "model_train_horizon"), 1)
        if self.model_train_horizon > self.batch_size:
            raise ValueError(f"model_train_horizon ({self.model_train_horizon}) must be at most batch_size "
                             f"({self.batch_size}): a model step fits batch_size / model_train_horizon windows")
        check_at_least(self, ("model_data_warmup",), 0)
        check_finite(self, ("model_data_fraction",))
        if not 0.0 <= self.model_data_fraction < 1.0:
            raise ValueError(f"model_data_fraction must be in [0, 1), got {self.model_data_fraction} "
                             "(the critic keeps some real transitions)")
        if self.model_ensemble > 1 and self.model_per_dimension:
            raise ValueError("model_ensemble > 1 needs model_per_dimension false (an ensemble of single networks)")


class SACSVG(Learner):
    name = SACSVGConfig.algo
    settings = SACSVGConfig
    config: SACSVGConfig
    critic_kind = "action_value"
    compilable = True

    def build_extra_networks(self) -> None:
        c, spec = self.config, self.spec
        if c.termination == "known" and self.termination_fn is None:
            raise ValueError("termination 'known' needs the task's termination function, and this task has none "
                             "(use 'learned')")
        self.temperature = Temperature(c.alpha_init)
        self.termination_model: TerminationModel | None = None
        if c.termination == "learned":
            self.termination_model = TerminationModel(spec.obs_dim, spec.act_dim, c.termination_hidden,
                                                      c.activation, self.obs_norm)
        #: the update at which the model entered the policy's estimate by ``model_entry_error`` (None: not yet)
        self.model_entered_at: int | None = None
        #: model-data rollouts stopped because the model predicted a non-finite state or reward: never trained on
        self.model_rollouts_dropped = 0
        self.model_data: ModelDataBuffer | None = None
        if c.model_data_fraction > 0.0:
            capacity = c.batch_size * c.model_rollout_every * c.model_data_refreshes
            self.model_data = ModelDataBuffer(spec.obs_dim, spec.act_dim, capacity, self.device, self.dtype)

    def build_model(self, activation: str | None = None, **options: Any) -> DynamicsModel:
        c = self.config
        return super().build_model(activation or c.model_activation, layer_norm=c.model_layer_norm,
                                   members=c.model_ensemble_members, **options)

    def learning_rate(self, name: str) -> float:
        return self.config.alpha_lr if name == "alpha" else super().learning_rate(name)

    def model_probe_horizons(self) -> tuple[int, ...]:
        """One step, and H: how far the model's predictions carry the policy's estimate."""
        return (1, max(1, self.config.model_horizon))

    def build_critic(self) -> nn.Module:
        c, spec = self.config, self.spec
        return QEnsembleCritic(spec.obs_dim, spec.act_dim, c.critic_hidden, c.activation, self.obs_norm,
                               self.policy.action_center, self.policy.action_scale, c.critic_layer_norm,
                               c.critic_heads)

    def modules(self) -> dict[str, nn.Module]:
        out = super().modules()
        out["temperature"] = self.temperature
        if self.termination_model is not None:
            out["termination_model"] = self.termination_model
        return out

    def trained_modules(self) -> dict[str, nn.Module]:
        out = super().trained_modules()
        out["alpha"] = self.temperature
        if self.termination_model is not None:
            out["termination"] = self.termination_model
        return out

    # -- the update -----------------------------------------------------------------------------------------
    def update_body(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool, step: Step) -> Report:
        """One SAC-SVG(H) update, top to bottom: model, termination model, twin critics, policy, temperature.

        ``step(name, loss_of)`` differentiates ``loss_of``'s loss in the parameters of optimiser ``name``,
        skips a non-finite step, clips where asked and takes the Adam step (eagerly, or traced by
        ``core/compiled_update.py``); every random number is in ``noise``, drawn by :meth:`draw_noise`.
        """
        c = self.config
        s, s_next, d = batch["obs"], batch["next_obs"], batch["terminated"]
        a = self.policy.clamp_action(batch["action"])  # the action the actuators applied

        # Model: maximise log p(s' | s, a) (and fit the reward model, where the reward is learned).
        report = self.model_step(batch, step)

        # Termination model: maximise log p(d | s, a, s'), a Bernoulli likelihood.
        if self.termination_model is not None:
            termination_model = self.termination_model

            def termination_loss() -> tuple[torch.Tensor, Report]:
                return termination_model.loss(s, a, s_next, d), {}

            report["termination_bce"], _, report["termination_ok"] = step("termination", termination_loss)

        # The critic's heads on SAC's soft TD target from the real transition, a' ~ pi(.|s'):
        #   y = r + gamma (1 - d) (min_{i in M} Q'_i(s', a') - alpha log pi(a'|s'))
        #   loss = mean_i mse(Q_i(s, a), y), the mean over every head and the batch
        # M is every head (the twin critics' min), or ``critic_target_heads`` of them drawn afresh each update
        # (REDQ); then the target critics move toward them: Q' <- (1 - tau) Q' + tau Q.
        assert self.critic is not None and self.critic_target is not None
        # With ``model_data_fraction`` that share of the batch is the model's transitions (MBPO), the rest real.
        s_q, a_q, r_q, s_next_q, d_q = self.critic_transitions(batch, a)
        with torch.no_grad():
            a_next, log_pi_next = self.sample_with_log_prob(s_next_q, noise["eta_target"])
            soft_value = (self.critic_target.pessimistic(s_next_q, a_next, noise.get("target_heads"))
                          - self.temperature.alpha * log_pi_next)
            y = r_q + c.gamma * (1.0 - d_q) * soft_value
        critic = self.critic

        def critic_loss() -> tuple[torch.Tensor, Report]:
            return ((critic(s_q, a_q) - y) ** 2).mean(), {}  # one mean over every head's errors

        report["critic_loss"], _, report["critic_ok"] = step("critic", critic_loss)
        step.average(self.critic_target, critic, c.polyak, report["critic_ok"])
        if not policy_steps:
            return report

        # Policy: ascend the SVG(H) estimate of :meth:`policy_objective` (its equation there); the gradient
        # reaches the policy through every action, model step, reward, survival probability and the final Q.
        eta = noise["eta_policy"]  # (H + 1, N, act_dim): H = 0 in the warm-up
        model_in = eta.shape[0] > 1
        if model_in:  # the rollout's first model step re-enacts the replayed transition's model noise xi_0
            batch = self.prepare_batch(batch)
        with torch.no_grad():
            sigma = self.policy(s)[1]  # reported: the policy's spread before its step

        def policy_loss() -> tuple[torch.Tensor, Report]:
            return -self.policy_objective((batch, None), noise), {}

        neg_objective, _, policy_ok = step("policy", policy_loss, clip=c.grad_clip)
        report.update(policy_objective=-neg_objective, sigma_mean=(sigma / self.policy.action_scale).mean(),
                      policy_ok=policy_ok)

        # Temperature: descend log alpha * (H(pi) - target), alpha falls while the policy is more random than the
        # target, rises while it is less (never, with ``alpha_only_decreases``). H(pi) is the Gaussian's closed
        # form or, for a squashed policy, SAC's one-sample estimate -log pi(a|s) at the policy step's first action.
        with torch.no_grad():
            entropy = self.entropy_estimate(s, eta[0])
        target = self.target_entropy(model_in) * self.spec.act_dim
        temperature = self.temperature

        def temperature_loss() -> tuple[torch.Tensor, Report]:
            excess = (entropy - target).mean()  # the loss's gradient in log alpha
            if c.alpha_only_decreases:
                excess = excess.clamp(min=0.0)  # no push up; Adam's momentum holds only past pushes down
            return temperature.log_alpha * excess, {}

        _, _, alpha_ok = step("alpha", temperature_loss)
        report.update(alpha=temperature.alpha.detach(), entropy=entropy.mean(), alpha_ok=alpha_ok)
        return report

    # -- model-generated transitions for the critic (MBPO) ----------------------------------------------------
    def critic_transitions(self, batch: Batch, action: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(s, a, r, s', d) the critics learn from: the replayed transitions, or, where the batch carries model
        data, the first ``1 - model_data_fraction`` of them followed by the model's (same batch size)."""
        real = (batch["obs"], action, batch["reward"], batch["next_obs"], batch["terminated"])
        if "model_obs" not in batch:
            return real
        n_real = batch["obs"].shape[0] - batch["model_obs"].shape[0]
        model = (batch["model_obs"], batch["model_action"], batch["model_reward"], batch["model_next_obs"],
                 batch["model_terminated"])
        return tuple(torch.cat([x[:n_real], m]) for x, m in zip(real, model))

    def extend_batch(self, batch: Batch) -> Batch:
        """The model's windows of consecutive transitions (``model_train_horizon`` > 1), and the model data:
        after ``model_data_warmup`` updates, refresh it every ``model_rollout_every`` updates (and whenever it
        is empty, as after a resume) and add ``model_data_fraction`` of a batch from it."""
        c = self.config
        if c.model_train_horizon > 1:
            batch = {**batch, **self.model_windows()}
        if self.model_data is None or self.updates < c.model_data_warmup:
            return batch
        if len(self.model_data) == 0 or (self.updates - c.model_data_warmup) % c.model_rollout_every == 0:
            self.refresh_model_data()
        n_model = round(c.batch_size * c.model_data_fraction)
        if n_model == 0 or len(self.model_data) == 0:
            return batch
        return {**batch, **{f"model_{k}": v for k, v in self.model_data.sample(n_model, self.rng).items()}}

    def model_windows(self) -> Batch:
        """batch_size // model_train_horizon windows of that many consecutive transitions of one episode
        (``window_obs``, ``window_action``, ``window_next_obs``: (B, k, ...)), always that many, so a compiled
        update keeps one shape: where too few windows were found, found ones are drawn again. Empty while the
        replay holds no window; the model then trains on the one-step likelihood."""
        c = self.config
        n = c.batch_size // c.model_train_horizon
        windows = self.replay.sample_windows(n, c.model_train_horizon, self.rng, self.device, self.dtype)
        if windows is None:
            return {}
        found = windows["obs"].shape[0]
        if found < n:
            rows = torch.as_tensor(self.rng.integers(0, found, n - found), device=self.device)
            windows = {k: torch.cat([v, v[rows]]) for k, v in windows.items()}
        return {"window_obs": windows["obs"], "window_action": windows["action"],
                "window_next_obs": windows["next_obs"]}

    def model_likelihood(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """With windows in the batch (``model_train_horizon`` > 1), the likelihood of each window's real steps
        under the model's own open-loop prediction from its first state; otherwise the one-step likelihood."""
        if "window_obs" not in batch:
            return super().model_likelihood(batch)
        actions = self.policy.clamp_action(batch["window_action"])
        return self.model.rollout_nll_and_mse(batch["window_obs"][:, 0], actions, batch["window_next_obs"])

    @torch.no_grad()
    def refresh_model_data(self) -> None:
        """Branched rollouts: from replayed states, ``model_rollout_length`` steps of the current policy through
        the model (a member at random per step, with its noise), rewards from the task's reward (or the learned
        one), each step's termination probability stored, a rollout stopped where the episode likely ended or
        the model left the finite numbers."""
        c = self.config
        assert self.model_data is not None
        starts = math.ceil(c.batch_size * c.model_rollout_every / c.model_rollout_length)
        s = self.replay.sample(starts, self.rng, self.device, self.dtype)["obs"]
        for _ in range(c.model_rollout_length):
            a, _ = self.sample_with_log_prob(s, self.fresh_eta(s.shape[0]))
            s_next = self.model.sample_next(s, a, self.generator)
            r = self.reward_fn(s, a, s_next)
            d = 1.0 - self.survival(s, a, s_next)
            finite = torch.isfinite(s_next).all(-1) & torch.isfinite(r)
            self.model_rollouts_dropped += int((~finite).sum())
            self.model_data.add({"obs": s[finite], "action": a[finite], "reward": r[finite],
                                 "next_obs": s_next[finite], "terminated": d[finite]})
            s = s_next[finite & (d < 0.5)]
            if s.shape[0] == 0:
                return

    def _record(self, report: Report) -> dict[str, float]:
        """The learner's record of the update, with ``model_in`` (1 where the model was in the policy's estimate),
        so a user sees in the metrics and on /diagnostics when the model entered, and, with model data, the
        rollouts dropped for a non-finite prediction so far."""
        extra = {"model_in": float(self.rollout_horizon() > 0)}
        if self.model_data is not None:
            extra["model_rollouts_dropped"] = float(self.model_rollouts_dropped)
        return super()._record({**report, **extra})

    def survival(self, s: torch.Tensor, a: torch.Tensor, s_next: torch.Tensor) -> torch.Tensor:
        """The probability that a step s, a -> s' did not end the episode: the termination model's, the task's
        known termination, or 1 where the model's states never end one."""
        if self.termination_model is not None:
            return self.termination_model.survival(s, a, s_next)
        if self.config.termination == "known":
            assert self.termination_fn is not None
            return 1.0 - self.termination_fn(s, a, s_next).to(s.dtype)
        return torch.ones(s.shape[0], dtype=s.dtype, device=s.device)

    def draw_noise(self, batch: Batch, policy_steps: bool) -> dict[str, torch.Tensor]:
        """The update's random numbers, in this order: the critic target's action noise at s' (and the heads
        its min is over, where it is over fewer than all), then the policy rollout's, one per model step and
        one for the end (and the model's share while it ramps in)."""
        c, n = self.config, batch["obs"].shape[0]
        self.check_model_entry()
        noise = {"eta_target": self.fresh_eta(n)}
        if c.critic_target_heads < c.critic_heads:  # an index tensor, so a compiled update traces it once
            drawn = torch.randperm(c.critic_heads, generator=self.generator)[:c.critic_target_heads]
            noise["target_heads"] = drawn.to(self.device)
        if policy_steps:
            noise["eta_policy"] = torch.stack([self.fresh_eta(n) for _ in range(self.rollout_horizon() + 1)])
            weight = self.model_weight()
            if weight < 1.0 and noise["eta_policy"].shape[0] > 1:  # a tensor, so a compiled update traces it once
                noise["model_weight"] = torch.tensor(weight, dtype=noise["eta_policy"].dtype,
                                                     device=noise["eta_policy"].device)
        return noise

    def rollout_horizon(self) -> int:
        """H for this update: 0 (plain SAC) until the model enters (:meth:`model_entry`), as SAC-SVG(H) runs SAC
        before its model-based actor, so the policy follows the model only once the model has data."""
        return 0 if self.updates < self.model_entry() else self.config.model_horizon

    def model_entry(self) -> int:
        """The update at which the model enters the policy's estimate: ``model_warmup``, or sooner, the first
        update at which the model's settled H-step error on unseen transitions met ``model_entry_error``."""
        c = self.config
        return c.model_warmup if self.model_entered_at is None else self.model_entered_at  # set only in the warm-up

    def check_model_entry(self) -> None:
        """Before an update of the warm-up: let the model in if ``model_entry_error`` says it predicts well
        enough (once in, it stays: the decision is checkpointed, and the probe starts empty on a resume)."""
        c = self.config
        if self.model_entered_at is not None or c.model_entry_error is None or self.updates >= c.model_warmup:
            return
        error = self.model_probe.settled_error(max(1, c.model_horizon))
        if error is not None and error <= c.model_entry_error:
            self.model_entered_at = self.updates

    def counters(self) -> dict[str, int]:
        entered = -1 if self.model_entered_at is None else self.model_entered_at
        return {**super().counters(), "model_entered_at": entered,
                "model_rollouts_dropped": self.model_rollouts_dropped}

    def restore_counters(self, counters: dict[str, int]) -> None:
        super().restore_counters(counters)
        entered = counters.get("model_entered_at", -1)  # an int (read_manifest); none from before the criterion
        self.model_entered_at = None if entered < 0 else entered
        self.model_rollouts_dropped = counters.get("model_rollouts_dropped", 0)

    def model_weight(self) -> float:
        """The model rollout's share of the policy's estimate: 0 in the warm-up, then rising linearly to 1 over
        ``model_ramp`` updates, so the policy turns toward the model's gradient gradually, not in one update."""
        past = self.updates - self.model_entry()
        if past < 0:
            return 0.0
        ramp = self.config.model_ramp
        return 1.0 if past >= ramp else (past + 1) / (ramp + 1)

    def target_entropy(self, model_in: bool) -> float:
        """The temperature's target per action dimension: ``target_entropy_model`` once the model is in the
        policy's estimate (read off the rollout's noise shape, so a compiled update re-traces once, as it does
        for the horizon), ``target_entropy`` before, and throughout when it is unset."""
        c = self.config
        return c.target_entropy_model if model_in and c.target_entropy_model is not None else c.target_entropy

    def prepare_batch(self, batch: Batch) -> Batch:
        """The batch with ``xi``, the model noise that explains each replayed s' (the paper's re-enactment: with
        the stored action, the rollout's first model step reproduces the real next state)."""
        if self.config.model_horizon == 0:
            return batch
        action = self.policy.clamp_action(batch["action"])
        return {**batch, "xi": self.model.infer_xi(batch["obs"], action, batch["next_obs"])}

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        """The SVG(H) estimate the policy maximises, averaged over the replayed states s_0:

            sum_{h<H} gamma^h S_h (r(s_h, a_h, s_{h+1}) - alpha log pi(a_h|s_h))
                + gamma^H S_H (min_i Q_i(s_H, a_H) - alpha log pi(a_H|s_H))

        a_h = pi(s_h, eta_h); s_1 = s_0 + f(s_0, a_0) + sigma(s_0, a_0) xi_0 with the replayed transition's
        inferred xi_0, later steps the model's mean (as SAC-SVG(H)); S_h the product of survival probabilities
        so far (the termination model's, or 1 until the task's known termination fires, with no gradient
        through that indicator); min_i Q_i is the heads' mean with ``critic_policy_value: mean``. alpha is held
        fixed here. With ``model_ramp`` the estimate is
        w * (the above) + (1 - w) * SAC's min_i Q_i(s_0, a_0) - alpha log pi(a_0|s_0), w = ``model_weight``.
        """
        batch, _ = inputs
        c, eta = self.config, noise["eta_policy"]
        horizon = eta.shape[0] - 1  # draw_noise's rollout_horizon(): a shape, so a compiled update re-traces once
        alpha = self.temperature.alpha.detach()
        s = batch["obs"]
        total = torch.zeros(s.shape[0], dtype=s.dtype, device=s.device)
        weight = torch.ones_like(total)  # gamma^h S_h
        for h in range(horizon):
            a, log_prob = self.sample_with_log_prob(s, eta[h])
            mean, std = self.model.mean_and_std(s, a)
            s_next = (s + mean + std * batch["xi"]) if h == 0 else (s + mean)
            total = total + weight * (self.reward_fn(s, a, s_next) - alpha * log_prob)
            weight = weight * self.survival(s, a, s_next) * c.gamma
            s = s_next
        a, log_prob = self.sample_with_log_prob(s, eta[horizon])
        assert self.critic is not None
        rollout = total + weight * (self.policy_value(s, a) - alpha * log_prob)
        if "model_weight" in noise:  # model_ramp: SAC's estimate at the replayed state, with the rollout's first action
            a0, log_prob0 = self.sample_with_log_prob(batch["obs"], eta[0])
            sac = self.policy_value(batch["obs"], a0) - alpha * log_prob0
            rollout = noise["model_weight"] * rollout + (1.0 - noise["model_weight"]) * sac
        return rollout.mean()

    def policy_value(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The critic's value at the end of the policy's estimate: its heads' min or mean
        (``critic_policy_value``)."""
        assert self.critic is not None
        if self.config.critic_policy_value == "mean":
            return self.critic.mean(obs, action)
        return self.critic.pessimistic(obs, action)

    # -- the policy's entropy in half-range units -----------------------------------------------------------
    def sample_with_log_prob(self, obs: torch.Tensor, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the applied action, its log pi in half-range units): a = mu + sigma eta clipped, with the log-prob of
        the unclipped draw; or, with ``squash_samples``, the squashed draw with the change of variables."""
        policy = self.policy
        mu, sigma = policy(obs)
        x = mu + sigma * eta
        sigma_units = sigma / policy.action_scale
        log_prob = (-0.5 * eta**2 - torch.log(sigma_units)).sum(-1) - 0.5 * math.log(2 * math.pi) * eta.shape[-1]
        return policy.clamp_action(policy.squash_action(x)), log_prob - policy.log_squash_correction(x)

    def entropy_estimate(self, obs: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
        """H(pi(.|s)) per state: the Gaussian's closed form, or for a squashed policy (which has none) SAC's
        one-sample estimate -log pi(a|s) at the action ``eta`` draws."""
        if self.policy.squash_samples:
            return -self.sample_with_log_prob(obs, eta)[1]
        return self.entropy(self.policy(obs)[1])

    def entropy(self, sigma: torch.Tensor) -> torch.Tensor:
        """The Gaussian's entropy per state, each dimension in units of its actuator's half-range."""
        return (torch.log(sigma / self.policy.action_scale) + HALF_LOG_2PI_E).sum(-1)
