"""Reparameterised Gaussian policy a = mu(s) + sigma(s) * eta, eta ~ N(0, I).

Actuator limits: the mean is squashed into the actuator range with tanh
(``squash=True``, the default) so it can never drift far outside; the noise is
added after, so a sampled action may leave the range. The task clips the
action before it reaches the actuator, and the learner feeds the clipped
action to the model and the reward (zero gradient past a limit, which is the
truth: pushing harder there changes nothing). Log-probabilities are of the
unclipped action, so importance weights stay exact.

sigma is expressed in units of each actuator's half-range and kept in
[sigma_min, sigma_max]: without a floor the policy gradient collapses the
exploration noise (docs/DESIGN.md, the first measurements).

``squash_samples=True`` is SAC's tanh-squashed Gaussian instead (Haarnoja et al.
2018, appendix C): x = mu + sigma * eta is drawn unsquashed (mu not squashed) and
the action is a = c + s * tanh((x - c) / s), c and s the actuator's centre and
half-range, so every sample lies inside the range and its log-probability carries
the change of variables, log pi(a) = log N(x) - sum log(1 - tanh^2). A clipped
Gaussian puts all the mass beyond a limit on the limit, where the gradient is zero;
the squashed one keeps a gradient everywhere.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .networks import mlp
from .normalizer import RunningNorm

LOG_2PI = math.log(2 * math.pi)


def log_squash_jacobian(z: torch.Tensor) -> torch.Tensor:
    """log(1 - tanh(z)^2) per element, written without cancellation for large |z|."""
    return 2.0 * (math.log(2.0) - z - torch.nn.functional.softplus(-2.0 * z))


def gaussian_log_prob(mu: torch.Tensor, sigma: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
    """log N(action; mu, diag(sigma^2)), summed over the last (action) dimension."""
    z = (action - mu) / sigma
    return (-0.5 * z**2 - torch.log(sigma) - 0.5 * LOG_2PI).sum(-1)


class GaussianPolicy(nn.Module):
    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        action_low: Sequence[float],
        action_high: Sequence[float],
        hidden: Sequence[int] = (64, 64),
        *,
        sigma_init: float = 0.3,
        sigma_min: float = 0.05,
        sigma_max: float = 1.0,
        state_dependent_sigma: bool = True,
        squash: bool = True,
        squash_samples: bool = False,
        activation: str = "tanh",
        obs_norm: RunningNorm | None = None,
    ) -> None:
        super().__init__()
        if not 0 < sigma_min <= sigma_init <= sigma_max:
            raise ValueError(
                f"need 0 < sigma_min ({sigma_min}) <= sigma_init ({sigma_init}) <= sigma_max ({sigma_max})")
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.hidden = tuple(hidden)
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self.state_dependent_sigma = state_dependent_sigma
        # squashing the samples replaces squashing the mean: tanh is applied once, to the whole action
        self.squash = squash and not squash_samples
        self.squash_samples = squash_samples
        low = torch.as_tensor(np.asarray(action_low, dtype=np.float64), dtype=torch.get_default_dtype())
        high = torch.as_tensor(np.asarray(action_high, dtype=np.float64), dtype=torch.get_default_dtype())
        self.register_buffer("action_center", (high + low) / 2)
        self.register_buffer("action_scale", (high - low) / 2)
        self.obs_norm = obs_norm if obs_norm is not None else RunningNorm(obs_dim)
        out = 2 * act_dim if state_dependent_sigma else act_dim
        self.net = mlp(obs_dim, self.hidden, out, activation)
        with torch.no_grad():  # start near zero mean so the untrained robot is not slammed into a limit
            self.net[-1].weight.mul_(0.1)
            self.net[-1].bias.zero_()
        # sigma = min + (max - min) * sigmoid(raw); raw chosen so sigma starts at sigma_init
        frac = (sigma_init - sigma_min) / max(sigma_max - sigma_min, 1e-8)
        frac = min(max(frac, 1e-4), 1 - 1e-4)
        self.register_buffer("sigma_raw_offset", torch.tensor(math.log(frac / (1 - frac))))
        self.log_sigma_bias = nn.Parameter(torch.zeros(act_dim))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (mu, sigma) in actuator units, each (B, act_dim)."""
        out = self.net(self.obs_norm.normalize(obs))
        raw_mu = out[..., : self.act_dim]
        if self.squash:
            mu = self.action_center + self.action_scale * torch.tanh(raw_mu)
        else:
            mu = self.action_center + self.action_scale * raw_mu
        raw_sigma = self.sigma_raw_offset + self.log_sigma_bias
        if self.state_dependent_sigma:
            raw_sigma = raw_sigma + out[..., self.act_dim :]
        else:
            raw_sigma = raw_sigma.expand_as(mu)
        frac = torch.sigmoid(raw_sigma)
        sigma = (self.sigma_min + (self.sigma_max - self.sigma_min) * frac) * self.action_scale
        return mu, sigma

    def squash_action(self, x: torch.Tensor) -> torch.Tensor:
        """The action for an unsquashed draw x: itself, or c + s * tanh((x - c) / s) with ``squash_samples``."""
        if not self.squash_samples:
            return x
        return self.action_center + self.action_scale * torch.tanh((x - self.action_center) / self.action_scale)

    def unsquash_action(self, action: torch.Tensor) -> torch.Tensor:
        """The draw x that ``squash_action`` maps to ``action`` (an action on a limit maps to just inside it)."""
        if not self.squash_samples:
            return action
        u = ((action - self.action_center) / self.action_scale).clamp(-1.0 + 1e-6, 1.0 - 1e-6)
        return self.action_center + self.action_scale * torch.atanh(u)

    def log_squash_correction(self, x: torch.Tensor) -> torch.Tensor:
        """sum log |da/dx| over the action dimensions (0 without ``squash_samples``)."""
        if not self.squash_samples:
            return torch.zeros(x.shape[:-1], dtype=x.dtype, device=x.device)
        return log_squash_jacobian((x - self.action_center) / self.action_scale).sum(-1)

    def sample(self, obs: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
        """a = mu(s) + sigma(s) * eta (squashed with ``squash_samples``): differentiable for a given eta."""
        mu, sigma = self(obs)
        return self.squash_action(mu + sigma * eta)

    def infer_eta(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The noise under which this policy would have produced ``action`` at ``obs`` (no gradient)."""
        with torch.no_grad():
            mu, sigma = self(obs)
            return (self.unsquash_action(action) - mu) / sigma

    def log_prob(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        x = self.unsquash_action(action)
        return gaussian_log_prob(*self(obs), x) - self.log_squash_correction(x)

    @torch.no_grad()
    def act(
        self, obs: np.ndarray, deterministic: bool = False, generator: torch.Generator | None = None
    ) -> tuple[np.ndarray, float]:
        """One control step from a numpy observation: (unclipped action, its log-prob)."""
        param = self.action_scale
        s = torch.as_tensor(np.asarray(obs), dtype=param.dtype, device=param.device).reshape(1, -1)
        mu, sigma = self(s)
        if deterministic:
            x = mu
        else:
            eta = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device="cpu").to(mu.device)
            x = mu + sigma * eta
        z = (x - mu) / sigma
        logp = (-0.5 * z**2 - torch.log(sigma) - 0.5 * LOG_2PI).sum() - self.log_squash_correction(x).sum()
        return self.squash_action(x)[0].cpu().numpy().astype(np.float64), float(logp)

    def clamp_action(self, action: torch.Tensor) -> torch.Tensor:
        """What the actuator applies: the action clipped to its range."""
        low = self.action_center - self.action_scale
        high = self.action_center + self.action_scale
        return torch.maximum(torch.minimum(action, high), low)

    def architecture(self) -> dict:
        """What must match for a weights message to be loadable into this policy."""
        arch = {
            "obs_dim": self.obs_dim,
            "act_dim": self.act_dim,
            "hidden": list(self.hidden),
            "state_dependent_sigma": self.state_dependent_sigma,
            "squash": self.squash,
        }
        if self.squash_samples:  # only where set, so weights saved before the option still load
            arch["squash_samples"] = True
        return arch
