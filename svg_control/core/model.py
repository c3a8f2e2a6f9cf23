"""Stochastic dynamics models s' = s + f(s, a) + sigma(s, a) * xi, xi ~ N(0, I).

The model predicts the state *change*. Because the noise is additive, the
noise that explains a real transition can be inferred exactly,
xi = (s' - s - f(s, a)) / sigma, and re-injected: the SVG estimators then
differentiate the model along the trajectory that really happened rather
than along an imagined one (Heess et al. 2015, sec. 4).

``TransitionModel`` is the interface the estimators use; ``DynamicsModel``
is the learned one (one sub-network per predicted state dimension, computed
batched, a single network, or an ensemble of single networks), ``core.toy.ExactLinearModel`` an exact one
for tests.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .networks import BatchedMLP, mlp
from .normalizer import RunningNorm


class TransitionModel(nn.Module):
    """Interface: a mean state change and a noise scale, both in state units."""

    def mean_and_std(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def infer_xi(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """The noise that makes the model reproduce the real ``next_obs`` exactly (no gradient)."""
        with torch.no_grad():
            mean, std = self.mean_and_std(obs, action)
            return torch.where(std > 0, (next_obs - obs - mean) / std.clamp_min(1e-12), torch.zeros_like(mean))

    def step(self, obs: torch.Tensor, action: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        """s' = s + f(s, a) + sigma(s, a) * xi: differentiable in obs and action."""
        mean, std = self.mean_and_std(obs, action)
        return obs + mean + std * xi


