"""The ``recordings`` section and the ``export`` list: what is recorded and where it
is written."""

from __future__ import annotations

from typing import Any

from netspec import units
from netspec.diagnostics import SpecPath, unknown
from netspec.model import Export, Recording
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations
from netspec.resolve.templates import Entry


class Outputs(Populations):
    """Resolves ``recordings`` and ``export``."""

    def recording(self, entry: Entry) -> Recording:
        """The recording of ``entry``."""
        name, raw, path = entry.name, entry.raw, entry.path
        target = self.target_name(raw.get("target"), (*path, "target"))
        size = self.size(target)
        variables = self.names(raw.get("variables"), (*path, "variables")) or ()
        bad = False
        for model in self.cell_models(target):
            for i, variable in enumerate(variables):
                if variable not in model.recordables:
                    self.report((*path, "variables", i), "NS306",
                                unknown("variable", variable, model.recordables, model.name))
                    bad = True
        indices = None
        if "indices" in raw:
            indices = tuple(int(self.number(v, (*path, "indices", i), None, "index",
                                            integer=True))
                            for i, v in enumerate(raw["indices"]))
            for i, index in enumerate(indices):
                if not 0 <= index < size:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} is outside the {size} cells of '{target}'")
                    bad = True
            seen: dict[int, int] = {}
            for i, index in enumerate(indices):
                if index in seen:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} repeats indices[{seen[index]}]; record each "
                                "cell once (PyNN views refuse repeated cells)")
                    bad = True
                    break
                seen[index] = i
        interval = None
        if "sampling_interval" in raw:
            interval = self.number(raw["sampling_interval"], (*path, "sampling_interval"),
                                   "ms", "sampling_interval")
            if interval <= 0 or not units.is_multiple(interval, self.timestep):
                self.report((*path, "sampling_interval"), "NS403",
                            f"sampling_interval ({interval} ms) must be a positive multiple of "
                            f"the timestep ({self.timestep} ms)")
                bad = True
        if bad:
            raise Invalid
        return Recording(name, target, indices, variables, interval, self.origin(path),
                         entry.template)

    def export(self, entry: Entry) -> Export:
        """The export item of ``entry``."""
        raw, path = entry.raw, entry.path
        fmt = str(self.reference(raw.get("format"), (*path, "format")))
        target = None
        if "target" in raw:
            target = self.target_name(raw["target"], (*path, "target"))
        variables = self.names(raw.get("variables"), (*path, "variables"))
        out = self.text(raw.get("path"), (*path, "path"), "path")
        edges = self.boolean(raw["edges"], (*path, "edges"), "edges") if "edges" in raw \
            else None
        return Export(fmt, out, target, variables, self.origin(path), entry.template,
                      edges=edges)

    def names(self, raw: Any, path: SpecPath) -> tuple[str, ...] | None:
        """A list of variable names (``${…}`` in them interpolated); None if not a list."""
        if not isinstance(raw, list):
            return None
        return tuple(str(self.reference(item, (*path, i))) for i, item in enumerate(raw))
