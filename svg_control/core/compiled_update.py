"""``compile_update: true``: the learner's own update body, traced once by ``torch.compile``.

Why: with the paper's small networks an eager update is hundreds of tiny torch ops, and on a CPU their
dispatch costs more than their arithmetic (docs/RESULTS.md, "The compiled update and the ≥ 3× throughput
target"). Nothing of the algorithm is written here:
:meth:`Learner.update_body` is compiled as it stands, with a functional :class:`FunctionalStep` in place of
the eager one. Each network's gradient comes from ``torch.func`` (``torch.autograd.grad`` and
``torch.optim.Adam.step`` cannot run inside a full-graph trace), the guard and clipping are the learner's
``guarded``, and the target critic's averaging is masked by the critic's ``ok`` instead of branching on it.
The result equals the eager update up to float rounding (``test/test_compiled_update.py``), not bit for
bit, so a seeded run differs from its eager twin. The first call, and each call whose inputs differ in shape
from every earlier one's (the model entering the policy's estimate lengthens the rollout), compiles: tens of
seconds and a C++ compiler. ``announce`` says so before it starts; :meth:`CompiledUpdate.keep_cache_in` puts
torch's on-disk caches in the run's directory, so that a relaunch in it loads the compiled code instead of
compiling again. Where torch's compiler is switched off (``TORCH_COMPILE_DISABLE=1``) the learner stays eager.

Adam is written out (:func:`adam_step`) on the optimiser's own state, so checkpoints, resuming and
switching between eager and compiled updates all see one optimiser.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad_and_value

from .learner import Batch, Learner, LossOf, Report, guarded

#: the folder of a run directory that holds torch.compile's caches for that run
RUN_CACHE = "compile_cache"

AdamState = list[list[torch.Tensor]]  # [params, exp_avg, exp_avg_sq, step], one entry per parameter


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

    def forward(self, loss_of: LossOf) -> tuple[torch.Tensor, Report]:
        return loss_of()


class FunctionalStep:
    """The learner's ``Step`` in a traceable form: ``torch.func`` gradients and the written-out Adam."""

    def __init__(self, holders: dict[str, _Closure], states: dict[str, AdamState], hyper: dict[str, tuple]) -> None:
        self.holders, self.states, self.hyper = holders, states, hyper

    def __call__(self, name: str, loss_of: LossOf, clip: float | None = None
                 ) -> tuple[torch.Tensor, Report, torch.Tensor]:
        holder = self.holders[name]
        named = dict(holder.named_parameters())

        def call(params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, Report]:
            return functional_call(holder, params, (loss_of,))

        grads, (loss, aux) = grad_and_value(call, has_aux=True)({n: p.detach() for n, p in named.items()})
        grads, ok = guarded(loss, [grads[n] for n in named], clip)
        adam_step(self.states[name], grads, ok, *self.hyper[name])
        return loss.detach(), aux, ok

    def average(self, target: nn.Module, source: nn.Module, tau: float, ok: torch.Tensor) -> None:
        with torch.no_grad():
            for tp, sp in zip(target.parameters(), source.parameters()):
                tp.copy_(torch.where(ok, tp.lerp(sp, tau), tp))


class CompiledUpdate:
    """One call = the learner's update body, traced and compiled; its report as ``update_body`` gives it."""

    def __init__(self, learner: Learner) -> None:
        if not learner.compilable:
            raise ValueError(f"compile_update does not support {learner.name!r}: its update draws or branches on "
                             "the host")
        if learner.reward_model is not None:
            raise ValueError("compile_update needs the task's own torch reward (not a learned reward model)")
        for name, opt in learner.optimizers.items():  # adam_step writes out plain Adam only
            group = opt.param_groups[0]
            if len(opt.param_groups) != 1 or group["weight_decay"] or group["amsgrad"] or group["maximize"]:
                raise ValueError(f"compile_update implements plain Adam; the {name} optimiser is not")
        self.learner = learner
        # The compiled code is shared by every learner of the same task shapes and hyperparameters; each new
        # combination compiles once more. torch's default of 8 per function would leave a sweep that builds
        # many learners in one process (benchmarks/paper) running un-compiled after the 8th.
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        self.holders = {name: _Closure(module) for name, module in learner.trained_modules().items()}
        self._compiled: Callable[..., Report] = torch.compile(self._body, fullgraph=True, dynamic=False)
        #: called with one line before each compilation (a driver prints or logs it: seconds pass without updates)
        self.announce: Callable[[str], None] | None = None
        self.cache_dir: Path | None = None
        self._signatures: set[tuple] = set()  # the input shapes compiled for
        #: True while a call compiles: a failure then is a tracing failure, which the learner survives eagerly
        self.tracing = False

    def keep_cache_in(self, run_dir: str | Path) -> None:
        """Keep torch.compile's on-disk caches (generated code, built kernels, traced graphs) in the run's
        directory (its ``compile_cache``), so that a relaunch in it loads its compiled code instead of compiling
        from scratch. torch reads the place from ``TORCHINDUCTOR_CACHE_DIR`` at each compilation, so this holds
        for the whole process (one run per process: the trainer, the learner node)."""
        self.cache_dir = (Path(run_dir) / RUN_CACHE).resolve()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(self.cache_dir)

    def __call__(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool) -> Report:
        """Step the networks in place; the report holds tensors, one host sync when the learner reads it."""
        signature = (policy_steps, *((k, tuple(v.shape)) for k, v in sorted({**batch, **noise}.items())))
        self.tracing = signature not in self._signatures
        if self.tracing and self.announce is not None:
            where = f"; cached in {self.cache_dir}" if self.cache_dir is not None else ""
            self.announce(f"compiling the {self.learner.name} update with torch.compile (a first call or a new "
                          f"rollout length; tens of seconds to minutes{where})")
        optimizers = self.learner.optimizers
        states = {name: adam_state(opt) for name, opt in optimizers.items()}  # per call: a restore replaces them
        hyper = {name: (opt.param_groups[0]["lr"], tuple(opt.param_groups[0]["betas"]), opt.param_groups[0]["eps"])
                 for name, opt in optimizers.items()}
        report = self._compiled(batch, noise, policy_steps, states, hyper)
        self._signatures.add(signature)
        self.tracing = False
        return report

    def _body(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool,
              states: dict[str, AdamState], hyper: dict[str, Any]) -> Report:
        return self.learner.update_body(batch, noise, policy_steps, FunctionalStep(self.holders, states, hyper))


def compiler_disabled() -> bool:
    """torch's compiler is switched off for this process (``TORCH_COMPILE_DISABLE=1``): a compiled update would
    run its traceable form without compiling, slower than the eager update, so the learner stays eager."""
    return bool(torch._dynamo.config.disable)
