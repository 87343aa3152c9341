"""The whole front end on one screen: load → schema → resolve → checks → backend checks.

Nothing here imports PyNN, a simulator or Neo: validating a spec is cheap
enough for CI and editors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspec import schema
from netspec.checks import check_network
from netspec.diagnostics import Diagnostic, did_you_mean
from netspec.errors import SpecError, UsageError
from netspec.loader import load_yaml, plain_scalar
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


def check(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
          backend: str | None = None) -> Checked:
    """Run every front-end stage on the spec at ``path``.

    Raises :class:`~netspec.errors.SpecFileError` if the file cannot be read and
    :class:`~netspec.errors.UsageError` for an unknown backend or override.
    """
    profile = _profile(backend) if backend else None
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
    diagnostics += check_network(network, loaded.source)
    if profile is not None and not diagnostics:
        diagnostics += profile.check(network, loaded.source)
    return Checked(network, tuple(sorted(set(diagnostics))))


def load(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
         backend: str | None = None) -> Network:
    """The resolved network of the spec at ``path``, every value in PyNN's units.

    Raises :class:`~netspec.errors.SpecError` carrying every diagnostic if the
    spec is invalid (for ``backend``, when one is named).
    """
    checked = check(path, overrides=overrides, backend=backend)
    if not checked.ok or checked.network is None:
        raise SpecError(checked.errors)
    return checked.network


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["n=100", "label=x"]`` → ``{"n": 100, "label": "x"}`` (YAML 1.2 scalar rules)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not value.strip():
            raise UsageError(f"--set takes NAME=VALUE, not '{item}'")
        out[name] = plain_scalar(value.strip())
    return out


def _check_overrides(overrides: Mapping[str, Any], parameters: Any) -> None:
    known = list(parameters) if isinstance(parameters, dict) else []
    for name in overrides:
        if name not in known:
            raise UsageError(f"--set {name}: the spec has no parameter '{name}'"
                             f"{did_you_mean(name, known)}; parameters: "
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


def _profile(backend: str) -> Any:
    from netspec.backends import profile
    return profile(backend)
