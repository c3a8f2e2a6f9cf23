"""Declared, described, range-checked node parameters.

Each node lists its parameters as :class:`Param` entries (all of them in ``parameter_table.TABLE``).
:func:`declare_all` declares them with a
``ParameterDescriptor`` (description, numeric range, read-only flag) and validates the values the
node was started with; a bad value raises :class:`ParameterError` naming the parameter, which
``runtime.run_node`` turns into a fatal log line and exit code 2, so a misconfigured robot never
starts moving. Runtime changes go through the same checks (an on-set callback refuses invalid
values; read-only parameters are refused by rclpy itself).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter

Check = Callable[[Any], "str | None"]


class ParameterError(ValueError):
    """A node parameter has an invalid value; the message names it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"invalid parameter '{name}': {reason}")
        self.name = name


@dataclass(frozen=True)
class Param:
    """One parameter: default (its type is the parameter's type), description and constraints."""

    name: str
    default: Any
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    read_only: bool = True
    check: Check | None = None

    def descriptor(self) -> ParameterDescriptor:
        extra = f" One of: {', '.join(self.choices)}." if self.choices else ""
        d = ParameterDescriptor(description=self.description + extra, read_only=self.read_only)
        if self.low is not None and self.high is not None:
            if isinstance(self.default, bool):
                pass
            elif isinstance(self.default, int):
                d.integer_range = [IntegerRange(from_value=int(self.low), to_value=int(self.high), step=0)]
            elif isinstance(self.default, float):
                d.floating_point_range = [FloatingPointRange(from_value=float(self.low), to_value=float(self.high),
                                                             step=0.0)]
        return d

    def validate(self, value: Any) -> None:
        """Raise ParameterError if ``value`` breaks a constraint rclpy does not check itself."""
        if self.low is not None and not isinstance(value, (bool, str)) and value < self.low:
            raise ParameterError(self.name, f"{value} is below the minimum {self.low}")
        if self.high is not None and not isinstance(value, (bool, str)) and value > self.high:
            raise ParameterError(self.name, f"{value} is above the maximum {self.high}")
        if self.choices and value not in self.choices:
            raise ParameterError(self.name, f"{value!r} is not one of {', '.join(self.choices)}")
        if self.check is not None:
            reason = self.check(value)
            if reason:
                raise ParameterError(self.name, reason)


def declare_all(node: Node, params: Sequence[Param]) -> dict[str, Any]:
    """Declare and validate ``params``; return their values. Installs the on-set validation callback."""
    values: dict[str, Any] = {}
    by_name = {p.name: p for p in params}
    for p in params:
        try:
            value = node.declare_parameter(p.name, p.default, p.descriptor()).value
        except ParameterException as exc:
            raise ParameterError(p.name, str(exc)) from None
        p.validate(value)
        values[p.name] = value

    def on_set(changes: list[Parameter]) -> SetParametersResult:
        for change in changes:
            spec = by_name.get(change.name)
            if spec is None:
                continue
            if change.type_ != Parameter.Type.from_parameter_value(spec.default):
                return SetParametersResult(successful=False, reason=f"parameter '{change.name}' has the wrong type")
            try:
                spec.validate(change.value)
            except ParameterError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        return SetParametersResult(successful=True)

    def after_set(changes: list[Parameter]) -> None:
        for change in changes:
            if change.name in values:
                values[change.name] = change.value

    if hasattr(node, "add_post_set_parameters_callback"):  # Iron and newer
        node.add_on_set_parameters_callback(on_set)
        node.add_post_set_parameters_callback(after_set)
    else:  # Humble: no post-set hook; take the values once they pass (another callback may still refuse them)
        def on_set_and_apply(changes: list[Parameter]) -> SetParametersResult:
            result = on_set(changes)
            if result.successful:
                after_set(changes)
            return result

        node.add_on_set_parameters_callback(on_set_and_apply)
    return values


def one_of(choices: Sequence[str]) -> Check:
    """A check for string parameters whose valid values are only known at run time (task names)."""
    valid = tuple(choices)
    return lambda v: None if v in valid else f"{v!r} is not one of {', '.join(valid)}"


def agent_overrides(text: str) -> dict[str, Any]:
    """The ``agent_overrides`` parameter: a YAML/JSON mapping of AgentConfig fields (``""`` = none).

    One string parameter instead of one ROS parameter per hyperparameter: the controller and the
    learner read the same string from the same ``/**`` section, so their policy architectures match.
    """
    import yaml

    if not text.strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError("agent_overrides", f"not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError("agent_overrides", f"must be a mapping like '{{batch_size: 64}}', got {text!r}")
    return data


def agent_config(algo: str, overrides_text: str, task: str | None = None):  # -> AgentConfig (lazy import)
    """``build_config(algo, overrides, task=task)``, with errors naming the parameter at fault."""
    from ...core.algos import ALGORITHMS
    from ...core.settings import build_config

    if algo not in ALGORITHMS:
        raise ParameterError("algo", f"{algo!r} is not one of {', '.join(ALGORITHMS)}")
    try:
        return build_config(algo, agent_overrides(overrides_text), task=task)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ParameterError):
            raise
        raise ParameterError("agent_overrides", str(exc)) from None


def relative_topic(value: str) -> str | None:
    """Check for a relative topic name (letters, digits, '_', '/'; not starting with a digit or '/')."""
    ok = bool(value) and all(c.isalnum() or c in "_/" for c in value) and not value[0].isdigit() \
        and not value.startswith("/") and "//" not in value and not value.endswith("/")
    return None if ok else f"{value!r} is not a valid relative topic name"


def topic_name(value: str) -> str | None:
    """Check for a relative or absolute ('/'-prefixed) topic name."""
    reason = relative_topic(value[1:] if value.startswith("/") else value)
    return None if reason is None else f"{value!r} is not a valid topic name"


def topic_list(value: str) -> str | None:
    """Check for a comma-separated list of topic names (relative or absolute), none named twice."""
    names = [t.strip() for t in value.split(",")]
    for t in names:
        reason = topic_name(t)
        if reason:
            return reason
    return None if len(set(names)) == len(names) else f"{value!r} names a topic twice"


def torch_device(value: str) -> str | None:
    """Check for a torch device the machine has: 'cpu', 'cuda' or 'cuda:N'."""
    if value == "cpu":
        return None
    if value == "cuda" or (value.startswith("cuda:") and value[5:].isdigit()):
        import torch

        if not torch.cuda.is_available():
            return f"{value!r} requested but CUDA is not available"
        if ":" in value and int(value[5:]) >= torch.cuda.device_count():
            return f"{value!r}: only {torch.cuda.device_count()} CUDA device(s)"
        return None
    return f"{value!r} is not 'cpu', 'cuda' or 'cuda:N'"
