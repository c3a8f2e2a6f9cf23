"""The online learner's shared machinery; each algorithm of the paper is a small subclass in ``core/algos/``.

A learner acts, stores experience and updates. Per environment step the order is the paper's: model, then
critic, then policy, from the first transition on. The only wait is ``min_replay`` transitions (collected by
the untrained stochastic policy itself, no babbling phase) so the first minibatch is not one sample repeated.

What differs between the paper's algorithms is small and lives in the subclass: which critic (none, V or
Q), what it regresses on (:meth:`Learner.value_target`), and what the policy maximises
(:meth:`Learner.policy_objective`). An algorithm whose update differs more (sac-svg) writes its own
:meth:`Learner.update_body` from the same building blocks (:meth:`Learner.model_step` and the :class:`Step`
each network's loss is handed to). Everything else is here: replay, normalisers, optimisers, acting,
observing, the update's order, the non-finite guard, gradient clipping, the target critic's averaging,
counters and what checkpoints save.

The update body (:meth:`Learner.update_body`) is written once and run two ways. Eagerly, each network's
step is ``torch.autograd.grad`` and its ``torch.optim.Adam``; with ``compile_update: true`` the very same
body is traced by ``torch.compile`` with a functional step (``core/compiled_update.py``). A step is passed
the loss as a closure so that either way can differentiate it.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import numpy as np
import torch
from torch import nn
from torch.nn.utils import get_total_norm

from . import estimators as est
from .config import AgentConfig
from .critic import QCritic, ValueCritic, make_target, polyak_update
from .model import DynamicsModel
from .model_probe import ModelProbe
from .normalizer import RunningNorm
from .policy import GaussianPolicy
from .replay import ReplayBuffer
from .reward_model import RewardModel
from .task import TaskSpec
from .transition import Transition

RewardFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
#: a task's known termination: (s, a, s') -> (B,) bool, True where the transition ends the episode
TerminationFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
Batch = dict[str, torch.Tensor]
Report = dict[str, torch.Tensor]
#: a loss as a closure: () -> (loss, {name: detached tensor to report})
LossOf = Callable[[], tuple[torch.Tensor, Report]]
#: the policy's (mu, sigma) at a batch's states, computed once per update without gradient
PolicyOutputs = tuple[torch.Tensor, torch.Tensor]


class Step(Protocol):
    """How one network takes its step: differentiate ``loss_of`` in its parameters, guard, clip, Adam."""

    def __call__(self, name: str, loss_of: LossOf, clip: float | None = None
                 ) -> tuple[torch.Tensor, Report, torch.Tensor]:
        """(detached loss, aux report, ok): ok is a 0-d bool tensor, False where nothing moved."""
        ...

    def average(self, target: nn.Module, source: nn.Module, tau: float, ok: torch.Tensor) -> None:
        """Move ``target`` toward ``source`` by ``tau`` where ``ok``."""
        ...


def guarded(loss: torch.Tensor, grads: list[torch.Tensor], clip: float | None
            ) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The gradients clipped to norm ``clip`` (if given), and whether loss and gradients are all finite.

    A non-finite loss or gradient must never reach the weights: the caller steps only where ``ok``. The
    clipping is ``clip_grad_norm_``'s arithmetic, written on a list so the compiled step can trace it.
    """
    norm = get_total_norm(grads, foreach=True)
    ok = torch.isfinite(loss) & torch.isfinite(norm)
    if clip is not None:
        scale = torch.clamp(clip / (norm + 1e-6), max=1.0)
        grads = [g * scale for g in grads]
    return grads, ok


class EagerStep:
    """The default step: autograd, the guard, and the network's own ``torch.optim`` optimiser."""

    def __init__(self, optimizers: dict[str, torch.optim.Optimizer]) -> None:
        self.optimizers = optimizers

    def __call__(self, name: str, loss_of: LossOf, clip: float | None = None
                 ) -> tuple[torch.Tensor, Report, torch.Tensor]:
        loss, aux = loss_of()
        optimizer = self.optimizers[name]
        params = optimizer.param_groups[0]["params"]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        grads, ok = guarded(loss, [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)], clip)
        if bool(ok):
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
        return loss.detach(), aux, ok

    def average(self, target: nn.Module, source: nn.Module, tau: float, ok: torch.Tensor) -> None:
        if bool(ok):
            polyak_update(target, source, tau)


