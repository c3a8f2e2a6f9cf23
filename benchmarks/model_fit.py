"""Which model predicts real transitions it has not seen best: model variants fitted offline on one run's data.

Loads the replay of a training run's newest checkpoint (``svg-control train --out DIR``; the stands grid's
runs), sets one episode in five aside, fits each model variant (:data:`VARIANTS`, settings of the run's
algorithm) from scratch for ``--updates`` maximum-likelihood steps on minibatches of the rest, and reports
on the episodes set aside: the one-step Gaussian NLL per dimension (normalised units) and the open-loop k-step
error of the model's mean relative to predicting no change, as the learner's probe defines it
(``core/model_probe.py``: 1 is no better than assuming the state stands still). Every variant sees the same
minibatches in the same order, so their numbers compare within one call.

    python -m benchmarks.model_fit --run runs/paper/stands_monoped/sac-svg-s0 [--updates 5000]
        [--variants default,ln-silu,ensemble5,ln-silu-ensemble5,train3]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from svg_control.core.checkpoint import load_checkpoint
from svg_control.core.learner import Learner
from svg_control.trainer import build_agent, read_settings

#: variant -> settings on top of the run's own (sac-svg's model options)
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "ln": {"model_layer_norm": True},
    "silu": {"model_activation": "silu"},
    "ln-silu": {"model_layer_norm": True, "model_activation": "silu"},  # DHMBPO's layers
    "heteroscedastic": {"model_noise": "heteroscedastic"},  # sigma(s, a), MBPO's and DHMBPO's Gaussian heads
    "ensemble5": {"model_ensemble": 5, "model_per_dimension": False},  # MBPO's and DHMBPO's members
    "ln-silu-ensemble5": {"model_layer_norm": True, "model_activation": "silu", "model_ensemble": 5,
                          "model_per_dimension": False},
    "train3": {"model_train_horizon": 3},  # the likelihood of three steps of its own prediction (SAC-SVG(H))
    "ln-silu-train3": {"model_layer_norm": True, "model_activation": "silu", "model_train_horizon": 3},
}
HORIZONS = (1, 3, 5)


def held_out_split(episode_ids: np.ndarray, every: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices): every ``every``-th episode is held out whole."""
    held = episode_ids % every == 0
    return np.flatnonzero(~held), np.flatnonzero(held)


def fresh_model_learner(run: Path, overrides: dict[str, Any], replay_source: Learner, train: np.ndarray) -> Learner:
    """A learner of the run's settings plus ``overrides``, untrained, with the normaliser statistics of the
    training part only (what the learner would have folded in had it seen just those transitions)."""
    settings = read_settings(run)
    settings.overrides = {**settings.overrides, **overrides}
    learner, task, eval_task = build_agent(settings)
    task.close()
    eval_task.close()
    r = replay_source.replay
    pairs = np.concatenate([r.obs[train], r.next_obs[train]]).astype(np.float64)
    learner.obs_norm.update(pairs)
    learner.model.delta_norm.update((r.next_obs[train] - r.obs[train]).astype(np.float64))
    return learner


