"""Policy weights as bytes for the wire: safetensors + a content hash, never pickle.

The learner publishes these bytes on ``policy_weights``; the controller
checks the hash, the architecture and every tensor's shape before it swaps
anything, so a truncated, random, foreign or stale message is refused
whole and the running policy stays untouched.
"""
from __future__ import annotations

import hashlib
import json

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .policy import GaussianPolicy

FORMAT = "svg_control.policy.v1"


class WeightsError(ValueError):
    """A weights message that must not be loaded (corrupt, wrong shape, wrong hash, not newer)."""


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def policy_to_bytes(policy: GaussianPolicy, version: int) -> bytes:
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in policy.state_dict().items()}
    meta = {
        "format": FORMAT,
        "version": str(int(version)),
        "architecture": json.dumps(policy.architecture(), sort_keys=True),
        "sha256": _digest(tensors),
    }
    return st_save(tensors, metadata=meta)


def safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob, read from its JSON header with bounds checks."""
    if len(data) < 8:
        raise WeightsError(f"weights message too short ({len(data)} bytes)")
    header_len = int.from_bytes(data[:8], "little")
    if header_len <= 0 or 8 + header_len > len(data) or header_len > 10_000_000:
        raise WeightsError("weights message has an invalid safetensors header length")
    try:
        header = json.loads(bytes(data[8 : 8 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"weights message header is not valid JSON: {exc}") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        raise WeightsError("weights message carries no metadata")
    return {str(k): str(v) for k, v in meta.items()}


def read_policy_bytes(data: bytes) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Parse and verify format and content hash, loading nothing into a policy."""
    data = bytes(data)
    meta = safetensors_metadata(data)
    if meta.get("format") != FORMAT:
        raise WeightsError(f"weights format is {meta.get('format')!r}, expected {FORMAT!r}")
    try:
        tensors = st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"weights message is not a valid safetensors blob: {exc}") from None
    if _digest(tensors) != meta.get("sha256"):
        raise WeightsError("weights message content hash does not match (corrupted or tampered)")
    try:
        int(meta["version"])
        json.loads(meta["architecture"])
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"weights metadata incomplete: {exc}") from None
    return tensors, meta


def load_policy_bytes(policy: GaussianPolicy, data: bytes, min_version: int | None = None) -> int:
    """Verify ``data`` completely, then copy it into ``policy``; returns the version.

    Raises WeightsError (and leaves ``policy`` untouched) on any mismatch, or
    when the version is not newer than ``min_version``.
    """
    tensors, meta = read_policy_bytes(data)
    version = int(meta["version"])
    if min_version is not None and version <= min_version:
        raise WeightsError(f"weights version {version} is not newer than the running version {min_version}")
    arch = json.loads(meta["architecture"])
    if arch != policy.architecture():
        raise WeightsError(f"weights are for architecture {arch}, the policy is {policy.architecture()}")
    own = policy.state_dict()
    if set(own) != set(tensors):
        raise WeightsError(f"weights tensor names differ: missing {sorted(set(own) - set(tensors))}, "
                           f"unexpected {sorted(set(tensors) - set(own))}")
    for name, t in tensors.items():
        if t.shape != own[name].shape:
            raise WeightsError(f"weights tensor {name!r} has shape {tuple(t.shape)}, expected {tuple(own[name].shape)}")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise WeightsError(f"weights tensor {name!r} contains NaN or Inf")
    policy.load_state_dict(tensors)
    return version