class Learner:
    """Replay, normalisers, networks, optimisers, acting, observing, the update and its counters.

    Subclasses set the class attributes below and implement :meth:`policy_objective`; V and Q critics are
    built and trained here from ``critic_kind`` and :meth:`value_target`.
    """

    #: the algorithm's registered name (``core/algos/__init__.py``)
    name: ClassVar[str]
    #: the algorithm's settings class: its fields are every setting it reads, its defaults what it ships with
    settings: ClassVar[type[AgentConfig]]
    #: None (no critic), "value" (V(s)) or "action_value" (Q(s, a))
    critic_kind: ClassVar[str | None] = None
    #: whether V is fitted with truncated importance weights, reported as ``iw_mean``
    importance_weighted: ClassVar[bool] = False
    #: the policy learns from whole real episodes, once per finished episode
    episodic: ClassVar[bool] = False
    #: the policy step uses the most recent ``onpolicy_window`` transitions, unweighted
    on_policy: ClassVar[bool] = False
    #: the update body has no host-side branching or draws, so ``compile_update`` may trace it
    compilable: ClassVar[bool] = False

    def __init__(self, spec: TaskSpec, reward_fn: RewardFn | None, config: AgentConfig, seed: int = 0,
                 device: str | torch.device = "cpu", termination_fn: TerminationFn | None = None) -> None:
        config.validate()
        #: the task's known termination, where it has one (``termination: known`` uses it)
        self.termination_fn = termination_fn
        if config.algo != self.name or not isinstance(config, self.settings):
            raise ValueError(f"config is for {config.algo!r} but the learner runs {self.name!r}")
        self.spec, self.config, self.device = spec, config, torch.device(device)
        self.dtype = torch.get_default_dtype()
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        c = config
        self.policy = build_policy(spec, c)
        self.obs_norm = self.policy.obs_norm
        self.model = self.build_model()
        self.critic = self.build_critic()
        self.critic_target = make_target(self.critic) if self.critic is not None else None
        self.reward_model: RewardModel | None = None
        if reward_fn is None or c.learned_reward:
            self.reward_model = RewardModel(spec.obs_dim, spec.act_dim, c.reward_hidden, c.activation, self.obs_norm)
            reward_fn = self.reward_model
        self.reward_fn: RewardFn = reward_fn
        self.build_extra_networks()
        self.to(self.device)

        self.optimizers: dict[str, torch.optim.Optimizer] = {
            name: adam(module.parameters(), self.learning_rate(name))
            for name, module in self.trained_modules().items()}
        self.eager_step = EagerStep(self.optimizers)

        self.replay = ReplayBuffer(spec.obs_dim, spec.act_dim, c.replay_capacity)
        self.model_probe = ModelProbe(self.model, self.model_probe_horizons(),
                                      lambda: self.model.delta_norm.std + self.model.delta_norm.eps)
        self.episode: list[Transition] = []  # the running episode (episodic algorithms)
        self.finished_episodes: list[list[Transition]] = []
        self.env_steps = 0
        self.updates = 0
        self.policy_version = 0
        self.episode_count = 0
        self.nonfinite_skips = 0
        #: wall seconds spent in :meth:`update` by this process (not checkpointed): the cost per update a run reports
        self.update_seconds = 0.0
        self.last_losses: dict[str, float] = {}
        #: set by ``algos.make_learner`` when ``compile_update`` is on (``core/compiled_update.py``)
        self.compiled_update: Callable[[Batch, dict[str, torch.Tensor], bool], Report] | None = None

    # -- networks -------------------------------------------------------------------------------------------
    def build_model(self, activation: str | None = None, **options: Any) -> DynamicsModel:
        """The dynamics model from the settings, sharing the observation normaliser; an algorithm with model
        settings of its own passes them (``activation``, else the networks' shared one, and the other
        keyword arguments of :class:`DynamicsModel`)."""
        c, spec = self.config, self.spec
        return DynamicsModel(
            spec.obs_dim, spec.act_dim, c.model_hidden, per_dimension=c.model_per_dimension, noise=c.model_noise,
            activation=activation or c.activation, obs_norm=self.obs_norm, action_center=self.policy.action_center,
            action_scale=self.policy.action_scale, ensemble=c.model_ensemble, **options)

    def build_critic(self) -> nn.Module | None:
        """The critic network ``critic_kind`` names (None, V(s) or Q(s, a)), sharing the observation normaliser."""
        c, spec = self.config, self.spec
        if self.critic_kind == "value":
            return ValueCritic(spec.obs_dim, c.critic_hidden, c.activation, self.obs_norm)
        if self.critic_kind == "action_value":
            return QCritic(spec.obs_dim, spec.act_dim, c.critic_hidden, c.activation, self.obs_norm,
                           self.policy.action_center, self.policy.action_scale)
        return None

    def build_extra_networks(self) -> None:
        """Networks an algorithm adds to the base's (built before the learner moves to its device and gets
        its optimisers: list them in :meth:`modules` and :meth:`trained_modules`)."""

    def learning_rate(self, name: str) -> float:
        """The Adam learning rate of the optimiser ``name`` (a key of :meth:`trained_modules`)."""
        c = self.config
        return {"policy": c.policy_lr, "critic": c.critic_lr}.get(name, c.model_lr)  # model, reward: model_lr

    def to(self, device: torch.device) -> Learner:
        for module in self.modules().values():
            module.to(device)
        return self

    def modules(self) -> dict[str, nn.Module]:
        """Every network by the name its tensors carry in a checkpoint."""
        out: dict[str, nn.Module] = {"policy": self.policy, "model": self.model}
        if self.critic is not None:
            out["critic"] = self.critic
            out["critic_target"] = self.critic_target  # type: ignore[assignment]
        if self.reward_model is not None:
            out["reward_model"] = self.reward_model
        return out

    def trained_modules(self) -> dict[str, nn.Module]:
        """Each optimiser's network, by the optimiser's name (what a step differentiates)."""
        out: dict[str, nn.Module] = {"policy": self.policy, "model": self.model}
        if self.critic is not None:
            out["critic"] = self.critic
        if self.reward_model is not None:
            out["reward"] = self.reward_model
        return out

    # -- acting and experience ------------------------------------------------------------------------------
    def act(self, obs: np.ndarray, deterministic: bool = False) -> tuple[np.ndarray, float]:
        """(unclipped action, behaviour log-prob) for one observation."""
        return self.policy.act(obs, deterministic, self.generator)

    def observe(self, t: Transition) -> None:
        """Store one transition (validated: a bad one raises ValueError and changes nothing)."""
        t.validate(self.spec.obs_dim, self.spec.act_dim)
        self.model_probe.observe(*self.as_tensors(t.obs, t.action, t.next_obs), t.terminated or t.truncated)
        self.replay.add(t, self.episode_count)
        pair = np.stack([t.obs, t.next_obs]).astype(np.float64, copy=False)
        c = self.config
        if c.normalize_observations and (c.normalize_until == 0 or self.env_steps < c.normalize_until):
            self.obs_norm.update(pair)
        self.model.delta_norm.update(pair[1:] - pair[:1])
        self.env_steps += 1
        if self.episodic:
            self.episode.append(t)
        if t.terminated or t.truncated:
            self.end_episode()

    def end_episode(self) -> None:
        """Close the running episode: its transitions never join a k-step window with the next one's.

        Called by :meth:`observe` on a terminal transition, and by a driver that abandons an episode
        midway (a resumed run does not continue the episode it was interrupted in).
        """
        if self.episodic and self.episode:
            self.finished_episodes = [self.episode]  # on-policy: only the newest episode is used
            self.episode = []
        self.episode_count += 1

    def close_interrupted_episode(self) -> None:
        """After a restore: the episode the run was interrupted in is not continued, so close it (the next
        transition starts a new episode id and k-step windows never span the gap)."""
        if not self.replay.last_ends_episode():
            self.end_episode()

    def ready(self) -> bool:
        return len(self.replay) >= self.config.min_replay

    # -- the update -----------------------------------------------------------------------------------------
    def update(self) -> dict[str, float]:
        """One full update (model, then critic, then policy); {} while the buffer is filling."""
        if not self.ready():
            return {}
        start = time.perf_counter()
        c = self.config
        batch = self.replay.sample(c.batch_size, self.rng, self.device, self.dtype, c.recent_fraction, c.recent_window)
        batch = self.extend_batch(batch)
        policy_steps = self.updates >= c.policy_warmup
        noise = self.draw_noise(batch, policy_steps)
        report = self._run_compiled(batch, noise, policy_steps) if self.compiled_update is not None else None
        if report is None:
            report = self.update_body(batch, noise, policy_steps, self.eager_step)
        values = self._record(report)
        self.update_seconds += time.perf_counter() - start
        return values

    def update_body(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool, step: Step) -> Report:
        """Model, critic, policy: each a step on a loss. Returns the losses and, per network, ``<name>_ok``.

        Model and critic learn from the whole replay (the model is off-policy by nature; V is corrected with
        truncated importance weights). On-policy estimators (svg1, ac) take their policy step on the most
        recent transitions only, with w = 1, while their V still learns from the whole replay: a V fitted to
        a handful of correlated recent transitions alone does not generalise (docs/RESULTS.md, "Core findings
        from the first paper runs").
        """
        report = self.model_step(batch, step)
        batch = self.prepare_batch(batch)
        weights, outputs = self.importance_weights(batch)
        if self.critic is not None:
            report.update(self.critic_step(batch, weights, noise, step, outputs))
        if weights is not None:
            report["iw_mean"] = weights.mean()
        if policy_steps:
            report.update(self.policy_step(batch, weights, noise, step, outputs))
        return report

    def model_step(self, batch: Batch, step: Step | None = None) -> Report:
        """One maximum-likelihood step of the dynamics model (:meth:`model_likelihood`), and one of the reward
        model where the reward is learned."""
        step = step or self.eager_step

        def model_loss() -> tuple[torch.Tensor, Report]:
            nll, mse = self.model_likelihood(batch)
            return nll, {"model_mse": mse}

        nll, aux, ok = step("model", model_loss)
        report = {"model_nll": nll, **aux, "model_ok": ok}
        if self.reward_model is not None:
            reward_model = self.reward_model

            def reward_loss() -> tuple[torch.Tensor, Report]:
                return reward_model.loss(batch, self.policy.clamp_action), {}

            report["reward_mse"], _, report["reward_ok"] = step("reward", reward_loss)
        return report

    def model_likelihood(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(NLL, squared error) of the dynamics model on the replayed transitions, at the applied, clipped
        action: the loss the model step descends."""
        action = self.policy.clamp_action(batch["action"])
        return self.model.nll_and_mse(batch["obs"], action, batch["next_obs"])

    def critic_step(self, batch: Batch, weights: torch.Tensor | None, noise: dict[str, torch.Tensor],
                    step: Step | None = None, outputs: PolicyOutputs | None = None) -> Report:
        """One regression step of the critic on :meth:`value_target`, then the target critic's averaging."""
        step = step or self.eager_step
        assert self.critic is not None and self.critic_target is not None
        with torch.no_grad():
            target = self.value_target(batch, noise, outputs)
        weights = self.critic_weights(weights)

        def critic_loss() -> tuple[torch.Tensor, Report]:
            sq_err = (self.critic_prediction(batch) - target) ** 2
            return ((weights * sq_err).mean() if weights is not None else sq_err.mean()), {}

        loss, _, ok = step("critic", critic_loss)
        step.average(self.critic_target, self.critic, self.config.polyak, ok)
        return {"critic_loss": loss, "critic_ok": ok}

    def policy_step(self, batch: Batch, weights: torch.Tensor | None, noise: dict[str, torch.Tensor] | None = None,
                    step: Step | None = None, outputs: PolicyOutputs | None = None) -> Report:
        """One policy step; reports the objective and the mean sigma (per action unit) of the policy that took it."""
        step = step or self.eager_step
        if self.on_policy:
            batch = self.replay.recent(self.config.onpolicy_window, self.device, self.dtype)
            weights, outputs = None, None
        inputs = self.policy_inputs(batch, weights)
        if inputs is None:
            return {}
        if outputs is None:
            with torch.no_grad():
                outputs = self.policy(batch["obs"])
        noise = noise or {}

        def policy_loss() -> tuple[torch.Tensor, Report]:
            objective = self.policy_objective(inputs, noise)
            return -objective, {}

        neg_objective, _, ok = step("policy", policy_loss, clip=self.config.grad_clip)
        return {"policy_objective": -neg_objective, "sigma_mean": (outputs[1] / self.policy.action_scale).mean(),
                "policy_ok": ok}

    def _run_compiled(self, batch: Batch, noise: dict[str, torch.Tensor], policy_steps: bool) -> Report | None:
        """The compiled update's report; None if a call that compiles failed (the learner is eager from then on).

        A compilation that fails (a task reward that ``torch.compile`` cannot trace, no C++ compiler) must not
        stop learning: the learner warns once and stays eager. An error in a call that did not compile is a real
        one and is raised.
        """
        assert self.compiled_update is not None
        try:
            return self.compiled_update(batch, noise, policy_steps)
        except Exception as exc:  # noqa: BLE001 - any tracing failure; re-raised where nothing was compiling
            if not getattr(self.compiled_update, "tracing", True):
                raise
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            warnings.warn(f"compile_update: the update could not be compiled, running eager instead "
                          f"({type(exc).__name__}: {first_line})", RuntimeWarning, stacklevel=4)
            self.compiled_update = None
            return None

    def _record(self, report: Report) -> dict[str, float]:
        """Count the update, the skipped (non-finite) steps and the policy's version; keep the losses as floats."""
        values = {k: float(v) for k, v in report.items()}
        for key in [k for k in values if k.endswith("_ok")]:
            stepped = values.pop(key) == 1.0
            self.nonfinite_skips += not stepped
            if key == "policy_ok":
                self.policy_version += stepped
        self.updates += 1
        values.update(self.model_probe.errors())
        self.last_losses = values
        return values

    def as_tensors(self, obs: np.ndarray, action: np.ndarray, next_obs: np.ndarray) -> tuple[torch.Tensor, ...]:
        """One real transition as the model sees it: on the learner's device, at the applied (clamped) action."""
        def tensor(x: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(x, dtype=self.dtype, device=self.device)
        return tensor(obs), self.policy.clamp_action(tensor(action)), tensor(next_obs)

    # -- what an algorithm decides --------------------------------------------------------------------------
    def counters(self) -> dict[str, int]:
        """Counters of an algorithm's own that a checkpoint keeps beside the shared ones (``core/checkpoint.py``)."""
        return {}

    def restore_counters(self, counters: dict[str, int]) -> None:
        """Take back :meth:`counters` from a checkpoint's; one written before a counter existed lacks it."""

    def model_probe_horizons(self) -> tuple[int, ...]:
        """The steps ahead at which the model's open-loop error on arriving transitions is reported
        (``model_error_<k>``): one step, for algorithms that use the model one step at a time."""
        return (1,)

    def draw_noise(self, batch: Batch, policy_steps: bool) -> dict[str, torch.Tensor]:
        """The update's random numbers drawn up front, in a fixed order (a compiled body draws none itself)."""
        return {}

    def extend_batch(self, batch: Batch) -> Batch:
        """The replayed minibatch with anything else the update body reads, drawn before it runs (a compiled
        body draws nothing itself): model-generated transitions, for an algorithm that trains on them."""
        return batch

    def prepare_batch(self, batch: Batch) -> Batch:
        """The minibatch after the model's step, with anything both critic and policy read from it."""
        return batch

    def importance_weights(self, batch: Batch) -> tuple[torch.Tensor | None, PolicyOutputs | None]:
        """Truncated importance weights of the batch (V algorithms), and the policy's (mu, sigma) there.

        The policy does not move before its own step, so one forward without gradient serves the weights,
        the critic target and the report.
        """
        if not self.importance_weighted:
            return None, None
        with torch.no_grad():
            mu, sigma = self.policy(batch["obs"])
        weights = est.importance_weights_from(mu, sigma, batch["action"], batch["log_prob"], self.config.iw_truncation)
        return weights, (mu, sigma)

    def critic_weights(self, weights: torch.Tensor | None) -> torch.Tensor | None:
        """The per-sample weights of the critic's squared error (the importance weights by default)."""
        return weights

    def critic_prediction(self, batch: Batch) -> torch.Tensor:
        assert self.critic is not None
        if self.critic_kind == "action_value":
            return self.critic(batch["obs"], self.policy.clamp_action(batch["action"]))
        return self.critic(batch["obs"])

    def value_target(self, batch: Batch, noise: dict[str, torch.Tensor], outputs: PolicyOutputs | None
                      ) -> torch.Tensor:
        """TD(0): r + gamma * V'(s'), zero past a termination (run without gradient)."""
        assert self.critic_target is not None
        alive = 1.0 - batch["terminated"]
        return batch["reward"] + self.config.gamma * alive * self.critic_target(batch["next_obs"])

    def policy_inputs(self, batch: Batch, weights: torch.Tensor | None) -> Any:
        """What :meth:`policy_objective` needs beyond the noise; None: no policy step this update."""
        return batch, weights

    def policy_objective(self, inputs: Any, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        """The scalar the policy step maximises (differentiable in the policy's parameters)."""
        raise NotImplementedError

    def fresh_eta(self, n: int) -> torch.Tensor:
        """Standard normal policy noise for ``n`` states (the learner's own generator: reproducible)."""
        return torch.randn((n, self.spec.act_dim), generator=self.generator, dtype=self.dtype).to(self.device)


def build_policy(spec: TaskSpec, config: AgentConfig) -> GaussianPolicy:
    """The policy for ``spec`` with ``config``'s architecture: one construction for the learner and the
    controller, so their weights always fit each other (and the networks are blind to the same dims)."""
    c = config
    return GaussianPolicy(
        spec.obs_dim, spec.act_dim, spec.action_low, spec.action_high, c.policy_hidden,
        sigma_init=c.sigma_init, sigma_min=c.sigma_min, sigma_max=c.sigma_max,
        state_dependent_sigma=c.state_dependent_sigma, squash_samples=c.squash_samples, activation=c.activation,
        obs_norm=RunningNorm(spec.obs_dim, hidden_dims=spec.reward_only_dims))


def adam(params, lr: float) -> torch.optim.Optimizer:
    """Adam with the single fused kernel where this torch build has it (one kernel per step, not a loop
    over the parameters)."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - builds without fused Adam
        return torch.optim.Adam(list(params), lr=lr, foreach=True)


def episode_tensors(episode: list[Transition], device: torch.device | str = "cpu",
                    dtype: torch.dtype = torch.float32) -> Batch:
    """One episode as a single window, fields shaped (1, T, ...)."""
    def stack(values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values), dtype=dtype, device=device).unsqueeze(0)

    return {
        "obs": stack([t.obs for t in episode]),
        "action": stack([t.action for t in episode]),
        "next_obs": stack([t.next_obs for t in episode]),
        "reward": stack([t.reward for t in episode]),
        "terminated": stack([float(t.terminated) for t in episode]),
        "truncated": stack([float(t.truncated) for t in episode]),
        "log_prob": stack([t.log_prob for t in episode]),
    }
