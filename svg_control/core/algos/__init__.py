"""The algorithms, one module each, registered by name in one table.

============ ========================== ======== ===========================================================
name         class (module)             critic   what the policy maximises
============ ========================== ======== ===========================================================
svg-inf      SVGInf (svg_inf.py)        none     the re-enacted return of each whole real episode (Alg. 1)
svg1         SVG1 (svg1.py)             V        SVG(1) on the most recent transitions, w = 1 (Alg. 2 on-policy)
svg1-er      SVG1ER (svg1.py)           V        SVG(1) on replay, truncated importance weights (Alg. 2, eq. 13)
svgk         SVGK (svgk.py)             V        k model steps along real windows, then V (eqs. 9-10 cut after k steps)
svg0         SVG0 (svg0.py)             Q        E_eta[Q(s, pi(s, eta))] on replay (the paper's SVG(0))
dpg          DPG (dpg.py)               Q        Q(s, mu(s)) on replay (deterministic baseline)
ac           ActorCritic (ac.py)        V        delta * log pi on the most recent transitions (baseline)
planner      Planner (planner.py)       none     returns of model-sampled rollouts, once per episode (baseline)
sac-svg      SACSVG (sac_svg.py)        twin Q   SVG(H) with entropy: H model steps, then min Q (Amos et al. 2021)
============ ========================== ======== ===========================================================

The first eight are the 2015 paper's algorithms and baselines, exactly as published (the paper-figure
scripts use them); sac-svg is the SVG family as practised now (maximum entropy, twin Q critics on real TD
targets, learned termination).
"""
from __future__ import annotations

import warnings

import torch

from ..config import AgentConfig
from ..learner import Learner, RewardFn, TerminationFn
from ..task import TaskSpec
from .ac import ActorCritic
from .dpg import DPG
from .planner import Planner
from .sac_svg import SACSVG
from .svg0 import SVG0
from .svg1 import SVG1, SVG1ER
from .svg_inf import SVGInf
from .svgk import SVGK

#: every algorithm by the name configs, the CLI and the nodes use
LEARNERS: dict[str, type[Learner]] = {cls.name: cls for cls in (SVGInf, SVG1, SVG1ER, SVG0, SVGK, DPG, ActorCritic,
                                                                 Planner, SACSVG)}
ALGORITHMS: tuple[str, ...] = tuple(LEARNERS)
#: the algorithm the CLI, the trainer and the nodes run when none is named
DEFAULT_ALGORITHM = SACSVG.name


def learner_class(algo: str) -> type[Learner]:
    """The class registered as ``algo`` (ValueError lists the valid names)."""
    try:
        return LEARNERS[algo]
    except KeyError:
        raise ValueError(f"unknown algorithm {algo!r}; valid: {', '.join(LEARNERS)}") from None


def make_learner(algo: str, spec: TaskSpec, reward_fn: RewardFn | None, config: AgentConfig,
                 seed: int = 0, device: str | torch.device = "cpu", termination_fn: TerminationFn | None = None
                 ) -> Learner:
    """Build the learner registered as ``algo`` with ``config`` (``settings.build_config``), compiled if it asks.

    ``compile_update: true`` wraps the learner's own update body in ``torch.compile``
    (``core/compiled_update.py``); torch.compile is imported only then, and the update stays eager where torch's
    compiler is switched off (``TORCH_COMPILE_DISABLE=1``) or the learner has a part the compiled update does not
    implement (a learned reward): compiling is a speed-up, never a reason not to learn.
    """
    cls = learner_class(algo)
    if config.algo != algo:
        raise ValueError(f"config is for {config.algo!r} but algorithm {algo!r} was requested")
    learner = cls(spec, reward_fn, config, seed, device, termination_fn=termination_fn)
    if config.compile_update:
        from ..compiled_update import CompiledUpdate, compiler_disabled

        if not compiler_disabled():
            try:
                learner.compiled_update = CompiledUpdate(learner)
            except ValueError as exc:  # a part it does not implement (a learned reward): learn, eagerly
                warnings.warn(f"{exc}; running the eager update", RuntimeWarning, stacklevel=2)
    return learner


__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHM", "LEARNERS", "Learner", "learner_class", "make_learner"]
