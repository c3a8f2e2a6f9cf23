"""The running policy of a controller: acting on one observation, and swapping in the learner's weights.

Shared by both controllers (the lockstep ``controller`` and the ros2_control ``robot_controller``), so
they act and take weights the same way:

* On CPU the policy is evaluated by a numpy mirror (``core.numpy_policy``), verified against torch after
  every swap; torch is the fallback.
* New weights are loaded into a spare policy and checked completely (``load_policy_bytes``) before
  the references are swapped: a bad message never touches the running policy and acting never waits.
"""
from __future__ import annotations

import numpy as np
import torch
from std_msgs.msg import UInt8MultiArray

from ...core.config import AgentConfig
from ...core.learner import build_policy
from ...core.numpy_policy import mirror
from ...core.policy import GaussianPolicy
from ...core.task import TaskSpec
from ..interface.codecs import WeightsCodec


class PolicyRunner:
    """A policy, its spare, its numpy mirror and its version (-1: own random initialisation)."""

    def __init__(self, spec: TaskSpec, config: AgentConfig, device: torch.device, use_numpy: bool,
                 seed: int) -> None:
        def build() -> GaussianPolicy:
            return build_policy(spec, config).to(device).eval()

        torch.manual_seed(seed)
        self.use_numpy = use_numpy and device.type == "cpu"
        self.policy, self.spare = build(), build()
        self.fast = mirror(self.policy) if self.use_numpy else None
        self.generator = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.version = -1  # the learner's versions start at 0

    def act(self, obs: np.ndarray, deterministic: bool) -> tuple[np.ndarray, float, int] | None:
        """(action, its log-prob, policy version), or None when the policy's output is not finite."""
        policy, fast, version = self.policy, self.fast, self.version  # one consistent set
        if fast is not None:
            action, log_prob = fast.act(obs, deterministic, self.rng)
        else:
            action, log_prob = policy.act(obs, deterministic, self.generator)
        if not (np.all(np.isfinite(action)) and np.isfinite(log_prob)):
            return None
        return action, float(log_prob), max(version, 0)

    def load(self, msg: UInt8MultiArray) -> int:
        """Take the weights in ``msg`` (MalformedMessage, nothing changed, when they are bad); their version."""
        version = WeightsCodec.decode_into(self.spare, msg, min_version=self.version)
        self.spare.eval()
        fast = mirror(self.spare) if self.use_numpy else None
        self.policy, self.spare, self.fast = self.spare, self.policy, fast
        self.version = version
        return version
