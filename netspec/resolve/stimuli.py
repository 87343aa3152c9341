"""The ``stimuli`` section: current sources and the neurons they are injected into, and
independent Poisson input (``PoissonInput``, :mod:`netspec.spike_inputs`)."""

from __future__ import annotations

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec import spike_inputs, units
from netspec.diagnostics import unknown
from netspec.model import ArrayValue, RandomValue, Stimulus
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations
from netspec.resolve.templates import Entry


class Stimuli(Populations):
    """Resolves ``stimuli``."""

    def stimulus(self, entry: Entry) -> Stimulus:
        """The current source of ``entry``."""
        name, raw, path = entry.name, entry.raw, entry.path
        kind = self.reference(raw.get("type"), (*path, "type"))
        if kind == spike_inputs.POISSON_INPUT:
            return self.poisson_input(entry)
        model = catalogue.current_source(kind) if isinstance(kind, str) else None
        if model is None:
            self.report((*path, "type"), "NS315",
                        unknown("current source", str(kind),
                                (*catalogue.current_sources(), spike_inputs.POISSON_INPUT)))
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

    def poisson_input(self, entry: Entry) -> Stimulus:
        """``type: PoissonInput``: an independent Poisson train into every cell of the
        target, through a static synapse (see :mod:`netspec.spike_inputs`)."""
        name, raw, path = entry.name, entry.raw, entry.path
        target = self.target_name(raw.get("target"), (*path, "target"))
        models = self.cell_models(target)
        if any(m.spike_source for m in models):
            self.report((*path, "target"), "NS317",
                        f"'{target}' holds spike sources; Poisson input can only reach neurons")
            raise Invalid
        weight_units = {m.weight_unit for m in models}
        if len(weight_units) != 1:
            self.report((*path, "target"), "NS316",
                        f"'{target}' mixes cell types whose weights have different units; "
                        "give each population its own PoissonInput")
            raise Invalid
        receptor = raw.get("receptor_type", "excitatory")
        receptors = set.intersection(*(set(m.receptor_types) for m in models))
        if receptor not in receptors:
            self.report((*path, "receptor_type") if "receptor_type" in raw else path, "NS307",
                        unknown("receptor type", str(receptor), receptors,
                                f"the cells of '{target}'"))
            raise Invalid
        table = spike_inputs.PARAMETERS
        required = {k: _Required(k in spike_inputs.REQUIRED) for k in table}
        weight_unit = next(iter(weight_units))
        params = self.arguments(
            raw, path, required, spike_inputs.POISSON_INPUT,
            lambda key, item: self.model_value(item, (*path, key), table[key],
                                               f"{key} of PoissonInput",
                                               weight_unit=weight_unit),
            skip=("type", "target", "receptor_type"), kind="parameter")
        for key, value in params.items():
            if isinstance(value, RandomValue | ArrayValue):
                self.report((*path, key), "NS211", f"{key} of PoissonInput must be one number "
                                                   "(NEST's poisson_generator takes one rate, "
                                                   "weight and delay)")
                raise Invalid
        if params["rate"] < 0:
            self.report((*path, "rate"), "NS316", f"rate must be at least 0 Hz, not "
                                                  f"{params['rate']:g} Hz")
            raise Invalid
        weight = params["weight"]
        negative = not models[0].conductance_based and receptor == "inhibitory"
        if (weight < 0 and not negative) or (weight > 0 and negative):
            self.report((*path, "weight"), "NS316",
                        f"the weight of {receptor} input onto "
                        f"{'current' if not models[0].conductance_based else 'conductance'}"
                        f"-based cells must be {'negative' if negative else 'positive'}, as "
                        f"for a projection, not {weight:g}")
            raise Invalid
        params["receptor_type"] = receptor
        return Stimulus(name, spike_inputs.POISSON_INPUT, params, target, self.origin(path),
                        entry.template)


class _Required:
    """Whether a PoissonInput parameter must be given (for :meth:`Values.arguments`)."""

    def __init__(self, required: bool) -> None:
        self.required = required
