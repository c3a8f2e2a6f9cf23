"""SVG(1)-ER's whole update (model, critic, policy) as one compiled function: ``compile_update: true``.

Why: with the paper's small networks an eager update is ~500 tiny torch ops, and on a CPU their dispatch
costs more than their arithmetic (docs/RESULTS.md, Throughput). Here the three gradients (``torch.func``),
the policy's gradient clipping, the non-finite guard, Adam and the target critic's averaging are traced
once by ``torch.compile`` into a few fused kernels. The steps are the eager learner's, in its order (the
critic and the policy see the model after its step, the policy the critic after its step) and with its
random draws; the arithmetic is the same up to float rounding (``test/test_compiled_update.py``), not bit
for bit, so a seeded run differs from its eager twin. Eager stays the default: the first call compiles
for 10-30 s and needs a C++ compiler.

Adam is written out here (``adam_step``) because ``torch.optim.Adam.step`` cannot run inside the traced
function; it keeps its moments and step count in the optimiser's own state, so checkpoints, resuming and
switching between eager and compiled updates all see one optimiser.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.func import functional_call, grad_and_value
from torch.nn.utils import get_total_norm

from . import estimators as est

if TYPE_CHECKING:
    from .agent import SVGAgent

AdamState = list[list[torch.Tensor]]  # [params, exp_avg, exp_avg_sq, step], one entry per parameter

#: what one compiled update reports, in this order (one tensor, read back with one host sync)
REPORT = ("model_nll", "model_mse", "critic_loss", "iw_mean", "policy_objective", "sigma_mean",
          "model_ok", "critic_ok", "policy_ok")


def adam_state(optimizer: torch.optim.Optimizer) -> AdamState:
    """A single-group Adam's parameters and state, the state created as ``torch.optim.Adam`` creates it."""
    params = optimizer.param_groups[0]["params"]
    for p in params:
        state = optimizer.state[p]
        if not state:
            state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    return [list(params), *([optimizer.state[p][key] for p in params] for key in ("exp_avg", "exp_avg_sq", "step"))]


def adam_step(state: AdamState, grads: list[torch.Tensor], ok: torch.Tensor, lr: float,
              betas: tuple[float, float], eps: float) -> None:
    """``torch.optim.Adam``'s step (no weight decay, no amsgrad), in place where ``ok``; else nothing moves."""
    beta1, beta2 = betas
    with torch.no_grad():
        for p, g, m, v, step in zip(*state[:1], grads, *state[1:]):
            new_step = step + 1
            new_m = m.lerp(g, 1 - beta1)
            new_v = v * beta2 + (1 - beta2) * g * g
            bias2_sqrt = (1 - beta2**new_step).sqrt()
            new_p = p - (lr / (1 - beta1**new_step)) * new_m / (new_v.sqrt() / bias2_sqrt + eps)
            p.copy_(torch.where(ok, new_p, p))
            m.copy_(torch.where(ok, new_m, m))
            v.copy_(torch.where(ok, new_v, v))
            step.copy_(torch.where(ok, new_step, step))


