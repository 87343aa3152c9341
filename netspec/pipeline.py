"""The whole front end on one screen: load → schema → resolve → checks → backend checks.

Nothing here imports PyNN, a simulator or Neo: validating a spec is cheap
enough for CI and editors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from netspec import schema, units
from netspec.checks import check_network
from netspec.diagnostics import Diagnostic, did_you_mean
from netspec.errors import SpecError, UsageError
from netspec.loader import ScalarError, load_yaml, plain_scalar
from netspec.model import Network
from netspec.resolve import resolve


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one spec: the network (``None`` if it could not be
    built at all) and every diagnostic, sorted by position."""

    network: Network | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that make the spec invalid."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def ok(self) -> bool:
        """Whether the spec is valid."""
        return not self.errors


#: The backend ``validate`` checks against when none is named: the one ``run`` uses.
DEFAULT_BACKEND = "nest"
#: ``backend="all"``: check against every backend.
ALL_BACKENDS = "all"


def check(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
          backend: str | None = None, duration: str | float | None = None) -> Checked:
    """Run every front-end stage on the spec at ``path``.

    ``backend`` adds what that backend cannot run (``"all"``: every backend;
    ``None``: the backend-independent checks only). ``duration`` replaces
    ``simulation.duration`` (a quantity such as ``"200 ms"``, or milliseconds).

    Raises :class:`~netspec.errors.SpecFileError` if the file cannot be read and
    :class:`~netspec.errors.UsageError` for an unknown backend, override or a
    bad ``duration``.
    """
    profiles = _profiles(backend)
    duration_ms = parse_duration(duration) if duration is not None else None
    try:
        loaded = load_yaml(path)
    except SpecError as exc:
        return Checked(None, tuple(sorted(exc.diagnostics)))
    _check_overrides(overrides or {}, loaded.data.get("parameters"))
    diagnostics = schema.check(loaded.data, loaded.source)
    network, found = resolve(loaded, overrides=overrides,
                             skip=[d.path for d in diagnostics
                                   if not _ignorable(d, loaded.data)])
    diagnostics += found
    if duration_ms is not None:
        network = _with_duration(network, duration_ms)
    diagnostics += check_network(network, loaded.source)
    if not diagnostics:  # backend checks assume a network that is valid otherwise
        for profile in profiles:
            diagnostics += profile.check(network, loaded.source)
    return Checked(network, tuple(sorted(set(diagnostics))))


def load(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
         backend: str | None = None, duration: str | float | None = None) -> Network:
    """The resolved network of the spec at ``path``, every value in PyNN's units.

    Raises :class:`~netspec.errors.SpecError` carrying every diagnostic if the
    spec is invalid (for ``backend``, when one is named); ``duration`` as in
    :func:`check`.
    """
    checked = check(path, overrides=overrides, backend=backend, duration=duration)
    if not checked.ok or checked.network is None:
        raise SpecError(checked.errors)
    return checked.network


def parse_duration(value: str | float) -> float:
    """A run length given outside the spec (``"200 ms"``, ``"2s"``, or a number of ms) in ms.

    Raises :class:`~netspec.errors.UsageError` unless it is a positive, finite time.
    """
    shown = str(value).strip()
    if isinstance(value, bool):
        raise UsageError(f"duration must be a time such as '200 ms', not {shown!r}")
    try:
        if isinstance(value, int | float):
            ms = float(value)
        else:
            number = plain_scalar(shown)
            ms = float(number) if isinstance(number, int | float) and not isinstance(
                number, bool) else units.magnitude_in(units.parse_quantity(shown), "ms")
    except (units.UnitError, ValueError):
        raise UsageError(f"duration must be a time such as '200 ms', not {shown!r}") from None
    if not ms > 0 or ms == float("inf"):
        raise UsageError(f"duration must be positive and finite, not {shown!r}")
    return ms


def _with_duration(network: Network, duration_ms: float) -> Network:
    """``network`` run for ``duration_ms`` instead of the spec's duration."""
    timestep = network.simulation.timestep
    if not units.is_multiple(duration_ms, timestep):
        raise UsageError(f"duration {duration_ms:g} ms is not a multiple of the spec's "
                         f"timestep ({timestep:g} ms)")
    simulation = replace(network.simulation, duration=units.tidy(
        round(duration_ms / timestep) * timestep))
    return replace(network, simulation=simulation)


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["n=100", "label=x"]`` → ``{"n": 100, "label": "x"}`` (YAML 1.2 scalar rules)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not value.strip():
            raise UsageError(f"--set takes NAME=VALUE, not '{item}'")
        try:
            out[name] = plain_scalar(value.strip())
        except ScalarError as exc:
            raise UsageError(f"--set {name}: {exc}") from None
    return out


def _check_overrides(overrides: Mapping[str, Any], parameters: Any) -> None:
    known = list(parameters) if isinstance(parameters, dict) else []
    for name in overrides:
        if name not in known:
            raise UsageError(f"cannot override '{name}': the spec has no parameter "
                             f"'{name}'{did_you_mean(name, known)}; parameters: "
                             f"{', '.join(sorted(known)) or 'none'}")


#: Objects whose unknown keys the later stages ignore, by the section holding them,
#: with the schema definition that says which keys they need.
_OWNERS = {"populations": "population", "projections": "projection",
           "recordings": "recording", "export": "export"}


def _ignorable(diagnostic: Diagnostic, data: Mapping[str, Any]) -> bool:
    """Whether the later stages may still resolve the object around a schema problem:
    an unknown key (NS101) in a population, projection, recording, export or the
    simulation section that has every key it needs. Later stages read known keys
    only, so the object's other values are still checked and every problem is
    reported at once; a misspelt required key ('celltype') still skips its object."""
    path = diagnostic.path
    if diagnostic.code != "NS101" or len(path) not in (2, 3):
        return False
    owner: Any = data
    for part in path[:-1]:
        owner = owner.get(part) if isinstance(owner, dict) else (
            owner[part] if isinstance(owner, list) and isinstance(part, int)
            and 0 <= part < len(owner) else None)
    if not isinstance(owner, dict):
        return False
    if path[:-1] == ("simulation",):
        definition = "simulation"
    elif len(path) == 3 and path[0] in _OWNERS:
        definition = _OWNERS[str(path[0])]
    else:
        return False
    required = schema.load_schema()["$defs"][definition].get("required", ())
    return all(key in owner for key in required)


def _profiles(backend: str | None) -> list[Any]:
    """The profiles whose checks ``backend`` asks for (validating imports no simulator)."""
    from netspec.backends import names, profile
    if backend is None:
        return []
    if backend == ALL_BACKENDS:
        return [profile(name) for name in names()]
    return [profile(backend)]