def tensors(learner: Learner, replay: Any, idx: np.ndarray) -> dict[str, torch.Tensor]:
    def t(values: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(values[idx], dtype=learner.dtype)
    return {"obs": t(replay.obs), "action": t(replay.action), "next_obs": t(replay.next_obs),
            "reward": t(replay.reward), "terminated": t(replay.terminated)}


def window_starts(replay: Any, indices: np.ndarray, k: int) -> np.ndarray:
    """The indices among ``indices`` that begin k consecutive transitions of one episode, none but the last
    ending it: the windows a model trained over k steps of its own prediction fits."""
    ids, ended = replay.episode_id, (replay.terminated > 0.5) | (replay.truncated > 0.5)
    starts = indices[indices + k - 1 < replay.size]
    same = np.all([ids[starts + j] == ids[starts] for j in range(k)], axis=0)
    alive = np.all([~ended[starts + j] for j in range(k - 1)], axis=0) if k > 1 else np.ones(len(starts), bool)
    return starts[same & alive]


def windows(learner: Learner, replay: Any, starts: np.ndarray, k: int) -> dict[str, torch.Tensor]:
    """The learner's window fields (``window_obs``, ...: (B, k, ...)) for the windows beginning at ``starts``."""
    idx = starts[:, None] + np.arange(k)[None, :]
    return {f"window_{name}": torch.as_tensor(getattr(replay, name)[idx], dtype=learner.dtype)
            for name in ("obs", "action", "next_obs")}


@torch.no_grad()
def k_step_errors(learner: Learner, replay: Any, held: np.ndarray, horizons: tuple[int, ...] = HORIZONS
                  ) -> dict[int, float]:
    """Open-loop error of the model's mean k steps ahead from every held-out state with k more steps in its
    episode, relative to no change, each dimension in units of the model's scale of one-step changes."""
    model = learner.model
    scale = model.delta_norm.std + model.delta_norm.eps
    out = {}
    for k in horizons:
        starts = window_starts(replay, held, k)
        if not len(starts):
            continue
        s = torch.as_tensor(replay.obs[starts], dtype=learner.dtype)
        start = s.clone()
        for j in range(k):
            a = learner.policy.clamp_action(torch.as_tensor(replay.action[starts + j], dtype=learner.dtype))
            s = s + model.mean_and_std(s, a)[0]
        real = torch.as_tensor(replay.next_obs[starts + k - 1], dtype=learner.dtype)
        error = (((s - real) / scale) ** 2).sum()
        change = (((start - real) / scale) ** 2).sum()
        out[k] = float(error / change)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a training run directory with checkpoints")
    parser.add_argument("--updates", type=int, default=5000, help="model steps per variant")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated of {', '.join(VARIANTS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")

    source, task, eval_task = build_agent(read_settings(args.run))
    task.close()
    eval_task.close()
    if not load_checkpoint(source, args.run / "checkpoints"):
        raise SystemExit(f"{args.run}: no checkpoint to read the replay from")
    replay = source.replay
    train, held = held_out_split(replay.episode_id[: replay.size])
    print(f"{args.run}: {replay.size} transitions, {len(train)} to fit on, {len(held)} held out "
          f"(every fifth episode); {args.updates} model steps per variant")
    rng = np.random.default_rng(args.seed)
    batches = rng.choice(train, (args.updates, source.config.batch_size))
    window_rng_seed = rng.integers(2**32)  # every multi-step variant sees the same windows
    header = " | ".join(f"error_{k}" for k in HORIZONS)
    print(f"| variant | held-out NLL | {header} | ms per step |")
    print("|---|---|" + "---|" * len(HORIZONS) + "---|")
    for name in variants:
        learner = fresh_model_learner(args.run, VARIANTS[name], source, train)
        k = getattr(learner.config, "model_train_horizon", 1)
        window_batches = None
        if k > 1:
            window_batches = np.random.default_rng(window_rng_seed).choice(
                window_starts(replay, train, k), (args.updates, len(batches[0]) // k))
        start = time.process_time()
        for i, idx in enumerate(batches):
            batch = tensors(learner, replay, idx)
            if window_batches is not None:
                batch.update(windows(learner, replay, window_batches[i], k))
            learner.model_step(batch)
        ms = 1e3 * (time.process_time() - start) / max(len(batches), 1)
        held_batch = tensors(learner, replay, held)
        with torch.no_grad():
            action = learner.policy.clamp_action(held_batch["action"])
            nll, _ = learner.model.nll_and_mse(held_batch["obs"], action, held_batch["next_obs"])
        errors = k_step_errors(learner, replay, held)
        cells = " | ".join(f"{errors[k]:.3f}" if k in errors else "-" for k in HORIZONS)
        print(f"| {name} | {float(nll):.3f} | {cells} | {ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
