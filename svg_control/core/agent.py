"""The online learner: one object that acts, stores experience and updates.

Per environment step the order is the paper's: model, then critic, then
policy, from the first transition on. The only wait is ``min_replay``
transitions (collected by the untrained stochastic policy itself, no
babbling phase) so the first minibatch is not one sample repeated.

Algorithms, selected by ``config.algo``:

============ ======== ============================================================
name         critic   policy gradient
============ ======== ============================================================
svg-inf      none     backward recursion along each whole real episode (once/episode)
svg1         V        SVG(1) on the most recent transitions (on-policy, w = 1)
svg1-er      V        SVG(1) on replay, truncated importance weights (or weight-free:
                      ``policy_noise=fresh``, ``critic_target=model``)
svgk         V        k model steps along real windows, then V; truncated IW product
svg0         Q        E_eta[Q_a pi_theta] on replay
dpg          Q        Q_a mu_theta on replay (deterministic; sigma not trained)
ac           V        delta * grad log pi on the most recent transitions
planner      none     back-propagation through model-sampled rollouts (once/episode)
============ ======== ============================================================
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from . import estimators as est
from .compiled_update import CompiledUpdate
from .config import AgentConfig
from .critic import QCritic, ValueCritic, make_target, polyak_update
from .model import DynamicsModel
from .normalizer import RunningNorm
from .policy import GaussianPolicy
from .replay import ReplayBuffer
from .reward_model import RewardModel
from .task import TaskSpec
from .transition import Transition

RewardFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

V_ALGOS = ("svg1", "svg1-er", "svgk", "ac")
Q_ALGOS = ("svg0", "dpg")
EPISODIC_ALGOS = ("svg-inf", "planner")
ONPOLICY_ALGOS = ("svg1", "ac")


class SVGAgent:
    def __init__(self, spec: TaskSpec, reward_fn: RewardFn | None, config: AgentConfig, seed: int = 0,
                 device: str | torch.device = "cpu") -> None:
        config.validate()
        self.spec, self.config, self.device = spec, config, torch.device(device)
        self.dtype = torch.get_default_dtype()
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        c = config
        self.policy = build_policy(spec, c)
        self.obs_norm = self.policy.obs_norm
        self.model = DynamicsModel(
            spec.obs_dim, spec.act_dim, c.model_hidden, per_dimension=c.model_per_dimension, noise=c.model_noise,
            activation=c.activation, obs_norm=self.obs_norm, action_center=self.policy.action_center,
            action_scale=self.policy.action_scale)
        self.critic: nn.Module | None = None
        if c.algo in V_ALGOS:
            self.critic = ValueCritic(spec.obs_dim, c.critic_hidden, c.activation, self.obs_norm)
        elif c.algo in Q_ALGOS:
            self.critic = QCritic(spec.obs_dim, spec.act_dim, c.critic_hidden, c.activation, self.obs_norm,
                                  self.policy.action_center, self.policy.action_scale)
        self.critic_target = make_target(self.critic) if self.critic is not None else None
        self.reward_model: RewardModel | None = None
        if reward_fn is None or c.learned_reward:
            self.reward_model = RewardModel(spec.obs_dim, spec.act_dim, c.reward_hidden, c.activation, self.obs_norm)
            reward_fn = self.reward_model
        self.reward_fn: RewardFn = reward_fn
        #: svg1-er's weight-free options (the paper's estimator when both are off)
        self.fresh_policy_noise = c.algo == "svg1-er" and c.policy_noise == "fresh"
        self.model_critic_target = c.algo == "svg1-er" and c.critic_target == "model"
        self.to(self.device)

        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "policy": _adam(self.policy.parameters(), c.policy_lr),
            "model": _adam(self.model.parameters(), c.model_lr),
        }
        if self.critic is not None:
            self.optimizers["critic"] = _adam(self.critic.parameters(), c.critic_lr)
        if self.reward_model is not None:
            self.optimizers["reward"] = _adam(self.reward_model.parameters(), c.model_lr)
        self._params = {name: [p for p in opt.param_groups[0]["params"]] for name, opt in self.optimizers.items()}

        self.replay = ReplayBuffer(spec.obs_dim, spec.act_dim, c.replay_capacity)
        self.episode: list[Transition] = []  # the running episode (svg-inf, planner)
        self.finished_episodes: list[list[Transition]] = []
        self.env_steps = 0
        self.updates = 0
        self.policy_version = 0
        self.episode_count = 0
        self.nonfinite_skips = 0
        self.last_losses: dict[str, float] = {}
        self.compiled_update = CompiledUpdate(self) if c.compile_update else None

    # -- acting ---------------------------------------------------------------------------------------------
    def to(self, device: torch.device) -> SVGAgent:
        for module in self.modules().values():
            module.to(device)
        return self

    def modules(self) -> dict[str, nn.Module]:
        out: dict[str, nn.Module] = {"policy": self.policy, "model": self.model}
        if self.critic is not None:
            out["critic"] = self.critic
            out["critic_target"] = self.critic_target  # type: ignore[assignment]
        if self.reward_model is not None:
            out["reward_model"] = self.reward_model
        return out

    def act(self, obs: np.ndarray, deterministic: bool = False) -> tuple[np.ndarray, float]:
        """(unclipped action, behaviour log-prob) for one observation."""
        return self.policy.act(obs, deterministic, self.generator)

    # -- experience -----------------------------------------------------------------------------------------
    def observe(self, t: Transition) -> None:
        """Store one transition (validated: a bad one raises ValueError and changes nothing)."""
        t.validate(self.spec.obs_dim, self.spec.act_dim)
        self.replay.add(t, self.episode_count)
        pair = np.stack([t.obs, t.next_obs]).astype(np.float64, copy=False)
        self.obs_norm.update(pair)
        self.model.delta_norm.update(pair[1:] - pair[:1])
        self.env_steps += 1
        if self.config.algo in EPISODIC_ALGOS:
            self.episode.append(t)
        if t.terminated or t.truncated:
            if self.config.algo in EPISODIC_ALGOS:
                self.finished_episodes = [self.episode]  # on-policy: only the newest episode is used
                self.episode = []
            self.episode_count += 1

    def ready(self) -> bool:
        return len(self.replay) >= self.config.min_replay

    # -- learning -------------------------------------------------------------------------------------------
    def update(self) -> dict[str, float]:
        """One full update (model, then critic, then policy); {} while the buffer is filling."""
        if not self.ready():
            return {}
        c = self.config
        losses: dict[str, float] = {}
        batch = self.replay.sample(c.batch_size, self.rng, self.device, self.dtype, c.recent_fraction, c.recent_window)
        # Model and critic learn from the whole replay (the model is off-policy by nature; V is corrected
        # with truncated importance weights). On-policy estimators (svg1, ac) take their policy step on
        # the most recent transitions only, with w = 1: a V fitted to 32 correlated recent transitions
        # alone collapsed svg1 on cart-pole.
        if self.compiled_update is not None:
            compiled_losses = self._update_compiled(batch)
            if compiled_losses is not None:
                return compiled_losses
        losses.update(self._update_model(batch))
        if self.fresh_policy_noise or self.model_critic_target:
            # the recorded transitions' model noise, once for critic target and policy step (same model)
            batch["xi"] = self.model.infer_xi(batch["obs"], self.policy.clamp_action(batch["action"]),
                                              batch["next_obs"])
        policy_steps = self.updates >= c.policy_warmup
        weights, first_step = self._weights(batch, keep_graph=policy_steps and c.algo == "svg1-er") \
            if c.algo in V_ALGOS else (None, None)
        if self.critic is not None:
            critic_weights = None if self.model_critic_target else weights  # the model target is on-policy
            losses.update(self._update_critic(batch, critic_weights, first_step))
        if weights is not None:
            losses["iw_mean"] = float(weights.mean())  # reported by every V algorithm, weighted or not
        if policy_steps:
            if c.algo in ONPOLICY_ALGOS:
                batch, weights = self.replay.recent(c.onpolicy_window, self.device, self.dtype), None
            losses.update(self._update_policy(batch, weights, first_step))
        self.updates += 1
        self.last_losses = losses
        return losses

    def _update_compiled(self, batch: dict[str, torch.Tensor]) -> dict[str, float] | None:
        """``update`` through the compiled function, with the eager update's counters and report.

        None if the first call could not compile (e.g. a task reward that torch.compile cannot trace):
        the learner warns once and stays eager rather than stopping.
        """
        assert self.compiled_update is not None
        policy_steps = self.updates >= self.config.policy_warmup
        try:
            losses = self.compiled_update(batch, policy_steps)
        except Exception as exc:  # noqa: BLE001 - any tracing failure; re-raised once it has compiled
            if self.compiled_update.calls:
                raise
            warnings.warn(f"compile_update: the update could not be compiled, running eager instead "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                          RuntimeWarning, stacklevel=3)
            self.compiled_update = None
            return None
        stepped = {name: losses.pop(f"{name}_ok") == 1.0 for name in ("model", "critic", "policy")}
        self.nonfinite_skips += (not stepped["model"]) + (not stepped["critic"])
        if policy_steps:
            self.nonfinite_skips += not stepped["policy"]
            self.policy_version += stepped["policy"]
        else:
            del losses["policy_objective"], losses["sigma_mean"]
        self.updates += 1
        self.last_losses = losses
        return losses

    def _apply(self, name: str, loss: torch.Tensor) -> bool:
        """Backprop ``loss`` into this optimiser's parameters only, clip, and step, unless anything is non-finite.

        NaN/Inf in the loss or any gradient skips the step (counted in ``nonfinite_skips``): it never reaches
        the weights.
        """
        params = self._params[name]
        if not torch.isfinite(loss):
            self.nonfinite_skips += 1
            return False
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        for p, g in zip(params, grads):
            p.grad = torch.zeros_like(p) if g is None else g
        if name == "policy":
            total_norm = torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip, foreach=True)
        else:  # unclipped: the norm only guards against non-finite gradients
            total_norm = torch.nn.utils.get_total_norm([p.grad for p in params], foreach=True)
        if not torch.isfinite(total_norm):
            self.nonfinite_skips += 1
            return False
        self.optimizers[name].step()
        return True

    def _update_model(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        action = self.policy.clamp_action(batch["action"])
        loss, info = self.model.loss(batch["obs"], action, batch["next_obs"])
        self._apply("model", loss)
        out = {"model_nll": float(loss.detach()), **info}
        if self.reward_model is not None:
            r_loss = self.reward_model.loss(batch, self.policy.clamp_action)
            self._apply("reward", r_loss)
            out["reward_mse"] = float(r_loss.detach())
        return out

    def _weights(self, batch: dict[str, torch.Tensor], keep_graph: bool = False
                 ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """Truncated importance weights of the batch, and (with ``keep_graph``) the policy's (mu, sigma) there.

        The policy does not change between this forward and its own step (only model and critic step in
        between), so SVG(1)-ER's policy step reuses these outputs, graph and all, instead of running the
        policy again at the same states.
        """
        with torch.set_grad_enabled(keep_graph):
            mu, sigma = self.policy(batch["obs"])
        weights = est.importance_weights_from(mu, sigma, batch["action"], batch["log_prob"], self.config.iw_truncation)
        return weights, ((mu, sigma) if keep_graph else None)

    def _update_critic(self, batch: dict[str, torch.Tensor], weights: torch.Tensor | None,
                       first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, float]:
        c = self.config
        assert self.critic is not None
        target = self._critic_target(batch, first_step)
        if c.algo in Q_ALGOS:
            pred = self.critic(batch["obs"], self.policy.clamp_action(batch["action"]))
        else:
            pred = self.critic(batch["obs"])
        sq_err = (pred - target) ** 2
        loss = (weights * sq_err).mean() if weights is not None else sq_err.mean()
        if self._apply("critic", loss):
            polyak_update(self.critic_target, self.critic, c.polyak)
        return {"critic_loss": float(loss.detach())}

    @torch.no_grad()
    def _critic_target(self, batch: dict[str, torch.Tensor],
                       first_step: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        """The regression target of the critic: r + gamma * (target critic at the next state), alive only."""
        c = self.config
        assert self.critic_target is not None
        alive = 1.0 - batch["terminated"]
        if self.model_critic_target:
            reward, s_next = est.fresh_action_step(self.policy, self.model, self.reward_fn, batch,
                                                   self._fresh_eta(batch), first_step)
            return reward + c.gamma * alive * self.critic_target(s_next)
        if c.algo in Q_ALGOS:
            mu, sigma = self.policy(batch["next_obs"])
            if c.algo == "svg0":
                mu = mu + sigma * torch.randn(mu.shape, generator=self.generator, dtype=mu.dtype).to(mu.device)
            next_value = self.critic_target(batch["next_obs"], self.policy.clamp_action(mu))
        else:
            next_value = self.critic_target(batch["next_obs"])
        return batch["reward"] + c.gamma * alive * next_value

    def _fresh_eta(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Standard normal policy noise for every replayed state (the learner's own generator: reproducible)."""
        shape = (batch["obs"].shape[0], self.spec.act_dim)
        return torch.randn(shape, generator=self.generator, dtype=self.dtype).to(self.device)

    def _policy_objective(self, batch: dict[str, torch.Tensor], weights: torch.Tensor | None,
                          first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor | None:
        c, algo = self.config, self.config.algo
        if self.fresh_policy_noise:
            return est.svg1_fresh_objective(self.policy, self.model, self.reward_fn, self.critic, batch, c.gamma,
                                            self._fresh_eta(batch), first_step)
        if algo in ("svg1-er", "svg1"):
            return est.svg1_objective(self.policy, self.model, self.reward_fn, self.critic, batch, c.gamma, weights,
                                      first_step)
        if algo == "svgk":
            windows = self.replay.sample_windows(c.batch_size, c.svgk_horizon, self.rng, self.device, self.dtype)
            if windows is None:
                return None
            w = est.importance_weights(self.policy, windows["obs"], windows["action"], windows["log_prob"],
                                       c.iw_truncation).prod(1).clamp(max=c.iw_truncation)
            return est.svg_unroll_objective(self.policy, self.model, self.reward_fn, windows, c.gamma,
                                            self.critic, w)
        if algo == "svg0":
            return est.svg0_objective(self.policy, self.critic, batch["obs"], c.svg0_samples, self.generator)
        if algo == "dpg":
            return est.dpg_objective(self.policy, self.critic, batch["obs"])
        if algo == "ac":
            return est.actor_critic_objective(self.policy, self.critic, batch, c.gamma)[0]
        if not self.finished_episodes:  # episodic algorithms: one policy update per finished episode
            return None
        episode = self.finished_episodes.pop()
        windows = episode_tensors(episode, self.device, self.dtype)
        if algo == "svg-inf":
            return est.svg_unroll_objective(self.policy, self.model, self.reward_fn, windows, c.gamma)
        starts = self.replay.sample(c.planner_rollouts, self.rng, self.device, self.dtype)["obs"]
        starts[0] = windows["obs"][0, 0]  # always include the real episode's start
        return est.planner_objective(self.policy, self.model, self.reward_fn, starts,
                                     min(c.planner_horizon, len(episode)), c.gamma, generator=self.generator)

    def _update_policy(self, batch: dict[str, torch.Tensor], weights: torch.Tensor | None,
                       first_step: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, float]:
        """One policy step; reports the objective and the mean sigma of the policy that took the step."""
        objective = self._policy_objective(batch, weights, first_step)
        if objective is None:
            return {}
        if first_step is not None:
            sigma = first_step[1].detach()
        else:
            with torch.no_grad():
                _, sigma = self.policy(batch["obs"])
        if self._apply("policy", -objective):
            self.policy_version += 1
        return {"policy_objective": float(objective.detach()),
                "sigma_mean": float((sigma / self.policy.action_scale).mean())}


def build_policy(spec: TaskSpec, config: AgentConfig) -> GaussianPolicy:
    """The policy for ``spec`` with ``config``'s architecture: one construction for the learner and the
    controller, so their weights always fit each other (and the networks are blind to the same dims)."""
    c = config
    return GaussianPolicy(
        spec.obs_dim, spec.act_dim, spec.action_low, spec.action_high, c.policy_hidden,
        sigma_init=c.sigma_init, sigma_min=c.sigma_min, sigma_max=c.sigma_max,
        state_dependent_sigma=c.state_dependent_sigma, activation=c.activation,
        obs_norm=RunningNorm(spec.obs_dim, hidden_dims=spec.reward_only_dims))


def _adam(params, lr: float) -> torch.optim.Optimizer:
    """Adam with the single fused kernel where this torch build has it (several times faster on CPU)."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - builds without fused Adam
        return torch.optim.Adam(list(params), lr=lr, foreach=True)


def episode_tensors(episode: list[Transition], device: torch.device | str = "cpu",
                    dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
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


def make_agent(algo: str, spec: TaskSpec, reward_fn: RewardFn | None, config: AgentConfig | None = None,
               seed: int = 0, device: str = "cpu") -> SVGAgent:
    """Build an agent by algorithm name (ValueError lists valid names)."""
    from .config import build_config

    cfg = config if config is not None else build_config(algo)
    if cfg.algo != algo:
        raise ValueError(f"config is for {cfg.algo!r} but algorithm {algo!r} was requested")
    return SVGAgent(spec, reward_fn, cfg, seed, device)
