"""Env steps/s of every MuJoCo task through our task layer vs a bare ``mujoco.mj_step`` loop.

Both loops use the same compiled model and the same number of substeps per control step, and feed the
same pre-drawn random actions; the bare loop only writes ``data.ctrl`` and steps. The ratio bare/task is
the overhead of the task layer (validation, clipping, torque noise, observation, numpy reward).
Target: <= 1.2x. Run: ``python -m benchmarks.sim_speed [--steps N] [task ...]``.
"""

from __future__ import annotations

import argparse
import time

import mujoco
import numpy as np

from svg_control.tasks import make_task, task_names
from svg_control.tasks.mujoco_task import MujocoTask


def _episodes(task: MujocoTask, actions: np.ndarray) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, list]:
    """Run the task once (untimed); record each episode's initial state, every applied ctrl, the last steps."""
    starts, ctrls, ends = [], np.empty((len(actions), task.model.nu)), []
    task.reset(0)
    starts.append((task.data.qpos.copy(), task.data.qvel.copy()))
    for i, a in enumerate(actions):
        res = task.step(a)
        ctrls[i] = task.data.ctrl
        if res.terminated or res.truncated:
            task.reset()
            starts.append((task.data.qpos.copy(), task.data.qvel.copy()))
            ends.append(i)
    return starts, ctrls, ends + [-1]


def bench(name: str, steps: int, repeats: int = 3) -> tuple[float, float]:
    """Best-of-``repeats`` steps/s (task layer, bare mj_step).

    The bare loop replays the *same* trajectory: the controls the task actually applied (action + torque
    noise) and the same episode starts, so both loops pay for the same contacts and the ratio is the
    task layer's own cost (validation, clipping, noise, observation, reward, resets' sampling).
    """
    task = make_task(name)
    assert isinstance(task, MujocoTask)
    rng = np.random.default_rng(0)
    actions = rng.uniform(task.spec.low, task.spec.high, size=(steps, task.spec.act_dim))
    starts, ctrls, ends = _episodes(task, actions)
    model, data, n = task.model, task.data, task.n_substeps
    best_task = best_bare = 0.0
    for _ in range(repeats):
        task.reset(0)
        t0 = time.perf_counter()
        for a in actions:
            res = task.step(a)
            if res.terminated or res.truncated:
                task.reset()
        best_task = max(best_task, steps / (time.perf_counter() - t0))

        episode = 0
        t0 = time.perf_counter()
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:] = starts[0]
        for i, c in enumerate(ctrls):
            data.ctrl[:] = c
            mujoco.mj_step(model, data, n)
            if i == ends[episode]:  # the same episode boundaries as the task loop
                episode += 1
                mujoco.mj_resetData(model, data)
                data.qpos[:], data.qvel[:] = starts[episode]
        best_bare = max(best_bare, steps / (time.perf_counter() - t0))
    return best_task, best_bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="task names (default: all MuJoCo tasks)")
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    names = args.tasks or [n for n in task_names() if n != "point_mass"]
    print(f"mujoco {mujoco.__version__}, {args.steps} control steps, best of 3")
    header = f"{'task':<22}{'substeps':>9}{'task steps/s':>14}{'bare steps/s':>14}{'overhead':>10}"
    print(header)
    print("-" * len(header))
    ratios = []
    for name in names:
        task_sps, bare_sps = bench(name, args.steps)
        ratio = bare_sps / task_sps
        ratios.append(ratio)
        n = make_task(name).n_substeps  # type: ignore[attr-defined]
        print(f"{name:<22}{n:>9}{task_sps:>14.0f}{bare_sps:>14.0f}{ratio:>9.2f}x")
    print(f"{'geometric mean':<22}{'':>9}{'':>14}{'':>14}{np.exp(np.mean(np.log(ratios))):>9.2f}x")


if __name__ == "__main__":
    main()
