"""Maximum-entropy SVG(H) with twin Q critics on real TD targets: SAC-SVG(H) (Amos, Stanton, Yarats, Wilson
2021, "On the model-based stochastic value gradient for continuous RL"; code: facebookresearch/svg).

This is the SVG family as it is practised now, beside the 2015 paper's algorithms (which stay exactly as
they are). What it adds to SVG(1)-ER (``core/algos/svg1.py``), each for a failure measured on our tasks
(docs/RESULTS.md):

* **Entropy with a learned temperature.** The policy maximises reward minus alpha * log pi, and alpha is
  learned toward a target entropy (SAC, Haarnoja et al. 2018): exploration is wide early and narrows as
  the policy commits, instead of sitting on a fixed sigma floor.
* **The critic never learns from the model.** Twin Q critics regress on SAC's soft TD target from real
  transitions, r + gamma (1 - d) (min Q'(s', a') - alpha log pi(a'|s')), a' ~ pi(s'). The model enters only
  the policy's estimate.
* **A value gradient through H model steps** (the SVG(1) step of Heess et al. 2015, eq. 13, carried H
  steps, Q at the end). From replayed states s_0 with fresh policy noise eta_h, reparameterised actions
  a_h = pi(s_h, eta_h) and s_{h+1} = s_h + f(s_h, a_h) + sigma(s_h, a_h) xi_h, the policy maximises

      sum_{h<H} gamma^h S_h (r(s_h, a_h, s_{h+1}) - alpha log pi(a_h|s_h))
          + gamma^H S_H (min_i Q_i(s_H, a_H) - alpha log pi(a_H|s_H)).

  xi_0 is the replayed transition's inferred model noise (the paper's re-enactment: with the stored action
  the first step reproduces the real s_1); later steps take the model's mean, as SAC-SVG(H) does.
  ``model_horizon: 0`` is plain SAC with our networks.
* **Termination in the value.** S_h is the product of a learned termination model's survival
  probabilities along the rollout (``core/termination_model.py``): a predicted fall ends the estimate.
  ``termination: known`` uses the task's own termination function instead (S_h drops to 0 at the first
  model state it calls terminal; no gradient through the indicator, the rewards before it keep theirs).

* **Stable critics, and a model that waits for data** (both on by default, ``svg_control/algo_configs/
  sac-svg.yaml``). ``critic_layer_norm`` puts a LayerNorm before each hidden activation of both Q critics
  (RLPD, Ball et al. 2023; DHMBPO): without it the critic loss grew from about 1 to 30-100 over a monoped
  run and most seeds fell after standing. ``model_warmup`` updates of plain SAC (H = 0) come before the
  model enters the policy's estimate, as SAC-SVG(H) runs 10k steps of SAC first: an early model leads the
  policy where the data does not yet go. ``model_ramp`` (off by default) then blends the rollout's estimate
  in linearly over that many updates instead of at once.

* **A temperature that only falls**, optionally (``alpha_only_decreases``, SAC-SVG(H)'s
  ``only_decrease_alpha``): on the monoped, once the model entered, alpha rose 2-10x in every run while the
  policy's entropy stayed under its target, and the critic's error rose with it; without the model both fell.
  Held, alpha left the entropy to fall to -9..-12 against a target of -4, the critic's error rose all the same,
  and fewer seeds stood (docs/RESULTS.md): the rise defends the entropy, so the option stays off.

``squash_samples`` makes the policy SAC's tanh-squashed Gaussian (``core/policy.py``), as SAC-SVG(H) and SAC
use it, instead of the paper's squashed mean with clipped noise.

log pi and the entropy are of the policy's Gaussian with each action dimension in units of its actuator's
half-range, so ``target_entropy`` (per dimension, default -1 as SAC's -|A|) means the same on every robot.
``target_entropy_model`` optionally replaces it once the model is in (SAC-SVG(H) schedules its target per
task): on the monoped a target of 0 stood sooner than -1 but fell more often after the model entered.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import AgentConfig, check_at_least, check_choice, check_finite, check_positive, check_widths
from ..critic import TwinQCritic
from ..learner import Batch, Learner, PolicyOutputs, Report, Step
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
    #: updates of plain SAC (H = 0) before the model enters the policy's estimate, as SAC-SVG(H) runs SAC
    #: first: an early model leads the policy where the data does not yet go
    model_warmup: int = 10000
    #: after the warm-up, updates over which the policy's estimate moves linearly from SAC's min Q - alpha log
    #: pi to the model rollout's (0: the rollout at once)
    model_ramp: int = 0
    #: K > 1 single-network models trained side by side, the policy's rollout through their mean
    #: (``core/model.py``); 1 is one network
    model_ensemble: int = 1

    def validate(self) -> None:
        super().validate()
        check_widths(self, ("termination_hidden",))
        check_positive(self, ("alpha_init", "alpha_lr"))
        check_finite(self, ("target_entropy", "target_entropy_model", "alpha_init", "alpha_lr"))
        check_at_least(self, ("model_warmup", "model_ramp", "model_horizon"), 0)
        check_choice(self, "termination", ("learned", "known", "none"))
        check_at_least(self, ("model_ensemble",), 1)
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

    def learning_rate(self, name: str) -> float:
        return self.config.alpha_lr if name == "alpha" else super().learning_rate(name)

    def build_critic(self) -> nn.Module:
        c, spec = self.config, self.spec
        return TwinQCritic(spec.obs_dim, spec.act_dim, c.critic_hidden, c.activation, self.obs_norm,
                           self.policy.action_center, self.policy.action_scale, c.critic_layer_norm)

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
    def draw_noise(self, batch: Batch, policy_steps: bool) -> dict[str, torch.Tensor]:
        """The critic target's next-state action noise, then the policy rollout's, one per model step and the end."""
        n = batch["obs"].shape[0]
        noise = {"eta_target": self.fresh_eta(n)}
        if policy_steps:
            noise["eta_policy"] = torch.stack([self.fresh_eta(n) for _ in range(self.rollout_horizon() + 1)])
            weight = self.model_weight()
            if weight < 1.0 and noise["eta_policy"].shape[0] > 1:  # a tensor, so a compiled update traces it once
                noise["model_weight"] = torch.tensor(weight, dtype=noise["eta_policy"].dtype,
                                                     device=noise["eta_policy"].device)
        return noise

    def model_weight(self) -> float:
        """The model rollout's share of the policy's estimate: 0 in the warm-up, then rising linearly to 1 over
        ``model_ramp`` updates, so the policy turns toward the model's gradient gradually, not in one update."""
        past = self.updates - self.config.model_warmup
        if past < 0:
            return 0.0
        ramp = self.config.model_ramp
        return 1.0 if past >= ramp else (past + 1) / (ramp + 1)

    def rollout_horizon(self) -> int:
        """H for this update: 0 (plain SAC) for the first ``model_warmup`` updates, as SAC-SVG(H) runs 10k steps
        of SAC before its model-based actor, so the policy follows the model only once the model has data."""
        return 0 if self.updates < self.config.model_warmup else self.config.model_horizon

    def update_body(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool, step: Step) -> Report:
        """Model (and termination model), twin critics on real soft TD targets, then policy and temperature."""
        report = self._update_model(batch, step)
        if self.termination_model is not None:
            report.update(self._update_termination(batch, step))
        if policy_steps and noise["eta_policy"].shape[0] > 1:  # xi only feeds a rollout with a model step
            batch = self.prepare_batch(batch)
        report.update(self._update_critic(batch, None, noise, step))
        if policy_steps:
            report.update(self._update_policy(batch, None, noise, step))
            report.update(self._update_temperature(batch, noise, step))
        return report

    def _update_termination(self, batch: Batch, step: Step) -> Report:
        model = self.termination_model
        assert model is not None
        action = self.policy.clamp_action(batch["action"])

        def termination_loss() -> tuple[torch.Tensor, Report]:
            return model.loss(batch["obs"], action, batch["next_obs"], batch["terminated"]), {}

        loss, _, ok = step("termination", termination_loss)
        return {"termination_bce": loss, "termination_ok": ok}

    def _update_temperature(self, batch: Batch, noise: dict[str, torch.Tensor], step: Step) -> Report:
        """log alpha descends (H(pi) - target) * log alpha: alpha falls while the policy is more random than
        the target, rises while it is less (never, with ``alpha_only_decreases``). H is the Gaussian's closed
        form, or, for a squashed policy (which has none), SAC's one-sample estimate -log pi(a|s) at the policy
        step's first action."""
        with torch.no_grad():
            entropy = self.entropy_estimate(batch["obs"], noise["eta_policy"][0])
        target = self.target_entropy(model_in=noise["eta_policy"].shape[0] > 1) * self.spec.act_dim
        temperature, only_decreases = self.temperature, self.config.alpha_only_decreases

        def temperature_loss() -> tuple[torch.Tensor, Report]:
            excess = (entropy - target).mean()  # the loss's gradient in log alpha
            if only_decreases:
                excess = excess.clamp(min=0.0)  # no push up; Adam's momentum holds only past pushes down
            return temperature.log_alpha * excess, {}

        _, _, ok = step("alpha", temperature_loss)
        return {"alpha": self.temperature.alpha.detach(), "entropy": entropy.mean(), "alpha_ok": ok}

    def target_entropy(self, model_in: bool) -> float:
        """The temperature's target per action dimension: ``target_entropy_model`` once the model is in the
        policy's estimate (read off the rollout's noise shape, so a compiled update re-traces once, as it does
        for the horizon), ``target_entropy`` before, and throughout when it is unset."""
        c = self.config
        return c.target_entropy_model if model_in and c.target_entropy_model is not None else c.target_entropy

    def prepare_batch(self, batch: Batch) -> Batch:
        """The replayed transitions' inferred model noise, for the first step of the policy's rollout."""
        if self.config.model_horizon == 0:
            return batch
        action = self.policy.clamp_action(batch["action"])
        return {**batch, "xi": self.model.infer_xi(batch["obs"], action, batch["next_obs"])}

    def value_target(self, batch: Batch, noise: dict[str, torch.Tensor], outputs: PolicyOutputs | None
                     ) -> torch.Tensor:
        """SAC's soft TD(0) target on the real transition: r + gamma (1 - d) (min Q'(s', a') - alpha log pi(a'|s'))."""
        assert self.critic_target is not None
        action, log_prob = self.sample_with_log_prob(batch["next_obs"], noise["eta_target"])
        soft_value = self.critic_target.pessimistic(batch["next_obs"], action) - self.temperature.alpha * log_prob
        return batch["reward"] + self.config.gamma * (1.0 - batch["terminated"]) * soft_value

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        batch, _ = inputs
        c, eta = self.config, noise["eta_policy"]
        horizon = eta.shape[0] - 1  # draw_noise's rollout_horizon(): a shape, so a compiled update re-traces once
        alpha = self.temperature.alpha.detach()
        s = batch["obs"]
        total = torch.zeros(s.shape[0], dtype=s.dtype, device=s.device)
        weight = torch.ones_like(total)  # gamma^h times the survival probability so far
        for h in range(horizon):
            a, log_prob = self.sample_with_log_prob(s, eta[h])
            mean, std = self.model.mean_and_std(s, a)
            s_next = (s + mean + std * batch["xi"]) if h == 0 else (s + mean)
            total = total + weight * (self.reward_fn(s, a, s_next) - alpha * log_prob)
            if self.termination_model is not None:
                weight = weight * self.termination_model.survival(s, a, s_next)
            elif c.termination == "known":
                assert self.termination_fn is not None
                weight = weight * (1.0 - self.termination_fn(s, a, s_next).to(weight.dtype))
            weight = weight * c.gamma
            s = s_next
        a, log_prob = self.sample_with_log_prob(s, eta[horizon])
        assert self.critic is not None
        rollout = total + weight * (self.critic.pessimistic(s, a) - alpha * log_prob)
        if "model_weight" in noise:  # model_ramp: SAC's estimate at the replayed state, with the rollout's first action
            a0, log_prob0 = self.sample_with_log_prob(batch["obs"], eta[0])
            sac = self.critic.pessimistic(batch["obs"], a0) - alpha * log_prob0
            rollout = noise["model_weight"] * rollout + (1.0 - noise["model_weight"]) * sac
        return rollout.mean()

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
