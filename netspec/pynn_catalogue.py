"""PyNN's standard model catalogue, available without importing PyNN.

Validation must never import PyNN, a simulator or Neo, yet it has to know which
cell types, synapse types, STDP components, current sources, connectors, random
distributions and spatial structures PyNN offers, with their parameter names,
defaults and units. This module answers those questions from
:mod:`netspec.pynn_catalogue_data`, a table of plain literals generated from the
installed PyNN by ``tools/generate_catalogue.py`` and committed to the
repository (``tests/test_catalogue.py`` checks that it is up to date).

Lookups take PyNN's exact class or distribution name and return ``None`` for a
name PyNN does not define; the plural functions list every name, sorted::

    >>> cell_type("IF_cond_exp").parameters["tau_m"].unit
    'ms'
    >>> connector("FixedProbabilityConnector").args["p_connect"].required
    True

Units follow PyNN's convention (ms, mV, nA, µS, nF, Hz, deg) and are given as
strings the ``quantities`` package parses; ``None`` means dimensionless. A
synaptic weight, and anything "in the same units as the weight" (the ``w_min``
and ``w_max`` of STDP weight dependences), carries the marker
:data:`WEIGHT_UNIT` instead: its unit is the post-synaptic cell type's
:attr:`ModelInfo.weight_unit` -- µS onto a conductance-based cell, nA onto a
current-based one, but mV onto ``IF_curr_delta`` and ``Izhikevich``, whose
synapses make the membrane potential jump.

Only concrete standard types are listed. PyNN's composite ``PointNeuron`` and its
multi-compartment base ``MultiCompartmentNeuron`` are left out: they are built
from objects, not from parameter values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeAlias

from netspec import pynn_catalogue_data as _data

__all__ = [
    "PYNN_VERSION",
    "WEIGHT_UNIT",
    "ArgInfo",
    "ModelInfo",
    "ParamInfo",
    "SignatureInfo",
    "cell_type",
    "cell_types",
    "connector",
    "connectors",
    "current_source",
    "current_sources",
    "distribution",
    "distributions",
    "structure",
    "structures",
    "synapse_type",
    "synapse_types",
    "timing_dependence",
    "timing_dependences",
    "weight_dependence",
    "weight_dependences",
]

PYNN_VERSION: Final[str] = str(_data.PYNN_VERSION)
"""The PyNN version the catalogue was generated from, e.g. ``'0.13.0'``."""

WEIGHT_UNIT: Final = "weight"
"""The :attr:`ParamInfo.unit` of weights: µS onto conductance-based cells, nA onto current-based."""

ParamDefault: TypeAlias = float | int | bool | str | tuple[float, ...] | None
"""A parameter default: a scalar, a tuple for sequence- and array-valued parameters, or None."""

_PARAM_KINDS: Final = frozenset({"float", "int", "bool", "spike_times", "array"})
_ARG_KINDS: Final = frozenset({"float", "int", "bool", "str", "list", "expression", "any"})


@dataclass(frozen=True)
class ParamInfo:
    """One parameter (or initial value) of a PyNN standard model.

    Attributes:
        name: PyNN's parameter name, e.g. ``'tau_m'``.
        default: PyNN's default value. Sequence- and array-valued parameters
            have tuples (``()`` for ``spike_times``); ``None`` means PyNN has no
            fixed default (a synapse's ``delay``, which becomes the simulator's
            minimum delay).
        unit: the unit PyNN expects the value in, as a ``quantities`` unit
            string (``'mV'``, ``'ms'``, ``'nF'``, ``'nA'``, ``'uS'``, ``'Hz'``,
            ``'deg'``, ...); ``None`` when dimensionless; :data:`WEIGHT_UNIT`
            when it depends on the post-synaptic cell.
        kind: ``'float'``, ``'int'``, ``'bool'``, ``'spike_times'`` (one
            sequence of spike times per cell) or ``'array'`` (one array per cell
            or source, e.g. ``StepCurrentSource.times``).
    """

    name: str
    default: ParamDefault
    unit: str | None
    kind: str


@dataclass(frozen=True)
class ModelInfo:
    """A PyNN standard model: a cell type, synapse type, STDP component or current source.

    Attributes:
        name: PyNN's class name, e.g. ``'IF_cond_exp'``.
        kind: ``'cell'``, ``'synapse'``, ``'timing_dependence'``,
            ``'weight_dependence'`` or ``'current_source'``.
        parameters: the parameters, by name. For ``STDPMechanism`` these are
            ``weight``, ``delay`` and ``dendritic_delay_fraction``; its timing
            and weight dependences are separate models.
        initial_values: for cells, the state variables ``Population.initialize``
            accepts, with PyNN's defaults; empty for everything else.
        recordables: for cells, the variables ``Population.record`` accepts, in
            PyNN's order (``'spikes'`` first); empty for everything else.
        receptor_types: for cells, the receptor types a projection may target
            (empty for spike sources); empty for everything else.
        conductance_based: for cells that receive synapses, whether their
            synapses are conductance-based (weights in µS) or current-based
            (nA); ``None`` for spike sources and for anything but cells.
        spike_source: True for spike sources (``SpikeSourcePoisson``,
            ``SpikeSourceArray``, ...), which take no input and no current.
        weight_unit: for cells that receive synapses, the unit of a synaptic
            weight onto them (what :data:`WEIGHT_UNIT` stands for): ``'uS'``
            when conductance-based, ``'nA'`` when current-based, ``'mV'`` for
            PyNN's voltage-jump synapses (``IF_curr_delta``, ``Izhikevich``);
            ``None`` for spike sources and for anything but cells. Not in the
            brief's API: added because ``conductance_based`` alone gets the
            delta-synapse cells wrong.
    """

    name: str
    kind: str
    parameters: Mapping[str, ParamInfo]
    initial_values: Mapping[str, ParamInfo]
    recordables: tuple[str, ...]
    receptor_types: tuple[str, ...]
    conductance_based: bool | None
    spike_source: bool
    weight_unit: str | None = None


@dataclass(frozen=True)
class ArgInfo:
    """One constructor argument of a connector, distribution or structure.

    Attributes:
        name: the keyword argument's name.
        required: True when PyNN's constructor has no default for it.
        default: the default as a JSON-able literal (a tuple for sequences);
            ``None`` when required or when PyNN's default is ``None``.
        kind: a best-effort type from the signature and docstring: ``'float'``,
            ``'int'``, ``'bool'``, ``'str'``, ``'list'``, ``'expression'`` (a
            Python expression in a string, such as a distance expression) or
            ``'any'`` (a PyNN object the compiler must build, such as a
            ``RandomStructure`` boundary or a CSA connection set).
    """

    name: str
    required: bool
    default: object
    kind: str


@dataclass(frozen=True)
class SignatureInfo:
    """The spec-usable constructor arguments of a connector, distribution or structure.

    ``args`` keeps PyNN's constructor order, which for distributions is the
    order of ``RandomDistribution``'s positional parameter tuple. Arguments a
    spec cannot give are left out: ``rng`` everywhere, and a connector's
    ``safe``, ``callback``, ``verbose`` and (multi-compartment only)
    ``location_selector``.
    """

    name: str
    args: Mapping[str, ArgInfo]


# --- building the objects from the generated literals -----------------------


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"pynn_catalogue_data: {what} is not a str-keyed dict")
    return value


def _tuple(value: object, what: str, length: int | None = None) -> tuple[object, ...]:
    if not isinstance(value, tuple) or (length is not None and len(value) != length):
        raise TypeError(f"pynn_catalogue_data: {what} is not a tuple of {length or 'any'} items")
    return value


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = _tuple(value, what)
    strings = tuple(item for item in items if isinstance(item, str))
    if len(strings) != len(items):
        raise TypeError(f"pynn_catalogue_data: {what} is not a tuple of strings")
    return strings


def _default(value: object, what: str) -> ParamDefault:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    items = _tuple(value, what)
    floats = tuple(float(x) for x in items if isinstance(x, (int, float)))
    if len(floats) != len(items):
        raise TypeError(f"pynn_catalogue_data: {what} is not a tuple of numbers")
    return floats


def _param(name: str, raw: object, what: str) -> ParamInfo:
    default, unit, kind = _tuple(raw, what, 3)
    if not (unit is None or isinstance(unit, str)) or kind not in _PARAM_KINDS:
        raise TypeError(f"pynn_catalogue_data: {what} has a bad unit or kind")
    return ParamInfo(name=name, default=_default(default, what), unit=unit, kind=str(kind))


def _params(raw: object, what: str) -> Mapping[str, ParamInfo]:
    return MappingProxyType(
        {name: _param(name, value, f"{what}.{name}") for name, value in _mapping(raw, what).items()}
    )


def _models(table: object, kind: str) -> Mapping[str, ModelInfo]:
    models: dict[str, ModelInfo] = {}
    for name, raw in _mapping(table, kind).items():
        entry = _mapping(raw, name)
        conductance_based = entry["conductance_based"]
        spike_source = entry["spike_source"]
        weight_unit = entry["weight_unit"]
        if not (conductance_based is None or isinstance(conductance_based, bool)):
            raise TypeError(f"pynn_catalogue_data: {name}.conductance_based is not bool or None")
        if not isinstance(spike_source, bool):
            raise TypeError(f"pynn_catalogue_data: {name}.spike_source is not bool")
        if not (weight_unit is None or isinstance(weight_unit, str)):
            raise TypeError(f"pynn_catalogue_data: {name}.weight_unit is not str or None")
        models[name] = ModelInfo(
            name=name,
            kind=kind,
            parameters=_params(entry["parameters"], f"{name}.parameters"),
            initial_values=_params(entry["initial_values"], f"{name}.initial_values"),
            recordables=_strings(entry["recordables"], f"{name}.recordables"),
            receptor_types=_strings(entry["receptor_types"], f"{name}.receptor_types"),
            conductance_based=conductance_based,
            spike_source=spike_source,
            weight_unit=weight_unit,
        )
    return MappingProxyType(models)


def _signatures(table: object, what: str) -> Mapping[str, SignatureInfo]:
    signatures: dict[str, SignatureInfo] = {}
    for name, raw in _mapping(table, what).items():
        args: dict[str, ArgInfo] = {}
        for arg, spec in _mapping(raw, name).items():
            required, default, kind = _tuple(spec, f"{name}({arg})", 3)
            if not isinstance(required, bool) or kind not in _ARG_KINDS:
                raise TypeError(f"pynn_catalogue_data: {name}({arg}) has a bad entry")
            args[arg] = ArgInfo(name=arg, required=required, default=default, kind=str(kind))
        signatures[name] = SignatureInfo(name=name, args=MappingProxyType(args))
    return MappingProxyType(signatures)


_CELLS: Final = _models(_data.CELL_TYPES, "cell")
_SYNAPSES: Final = _models(_data.SYNAPSE_TYPES, "synapse")
_TIMING: Final = _models(_data.TIMING_DEPENDENCES, "timing_dependence")
_WEIGHT: Final = _models(_data.WEIGHT_DEPENDENCES, "weight_dependence")
_CURRENT_SOURCES: Final = _models(_data.CURRENT_SOURCES, "current_source")
_CONNECTORS: Final = _signatures(_data.CONNECTORS, "CONNECTORS")
_DISTRIBUTIONS: Final = _signatures(_data.DISTRIBUTIONS, "DISTRIBUTIONS")
_STRUCTURES: Final = _signatures(_data.STRUCTURES, "STRUCTURES")


# --- the public lookups -----------------------------------------------------


def cell_type(name: str) -> ModelInfo | None:
    """The standard cell type ``name`` (e.g. ``'IF_cond_exp'``, ``'SpikeSourceArray'``)."""
    return _CELLS.get(name)


def cell_types() -> tuple[str, ...]:
    """Every standard cell type name, spike sources included, sorted."""
    return tuple(sorted(_CELLS))


def synapse_type(name: str) -> ModelInfo | None:
    """The standard synapse type ``name`` (e.g. ``'StaticSynapse'``, ``'STDPMechanism'``)."""
    return _SYNAPSES.get(name)


def synapse_types() -> tuple[str, ...]:
    """Every standard synapse type name, sorted."""
    return tuple(sorted(_SYNAPSES))


def timing_dependence(name: str) -> ModelInfo | None:
    """The STDP timing dependence ``name`` (e.g. ``'SpikePairRule'``)."""
    return _TIMING.get(name)


def timing_dependences() -> tuple[str, ...]:
    """Every STDP timing-dependence name, sorted."""
    return tuple(sorted(_TIMING))


def weight_dependence(name: str) -> ModelInfo | None:
    """The STDP weight dependence ``name`` (e.g. ``'AdditiveWeightDependence'``)."""
    return _WEIGHT.get(name)


def weight_dependences() -> tuple[str, ...]:
    """Every STDP weight-dependence name, sorted."""
    return tuple(sorted(_WEIGHT))


def current_source(name: str) -> ModelInfo | None:
    """The standard current source ``name`` (e.g. ``'DCSource'``, ``'StepCurrentSource'``)."""
    return _CURRENT_SOURCES.get(name)


def current_sources() -> tuple[str, ...]:
    """Every standard current-source name, sorted."""
    return tuple(sorted(_CURRENT_SOURCES))


def connector(name: str) -> SignatureInfo | None:
    """The connector class ``name`` in ``pyNN.connectors`` (e.g. ``'AllToAllConnector'``)."""
    return _CONNECTORS.get(name)


def connectors() -> tuple[str, ...]:
    """Every concrete connector name, sorted."""
    return tuple(sorted(_CONNECTORS))


def distribution(name: str) -> SignatureInfo | None:
    """The random distribution ``name`` (e.g. ``'uniform'``); every parameter is required."""
    return _DISTRIBUTIONS.get(name)


def distributions() -> tuple[str, ...]:
    """Every name in ``pyNN.random.available_distributions``, sorted."""
    return tuple(sorted(_DISTRIBUTIONS))


def structure(name: str) -> SignatureInfo | None:
    """The spatial structure or boundary shape ``name`` from ``pyNN.space``.

    ``Line``, ``Grid2D``, ``Grid3D`` and ``RandomStructure`` are population
    structures; ``Sphere`` and ``Cuboid`` are shapes, valid only as the
    ``boundary`` of a ``RandomStructure``.
    """
    return _STRUCTURES.get(name)


def structures() -> tuple[str, ...]:
    """Every structure and boundary-shape name, sorted."""
    return tuple(sorted(_STRUCTURES))
