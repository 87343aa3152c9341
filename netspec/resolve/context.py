"""Shared state of the resolver: the loaded spec, what resolved so far, and reporting.

Every section resolver (:mod:`.values`, :mod:`.populations`, …) is a layer on
:class:`Context`; :class:`Invalid` is raised after an object's problems were
reported, so each problem is reported once and the caller moves on.
"""

from __future__ import annotations

from typing import Any

from netspec.diagnostics import Diagnostic, SpecPath
from netspec.loader import LoadedSpec
from netspec.model import Assembly, Origin, Population, View


class Invalid(Exception):
    """The object being resolved is invalid; its problems were reported already."""


class Context:
    """The loaded spec, the diagnostics found so far and the objects resolved so far."""

    def __init__(self, loaded: LoadedSpec, overrides: dict[str, Any],
                 skip: set[SpecPath]) -> None:
        self.loaded = loaded
        self.data = loaded.data
        self.source = loaded.source
        self.skip = skip
        # every prefix of a skipped path: skipped() is a few set lookups, not a scan of
        # the skipped paths (thousands of schema errors made resolving quadratic)
        self.skip_prefixes: set[SpecPath] = {bad[:n] for bad in skip
                                             for n in range(len(bad) + 1)}
        self.diagnostics: list[Diagnostic] = []
        raw = self.data.get("parameters")
        self.raw_parameters: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        self.raw_parameters.update(overrides)
        self.overrides = overrides
        self.parameters: dict[str, Any] = {}
        self.failed: set[str] = set()
        self.stack: list[str] = []
        name = self.data.get("name")
        self.spec_name = name if isinstance(name, str) else "network"
        # filled as sections resolve
        self.populations: dict[str, Population] = {}
        self.views: dict[str, View | Assembly] = {}
        self.declared: dict[str, str] = {}  # name → section, including skipped objects
        self.cyclic: set[str] = set()  # views in a reported cycle
        self.timestep = 0.1

    def report(self, path: SpecPath, code: str, message: str, *, key: bool = False) -> None:
        self.diagnostics.append(self.source.diagnostic(path, code, message, key=key))

    def skipped(self, path: SpecPath) -> bool:
        """Whether ``path`` is inside, or contains, a path the schema stage reported."""
        return path in self.skip_prefixes or any(path[:n] in self.skip
                                                 for n in range(len(path)))

    def origin(self, path: SpecPath) -> Origin:
        line, column = self.source.locate(path)
        return Origin(self.source.file, line, column, path)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) and (name,) not in self.skip else {}


