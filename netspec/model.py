"""Stage 3's output — the resolved network: one intermediate form every later stage walks.

Every value here is final: expressions evaluated, quantities converted to
PyNN's unit for their parameter, references checked, external files read.
The translator (:mod:`netspec.plan`) turns this into PyNN calls, for running
and for emitting a script alike, so the two cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netspec.diagnostics import SpecPath


@dataclass(frozen=True)
class Origin:
    """Where a model object was written in the spec (for an object a template made:
    the template, and ``template`` names the combination)."""

    file: str
    line: int
    column: int
    path: SpecPath
    template: TemplateOrigin | None = None

    @property
    def where(self) -> str:
        """The object's place in the spec: ``projections.e2i`` or, for a generated one,
        ``projections.recurrent[pre=i, post=e]``."""
        if self.template is not None:
            return str(self.template)
        return ".".join(str(p) for p in self.path)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class TemplateOrigin:
    """The template an entry was generated from (``for_each`` in the spec).

    ``path`` is the template's spec path (``("projections", "recurrent")``,
    ``("export", 2)``), ``bindings`` the loop variables' values for this entry in
    the order ``for_each`` names them, ``index`` the entry's place among those the
    template generated (after ``when``), counting from 0.
    """

    path: SpecPath
    bindings: tuple[tuple[str, Any], ...]
    index: int

    def __hash__(self) -> int:  # bindings may hold lists and mappings
        return hash((self.path, self.index))

    @property
    def name(self) -> str:
        """The template's name in its section (an ``export`` item's index as text)."""
        return str(self.path[-1])

    def __str__(self) -> str:
        values = ", ".join(f"{k}={_binding_text(v)}" for k, v in self.bindings)
        return f"{'.'.join(str(p) for p in self.path)}[{values}]"

    def within(self, count: int, total: int) -> str:
        """Where a problem found in ``count`` of the template's ``total`` entries is:
        ``in projections.rec[pre=i, post=e]``, ``in … and 3 more of its 8 combinations``,
        or ``in all 8 combinations of projections.rec``."""
        if count <= 1:
            return f"in {self}"
        if count >= total:
            return f"in all {count} combinations of {'.'.join(str(p) for p in self.path)}"
        return f"in {self} and {count - 1} more of its {total} combinations"


def _binding_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class RandomValue:
    """``{distribution: NAME, …}``: becomes a PyNN ``RandomDistribution``."""

    distribution: str
    parameters: Mapping[str, float]


@dataclass(frozen=True)
class ArrayValue:
    """A numeric array (spike times, current steps, connection lists).

    ``file`` is the external file it was read from (absolute), if any.
    """

    data: np.ndarray
    file: str | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArrayValue) and np.array_equal(self.data, other.data)

    def __hash__(self) -> int:
        return hash(self.data.tobytes())


@dataclass(frozen=True)
class SpikeTrains:
    """``spike_times`` of a spike source: one train for every cell, or one per cell."""

    trains: tuple[ArrayValue, ...]
    per_cell: bool
    file: str | None = None


Value = float | int | bool | str | RandomValue | ArrayValue | SpikeTrains | tuple[Any, ...]


@dataclass(frozen=True)
class Component:
    """A typed PyNN object with keyword parameters (structure, STDP rule, connector…)."""

    type: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Simulation:
    """``simulation:`` in PyNN units (ms). ``seed_given`` is false when netspec drew it."""

    timestep: float
    duration: float
    min_delay: float
    max_delay: float
    seed: int
    seed_given: bool
    nest: Mapping[str, Any] = field(default_factory=dict)
    spinnaker: Mapping[str, Any] = field(default_factory=dict)
    #: Where ``simulation:`` is written: settings the simulator refuses, and failures
    #: while it runs, are reported here.
    origin: Origin | None = None


@dataclass(frozen=True)
class Population:
    """A PyNN ``Population``."""

    name: str
    size: int
    cell_type: str
    parameters: Mapping[str, Value]
    initial_values: Mapping[str, Value]
    structure: Component | None
    label: str
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None


@dataclass(frozen=True)
class View:
    """A PyNN ``PopulationView`` of a population or of another view.

    ``selector`` is what the spec wrote (``slice``: ``(start, stop, step)``;
    ``indices``: a tuple; ``mask``: a tuple of booleans), applied to ``parent``.
    ``indices`` are the cells of the root ``population`` the view holds, in order: a
    ``range`` for a slice of a population or of a slice (never one value per cell, so
    a view of a huge population costs nothing), else a tuple no longer than the
    spec's index list or mask.
    """

    name: str
    parent: str
    population: str
    kind: str
    selector: tuple[Any, ...]
    indices: Sequence[int]
    label: str
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None

    @property
    def size(self) -> int:
        """Number of cells in the view."""
        return len(self.indices)


@dataclass(frozen=True)
class Assembly:
    """A PyNN ``Assembly`` of populations and views."""

    name: str
    members: tuple[str, ...]
    size: int
    label: str
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None


Target = Population | View | Assembly


@dataclass(frozen=True)
class Synapse:
    """A synapse type. For ``STDPMechanism``, ``timing``/``weight`` hold the rules."""

    type: str
    parameters: Mapping[str, Value]
    timing_dependence: Component | None = None
    weight_dependence: Component | None = None


@dataclass(frozen=True)
class Projection:
    """A PyNN ``Projection``."""

    name: str
    pre: str
    post: str
    connector: Component
    synapse: Synapse
    receptor_type: str
    label: str
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None


@dataclass(frozen=True)
class Stimulus:
    """A current source injected into ``target``."""

    name: str
    type: str
    parameters: Mapping[str, Value]
    target: str
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None


@dataclass(frozen=True)
class Recording:
    """``target.record(variables)``, optionally on a subset given by ``indices``."""

    name: str
    target: str
    indices: tuple[int, ...] | None
    variables: tuple[str, ...]
    sampling_interval: float | None
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None


@dataclass(frozen=True)
class Export:
    """One output file, relative to the run's output folder."""

    format: str
    path: str
    target: str | None
    variables: tuple[str, ...] | None
    origin: Origin
    #: The template this entry was generated from, if any.
    template: TemplateOrigin | None = None
    #: ``sonata`` only: also write the built connectivity as SONATA edges (``None``: not
    #: given, which is false).
    edges: bool | None = None


