"""The learner's run directory: its checkpoints, what run it is, and its online learning curve.

A run directory holds ``config.yaml`` (task, algorithm and the resolved agent config, the file the
trainer writes too, so ``svg-control plot`` labels it), the checkpoints (``core.checkpoint``) and
``metrics.jsonl``: one JSON line per finished episode, in the trainer's format with the online
return in place of an evaluation (``episode_return`` and ``episode_return_mean`` over the last ten
episodes), so ``svg-control plot RUN_DIR`` draws an online run.

Why a directory is checked before it is used: resuming another task's or algorithm's checkpoints would
either fail deep inside a load or, worse, train on; starting over must not overwrite anything. So a
directory of another run is refused at start with a message naming it, and a fresh start over an
existing run moves that run aside (``<dir>.old-<time>``) instead of deleting it.
"""
from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
RECENT = 10  # episodes in the logged mean, as the simulator's log line


class RunDirError(ValueError):
    """The run directory cannot be used for this run; the message says why and what to do."""


def prepare(path: Path, task: str, algo: str, resume: bool) -> Path | None:
    """Make ``path`` ready for a run of ``task`` with ``algo``; return where an older run was moved, if any.

    ``resume``: an existing run of the same task and algorithm continues; one of another task or
    algorithm is refused (RunDirError). Not ``resume``: an existing run is moved aside, then the
    directory starts empty. The run's ``config.yaml`` is written by :func:`record_config` once its
    checkpoint has loaded, so a refused checkpoint leaves the old run's record as it was.
    """
    moved = None
    if path.exists() and any(path.iterdir()):
        if resume:
            recorded = read_config(path)
            if recorded is not None:
                for key, mine in (("task", task), ("algo", algo)):
                    if recorded.get(key) != mine:
                        raise RunDirError(
                            f"{path} holds a run of {key} {recorded.get(key)!r}, this learner runs {mine!r}: "
                            "choose another run directory, or start over with resume false (the old run is "
                            "moved aside, not deleted)")
        else:
            moved = path.with_name(f"{path.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
            path.rename(moved)
    path.mkdir(parents=True, exist_ok=True)
    return moved


def record_config(path: Path, task: str, algo: str, config: dict[str, Any]) -> None:
    """The settings this learner runs with, as ``config.yaml`` (``svg-control train``'s layout)."""
    (path / CONFIG).write_text(yaml.safe_dump({"task": task, "algo": algo, "source": "online", "agent": config},
                                              sort_keys=False))


def read_config(path: Path) -> dict[str, Any] | None:
    """The run's ``config.yaml`` as a mapping, or None where there is none; RunDirError when it is unreadable."""
    file = path / CONFIG
    if not file.exists():
        return None
    try:
        data = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise RunDirError(f"{file} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RunDirError(f"{file} is not a mapping")
    return data


class EpisodeLog:
    """Sums each actor's rewards into episode returns and appends one metrics line per finished episode."""

    def __init__(self, path: Path, start_step: int = 0) -> None:
        self.path = path / METRICS
        self.started = time.monotonic()
        self.step = start_step
        self.episodes = 0
        self.running: dict[int, float] = {}
        self.recent: deque[float] = deque(maxlen=RECENT)
        if self.path.exists():  # a resumed run continues its curve
            for line in self.path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a kill: the rest of the curve still counts
                self.step = max(self.step, int(record.get("step", 0)))
                self.episodes = max(self.episodes, int(record.get("episode", -1)) + 1)
                if "episode_return" in record:
                    self.recent.append(float(record["episode_return"]))

    def add(self, actor: int, reward: float, episode_over: bool,
            extra: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """Count one transition; at an episode's end, write and return its metrics line (with ``extra()``,
        called only then: this runs for every transition the learner receives)."""
        self.step += 1
        total = self.running.get(actor, 0.0) + reward
        if not episode_over:
            self.running[actor] = total
            return None
        self.running.pop(actor, None)
        self.recent.append(total)
        record = {"step": self.step, "wall_s": round(time.monotonic() - self.started, 3), "episode": self.episodes,
                  "actor": actor, "episode_return": total, "episode_return_mean": float(np.mean(self.recent)),
                  "episodes_in_mean": len(self.recent), **extra()}
        self.episodes += 1
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        return record