class DynamicsModel(TransitionModel):
    """Learned Gaussian model of the state change, inputs and targets normalised.

    ``per_dimension=True`` is the paper's design (one sub-network per state
    dimension); ``False`` uses one network for all, which an offline comparison
    found as accurate and faster (docs/DESIGN.md). ``noise="additive"`` learns one noise scale per
    dimension (the paper's model); ``"heteroscedastic"`` learns sigma(s, a).

    ``layer_norm`` puts a LayerNorm before each hidden activation, as DHMBPO's model has (Kubo et al. 2025).

    ``ensemble=K`` (> 1, single networks only) trains K independently initialised networks, each on its own
    likelihood (MBPO and DHMBPO use ensembles). Opt-in: why sac-svg leaves it at 1 is in docs/DESIGN.md
    (Defaults). ``members`` says how the members meet the states:

    * ``"all"``: every member on every state; each trains on the whole batch and the model predicts their
      mean, so that a value gradient through the model follows less of one network's error off the data.
      K networks' cost.
    * ``"one_per_state"``: each state through one member (``BatchedMLP.forward_split``: a batch split in order
      into K shares), in training and in prediction. Each member trains on its own share of the batch (a
      bootstrap's independence, as each member of MBPO's ensemble sees its own data), and a rollout whose
      states keep their places keeps its member at every step, as DHMBPO's and PETS's TS rollouts: the policy
      follows one plausible model per rollout, not a mean no member predicts. One network's cost.
    """

    MEMBERS = ("all", "one_per_state")

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        hidden: Sequence[int] = (32, 32),
        *,
        per_dimension: bool = True,
        noise: str = "additive",
        activation: str = "tanh",
        obs_norm: RunningNorm | None = None,
        action_center: torch.Tensor | None = None,
        action_scale: torch.Tensor | None = None,
        min_log_std: float = -8.0,
        ensemble: int = 1,
        layer_norm: bool = False,
        members: str = "all",
    ) -> None:
        super().__init__()
        if noise not in ("additive", "heteroscedastic"):
            raise ValueError(f"model noise must be 'additive' or 'heteroscedastic', got {noise!r}")
        if ensemble < 1:
            raise ValueError(f"model ensemble must be >= 1 networks, got {ensemble}")
        if ensemble > 1 and per_dimension:
            raise ValueError("a model ensemble is of single networks: set model_per_dimension false")
        if members not in self.MEMBERS:
            raise ValueError(f"model ensemble members must be one of {self.MEMBERS}, got {members!r}")
        self.ensemble = ensemble
        #: each state through one member (``members="one_per_state"`` with more than one member)
        self.split = ensemble > 1 and members == "one_per_state"
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.per_dimension, self.noise = per_dimension, noise
        self.min_log_std = min_log_std
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        self.delta_norm = RunningNorm(obs_dim)
        self.register_buffer("action_center", torch.zeros(act_dim) if action_center is None else action_center.clone())
        self.register_buffer("action_scale", torch.ones(act_dim) if action_scale is None else action_scale.clone())
        heads = 2 if noise == "heteroscedastic" else 1
        in_dim = obs_dim + act_dim
        if per_dimension:
            self.net: nn.Module = BatchedMLP(obs_dim, in_dim, hidden, heads, activation, layer_norm=layer_norm)
        elif ensemble > 1:
            self.net = BatchedMLP(ensemble, in_dim, hidden, obs_dim * heads, activation, layer_norm=layer_norm)
        else:
            self.net = mlp(in_dim, hidden, obs_dim * heads, activation, layer_norm=layer_norm)
        self.log_std = nn.Parameter(torch.full((obs_dim,), -1.0))  # normalised units

    def _normalised_outputs(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log std) of the normalised state change per state: the ensemble's mean, each state's own
        member's (``split``), or the one network's."""
        mean_z, log_std = self._member_outputs(obs, action)
        if self.ensemble > 1 and not self.split:
            return mean_z.mean(-2), log_std.mean(-2)
        return mean_z, log_std

    def _member_outputs(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log std) per member, shaped (..., K, obs_dim) for an ensemble of all members on every state,
        (..., obs_dim) for one network or one member per state."""
        x = torch.cat([self.obs_norm.normalize(obs), (action - self.action_center) / self.action_scale], -1)
        out = self.net.forward_split(x) if self.split else self.net(x)
        if self.per_dimension:
            mean_z, raw_std = out[..., 0], out[..., 1:].squeeze(-1)
        else:
            mean_z, raw_std = out[..., : self.obs_dim], out[..., self.obs_dim :]
        if self.noise == "heteroscedastic":
            log_std = raw_std + self.log_std
        else:
            log_std = self.log_std.expand_as(mean_z)
        return mean_z, log_std.clamp(self.min_log_std, 2.0)

    def mean_and_std(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean_z, log_std = self._normalised_outputs(obs, action)
        return self._state_change(mean_z), torch.exp(log_std) * (self.delta_norm.std + self.delta_norm.eps)

    def _state_change(self, mean_z: torch.Tensor) -> torch.Tensor:
        """A normalised predicted change in state units."""
        return mean_z * (self.delta_norm.std + self.delta_norm.eps) + self.delta_norm.mean

    @torch.no_grad()
    def sample_next(self, obs: torch.Tensor, action: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A next state drawn from the model, s' = s + f_k(s, a) + sigma_k(s, a) xi: for an ensemble from a
        member k drawn per state (MBPO's and DHMBPO's rollouts), so the draws spread as widely as the members
        disagree, where the mean of :meth:`mean_and_std` would hide their disagreement. With ``split`` the
        member is the state's by its place in the batch, and only that member runs."""
        mean_z, log_std = self._member_outputs(obs, action)
        if self.ensemble > 1 and not self.split:
            pick = torch.randint(self.ensemble, mean_z.shape[:-2], generator=generator).to(mean_z.device)
            index = pick[..., None, None].expand(*mean_z.shape[:-2], 1, self.obs_dim)
            mean_z, log_std = mean_z.gather(-2, index).squeeze(-2), log_std.gather(-2, index).squeeze(-2)
        xi = torch.randn(mean_z.shape, generator=generator, dtype=mean_z.dtype).to(mean_z.device)
        scale = self.delta_norm.std + self.delta_norm.eps
        return obs + (mean_z + torch.exp(log_std) * xi) * scale + self.delta_norm.mean

    def loss(self, obs: torch.Tensor, action: torch.Tensor,
             next_obs: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """Gaussian negative log-likelihood of the normalised state change (per dimension, averaged)."""
        nll, mse = self.nll_and_mse(obs, action, next_obs)
        return nll, {"model_mse": float(mse)}

    def nll_and_mse(self, obs: torch.Tensor, action: torch.Tensor,
                    next_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``loss`` with the squared error as a tensor (no host sync: the compiled update traces this). An
        ensemble's members each fit the target on their own (the mean of their likelihoods), not as a mean;
        with ``split`` each on its own share of the batch."""
        nll, sq_err, _ = self._step_nll(obs, action, next_obs)
        return nll.mean(), sq_err.mean().detach()

    def rollout_nll_and_mse(self, obs: torch.Tensor, actions: torch.Tensor,
                            next_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The likelihood of k real steps under the model's own k-step prediction: from each window's first
        state s_0, under the actions a_0..a_{k-1} that were applied (``actions``, ``next_obs``: (B, k, ...)),

            s^_0 = s_0,   s^_{j+1} = s^_j + f(s^_j, a_j),   loss = mean_j NLL(s_{j+1} - s^_j | s^_j, a_j),

        with the gradient through the predicted states. Its first term is :meth:`nll_and_mse`'s one-step
        likelihood; the later ones train the model where the policy's H-step rollout uses it, on its own
        predictions, so the error does not compound over the horizon (SAC-SVG(H)'s model is fitted on
        multi-step predictions for this reason; Amos et al. 2021). An ensemble propagates its members' mean,
        one member per state its own member's prediction."""
        nlls, sq_errs = [], []
        s = obs
        for j in range(actions.shape[-2]):
            nll, sq_err, mean_z = self._step_nll(s, actions[..., j, :], next_obs[..., j, :])
            nlls.append(nll.mean())
            sq_errs.append(sq_err.mean())
            if self.ensemble > 1 and not self.split:
                mean_z = mean_z.mean(-2)
            s = s + self._state_change(mean_z)
        return torch.stack(nlls).mean(), torch.stack(sq_errs).mean().detach()

    def _step_nll(self, obs: torch.Tensor, action: torch.Tensor,
                  next_obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(NLL, squared error, predicted mean) of one step, per element and in normalised units; an ensemble
        of all members per member (its ``-2`` axis)."""
        mean_z, log_std = self._member_outputs(obs, action)
        target_z = self.delta_norm.normalize(next_obs - obs)
        if self.ensemble > 1 and not self.split:
            target_z = target_z.unsqueeze(-2)
        err = target_z - mean_z
        nll = 0.5 * (err / torch.exp(log_std)) ** 2 + log_std + 0.5 * math.log(2 * math.pi)
        return nll, err**2, mean_z
