"""Stage 6 — execute a plan against a PyNN module handed in by the caller.

Every PyNN or simulator error raised while a step runs is reported against
the spec object the step came from (file:line:column), never as a bare
traceback. This module imports no simulator itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from netspec.diagnostics import Diagnostic
from netspec.errors import SimulationError
from netspec.model import Origin
from netspec.plan import Attr, Call, Lit, LoadArray, Plan, Step, Sym


def namespace(sim: ModuleType, helpers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The names a plan refers to, bound for the PyNN module ``sim`` (and netspec's
    ``helpers`` modules, by name)."""
    from pyNN import space
    from pyNN.parameters import Sequence
    from pyNN.random import NumpyRNG, RandomDistribution
    names: dict[str, Any] = {"sim": sim, "np": np, "RandomDistribution": RandomDistribution,
                             "NumpyRNG": NumpyRNG, "Sequence": Sequence, "space": space}
    for alias, module in (helpers or {}).items():
        names[alias] = importlib.import_module(module)
    return names


def execute(steps: tuple[Step, ...], env: dict[str, Any],
            fallback: Origin | None = None) -> dict[str, Any]:
    """Run ``steps`` in ``env`` (updated in place with each assigned variable); an error
    of a step with no origin of its own is reported at ``fallback``."""
    for step in steps:
        try:
            value = _eval(step.expr, env)
        except Exception as exc:
            raise SimulationError(_diagnostic(step, exc, fallback)) from exc
        if step.target is not None:
            env[step.target] = value
    return env


def build(plan: Plan, sim: ModuleType) -> dict[str, Any]:
    """Set up the simulator and build the network of ``plan``; returns the variables."""
    env = namespace(sim, plan.helpers)
    execute(plan.setup, env, plan.network.simulation.origin)
    return execute(plan.build, env)


def objects(plan: Plan, env: Mapping[str, Any]) -> dict[str, Any]:
    """Spec name → PyNN object, after :func:`build`."""
    return {name: env[var] for name, var in plan.objects.items()}


def _eval(node: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(node, Lit):
        value = node.value
        if isinstance(value, list):
            return [_eval(v, env) for v in value]
        return value
    if isinstance(node, Sym):
        head, *rest = node.name.split(".")
        value = env[head]
        for part in rest:
            try:
                value = getattr(value, part)
            except AttributeError:
                module = getattr(value, "__name__", head)
                raise _Missing(f"{module} does not provide {part}; this backend cannot run "
                               "it") from None
        return value
    if isinstance(node, Attr):
        return getattr(_eval(node.obj, env), node.name)
    if isinstance(node, Call):
        func = _eval(node.func, env)
        args = [_eval(a, env) for a in node.args]
        kwargs = {k: _eval(v, env) for k, v in node.kwargs}
        return func(*args, **kwargs)
    if isinstance(node, LoadArray):
        return node.data
    if isinstance(node, list | tuple):
        return type(node)(_eval(v, env) for v in node)
    return node


class _Missing(Exception):
    """The backend's PyNN module lacks a model the spec names."""


def _diagnostic(step: Step, exc: Exception, fallback: Origin | None = None) -> Diagnostic:
    text = str(exc).strip().splitlines()
    reason = text[-1] if text else type(exc).__name__
    if not isinstance(exc, _Missing):
        reason = f"{type(exc).__name__}: {reason}"
    origin = step.origin or fallback
    if origin is None:
        return Diagnostic("<setup>", 0, 0, "NS701",
                          f"the simulator refused the settings: {reason}")
    what = ".".join(str(p) for p in origin.path)
    return Diagnostic(origin.file, origin.line, origin.column, "NS701",
                      f"the simulator refused {what}: {reason}",
                      origin.path)


def failed_run(origin: Origin | None, file: str, exc: Exception) -> SimulationError:
    """The error to raise when the simulator fails while the network runs: reported at
    ``simulation:`` (``origin``) of ``file``, as the simulator explains it."""
    text = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")
    line, column, path = (origin.line, origin.column, origin.path) if origin else (0, 0, ())
    return SimulationError(Diagnostic(file, line, column, "NS701",
                                      f"the simulator failed while running the network: "
                                      f"{reason}", path))
