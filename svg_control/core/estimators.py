"""The paper's policy-gradient objectives as pure functions.

Every SVG variant here differentiates a *re-enacted* real trajectory: the
policy noise eta and the model noise xi that explain each recorded step are
inferred first (no gradient), then the trajectory is rebuilt with the
current policy and the model, a_t = pi(s_t, eta_t), s_{t+1} = f(s_t, a_t, xi_t).
Numerically the rebuilt trajectory *is* the real one, but autograd now sees
how the return depends on the policy parameters through actions and model
Jacobians. Back-propagating through it computes exactly the backward
recursions of eqs. (9)-(10) (SVG(inf)); cutting it after k steps and adding
gamma^k V(s_k) gives SVG(k), and k = 1 is SVG(1) (eq. 13).

Each function returns an objective to *maximise*; the learner minimises its
negative. Tensors are batched over leading dimensions.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .policy import GaussianPolicy, gaussian_log_prob

RewardFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
ValueFn = Callable[[torch.Tensor], torch.Tensor]


def importance_weights(policy: GaussianPolicy, obs: torch.Tensor, action: torch.Tensor,
                       behaviour_log_prob: torch.Tensor, truncate: float) -> torch.Tensor:
    """w = min(p(a|s; theta_now) / p(a|s; theta_then), truncate), without gradient.

    Truncation bounds the variance that old, unlikely actions would add
    (SVG(1)-ER); ``truncate`` is a config value (default 5).
    """
    with torch.no_grad():
        return importance_weights_from(*policy(obs), action, behaviour_log_prob, truncate)


def importance_weights_from(mu: torch.Tensor, sigma: torch.Tensor, action: torch.Tensor,
                            behaviour_log_prob: torch.Tensor, truncate: float) -> torch.Tensor:
    """The same weights from the policy's outputs (mu, sigma) at the batch's states, without gradient."""
    log_ratio = gaussian_log_prob(mu.detach(), sigma.detach(), action) - behaviour_log_prob
    return torch.exp(log_ratio.clamp(max=math.log(truncate))).clamp(max=truncate)


def svg_unroll_objective(policy: GaussianPolicy, model, reward_fn: RewardFn, windows: dict[str, torch.Tensor],
                         gamma: float, value_fn: ValueFn | None = None,
                         weights: torch.Tensor | None = None,
                         first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """SVG(k) / SVG(inf) along real k-step windows, fields shaped (B, k, ...).

    value_fn=None gives SVG(inf) on whole episodes (the sum of discounted
    rewards, nothing bootstrapped). With a value function the return is
    bootstrapped with gamma^k V(s_k) unless the window ends in termination.
    weights (B,) scale each window (importance weights, discounting in tests).
    first_step: the policy's (mu, sigma) at the windows' first states, already computed with gradient by
    the caller (the learner shares one forward between importance weights and this step).
    Returns the weighted mean over windows of the re-enacted value.
    """
    obs, action, next_obs = windows["obs"], windows["action"], windows["next_obs"]
    k = obs.shape[1]
    s = obs[:, 0]
    total = torch.zeros(obs.shape[0], dtype=obs.dtype, device=obs.device)
    discount = 1.0
    for t in range(k):
        # One forward per network per step: the noise is inferred from the very outputs that are then
        # re-used with gradient (s equals the real s_t numerically, so this is the real trajectory's noise).
        mu, sigma = first_step if t == 0 and first_step is not None else policy(s)
        eta = ((action[:, t] - mu) / sigma).detach()
        a = policy.clamp_action(mu + sigma * eta)
        mean, std = model.mean_and_std(s, a)
        xi = torch.where(std > 0, (next_obs[:, t] - s - mean) / std.clamp_min(1e-12), torch.zeros_like(mean)).detach()
        s_next = s + mean + std * xi
        total = total + discount * reward_fn(s, a, s_next)
        discount *= gamma
        s = s_next
    if value_fn is not None:
        alive = 1.0 - windows["terminated"][:, -1]
        total = total + discount * alive * value_fn(s)
    if weights is not None:
        total = total * weights
    return total.mean()


def svg1_objective(policy: GaussianPolicy, model, reward_fn: RewardFn, value_fn: ValueFn,
                   batch: dict[str, torch.Tensor], gamma: float, weights: torch.Tensor | None = None,
                   first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """SVG(1): r(s, a, s') + gamma V(s') re-enacted at inferred (eta, xi) for single transitions."""
    windows = {name: v.unsqueeze(1) for name, v in batch.items()}
    return svg_unroll_objective(policy, model, reward_fn, windows, gamma, value_fn, weights, first_step)


def fresh_action_step(policy: GaussianPolicy, model, reward_fn: RewardFn, batch: dict[str, torch.Tensor],
                      eta: torch.Tensor, first_step: tuple[torch.Tensor, torch.Tensor] | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """(r, s') of one model step from replayed states with the *current* policy's own action noise ``eta``.

    The model noise xi is inferred at the stored action (the real transition's noise), then re-used at the
    new action: s' = s + f(s, a_new) + sigma * xi. The action is on-policy, so no importance weight is
    needed; the price is that s' is a counterfactual from the model, not the recorded next state.
    ``batch["xi"]``, where present, is that inferred noise already computed (the learner shares it between
    critic target and policy step). Differentiable in the policy (through a_new) unless called under no_grad.
    """
    s = batch["obs"]
    xi = batch["xi"] if "xi" in batch else model.infer_xi(s, policy.clamp_action(batch["action"]), batch["next_obs"])
    mu, sigma = first_step if first_step is not None else policy(s)
    a = policy.clamp_action(mu + sigma * eta)
    mean, std = model.mean_and_std(s, a)
    s_next = s + mean + std * xi
    return reward_fn(s, a, s_next), s_next


def svg1_fresh_objective(policy: GaussianPolicy, model, reward_fn: RewardFn, value_fn: ValueFn,
                         batch: dict[str, torch.Tensor], gamma: float, eta: torch.Tensor,
                         first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """SVG(1) on replayed states with fresh policy noise: E_eta[r + gamma V(s')], unweighted.

    The paper's SVG(1)-ER infers eta from the stored (old) action and corrects with importance weights;
    once the policy has moved those weights collapse and a minibatch carries a few effective samples
    (docs/RESULTS.md, "SVG(1)-ER without importance weights"). Fresh noise keeps every replayed state in
    the estimate.
    """
    reward, s_next = fresh_action_step(policy, model, reward_fn, batch, eta, first_step)
    alive = 1.0 - batch["terminated"]
    return (reward + gamma * alive * value_fn(s_next)).mean()


def svg0_objective(policy: GaussianPolicy, q_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   obs: torch.Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """SVG(0) (stochastic DPG): E_eta[Q(s, pi(s, eta))], Monte-Carlo over fresh eta."""
    obs_rep = obs.repeat(n_samples, 1)
    eta = torch.randn(obs_rep.shape[0], policy.act_dim, generator=generator, dtype=obs.dtype)
    a = policy.clamp_action(policy.sample(obs_rep, eta.to(obs.device)))
    return q_fn(obs_rep, a).mean()


def dpg_objective(policy: GaussianPolicy, q_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                  obs: torch.Tensor) -> torch.Tensor:
    """Deterministic policy gradient: Q(s, mu(s)); exploration noise is not trained."""
    mu, _ = policy(obs)
    return q_fn(obs, policy.clamp_action(mu)).mean()


def actor_critic_objective(policy: GaussianPolicy, value_fn: ValueFn, batch: dict[str, torch.Tensor],
                           gamma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """TD-advantage actor-critic: delta * log pi(a|s) with delta = r + gamma V(s') - V(s) held fixed."""
    with torch.no_grad():
        alive = 1.0 - batch["terminated"]
        delta = batch["reward"] + gamma * alive * value_fn(batch["next_obs"]) - value_fn(batch["obs"])
    return (delta * policy.log_prob(batch["obs"], batch["action"])).mean(), delta


def planner_objective(policy: GaussianPolicy, model, reward_fn: RewardFn, start_obs: torch.Tensor, horizon: int,
                      gamma: float, eta: torch.Tensor | None = None, xi: torch.Tensor | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Model-based planning baseline: back-propagate through *model-sampled* rollouts.

    Unlike SVG, the noise is drawn afresh (eta, xi ~ N(0, I)) rather than
    inferred from a real trajectory, so model errors compound unchecked.
    eta (B, H, A) and xi (B, H, S) may be given to reproduce a trajectory.
    """
    b = start_obs.shape[0]
    if eta is None:
        eta = torch.randn(b, horizon, policy.act_dim, generator=generator, dtype=start_obs.dtype)
    if xi is None:
        xi = torch.randn(b, horizon, start_obs.shape[1], generator=generator, dtype=start_obs.dtype)
    s = start_obs
    total = torch.zeros(b, dtype=start_obs.dtype, device=start_obs.device)
    discount = 1.0
    for t in range(horizon):
        a = policy.clamp_action(policy.sample(s, eta[:, t].to(s.device)))
        s_next = model.step(s, a, xi[:, t].to(s.device))
        total = total + discount * reward_fn(s, a, s_next)
        discount *= gamma
        s = s_next
    return total.mean()
