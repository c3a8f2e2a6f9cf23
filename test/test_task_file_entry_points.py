"""A task file's reward and termination modules: found beside the file without PYTHONPATH, and which one wins a name.

See ``svg_control/tasks/entry_points.py`` for the rule: the module beside the task file first, its folder kept
on ``sys.path`` for the module's own imports; a name already imported from elsewhere is refused, never swapped.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import yaml

from svg_control.tasks.task_file import TaskFileError, load_task_file

ROOT = Path(__file__).resolve().parents[1]


def write_task(folder: Path, reward: str, termination: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "name": "arm", "control_period": 0.02, "episode_length": 50,
        "observation": [{"joint": "a", "field": "position"}, {"joint": "a", "field": "velocity"}],
        "commands": {"interface": "effort", "joints": [{"name": "a", "min": -2.0, "max": 2.0}]},
        "reward": {"function": reward}, "episode_start": {"operator": True},
    }
    if termination:
        data["termination"] = {"function": termination}
    path = folder / "arm.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def write_module(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


def reward_returning(value: float) -> str:
    return f"""
        import torch

        def reward(obs, command, next_obs):
            return torch.full(obs.shape[:1], {value})
        """


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``sys.path`` restored after the test, and the module names the test lists forgotten."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    names: list[str] = []
    yield names
    for name in names:
        sys.modules.pop(name, None)


def test_a_reward_beside_the_file_is_found_from_another_folder_without_pythonpath(tmp_path: Path) -> None:
    robot = tmp_path / "robot"
    module = write_module(robot, "arm_reward_beside", """
        import torch

        def reward(obs, command, next_obs):
            import arm_reward_helpers  # a neighbour imported when the reward runs, long after loading

            return arm_reward_helpers.SIGN * command.pow(2).sum(-1) + 0.0 * obs[:, 0]
        """)
    write_module(robot, "arm_reward_helpers", "SIGN = -3.0\n")
    write_task(robot, "arm_reward_beside:reward")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = textwrap.dedent(f"""
        import inspect, json, sys
        sys.path.insert(0, {str(ROOT)!r})  # this package as installed; the robot's folder is nowhere on the path
        import svg_control, torch
        from svg_control.tasks.task_file import load_task_file

        task = load_task_file("../robot/arm.yaml")
        reward = task.reward_torch()
        value = reward(torch.zeros(1, 2), torch.ones(1, 1), torch.zeros(1, 2))
        print(json.dumps({{"package": svg_control.__file__, "source": inspect.getsourcefile(task._reward),
                          "value": value.tolist()}}))
        """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(ROOT)
    assert Path(out["source"]) == module.resolve()
    assert out["value"] == [-3.0 * 2.0 ** 2]  # action 1 is the joint's max, 2 N m


def test_the_module_beside_the_file_wins_over_one_elsewhere_on_the_path(tmp_path: Path,
                                                                         isolated_imports: list[str]) -> None:
    isolated_imports += ["arm_reward_twin"]
    write_module(tmp_path / "installed", "arm_reward_twin", reward_returning(1.0))
    sys.path.insert(0, str(tmp_path / "installed"))
    beside = write_module(tmp_path / "robot", "arm_reward_twin", reward_returning(2.0))
    task = load_task_file(write_task(tmp_path / "robot", "arm_reward_twin:reward"))
    assert Path(sys.modules["arm_reward_twin"].__file__).resolve() == beside.resolve()
    assert task.reward_torch()(torch.zeros(3, 2), torch.zeros(3, 1), torch.zeros(3, 2)).tolist() == [2.0] * 3
    assert sys.path[0] == os.path.realpath(tmp_path / "robot")  # kept, for the module's own imports
    load_task_file(tmp_path / "robot" / "arm.yaml")
    assert sys.path.count(os.path.realpath(tmp_path / "robot")) == 1  # loading again adds it no second time


def test_a_name_already_imported_from_elsewhere_is_refused_naming_both(tmp_path: Path,
                                                                       isolated_imports: list[str]) -> None:
    write_module(tmp_path / "robot", "textwrap", reward_returning(1.0))  # the standard library's, imported
    with pytest.raises(TaskFileError, match="'reward.function'") as caught:
        load_task_file(write_task(tmp_path / "robot", "textwrap:reward"))
    message = str(caught.value)
    assert "shadowed" in message and str(Path(textwrap.__file__).resolve()) in message
    assert str((tmp_path / "robot" / "textwrap.py").resolve()) in message
    assert sys.modules["textwrap"] is textwrap


def test_a_module_not_beside_the_file_comes_from_the_import_path_and_leaves_it_alone(
        tmp_path: Path, isolated_imports: list[str]) -> None:
    isolated_imports += ["arm_termination_elsewhere"]
    write_module(tmp_path / "installed", "arm_termination_elsewhere", """
        import torch

        def reward(obs, command, next_obs):
            return obs[:, 0]

        def fallen(obs, command, next_obs):
            return obs[:, 1] > 1.0
        """)
    sys.path.insert(0, str(tmp_path / "installed"))
    before = list(sys.path)
    task = load_task_file(write_task(tmp_path / "robot", "arm_termination_elsewhere:reward",
                                     "arm_termination_elsewhere:fallen"))
    assert sys.path == before
    done = task.terminated_torch()(torch.zeros(2, 2), torch.zeros(2, 1), torch.tensor([[0.0, 0.5], [0.0, 2.0]]))
    assert done.tolist() == [False, False]  # this termination reads obs, not next_obs
    done = task.terminated_torch()(torch.tensor([[0.0, 0.5], [0.0, 2.0]]), torch.zeros(2, 1), torch.zeros(2, 2))
    assert done.tolist() == [False, True]


@pytest.mark.parametrize("spec", ["../robot/arm_reward:reward", "arm reward:reward", "arm_reward.:reward"])
def test_a_module_name_that_is_not_one_is_named(tmp_path: Path, spec: str) -> None:
    with pytest.raises(TaskFileError, match="'reward.function'.*not a module name"):
        load_task_file(write_task(tmp_path / "robot", spec))
