"""Full learner updates per second (model + critic + policy) for every algorithm, on one CPU core.

Monoped-sized problem (14-d state, 4-d action) with the default network sizes for a task of that size (policy
64x64, critic 128x128, model 32x32 per state dimension; docs/DESIGN.md), at batch 64 and 256, broken down by part.
In the same run it times one stable-baselines3 SAC gradient step on the same state/action sizes and
batch (its default 256x256 networks, and also ours-sized 64x64 nets for a like-for-like ratio), so the
ratio is measured on the same machine at the same time.

Times are CPU time of this process (time.process_time), the fastest of 5 blocks, which is less disturbed
by other load on a shared machine than wall time; run on an idle machine for numbers to quote.

    python -m benchmarks.update_speed [--batches 64 256] [--algos svg1-er svg0 ...] [--repeats 200] [--compiled]
        [--own-sizes]

``--own-sizes`` keeps each algorithm's own network sizes (sac-svg: 256x256 policy and critics, one 200x200
model) instead of the shared ones above; ``--compiled`` also times every compilable algorithm among
``--algos`` with ``compile_update=true``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from svg_control.core.algos import ALGORITHMS, LEARNERS, make_learner
from svg_control.core.config import parse_override
from svg_control.core.learner import Learner, episode_tensors
from svg_control.core.settings import build_config
from svg_control.core.task import TaskSpec
from svg_control.core.transition import Transition

OBS_DIM, ACT_DIM = 14, 4
SIZES = {"policy_hidden": (64, 64), "critic_hidden": (128, 128), "model_hidden": (32, 32)}


def monoped_sized_spec() -> TaskSpec:
    return TaskSpec("monoped_sized", OBS_DIM, ACT_DIM, (-1.0,) * ACT_DIM, (1.0,) * ACT_DIM, dt=0.01, horizon=200)


def quadratic_reward(obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
    return -(next_obs**2).sum(-1) - 0.1 * (action**2).sum(-1)


def filled_agent(algo: str, batch: int, overrides: dict, seed: int = 0, own_sizes: bool = False) -> Learner:
    spec = monoped_sized_spec()
    config = build_config(algo, {**({} if own_sizes else SIZES), "batch_size": batch, "min_replay": 1, **overrides})
    agent = make_learner(algo, spec, quadratic_reward, config, seed=seed)
    rng = np.random.default_rng(seed)
    obs = rng.standard_normal(OBS_DIM)
    for t in range(2000):  # 10 episodes of 200 steps of a random linear system
        action, log_prob = agent.act(obs)
        next_obs = 0.95 * obs + 0.1 * rng.standard_normal(OBS_DIM)
        next_obs[:ACT_DIM] += 0.05 * np.clip(action, -1, 1)
        done = (t + 1) % 200 == 0
        agent.observe(Transition(obs, action, float(-(next_obs**2).sum()), next_obs, False, done, log_prob))
        obs = rng.standard_normal(OBS_DIM) if done else next_obs
    return agent


def cpu_time_per_call(fn, repeats: int, blocks: int = 5) -> float:
    """CPU seconds per call: the fastest of ``blocks`` blocks of ``repeats / blocks`` calls.

    The minimum, as timeit recommends: on a shared machine the slower blocks measure the neighbours
    (process time still grows with cache and memory-bandwidth contention), not the code.
    """
    for _ in range(max(5, repeats // 20)):
        fn()
    per_block = max(1, repeats // blocks)
    best = float("inf")
    for _ in range(blocks):
        start = time.process_time()
        for _ in range(per_block):
            fn()
        best = min(best, (time.process_time() - start) / per_block)
    return best


def time_agent(algo: str, batch: int, repeats: int, overrides: dict, own_sizes: bool = False) -> dict[str, float]:
    """CPU seconds per call of the eager update and its parts (sac-svg compiles by default: not here)."""
    agent = filled_agent(algo, batch, {"compile_update": False, **overrides}, own_sizes=own_sizes)
    sample = agent.prepare_batch(agent.replay.sample(batch, agent.rng))
    noise = agent.draw_noise(sample, policy_steps=True)
    weights, outputs = agent.importance_weights(sample)
    parts = {"model": lambda: agent.model_step(sample)}
    # the base's critic and policy steps are the parts of the base's update only; an algorithm with its own
    # update body (sac-svg) is timed whole
    own_body = type(agent).update_body is not Learner.update_body
    if agent.critic is not None and not own_body:
        parts["critic"] = lambda: agent.critic_step(sample, weights, noise, outputs=outputs)
    if not agent.episodic and not own_body:
        parts["policy"] = lambda: agent.policy_step(sample, weights, noise, outputs=outputs)
    out = {name: cpu_time_per_call(fn, repeats) for name, fn in parts.items()}
    if agent.episodic:
        # one policy update per 200-step episode: time it on a stored episode and amortise it per step
        episode = [Transition(agent.replay.obs[i], agent.replay.action[i], float(agent.replay.reward[i]),
                              agent.replay.next_obs[i], False, False, float(agent.replay.log_prob[i]))
                   for i in range(200)]
        windows = episode_tensors(episode)

        def policy_inputs():
            if algo == "svg-inf":
                return windows
            starts = agent.replay.sample(agent.config.planner_rollouts, agent.rng)["obs"]
            return starts, agent.config.planner_horizon

        def policy_step():
            inputs = policy_inputs()
            agent.eager_step("policy", lambda: (-agent.policy_objective(inputs, {}), {}), agent.config.grad_clip)

        out["policy"] = cpu_time_per_call(policy_step, max(5, repeats // 20)) / 200
    out["full"] = cpu_time_per_call(agent.update, repeats)
    if agent.episodic:
        out["full"] += out["policy"]
    return out


def time_sac(batch: int, repeats: int, hidden: tuple[int, ...]) -> float | None:
    """One SAC gradient step (critic + actor + entropy coefficient + target update) from stable-baselines3."""
    try:
        import gymnasium as gym
        from stable_baselines3 import SAC
    except ImportError:
        return None

    class Dummy(gym.Env):
        observation_space = gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32)
        action_space = gym.spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return self.observation_space.sample().clip(-5, 5), {}

        def step(self, action):
            return self.observation_space.sample().clip(-5, 5), 0.0, False, False, {}

    model = SAC("MlpPolicy", Dummy(), batch_size=batch, learning_starts=0, verbose=0, device="cpu",
                policy_kwargs={"net_arch": list(hidden)}, seed=0)
    model.learn(total_timesteps=batch + 10)  # fill the buffer a little; the step below is what we time
    return cpu_time_per_call(lambda: model.train(gradient_steps=1, batch_size=batch), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--algos", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--single-model-net", action="store_true",
                        help="one 64x64 model network instead of one 32x32 sub-network per state dimension")
    parser.add_argument("--compiled", action="store_true",
                        help="also time each compilable algorithm's full update with compile_update=true "
                             "(compiled before timing)")
    parser.add_argument("--own-sizes", action="store_true", help="each algorithm's own network sizes")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of the algorithms timed (e.g. --algos sac-svg --set model_data_fraction=0.5 "
                             "--set model_data_warmup=0: the update with model data for the critic)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = {"model_per_dimension": False, "model_hidden": (64, 64)} if args.single_model_net else {}
    overrides.update(dict(parse_override(item) for item in args.set))

    model_sizes = "each algorithm's own" if args.own_sizes else \
        "single 64x64" if args.single_model_net else "32x32 per dimension"
    print(f"torch {torch.__version__}, 1 thread; state {OBS_DIM}, action {ACT_DIM}; "
          f"model {model_sizes}; CPU ms per call")
    print(f"{'algorithm':<10} {'batch':>5} {'model':>7} {'critic':>7} {'policy':>7} {'full':>7} {'updates/s':>10}")
    results, compiled = {}, {}
    for batch in args.batches:
        for algo in args.algos:
            t = time_agent(algo, batch, args.repeats, overrides, args.own_sizes)
            results[(algo, batch)] = t
            critic, policy = (f"{t[part] * 1e3:>7.2f}" if part in t else f"{'-':>7}" for part in ("critic", "policy"))
            print(f"{algo:<10} {batch:>5} {t['model'] * 1e3:>7.2f} {critic} {policy} {t['full'] * 1e3:>7.2f} "
                  f"{1 / t['full']:>10.0f}")
        for algo in args.algos if args.compiled else ():
            if not LEARNERS[algo].compilable:
                continue
            agent = filled_agent(algo, batch, {**overrides, "compile_update": True}, own_sizes=args.own_sizes)
            agent.update()  # compiles
            full = cpu_time_per_call(agent.update, args.repeats)
            compiled[(algo, batch)] = full
            print(f"{'compiled':<10} {batch:>5} {'':>7} {'':>7} {'':>7} {full * 1e3:>7.2f} {1 / full:>10.0f}"
                  f"   ({algo}, compile_update=true: {results[(algo, batch)]['full'] / full:.2f}x eager)")
    print()
    for batch in args.batches:
        for hidden in ((256, 256), (64, 64)):
            sac = time_sac(batch, args.repeats, hidden)
            if sac is None:
                print("stable-baselines3 not installed (pip install -e .[bench]): no SAC baseline")
                break
            line = f"SAC (sb3, {hidden[0]}x{hidden[1]}) batch {batch}: {sac * 1e3:.2f} ms/step = {1 / sac:.0f} steps/s"
            for algo in ("svg1-er", "sac-svg"):
                if (algo, batch) in results:
                    line += f"; {algo} full update costs {results[(algo, batch)]['full'] / sac:.2f}x a SAC step"
            for algo, full in compiled.items():
                if algo[1] == batch:
                    line += f"; {algo[0]} compiled {full / sac:.2f}x"
            print(line)


if __name__ == "__main__":
    main()
