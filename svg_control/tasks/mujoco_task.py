"""Base class for the MuJoCo tasks: model loading, actuator noise, stepping, one reward for numpy and torch.

Why the pieces look the way they do:

* **One reward definition.** Each task writes its reward once as ``_reward(obs, act, next_obs, xp)`` using
  only arithmetic, ``x[..., i]`` / ``x[..., i:j]`` indexing, ``**``, ``.sum(-1)`` and ``xp.cos/sin/exp/tanh``.
  The learner calls it through :meth:`reward_torch` on batches (``xp = torch``); ``step`` calls the same
  function on the single transition as Python floats (rows wrapped in :class:`_Row`, ``xp = math``),
  because a torch call per step, or even numpy 0-d arithmetic, costs more than the physics on small
  models. Same code, so they agree to float precision; ``test/test_tasks.py`` checks 1e-6.
* **Rewards see only (obs, action, next_obs).** Anything a reward needs (target, normalised time) is in
  the observation, because the learner evaluates rewards on model-predicted states.
* **Actuator noise is torque noise.** The policy's action is clipped to the actuator ``ctrlrange``; then
  Gaussian noise with std ``actuator_noise * max(|ctrlrange|)`` per actuator is added and written to
  ``data.ctrl`` *without clipping again*: the noise models the motor, not the command, so the applied
  torque may exceed the nominal range by the noise. To let MuJoCo apply it, ``actuator_ctrllimited`` is
  switched off after the ranges are read (we clip the command ourselves). The noise is drawn once per
  control step and held over the substeps.
* **Seeded.** All randomness (reset distribution, noise, task-specific disturbances) comes from one
  ``numpy.random.Generator``; ``reset(seed)`` re-seeds it, ``reset()`` continues the stream.
* **Described without MuJoCo.** What the spec needs from the MJCF (``timestep``, the ``actuators`` with
  their control ranges) is written down in each task class, and ``obs_labels`` gives the state's size,
  so :meth:`MujocoTask.describe` makes a task's spec and reward without importing MuJoCo: the controller
  and learner nodes never load it. Building the task checks those declarations against the model.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from ..core.task import StepResult, Task, TaskSpec

if TYPE_CHECKING:
    import mujoco

#: (name of the actuated joint, lowest control, highest control) of one actuator, in actuator order
Actuator = tuple[str, float, float]


def unit_actuators(*joints: str) -> tuple[Actuator, ...]:
    """Actuators on ``joints`` with the control range [-1, 1] most tasks use."""
    return tuple((joint, -1.0, 1.0) for joint in joints)


def _mujoco() -> ModuleType:
    """MuJoCo, imported when a task's physics is built (never by ``describe``)."""
    import mujoco

    return mujoco


class _Row:
    """A 1-D row of Python floats that answers ``row[..., i]``, ``row[..., i:j]``, ``row ** p`` and ``.sum(-1)``.

    Lets the batched reward code run on one transition at Python-float speed.
    """

    __slots__ = ("v",)

    def __init__(self, v: list[float]) -> None:
        self.v = v

    def __getitem__(self, key: Any) -> Any:
        idx = key[-1] if isinstance(key, tuple) else key
        out = self.v[idx]
        return _Row(out) if isinstance(idx, slice) else out

    def __pow__(self, p: float) -> _Row:
        return _Row([x**p for x in self.v])

    def sum(self, axis: int = -1) -> float:
        return sum(self.v)


def sim_dir() -> Path:
    """Directory holding the MJCF files: the repo's ``sim/`` or, if installed by colcon, the share dir."""
    here = Path(__file__).resolve().parents[2] / "sim"
    if here.is_dir():
        return here
    try:  # installed with colcon: share/svg_control/sim
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("svg_control")) / "sim"
        if share.is_dir():
            return share
    except Exception:  # noqa: BLE001, S110 - ament not installed or package not found: fall through
        pass
    raise FileNotFoundError(f"svg_control: MJCF directory not found (looked in {here} and the ament share dir)")


def load_model(xml_file: str) -> mujoco.MjModel:
    """Load ``sim/<xml_file>``."""
    path = sim_dir() / xml_file
    if not path.is_file():
        raise FileNotFoundError(f"svg_control: MJCF file {path} does not exist")
    return _mujoco().MjModel.from_xml_path(str(path))


