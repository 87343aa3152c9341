"""The resolver put together: every section in the spec's order, into a
:class:`netspec.model.Network`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from netspec.diagnostics import Diagnostic, SpecPath
from netspec.loader import LoadedSpec
from netspec.model import Network
from netspec.resolve.compare import CompareSection
from netspec.resolve.context import Invalid
from netspec.resolve.outputs import Outputs
from netspec.resolve.projections import Projections
from netspec.resolve.simulation import SimulationSection
from netspec.resolve.stimuli import Stimuli
from netspec.resolve.templates import SECTIONS, Entry
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


class Resolver(SimulationSection, Views, Projections, Stimuli, Outputs, CompareSection):
    """Resolves a whole spec; :meth:`network` runs the sections in order."""

    def build(self, section: str, build: Callable[[Entry], _T]) -> Iterator[_T]:
        """Every valid object of ``section``, in spec order, templates unrolled where
        they stand (invalid ones are reported and left out)."""
        for entry in self.entries[section]:
            if self.skipped(entry.path) or (section, entry.name) in self.duplicates:
                continue
            with self.entry(entry):
                try:
                    yield build(entry)
                except Invalid:
                    pass

    def network(self) -> Network:
        """Resolve every section in order; diagnostics gather in :attr:`diagnostics`."""
        params = self.resolve_parameters()
        simulation = self.simulation()
        for section in SECTIONS:
            self.entries[section] = self.entries_of(section)
        self.declare()
        for population in self.build("populations", self.population):
            self.populations[population.name] = population
        pending = {entry.name: entry for entry in self.entries["views"]
                   if not self.skipped(entry.path) and ("views", entry.name) not in self.duplicates}
        for entry in pending.values():
            try:
                self.view(entry, pending, [])
            except Invalid:
                pass
        for projection in self.build("projections", self.projection):
            self.projections[projection.name] = projection
        stimuli = {stimulus.name: stimulus for stimulus in self.build("stimuli", self.stimulus)}
        recordings = {recording.name: recording
                      for recording in self.build("recordings", self.recording)}
        exports = list(self.build("export", self.export))
        self.finish()
        description = self.data.get("description")
        return Network(
            name=self.spec_name,
            description=description if isinstance(description, str) else "",
            parameters=params,
            simulation=simulation,
            populations=self.populations,
            views=self.views,
            projections=self.projections,
            stimuli=stimuli,
            recordings=recordings,
            exports=tuple(exports),
            file=self.source.file,
            spec_text=self.loaded.text,
            spec_sha256=hashlib.sha256(self.loaded.text.encode("utf-8")).hexdigest(),
            overrides=self.overrides,
            compare=self.compare_tolerances(),
        )