class _Closure(nn.Module):
    """Holds ``module`` so that ``functional_call`` can swap its parameters around any closure that uses it."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, loss_of: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
        return loss_of()


def value_and_grads(holder: _Closure, loss_of: Callable[[], tuple[torch.Tensor, torch.Tensor]]
                    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """(loss, aux, gradient in the held module's parameters) of ``loss_of() -> (loss, aux)``."""
    named = dict(holder.named_parameters())

    def call(params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return functional_call(holder, params, (loss_of,))

    grads, (value, aux) = grad_and_value(call, has_aux=True)({n: p.detach() for n, p in named.items()})
    return value, aux, [grads[n] for n in named]


class CompiledUpdate:
    """One call = the eager learner's SVG(1)-ER update (task reward, either estimator), traced and compiled."""

    def __init__(self, agent: SVGAgent) -> None:
        c = agent.config
        if c.algo != "svg1-er":
            raise ValueError(f"compile_update supports svg1-er only, not {c.algo!r}")
        if agent.reward_model is not None:
            raise ValueError("compile_update needs the task's own torch reward (not a learned reward model)")
        for name, opt in agent.optimizers.items():  # adam_step writes out plain Adam only
            group = opt.param_groups[0]
            if len(opt.param_groups) != 1 or group["weight_decay"] or group["amsgrad"] or group["maximize"]:
                raise ValueError(f"compile_update implements plain Adam; the {name} optimiser is not")
        self.agent = agent
        # The compiled code is shared by every learner of the same task shapes and hyperparameters; each new
        # combination compiles once more. torch's default of 8 per function would leave a sweep that builds
        # many learners in one process (benchmarks/paper) running un-compiled after the 8th.
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        self.holders = {name: _Closure(module) for name, module in
                        (("model", agent.model), ("critic", agent.critic), ("policy", agent.policy))}
        self._compiled = torch.compile(self._update, fullgraph=True, dynamic=False)
        self.calls = 0  # completed calls: a failure on the first one is a tracing failure

    def __call__(self, batch: dict[str, torch.Tensor], policy_steps: bool) -> dict[str, float]:
        """Step the networks in place; the losses and, per network, whether it stepped (1.0) or not (0.0)."""
        a = self.agent
        states = {name: adam_state(opt) for name, opt in a.optimizers.items()}  # per call: a restore replaces them
        hyper = {name: (group["lr"], tuple(group["betas"]), group["eps"])
                 for name, group in ((n, opt.param_groups[0]) for n, opt in a.optimizers.items())}
        # the eager learner's draws, in its order: the critic target's eta, then the policy step's
        eta_critic = a._fresh_eta(batch) if a.model_critic_target else None
        eta_policy = a._fresh_eta(batch) if a.fresh_policy_noise and policy_steps else None
        report = self._compiled(batch, states, hyper, policy_steps, eta_critic, eta_policy)
        self.calls += 1
        return dict(zip(REPORT, report.tolist()))

    def _update(self, batch: dict[str, torch.Tensor], states: dict[str, AdamState],
                hyper: dict[str, tuple], policy_steps: bool, eta_critic: torch.Tensor | None,
                eta_policy: torch.Tensor | None) -> torch.Tensor:
        a, c = self.agent, self.agent.config
        policy, model, critic, target = a.policy, a.model, a.critic, a.critic_target
        obs, next_obs = batch["obs"], batch["next_obs"]
        action = policy.clamp_action(batch["action"])

        model_nll, model_mse, grads = value_and_grads(
            self.holders["model"], lambda: model.nll_and_mse(obs, action, next_obs))
        model_ok = torch.isfinite(model_nll) & torch.isfinite(get_total_norm(grads))
        adam_step(states["model"], grads, model_ok, *hyper["model"])
        if eta_critic is not None or eta_policy is not None:
            batch = {**batch, "xi": model.infer_xi(obs, action, next_obs)}

        with torch.no_grad():
            # the policy does not move before its own step: this forward serves the weights, the critic
            # target and the report; the policy step runs its own forward inside the differentiated function
            mu, sigma = policy(obs)
            weights = est.importance_weights_from(mu, sigma, batch["action"], batch["log_prob"], c.iw_truncation)
            alive = 1.0 - batch["terminated"]
            if eta_critic is not None:
                reward, s_next = est.fresh_action_step(policy, model, a.reward_fn, batch, eta_critic, (mu, sigma))
                critic_target = reward + c.gamma * alive * target(s_next)
            else:
                critic_target = batch["reward"] + c.gamma * alive * target(next_obs)

        def critic_loss() -> tuple[torch.Tensor, torch.Tensor]:
            sq_err = (critic(obs) - critic_target) ** 2
            loss = sq_err.mean() if eta_critic is not None else (weights * sq_err).mean()
            return loss, loss.detach()

        critic_loss_value, _, grads = value_and_grads(self.holders["critic"], critic_loss)
        critic_ok = torch.isfinite(critic_loss_value) & torch.isfinite(get_total_norm(grads))
        adam_step(states["critic"], grads, critic_ok, *hyper["critic"])
        with torch.no_grad():
            for tp, sp in zip(target.parameters(), critic.parameters()):
                tp.copy_(torch.where(critic_ok, tp.lerp(sp, c.polyak), tp))

        objective = obs.new_zeros(())
        policy_ok = torch.zeros((), dtype=torch.bool, device=obs.device)
        if policy_steps:
            def policy_loss() -> tuple[torch.Tensor, torch.Tensor]:
                first_step = policy(obs)
                if eta_policy is not None:
                    value = est.svg1_fresh_objective(policy, model, a.reward_fn, critic, batch, c.gamma,
                                                     eta_policy, first_step)
                else:
                    value = est.svg1_objective(policy, model, a.reward_fn, critic, batch, c.gamma, weights,
                                               first_step)
                return -value, value.detach()

            neg_objective, objective, grads = value_and_grads(self.holders["policy"], policy_loss)
            norm = get_total_norm(grads)
            policy_ok = torch.isfinite(neg_objective) & torch.isfinite(norm)
            clip = torch.clamp(c.grad_clip / (norm + 1e-6), max=1.0)
            adam_step(states["policy"], [g * clip for g in grads], policy_ok, *hyper["policy"])
        return torch.stack([model_nll, model_mse, critic_loss_value, weights.mean(), objective,
                            (sigma / policy.action_scale).mean(), model_ok.to(obs.dtype), critic_ok.to(obs.dtype),
                            policy_ok.to(obs.dtype)])