def model_actuators(model: mujoco.MjModel) -> tuple[Actuator, ...]:
    """Each actuator of ``model`` as (its joint's name, control range): what ``MujocoTask.actuators`` declares.

    An actuator whose transmission is not a joint (an adhesion pad's body) is named by the actuator itself.
    """
    mujoco = _mujoco()
    out = []
    for i in range(model.nu):
        target = int(model.actuator_trnid[i, 0])
        on_joint = int(model.actuator_trntype[i]) == int(mujoco.mjtTrn.mjTRN_JOINT)
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, target) if on_joint else \
            mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i)
        low, high = (float(x) for x in model.actuator_ctrlrange[i])
        out.append((name or f"u{i}", low, high))
    return tuple(out)


class MujocoTask(Task):
    """A task on one MJCF model. Subclasses set ``xml_file`` and implement the hooks below.

    Subclasses also declare ``timestep`` and ``actuators`` (what the MJCF says) and ``obs_labels`` (one per
    state dimension), from which the spec is made without loading the model.

    Hooks: ``_reset_state`` (sample qpos/qvel and task variables), ``observation``, ``_reward`` (static,
    numpy/torch agnostic), optionally ``_terminated``, ``_before_physics`` and ``_after_physics``.
    """

    xml_file: str = ""
    #: the MJCF's ``<option timestep>`` [s]; the control period is ``timestep * n_substeps``
    timestep: float = 0.0
    actuators: tuple[Actuator, ...] = ()
    obs_labels: tuple[str, ...] = ()
    description: str = ""
    #: False for a task made by ``describe``: spec and reward only, no model
    _physics: bool = True
    # how render.py frames the robot: distance [m], elevation / azimuth [deg], track (follow body 1)
    render_camera: ClassVar[dict[str, float]] = {"distance": 3.0, "elevation": -15.0, "azimuth": 90.0, "track": 1.0}

    def __init__(
        self,
        *,
        name: str,
        n_substeps: int,
        horizon: int,
        actuator_noise: float = 0.0,
        seed: int | None = None,
        extras: dict[str, Any] | None = None,
    ) -> None:
        if n_substeps < 1 or horizon < 1:
            raise ValueError(f"task {name!r}: n_substeps and horizon must be >= 1")
        if actuator_noise < 0:
            raise ValueError(f"task {name!r}: actuator_noise must be >= 0")
        self.n_substeps = int(n_substeps)
        joint_names = tuple(joint for joint, _, _ in self.actuators)
        self._low = np.array([low for _, low, _ in self.actuators], dtype=np.float64)
        self._high = np.array([high for _, _, high in self.actuators], dtype=np.float64)
        self.actuator_noise = float(actuator_noise)
        self._noise_std = self.actuator_noise * np.maximum(np.abs(self._low), np.abs(self._high))
        self.rng = np.random.default_rng(seed)
        self.t = 0
        self._obs = np.zeros(0)
        self._obs_row = _Row([])
        self.spec = TaskSpec(
            name=name,
            obs_dim=len(self.obs_labels),
            act_dim=len(self.actuators),
            action_low=tuple(float(x) for x in self._low),
            action_high=tuple(float(x) for x in self._high),
            dt=float(self.timestep * self.n_substeps),
            horizon=int(horizon),
            obs_labels=self.obs_labels,
            joint_names=joint_names,
            actuator_noise=self.actuator_noise,
            description=self.description,
            extras=dict(extras or {}),
        )
        self._act_shape = (self.spec.act_dim,)
        self._low_l, self._high_l = self._low.tolist(), self._high.tolist()
        self._horizon_steps = int(horizon)
        self._init_task_state()
        if self._physics:
            self._build_physics()

    @classmethod
    def describe(cls, **kwargs: Any) -> MujocoTask:
        """The task without its physics (MuJoCo is not imported): ``spec`` and ``reward_torch`` work, ``reset``
        and ``step`` raise. Same constructor, same arguments, so the spec is the built task's."""
        task = cls.__new__(cls)
        task._physics = False
        task.__init__(**kwargs)  # type: ignore[misc]
        return task

    def _build_physics(self) -> None:
        """Load and configure the model; ValueError where it disagrees with the class's declarations."""
        mujoco = self._mj = _mujoco()
        self.model = load_model(self.xml_file)
        self._configure_model(self.model)
        self.data = mujoco.MjData(self.model)
        declared = (self.timestep, self.actuators, self.spec.obs_dim)
        found = (float(self.model.opt.timestep), model_actuators(self.model), int(self.observation().shape[0]))
        if found != declared:
            raise ValueError(f"task {self.spec.name!r}: {self.xml_file} has (timestep, actuators, obs_dim) "
                             f"{found}, the class declares {declared}")
        self.model.actuator_ctrllimited[:] = 0  # we clip the command; the noise on top must not be clipped

    # ------------------------------------------------------------------ hooks
    def _configure_model(self, model: mujoco.MjModel) -> None:
        """Change model parameters after loading (variants such as joint springs)."""

    def _init_task_state(self) -> None:
        """Create task variables (targets ...) before the first ``observation`` call."""

    def _reset_state(self) -> None:
        """Sample the initial state into ``self.data`` (after ``mj_resetData``) and task variables."""

    def observation(self) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _reward(obs: Any, act: Any, nxt: Any, xp: ModuleType) -> Any:
        raise NotImplementedError

    def _terminated(self, obs: np.ndarray) -> bool:
        return False

    def _before_physics(self, action: list[float]) -> None:
        """Called with the clipped action after ``data.ctrl`` is set, before the substeps (random forces ...)."""

    def _after_physics(self) -> None:
        """Called after the substeps, before the observation (kinematic targets ...)."""

    # --------------------------------------------------------------- contract
    def reset(self, seed: int | None = None) -> np.ndarray:
        if not self._physics:
            raise RuntimeError(f"task {self.spec.name!r} was described without its physics; make_task builds it")
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self._mj.mj_resetData(self.model, self.data)
        self.t = 0
        self._reset_state()
        self._mj.mj_forward(self.model, self.data)
        self._obs = self.observation()
        self._obs_row = _Row(self._obs.tolist())
        return self._obs.copy()

    def clip_action(self, action: np.ndarray) -> np.ndarray:
        """Same contract as ``Task.clip_action`` (ValueError on bad shape / NaN / Inf), minus numpy overhead."""
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self._act_shape:
            raise ValueError(f"task {self.spec.name!r}: action has shape {a.shape}, expected ({self.spec.act_dim},)")
        if not math.isfinite(a.sum()):
            raise ValueError(f"task {self.spec.name!r}: action contains NaN or Inf: {a}")
        return np.minimum(np.maximum(a, self._low), self._high)

    def _clip_fast(self, action: np.ndarray) -> list[float]:
        """``clip_action`` on Python floats: the per-step path (numpy calls cost ~1 us each at this size)."""
        v = action.tolist() if isinstance(action, np.ndarray) else list(np.asarray(action, dtype=np.float64).ravel())
        if len(v) != self.spec.act_dim or (isinstance(action, np.ndarray) and action.ndim != 1):
            self.clip_action(action)  # raises with the shape message
        if not all(map(math.isfinite, v)):
            self.clip_action(action)  # raises with the NaN/Inf message
        return [lo if x < lo else min(x, hi) for x, lo, hi in zip(v, self._low_l, self._high_l)]

    def step(self, action: np.ndarray) -> StepResult:
        if self._obs.shape[0] != self.spec.obs_dim:
            raise RuntimeError(f"task {self.spec.name!r}: call reset() before step()")
        a = self._clip_fast(action)
        data = self.data
        if self.actuator_noise > 0:
            data.ctrl[:] = self.rng.standard_normal(len(a)) * self._noise_std + a
        else:
            data.ctrl[:] = a
        self._before_physics(a)
        self._mj.mj_step(self.model, data, self.n_substeps)
        self.t += 1
        self._after_physics()
        obs = self.observation()
        row = _Row(obs.tolist())
        reward = float(self._reward(self._obs_row, _Row(a), row, math))
        self._obs, self._obs_row = obs, row
        terminated = self._terminated(obs)
        truncated = (not terminated) and self.t >= self._horizon_steps
        return StepResult(obs.copy(), reward, terminated, truncated, {"t": self.t})

    def reward_torch(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        return self._reward(obs, action, next_obs, torch)

    def reward_numpy(self, obs: np.ndarray, action: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        """The step() reward on numpy arrays (single rows or batches)."""
        return np.asarray(self._reward(obs, action, next_obs, np), dtype=np.float64)

    def close(self) -> None:
        pass
