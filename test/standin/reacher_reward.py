"""The stand-in reacher's reward, written as a user writes one: torch, in the robot's units.

The fingertip's distance to the target after the step and a small control cost (Reacher-v5's terms),
from the observation of ``reacher.yaml`` (cos/sin of both joints, their velocities, the target's
position) and the command in N m.
"""
from __future__ import annotations

import torch

GEAR = 200.0
LINK, TIP = 0.1, 0.11  # Reacher-v5's upper arm and the fingertip's distance from the elbow


def reward(obs: torch.Tensor, command: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
    c0, c1, s0, s1 = next_obs[..., 0], next_obs[..., 1], next_obs[..., 2], next_obs[..., 3]
    c01, s01 = c0 * c1 - s0 * s1, s0 * c1 + c0 * s1  # cos and sin of q0 + q1
    tip_x, tip_y = LINK * c0 + TIP * c01, LINK * s0 + TIP * s01
    distance = torch.sqrt((tip_x - next_obs[..., 6]) ** 2 + (tip_y - next_obs[..., 7]) ** 2 + 1e-12)
    return -distance - 0.1 * ((command / GEAR) ** 2).sum(-1)