@dataclass(frozen=True)
class CompareTolerances:
    """The spec's ``compare`` section: tolerances of ``netspec compare`` (see
    :mod:`netspec.analysis.compare`); floors per statistic (``mean_rate_hz`` in Hz,
    ``cv_isi``, ``spike_count``), only those the spec gives."""

    sigmas: float | None
    rtol: Mapping[str, float]
    atol: Mapping[str, float]
    origin: Origin | None = None


@dataclass(frozen=True)
class Network:
    """A resolved, checked spec."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    simulation: Simulation
    populations: Mapping[str, Population]
    views: Mapping[str, View | Assembly]
    projections: Mapping[str, Projection]
    stimuli: Mapping[str, Stimulus]
    recordings: Mapping[str, Recording]
    exports: tuple[Export, ...]
    file: str
    spec_text: str
    spec_sha256: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    compare: CompareTolerances | None = None

    def target(self, name: str) -> Target:
        """The population, view or assembly called ``name``."""
        if name in self.populations:
            return self.populations[name]
        return self.views[name]

    def root_population(self, name: str) -> Population:
        """The population under a population or view (not an assembly)."""
        target = self.target(name)
        if isinstance(target, View):
            return self.populations[target.population]
        if isinstance(target, Assembly):
            raise TypeError(f"{name} is an assembly")
        return target

    def cell_types_of(self, name: str) -> tuple[str, ...]:
        """The cell types a target holds (an assembly may hold several)."""
        return cell_types(name, self.populations, self.views)

    def size_of(self, name: str) -> int:
        """Number of cells in a population, view or assembly."""
        return self.target(name).size

    def populations_of(self, name: str) -> frozenset[str]:
        """The populations whose cells a population, view or assembly holds."""
        target = self.target(name)
        if isinstance(target, Assembly):
            return frozenset().union(*(self.populations_of(m) for m in target.members))
        if isinstance(target, View):
            return frozenset({target.population})
        return frozenset({target.name})

    def may_overlap(self, a: str, b: str) -> bool:
        """Whether targets ``a`` and ``b`` may share a cell (they draw on a population in
        common), so that a projection from one to the other may connect a cell to itself."""
        return bool(self.populations_of(a) & self.populations_of(b))


def cell_types(name: str, populations: Mapping[str, Population],
               views: Mapping[str, View | Assembly]) -> tuple[str, ...]:
    """The cell types the population, view or assembly ``name`` holds, in member order
    (an assembly may hold several); the resolver asks it of the sections built so far."""
    if name in populations:
        return (populations[name].cell_type,)
    view = views[name]
    if isinstance(view, View):
        return (populations[view.population].cell_type,)
    kinds: list[str] = []
    for member in view.members:
        for kind in cell_types(member, populations, views):
            if kind not in kinds:
                kinds.append(kind)
    return tuple(kinds)


def as_data(value: Any) -> Any:
    """A JSON-ready form of a model object (the resolved spec in a run's manifest).

    Arrays read from a file are named by that file rather than copied.
    """
    if isinstance(value, Network):
        return {
            "name": value.name,
            "description": value.description,
            "parameters": as_data(dict(value.parameters)),
            "simulation": as_data(value.simulation),
            "populations": as_data(dict(value.populations)),
            "views": as_data(dict(value.views)),
            "projections": as_data(dict(value.projections)),
            "stimuli": as_data(dict(value.stimuli)),
            "recordings": as_data(dict(value.recordings)),
            "export": as_data(list(value.exports)),
            "compare": as_data(value.compare),
        }
    if isinstance(value, Origin):
        return str(value)
    if isinstance(value, ArrayValue):
        return {"file": value.file} if value.file else value.data.tolist()
    if isinstance(value, SpikeTrains):
        if value.file:
            return {"file": value.file}
        trains = [as_data(t) for t in value.trains]
        return trains if value.per_cell else trains[0]
    if isinstance(value, RandomValue):  # an open bound as YAML writes it
        return {"distribution": value.distribution,
                **{k: (".inf" if v > 0 else "-.inf") if isinstance(v, float) and math.isinf(v)
                   else v for k, v in value.parameters.items()}}
    if isinstance(value, TemplateOrigin):
        return {"template": ".".join(str(p) for p in value.path),
                "for_each": {k: as_data(v) for k, v in value.bindings}, "index": value.index}
    if hasattr(value, "__dataclass_fields__"):
        return {k: as_data(getattr(value, k)) for k in value.__dataclass_fields__
                if k != "name" and not (k == "template" and getattr(value, k) is None)}
    if isinstance(value, Mapping):
        return {str(k): as_data(v) for k, v in value.items()}
    if isinstance(value, range):  # a view's cells, listed as the manifest always did
        return list(value)
    if isinstance(value, list | tuple):
        return [as_data(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
