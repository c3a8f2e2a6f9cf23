"""A numpy mirror of ``GaussianPolicy``, for one action per control step on CPU.

Why: for one observation a torch forward pass of a small policy is nearly all per-op dispatch, and
that alone fills the control-compute budget (p99 < 0.3 ms); the same arithmetic in numpy on float64 is a
fraction of it (docs/RESULTS.md, "System benchmarks"). The mirror is built from the torch policy after
each weights swap and is *checked* against the torch forward pass on random observations before use; on
any mismatch or an unsupported layer, :func:`mirror` returns None and the caller keeps using torch.
Training is never done here: this only evaluates a policy someone shipped.

``NumpyPolicy.__init__`` is the one place that reads the policy's layout (its ``net``, the
``obs_norm`` statistics and the sigma parameterisation); a change of ``GaussianPolicy.forward`` must be
mirrored there, and :func:`mirror`'s check refuses the mirror until it is.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .policy import LOG_2PI, GaussianPolicy

Activation = Callable[[np.ndarray], np.ndarray]

_ACTIVATIONS: dict[type[nn.Module], Activation] = {
    nn.Tanh: np.tanh,
    nn.ReLU: lambda x: np.maximum(x, 0.0),
    nn.ELU: lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    nn.SiLU: lambda x: x / (1.0 + np.exp(-x)),
}


class NumpyPolicy:
    """mu, sigma and sampled actions of a GaussianPolicy, in float64 numpy."""

    def __init__(self, policy: GaussianPolicy) -> None:
        """Copy the policy's arithmetic out of it; TypeError for a network this mirror cannot reproduce.

        The one place that reads how ``GaussianPolicy`` and its ``RunningNorm`` are laid out inside.
        """
        def arr(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().to(torch.float64).numpy().copy()

        norm = policy.obs_norm
        self.act_dim = policy.act_dim
        self.mean = arr(norm.mean)  # normalised obs = (obs - mean) * inv_std (0 on reward-only dimensions)
        self.inv_std = arr(norm.visible) / (arr(norm.std) + norm.eps)
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []  # (W^T, b) of each Linear
        self.activations: list[Activation] = []  # between the Linear layers
        for module in policy.net:
            if isinstance(module, nn.Linear):
                self.layers.append((arr(module.weight).T.copy(), arr(module.bias)))
            elif type(module) in _ACTIVATIONS:
                self.activations.append(_ACTIVATIONS[type(module)])
            else:
                raise TypeError(f"unsupported layer {type(module).__name__}")
        if len(self.activations) != len(self.layers) - 1:
            raise TypeError("policy network is not Linear/activation alternating")
        self.center, self.scale = arr(policy.action_center), arr(policy.action_scale)
        self.squash = policy.squash
        self.squash_samples = policy.squash_samples
        self.state_dependent_sigma = policy.state_dependent_sigma
        self.sigma_min, self.sigma_span = policy.sigma_min, policy.sigma_max - policy.sigma_min
        self.raw_sigma_base = float(policy.sigma_raw_offset) + arr(policy.log_sigma_bias)

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = (np.asarray(obs, dtype=np.float64) - self.mean) * self.inv_std
        last = len(self.layers) - 1
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < last:
                h = self.activations[i](h)
        raw_mu = h[..., : self.act_dim]
        mu = self.center + self.scale * (np.tanh(raw_mu) if self.squash else raw_mu)
        raw_sigma = self.raw_sigma_base + h[..., self.act_dim:] if self.state_dependent_sigma else \
            np.broadcast_to(self.raw_sigma_base, mu.shape)
        sigma = (self.sigma_min + self.sigma_span / (1.0 + np.exp(-raw_sigma))) * self.scale
        return mu, sigma

    def act(self, obs: np.ndarray, deterministic: bool, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """(unclipped action, log-prob), like ``GaussianPolicy.act``."""
        mu, sigma = self.forward(obs)
        eta = np.zeros(self.act_dim) if deterministic else rng.standard_normal(self.act_dim)
        x = mu + sigma * eta
        log_prob = float(-0.5 * (eta @ eta) - np.log(sigma).sum() - 0.5 * LOG_2PI * self.act_dim)
        if not self.squash_samples:
            return x, log_prob
        z = (x - self.center) / np.maximum(self.scale, 1e-12)
        log_jacobian = 2.0 * (math.log(2.0) - z - np.logaddexp(0.0, -2.0 * z))  # log(1 - tanh(z)^2)
        return self.center + self.scale * np.tanh(z), log_prob - float(log_jacobian.sum())


def mirror(policy: GaussianPolicy, checks: int = 16, tol: float = 1e-4) -> NumpyPolicy | None:
    """A verified NumpyPolicy for ``policy``, or None when it cannot be mirrored exactly."""
    try:
        fast = NumpyPolicy(policy)
    except TypeError:
        return None
    gen = torch.Generator().manual_seed(0)
    norm = policy.obs_norm
    obs = norm.mean + norm.std * 3 * torch.randn(checks, policy.obs_dim, generator=gen, dtype=norm.mean.dtype)
    with torch.no_grad():
        mu_t, sigma_t = policy(obs.to(policy.action_scale.device))
    mu_n, sigma_n = fast.forward(obs.double().cpu().numpy())
    scale = np.maximum(fast.scale, 1e-12)
    err = max(float(np.max(np.abs(mu_n - mu_t.double().cpu().numpy()) / scale)),
              float(np.max(np.abs(sigma_n - sigma_t.double().cpu().numpy()) / scale)))
    return fast if math.isfinite(err) and err < tol else None
