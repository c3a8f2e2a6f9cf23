"""`svg-control train|eval|launch|tasks|check-robot|record|render|plot`.

Errors that a user can fix (unknown task or algorithm, a bad override, a
missing run directory, a corrupt checkpoint) print one line and exit 2
instead of a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import cpu
from .core.algos import ALGORITHMS, DEFAULT_ALGORITHM
from .core.config import parse_override


def _overrides(items: list[str]) -> dict:
    return dict(parse_override(item) for item in items)


def cmd_train(args: argparse.Namespace) -> int:

    from .trainer import RunSettings, read_settings, train

    _, warning = cpu.apply(args.threads, cpu.parse_cpu_list(args.cpus))
    if warning:
        print(f"svg-control train: {warning}", file=sys.stderr)
    if args.resume:
        settings = read_settings(args.resume)
        if args.steps:
            settings.steps = args.steps
        out = args.resume
    else:
        if not args.task or not args.steps:
            raise ValueError("train needs --task and --steps (or --resume DIR)")
        out = args.out or f"runs/{args.task}-{args.algo}-s{args.seed}"
        settings = RunSettings(task=args.task, algo=args.algo, steps=args.steps, seed=args.seed,
                               eval_every=args.eval_every, eval_episodes=args.eval_episodes,
                               checkpoint_every=args.checkpoint_every, device=args.device,
                               task_overrides=_overrides(args.task_set), overrides=_overrides(args.set),
                               from_bag=args.from_bag or "")
    records = train(settings, out, resume=bool(args.resume), progress=not args.quiet)
    last = records[-1]
    print(f"{settings.algo} on {settings.task}: step {last['step']}, eval return "
          f"{last['eval_return_mean']:.2f} +- {last['eval_return_std']:.2f}; output in {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from .tasks.registry import make_task
    from .trainer import evaluate_policy, load_trained_policy

    policy, settings = load_trained_policy(args.run)
    task = make_task(args.task or settings.task, **settings.task_overrides)
    returns = evaluate_policy(policy, task, args.episodes, deterministic=not args.stochastic)
    print(f"{settings.algo} on {task.spec.name}: return {np.mean(returns):.2f} +- {np.std(returns):.2f} "
          f"over {args.episodes} episodes")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from .tasks.table import tasks_table
    from .tasks.task_file import describe_task_file, load_task_file

    if not args.files:
        print(tasks_table())
    for path in args.files:  # a wrong file raises TaskFileError (a ValueError): the field, exit code 2
        print(describe_task_file(load_task_file(path)))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .plotting import plot_runs

    print(plot_runs(args.runs, args.output, args.title))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .tasks.render import render_episode

    policy_fn = None
    task = args.task
    if args.policy:
        from .trainer import load_trained_policy

        policy, settings = load_trained_policy(args.policy)
        task = task or settings.task

        def policy_fn(obs):
            return policy.act(obs, deterministic=True)[0]
    if not task:
        raise ValueError("render needs --task (or --policy RUN_DIR)")
    print(render_episode(task, policy_fn, args.output, steps=args.steps, width=args.width, height=args.height))
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    import os
    import signal

    from .nodes.monitoring.recorder import main as recorder_main

    ros_args = ["--ros-args", "-r", "__node:=recorder", "-p", f"task:={args.task}", "-p", f"bag_dir:={args.bag}"]
    if args.namespace:
        ros_args += ["-r", f"__ns:=/{args.namespace.strip('/')}"]
    if args.duration:
        signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
        signal.alarm(max(1, int(args.duration)))
    return recorder_main(ros_args)


def cmd_check_robot(args: argparse.Namespace) -> int:
    from .nodes.robot.robot_check import main as check_main

    return check_main(args.task_file, args.seconds)


def cmd_launch(argv: list[str]) -> int:
    from .nodes.bringup.launcher import main as launcher_main

    return launcher_main(argv)


def build_parser() -> argparse.ArgumentParser:
    from .trainer import run_default  # the run settings' defaults are RunSettings' own

    p = argparse.ArgumentParser(prog="svg-control", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="headless training of one algorithm on one task")
    t.add_argument("--task")
    t.add_argument("--algo", choices=ALGORITHMS, default=DEFAULT_ALGORITHM,
                   help=f"default {DEFAULT_ALGORITHM}: maximum-entropy SVG(H) with twin LayerNorm Q critics on "
                        "real TD targets and 10000 updates of plain SAC before the model enters the policy's "
                        "estimate (SAC-SVG(H), Amos et al. 2021), the default of every task and of the nodes; "
                        "svg1-er is the paper's SVG(1)-ER exactly as published; the others are the paper's SVG(inf), "
                        "SVG(1), SVG(k), SVG(0) "
                        "and its DPG, actor-critic and planner baselines")
    t.add_argument("--steps", type=int)
    t.add_argument("--seed", type=int, default=run_default("seed"))
    t.add_argument("--out", help="output directory (default runs/<task>-<algo>-s<seed>)")
    t.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its latest checkpoint")
    t.add_argument("--eval-every", type=int, default=run_default("eval_every"))
    t.add_argument("--eval-episodes", type=int, default=run_default("eval_episodes"))
    t.add_argument("--checkpoint-every", type=int, default=run_default("checkpoint_every"))
    t.add_argument("--device", default=run_default("device"))
    t.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0: every core the process "
                   "may use; more than there are is clamped, with a warning)")
    t.add_argument("--cpus", default="", help="cores to run on, e.g. '1-3' (default: all)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="hyperparameter override")
    t.add_argument("--task-set", action="append", default=[], metavar="KEY=VALUE", help="task constructor override")
    t.add_argument("--from-bag", metavar="BAG", help="a rosbag2 of the task's transitions (svg-control record): it "
                   "fills the replay, one update per transition, then training goes on online up to --steps")
    t.add_argument("--quiet", action="store_true", help="no progress output (no bar, no log lines)")
    t.set_defaults(func=cmd_train)

    r = sub.add_parser("record", help="record a running node set's experience as a rosbag2 (MCAP) until Ctrl-C")
    r.add_argument("--task", required=True)
    r.add_argument("--bag", required=True, help="the bag directory to create")
    r.add_argument("--namespace", default="", help="the node set's namespace")
    r.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    r.set_defaults(func=cmd_record)

    e = sub.add_parser("eval", help="evaluate the final policy of a run directory")
    e.add_argument("run")
    e.add_argument("--episodes", type=int, default=10)
    e.add_argument("--task", help="evaluate on another task of the same dimensions")
    e.add_argument("--stochastic", action="store_true", help="sample actions instead of the mean")
    e.set_defaults(func=cmd_eval)

    ts = sub.add_parser("tasks", help="list the task suite, or check and describe robot task files")
    ts.add_argument("files", nargs="*", metavar="TASK_FILE", help="robot task files (*.yaml, docs/ROBOTS.md) to "
                    "validate (their reward and termination are imported and run once) and describe")
    ts.set_defaults(func=cmd_tasks)

    cr = sub.add_parser("check-robot", help="bring-up check of a robot for its task file: its topics, rates, "
                        "joints, commands listener, reset service and the observation (sends no command)")
    cr.add_argument("task_file")
    cr.add_argument("--seconds", type=float, default=3.0, help="how long to listen (default 3)")
    cr.set_defaults(func=cmd_check_robot)

    pl = sub.add_parser("plot", help="learning curves of run directories (seeds of one algo/task shaded)")
    pl.add_argument("runs", nargs="+")
    pl.add_argument("-o", "--output", default="curve.png")
    pl.add_argument("--title")
    pl.set_defaults(func=cmd_plot)

    r = sub.add_parser("render", help="render an episode to .mp4/.gif/.png (offscreen MuJoCo)")
    r.add_argument("--task")
    r.add_argument("--policy", metavar="RUN_DIR", help="a training output directory")
    r.add_argument("-o", "--output", default="episode.mp4")
    r.add_argument("--steps", type=int, default=200)
    r.add_argument("--width", type=int, default=320)
    r.add_argument("--height", type=int, default=240)
    r.set_defaults(func=cmd_render)

    sub.add_parser("launch", help="start simulator, controller and learner for a task (see `launch -h`)",
                   add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "launch":
        return cmd_launch(argv[1:])
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MUJOCO_GL", "egl")
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"svg-control {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
