"""The resolver put together: every section in the spec's order, into a
:class:`netspec.model.Network`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from netspec.diagnostics import Diagnostic, SpecPath
from netspec.loader import LoadedSpec
from netspec.model import Export, Network
from netspec.resolve.context import Invalid
from netspec.resolve.outputs import Outputs
from netspec.resolve.projections import Projections
from netspec.resolve.simulation import SimulationSection
from netspec.resolve.stimuli import Stimuli
from netspec.resolve.views import Views

_T = TypeVar("_T")


def resolve(loaded: LoadedSpec, *, overrides: Mapping[str, Any] | None = None,
            skip: Iterable[SpecPath] = ()) -> tuple[Network, list[Diagnostic]]:
    """Build the network of ``loaded``; returns it with every diagnostic found.

    ``skip`` lists spec paths the schema stage already reported; objects
    containing them are left out of the network (and of further checks).
    """
    resolver = Resolver(loaded, dict(overrides or {}), set(skip))
    network = resolver.network()
    return network, resolver.diagnostics


class Resolver(SimulationSection, Views, Projections, Stimuli, Outputs):
    """Resolves a whole spec; :meth:`network` runs the sections in order."""

    def build_section(self, section: str,
                      build: Callable[[str, dict[str, Any]], _T]) -> dict[str, _T]:
        """Every valid object of ``section``, in spec order (invalid ones are reported)."""
        built: dict[str, _T] = {}
        for name, raw in self.section(section).items():
            if isinstance(raw, dict) and not self.skipped((section, name)):
                try:
                    built[name] = build(name, raw)
                except Invalid:
                    pass
        return built

    def network(self) -> Network:
        params = self.resolve_parameters()
        simulation = self.simulation()
        self.declare()
        for name, raw in self.section("populations").items():
            if isinstance(raw, dict) and not self.skipped(("populations", name)):
                try:
                    self.populations[name] = self.population(name, raw)
                except Invalid:
                    pass
        pending = {n: r for n, r in self.section("views").items()
                   if isinstance(r, dict) and not self.skipped(("views", n))}
        for name, raw in pending.items():
            if name in self.populations:
                continue  # reported as a name clash
            try:
                self.view(name, raw, pending, [])
            except Invalid:
                pass
        projections = self.build_section("projections", self.projection)
        stimuli = self.build_section("stimuli", self.stimulus)
        recordings = self.build_section("recordings", self.recording)
        exports: list[Export] = []
        raw_exports = self.data.get("export")
        if isinstance(raw_exports, list) and ("export",) not in self.skip:
            for i, raw in enumerate(raw_exports):
                if isinstance(raw, dict) and not self.skipped(("export", i)):
                    try:
                        exports.append(self.export(i, raw))
                    except Invalid:
                        pass
        description = self.data.get("description")
        return Network(
            name=self.spec_name,
            description=description if isinstance(description, str) else "",
            parameters=params,
            simulation=simulation,
            populations=self.populations,
            views=self.views,
            projections=projections,
            stimuli=stimuli,
            recordings=recordings,
            exports=tuple(exports),
            file=self.source.file,
            spec_text=self.loaded.text,
            spec_sha256=hashlib.sha256(self.loaded.text.encode("utf-8")).hexdigest(),
            overrides=self.overrides,
        )
