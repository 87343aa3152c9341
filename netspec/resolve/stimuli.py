"""The ``stimuli`` section: current sources and the neurons they are injected into."""

from __future__ import annotations

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec import units
from netspec.diagnostics import unknown
from netspec.model import ArrayValue, Stimulus
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations
from netspec.resolve.templates import Entry


class Stimuli(Populations):
    """Resolves ``stimuli``."""

    def stimulus(self, entry: Entry) -> Stimulus:
        """The current source of ``entry``."""
        name, raw, path = entry.name, entry.raw, entry.path
        kind = self.reference(raw.get("type"), (*path, "type"))
        model = catalogue.current_source(kind) if isinstance(kind, str) else None
        if model is None:
            self.report((*path, "type"), "NS315",
                        unknown("current source", str(kind), catalogue.current_sources()))
            raise Invalid
        target = self.target_name(raw.get("target"), (*path, "target"))
        for cell in self.cell_models(target):
            if cell.spike_source:
                self.report((*path, "target"), "NS317",
                            f"'{target}' holds {cell.name} cells; current can only be injected "
                            "into neurons")
                raise Invalid
        params = self.parameters_of(raw, path, model, model.parameters, "parameter",
                                    exclude=("type", "target"))
        default_dt = model.parameters["dt"].default if "dt" in model.parameters else None
        dt = params.get("dt", default_dt)
        if isinstance(dt, float) and (dt <= 0 or not units.is_multiple(dt, self.timestep)):
            given = "dt" in params
            self.report((*path, "dt") if given else path, "NS403",
                        f"dt ({dt:g} ms{'' if given else ', the default'}) must be a positive "
                        f"multiple of the timestep ({self.timestep:g} ms)")
            raise Invalid
        times, amplitudes = params.get("times"), params.get("amplitudes")
        if model.name == "StepCurrentSource":
            for key, value in (("times", times), ("amplitudes", amplitudes)):
                if not isinstance(value, ArrayValue) or not value.data.size:
                    self.report((*path, key) if key in params else path, "NS314",
                                f"StepCurrentSource needs at least one value in {key} (PyNN "
                                "cannot build a step source without steps)")
                    raise Invalid
        if isinstance(times, ArrayValue) and isinstance(amplitudes, ArrayValue):
            if times.data.shape != amplitudes.data.shape:
                self.report(path, "NS316", f"{kind} needs as many amplitudes "
                                           f"({amplitudes.data.size}) as times "
                                           f"({times.data.size})")
                raise Invalid
            if times.data.size and (times.data.min() < 0 or np.any(np.diff(times.data) <= 0)):
                self.report((*path, "times"), "NS312", "times must be non-negative and "
                                                      "strictly increasing")
                raise Invalid
        return Stimulus(name, model.name, params, target, self.origin(path), entry.template)
