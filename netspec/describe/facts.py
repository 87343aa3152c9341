"""The facts a description states about each part of the resolved network, gathered once
for the tables, the JSON document and the diagram.

Each model's parameters are listed in full, PyNN's defaults included (marked), since
a description is of the model that runs, not only of what the spec wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec.describe import values
from netspec.model import (
    ArrayValue,
    Assembly,
    Component,
    Network,
    Population,
    Projection,
    RandomValue,
    TemplateOrigin,
    View,
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a model: its value in PyNN's unit, and whether it is PyNN's default."""

    name: str
    value: Any
    unit: str | None
    default: bool

    @property
    def text(self) -> str:
        """The value with its unit."""
        return values.text(self.value, self.unit)

    @property
    def data(self) -> Any:
        """The value as JSON-ready data, with ``"default": true`` when PyNN's default."""
        out = values.data(self.value, self.unit)
        if self.default:
            out["default"] = True
        return out


def model_parameters(model: catalogue.ModelInfo | None, given: Mapping[str, Any], *,
                     initial: bool = False, weight_unit: str | None = None,
                     skip: tuple[str, ...] = ()) -> list[Parameter]:
    """Every parameter (or initial value) of ``model``, the given ones with their values,
    the others with PyNN's defaults; in PyNN's order, then any the catalogue lacks."""
    table = {} if model is None else (model.initial_values if initial else model.parameters)
    out: list[Parameter] = []
    for name, info in table.items():
        if name in skip:
            continue
        unit = values.parameter_unit(info, weight_unit)
        if name in given:
            out.append(Parameter(name, given[name], unit, False))
        elif info.default is not None and info.default != ():
            out.append(Parameter(name, info.default, unit, True))
    out.extend(Parameter(name, value, None, False) for name, value in given.items()
               if name not in table and name not in skip)
    return out


def cell_parameters(population: Population) -> list[Parameter]:
    """Every parameter of a population's cell type."""
    return model_parameters(catalogue.cell_type(population.cell_type), population.parameters)


def initial_values(population: Population) -> list[Parameter]:
    """Every initial value of a population's cell type."""
    return model_parameters(catalogue.cell_type(population.cell_type),
                            population.initial_values, initial=True)


def weight_unit(network: Network, projection: Projection) -> str | None:
    """The unit of the projection's weights (µS, nA or mV, by the postsynaptic cells)."""
    for kind in network.cell_types_of(projection.post):
        model = catalogue.cell_type(kind)
        if model is not None and model.weight_unit:
            return model.weight_unit
    return None


def synapse_parameters(network: Network, projection: Projection) -> list[Parameter]:
    """The synapse type's parameters other than weight and delay."""
    return model_parameters(catalogue.synapse_type(projection.synapse.type),
                            projection.synapse.parameters,
                            weight_unit=weight_unit(network, projection),
                            skip=("weight", "delay"))


def plasticity(network: Network, projection: Projection) -> list[tuple[str, str,
                                                                        list[Parameter]]]:
    """STDP rules as ``(role, type, parameters)``: the timing and the weight dependence."""
    unit = weight_unit(network, projection)
    out = []
    for role, rule, find in (
            ("timing dependence", projection.synapse.timing_dependence,
             catalogue.timing_dependence),
            ("weight dependence", projection.synapse.weight_dependence,
             catalogue.weight_dependence)):
        if rule is not None:
            out.append((role, rule.type, model_parameters(find(rule.type), rule.parameters,
                                                          weight_unit=unit)))
    return out


def weight(network: Network, projection: Projection) -> Parameter:
    """The projection's weight (from its connection list when the list gives weights)."""
    return _synaptic(network, projection, "weight", weight_unit(network, projection))


def delay(network: Network, projection: Projection) -> Parameter:
    """The projection's delay in ms (``None`` when it is the simulator's minimum delay)."""
    return _synaptic(network, projection, "delay", "ms")


def _synaptic(network: Network, projection: Projection, name: str,
              unit: str | None) -> Parameter:
    connector = projection.connector
    if connector.type == "FromListConnector":
        data = connector.parameters["conn_list"].data
        columns = connector.parameters.get("column_names")
        width = data.shape[1] if data.ndim == 2 else 0
        names = list(columns) if columns else (["weight", "delay"] if width == 4 else [])
        if name in names and width > 2 + names.index(name):
            return Parameter(name, ArrayValue(data[:, 2 + names.index(name)]), unit, False)
    if name in projection.synapse.parameters:
        return Parameter(name, projection.synapse.parameters[name], unit, False)
    model = catalogue.synapse_type(projection.synapse.type)
    info = model.parameters.get(name) if model else None
    if info is None or info.default is None:
        return Parameter(name, network.simulation.min_delay if name == "delay" else None,
                         unit, True)
    return Parameter(name, info.default, unit, True)


def sign(network: Network, projection: Projection) -> str:
    """``'excitatory'``, ``'inhibitory'`` or ``'other'``: the receptor, or a negative
    weight onto a current-based cell."""
    receptor = projection.receptor_type.lower()
    value = weight(network, projection).value
    mean = mean_of(value)
    if "inh" in receptor or (mean is not None and mean < 0):
        return "inhibitory"
    if "exc" in receptor:
        return "excitatory"
    return "other"


def mean_of(value: Any) -> float | None:
    """The mean of a number, an array or (roughly, from its location parameter) a
    distribution; ``None`` when unknown."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, ArrayValue) and value.data.size:
        return float(np.mean(value.data))
    if isinstance(value, RandomValue):
        p = value.parameters
        for key in ("mu", "mean"):
            if key in p:
                return float(p[key])
        if "low" in p and "high" in p:
            return (float(p["low"]) + float(p["high"])) / 2
    return None


def rule_text(connector: Component) -> str:
    """A connector in a few words: ``FixedProbability, p=0.01``."""
    kind = connector.type.removesuffix("Connector")
    args = connector.parameters
    shown = []
    for name, value in args.items():
        if name in ("conn_list", "column_names", "array"):
            continue
        if name == "file":
            value = str(value).rsplit("/", 1)[-1]
        if name == "allow_self_connections":
            if value is False:
                shown.append("no autapses")
            continue
        if name == "with_replacement":
            shown.append("with replacement" if value else "without replacement")
            continue
        label = {"p_connect": "p", "d_expression": "p(d)"}.get(name, name)
        shown.append(f"{label}={values.text(value, None)}")
    return kind + (", " + ", ".join(shown) if shown else "")


def target_text(network: Network, name: str) -> str:
    """What a population, view or assembly holds: ``exc: cells[0:800]``."""
    target = network.target(name)
    if isinstance(target, Population):
        return name
    if isinstance(target, Assembly):
        return " + ".join(target.members)
    return f"{target.parent}{selector_text(target)}"


def selector_text(view: View) -> str:
    """``[0:800]``, ``[0:800:2]``, ``[0, 3, 7]`` or ``mask of 4``."""
    if view.kind == "slice":
        start, stop, step = (*view.selector, None, None, None)[:3]
        return f"[{start}:{stop}" + (f":{step}" if step not in (None, 1) else "") + "]"
    if view.kind == "indices":
        shown = ", ".join(str(i) for i in view.selector[:values.MAX_LISTED])
        return f"[{shown}{', …' if len(view.selector) > values.MAX_LISTED else ''}]"
    return f"[mask: {sum(bool(m) for m in view.selector)} of {len(view.selector)}]"


def template_of(item: Any) -> TemplateOrigin | None:
    """The template an entry was generated from, if any."""
    return getattr(item, "template", None)
