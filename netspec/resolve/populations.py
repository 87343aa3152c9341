"""The ``populations`` section, the shared namespace of names, and references to
populations and views (their sizes, cells and cell types)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netspec import pynn_catalogue as catalogue
from netspec.diagnostics import SpecPath, did_you_mean, unknown
from netspec.model import Component, Population, View, cell_types
from netspec.resolve.context import Invalid
from netspec.resolve.templates import Entry, Templates

#: Most cells of one population: NEST's node ids and PyNN's index arrays are 64-bit
#: integers, and netspec's arithmetic on cells (numbers of pairs, node ids) stays within
#: them below 2**62. Validation keeps no per-cell data (netspec/cells.py), so nothing
#: else bounds a population here; what a network costs is the pre-flight estimate's
#: question (netspec validate --estimate), and run refuses what will not fit.
MAX_CELLS = 2**62


class Populations(Templates):
    """Resolves ``populations`` and looks up what names refer to."""

    def declare(self) -> None:
        """Record every entry's name; a name used twice is reported (populations, views
        and projections share one namespace; stimuli and recordings have their own)."""
        for group in (("populations", "views", "projections"), ("stimuli",), ("recordings",)):
            seen: dict[str, str] = {}
            for section in group:
                for entry in self.entries.get(section, []):
                    if entry.name not in seen:
                        seen[entry.name] = section
                        continue
                    shared = ("; populations, views and projections share one namespace"
                              if len(group) > 1 else "")
                    with self.entry(entry):
                        self.report(entry.path, "NS309",
                                    f"'{entry.name}' is already the name of a "
                                    f"{seen[entry.name].rstrip('s').replace('stimul', 'stimulus')}"
                                    f"{shared}", key=True)
                    self.duplicates.add((section, entry.name))
            if len(group) > 1:
                self.declared.update(seen)

    def population(self, entry: Entry) -> Population:
        """The population of ``entry`` (an invalid one with a valid size is still kept,
        so that what refers to it is checked)."""
        name, raw, path = entry.name, entry.raw, entry.path
        bad = False
        size: int | None = None
        try:
            size = int(self.number(raw.get("size"), (*path, "size"), None, "size",
                                   integer=True))
            # only a bound for 64-bit cell ids here: what a network costs is estimated
            # before it is built (netspec/estimate.py), and run refuses what will not fit
            if size < 1:
                self.report((*path, "size"), "NS106", f"size must be at least 1, not {size}")
                bad, size = True, None
            elif size > MAX_CELLS:
                self.report((*path, "size"), "NS106",
                            f"size must be at most 2**62 = {MAX_CELLS:,} cells, not {size:,} "
                            "(cells are numbered with 64-bit integers, as NEST's node ids)")
                bad, size = True, None
        except Invalid:
            bad = True
        cell_type = self.reference(raw.get("cell_type"), (*path, "cell_type"))
        model = catalogue.cell_type(cell_type) if isinstance(cell_type, str) else None
        if model is None:
            self.report((*path, "cell_type"), "NS302",
                        unknown("cell type", str(cell_type), catalogue.cell_types()))
            raise Invalid
        try:
            parameters = self.parameters_of(raw.get("parameters"), (*path, "parameters"), model,
                                             model.parameters, "parameter",
                                             size=-1 if size is None else size)
        except Invalid:
            bad, parameters = True, {}
        try:
            initial = self.parameters_of(raw.get("initial_values"), (*path, "initial_values"),
                                         model, model.initial_values, "state variable",
                                         size=-1 if size is None else size)
        except Invalid:
            bad, initial = True, {}
        structure = None
        if isinstance(raw.get("structure"), dict):
            try:
                structure = self.structure(raw["structure"], (*path, "structure"))
            except Invalid:
                bad = True
        if bad:
            if size is not None:
                # Keep it (invalid: the spec is refused anyway) so that what refers to it
                # is still checked, and every problem is reported at once.
                self.populations[name] = Population(name, size, model.name, parameters,
                                                    initial, structure, name, self.origin(path),
                                                    entry.template)
            raise Invalid
        label = self.text(raw.get("label", name), (*path, "label"), "label")
        assert size is not None
        return Population(name, size, model.name, parameters, initial, structure, label,
                          self.origin(path), entry.template)

    def structure(self, raw: dict[str, Any], path: SpecPath) -> Component:
        kind, info = self.typed(raw, path, catalogue.structure, catalogue.structures,
                                "NS315", "structure")

        def convert(key: str, item: Any) -> Any:
            if isinstance(item, dict) and "type" in item:
                return self.structure(item, (*path, key))
            return self.argument(item, (*path, key), info.args[key], f"{key} of {kind}",
                                 spatial=True)

        return Component(kind, self.arguments(raw, path, info.args, kind, convert,
                                              skip=("type",)))

    def root_name(self, name: str) -> str:
        if name in self.populations:
            return name
        view = self.views[name]
        assert isinstance(view, View)
        return view.population

    def indices_of(self, name: str) -> Sequence[int]:
        if name in self.populations:
            return range(self.populations[name].size)  # lazy: populations may be huge
        view = self.views[name]
        assert isinstance(view, View)
        return view.indices  # a range for slices of slices: kept lazy

    def unknown_reference(self, name: str, path: SpecPath, sections: tuple[str, ...]) -> None:
        if name in self.declared and self.declared[name] in sections:
            return  # defined, but invalid: reported at its definition
        choices = [n for n, s in self.declared.items() if s in sections]
        kinds = " or ".join(s.rstrip("s") for s in sections)
        self.report(path, "NS301", f"unknown {kinds} '{name}'{did_you_mean(name, choices)}; "
                                   f"defined: {', '.join(sorted(choices)) or 'none'}")

    def target_name(self, raw: Any, path: SpecPath, *, assembly: bool = True) -> str:
        """A reference to a population, view (or assembly) that resolved."""
        raw = self.reference(raw, path)
        if not isinstance(raw, str):
            self.report(path, "NS211", f"expected a name, not {raw!r}")
            raise Invalid
        if raw in self.populations or (raw in self.views and
                                       (assembly or isinstance(self.views[raw], View))):
            return raw
        if raw in self.views:
            self.report(path, "NS301", f"'{raw}' is an assembly; a population or view is "
                                       "needed here")
            raise Invalid
        self.unknown_reference(raw, path, ("populations", "views"))
        raise Invalid

    def cell_models(self, target: str) -> list[catalogue.ModelInfo]:
        return [m for m in (catalogue.cell_type(c) for c in self.cell_types_of(target)) if m]

    def cell_types_of(self, target: str) -> list[str]:
        return list(cell_types(target, self.populations, self.views))

    def size(self, target: str) -> int:
        if target in self.populations:
            return self.populations[target].size
        return self.views[target].size
