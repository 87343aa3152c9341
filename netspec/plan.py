"""Stage 5 — translate: the resolved network → a *plan* of PyNN calls.

A plan is a list of steps, each an assignment or a call over a tiny expression
tree (:class:`Sym`, :class:`Call`, :class:`Lit` …). The same plan is executed
against a PyNN module by :mod:`netspec.execute` (``netspec run``) and rendered
as Python by :mod:`netspec.emit` (``netspec compile``), so the script a user
reads and the run they get cannot drift apart.

The plan fixes the order of every host-side random draw: populations in spec
order (parameters, then ``initialize``), then projections in spec order, each
drawing from the one ``NumpyRNG(seed, parallel_safe=True)`` when the backend
takes host RNGs (or, on a backend that does not, for the connectors it only ever
draws on the host: ``host_rng_connectors``). Backend differences come from a profile
(:mod:`netspec.backends`), never from branches here.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from netspec.model import (
    ArrayValue,
    Assembly,
    Component,
    Network,
    Origin,
    Population,
    Projection,
    RandomValue,
    SpikeTrains,
    Stimulus,
    View,
)

#: Connectors whose constructor takes ``rng=`` (they draw random numbers on the host).
RNG_CONNECTORS = frozenset({
    "FixedProbabilityConnector", "DistanceDependentProbabilityConnector",
    "DisplacementDependentProbabilityConnector", "IndexBasedProbabilityConnector",
    "FixedNumberPreConnector", "FixedNumberPostConnector", "FixedTotalNumberConnector",
    "SmallWorldConnector",
})


# ---------------------------------------------------------------- expression tree
@dataclass(frozen=True)
class Sym:
    """A name: a variable of the plan or a dotted name in the namespace (``sim.Population``)."""

    name: str


@dataclass(frozen=True)
class Lit:
    """A literal value (number, text, bool, None, tuple, list, numpy array, slice)."""

    value: Any


@dataclass(frozen=True)
class Call:
    """``func(*args, **kwargs)``."""

    func: Sym | Attr
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Attr:
    """``obj.name``."""

    obj: Any
    name: str


@dataclass(frozen=True)
class LoadArray:
    """An array read from a file at run time (``np.load`` / ``np.loadtxt``)."""

    file: str
    data: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class Step:
    """``target = expr`` (or just ``expr`` when ``target`` is None), from ``origin``."""

    expr: Any
    target: str | None = None
    origin: Origin | None = None
    comment: str = ""


@dataclass(frozen=True)
class Plan:
    """Everything ``run`` and ``compile`` do, in order.

    ``objects`` maps each spec name (population, view, assembly, projection)
    to the plan variable that holds its PyNN object.
    """

    network: Network
    backend: str
    imports: tuple[str, ...]
    setup: tuple[Step, ...]
    build: tuple[Step, ...]
    objects: Mapping[str, str]
    duration: float
    #: Python lines the emitted script runs right after ``sim.run`` (the backend's own:
    #: SpiNNaker stops there on a virtual board, which records nothing).
    script_after_run: tuple[str, ...] = ()
    #: netspec's own helper modules the plan calls, by the name it calls them
    #: (``{"nest_exact": "netspec.backends.nest_exact"}``).
    helpers: Mapping[str, str] = field(default_factory=dict)

    def names(self) -> frozenset[str]:
        """The namespace names the steps refer to (``sim``, ``np``, ``NumpyRNG``, ``space``…),
        not counting the plan's own variables: what a script of the plan imports."""
        found: set[str] = set()
        for step in (*self.setup, *self.build):
            _names(step.expr, found)
        return frozenset(found - {v for v in (s.target for s in (*self.setup, *self.build))
                                  if v is not None})


def _names(node: Any, found: set[str]) -> None:
    if isinstance(node, Sym):
        found.add(node.name.split(".", 1)[0])
    elif isinstance(node, Attr):
        _names(node.obj, found)
    elif isinstance(node, Call):
        _names(node.func, found)
        for arg in node.args:
            _names(arg, found)
        for _, value in node.kwargs:
            _names(value, found)
    elif isinstance(node, LoadArray):
        found.add("np")
    elif isinstance(node, Lit):
        if isinstance(node.value, np.ndarray):
            found.add("np")
        _names(node.value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _names(item, found)


class Profile(Protocol):
    """What the plan needs from a backend profile (see :mod:`netspec.backends`)."""

    name: str
    pynn_module: str
    host_rng: bool
    host_rng_connectors: frozenset[str]
    spike_times_as_sequence: bool
    parameter_arrays_as_lists: bool
    script_after_run: tuple[str, ...]

    def setup_kwargs(self, network: Network) -> dict[str, Any]: ...
    def native_connectors(self, network: Network) -> frozenset[str]: ...
    def projection_helper(self, network: Network, projection: Projection) -> str | None: ...
    def stimulus_helper(self, network: Network, stimulus: Stimulus) -> str | None: ...
    def population_kwargs(self, network: Network, population: Population,
                          index: int) -> dict[str, Any]: ...
    def model_parameters(self, network: Network, model: str,
                         parameters: Mapping[str, Any]) -> dict[str, Any]: ...


#: Names the emitted script and the executor bind themselves (modules, helpers, loop
#: variables of the export code in :mod:`netspec.emit`), which no spec object's
#: variable may take. ``tests/test_compile.py`` checks that every name the emitted
#: script binds is here.
SCRIPT_NAMES = frozenset({
    "sim", "np", "rng", "native_rng", "RandomDistribution", "NumpyRNG", "Sequence", "space",
    "sys", "json", "Path", "NixIO", "out", "io",
    # the plot export's imports, and the aliases of netspec's helper modules (a spec object
    # bound first to one of these would shadow the module the script imports)
    "matplotlib", "pq", "AnalogSignal", "Figure", "Panel", "nest_exact", "nest_native",
    "sonatafile",
})

#: Every name a spec object's variable must avoid: Python's keywords (``class``), soft
#: keywords (``match``), builtins (``str``, ``print``) and :data:`SCRIPT_NAMES`.
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(
    dir(builtins)) | SCRIPT_NAMES

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def variable(name: str) -> str:
    """A Python identifier for spec object ``name``: slugs may contain '-' and start with
    a digit; anything else outside ``[A-Za-z0-9_]`` is replaced too, so that whatever a
    spec names its objects, the name is data in the emitted script, never code."""
    out = _NOT_IDENTIFIER.sub("_", name)
    return out if out and not out[0].isdigit() else f"_{out}"


def build_plan(network: Network, profile: Profile) -> Plan:
    """The plan of PyNN calls for ``network`` on the backend of ``profile``."""
    return _Planner(network, profile).plan()


class _Planner:
    def __init__(self, network: Network, profile: Profile) -> None:
        self.network = network
        self.profile = profile
        self.steps: list[Step] = []
        self.objects: dict[str, str] = {}
        self.used: set[str] = set(RESERVED)
        self.native: frozenset[str] = frozenset()
        self.helpers: dict[str, str] = {}

    def name_for(self, spec_name: str) -> str:
        base = variable(spec_name)
        candidate = base
        n = 2
        while candidate in self.used:
            candidate = f"{base}_{n}"
            n += 1
        self.used.add(candidate)
        self.objects[spec_name] = candidate
        return candidate

    def connector_rng(self, connector: str, on_host: bool) -> tuple[tuple[str, Any], ...]:
        if connector not in RNG_CONNECTORS:
            return ()
        if connector in self.native:
            return (("rng", Sym("native_rng")),)
        return self.rng(on_host)

    def rng(self, on_host: bool = False, native: bool = False) -> tuple[tuple[str, Any], ...]:
        """``rng=rng`` where the backend takes the host RNG (``on_host``: the projection's
        connector is one the backend draws on the host, see ``host_rng_connectors``);
        ``rng=native_rng`` for a projection built by the simulator's own rules."""
        if native:
            return (("rng", Sym("native_rng")),)
        return (("rng", Sym("rng")),) if self.profile.host_rng or on_host else ()

    def value(self, value: Any, on_host: bool = False, listed: bool = False,
              native: bool = False) -> Any:
        """The plan expression of a resolved value (``listed``: a model parameter, which
        the backend wants as a list when :attr:`Profile.parameter_arrays_as_lists`;
        ``native``: drawn by the simulator's RNG, for a projection built natively)."""
        if isinstance(value, RandomValue):
            return Call(Sym("RandomDistribution"), (Lit(value.distribution),),
                        (*((k, Lit(v)) for k, v in value.parameters.items()),
                         *self.rng(on_host, native)))
        if isinstance(value, SpikeTrains):
            trains = [Call(Sym("Sequence"), (self.array(t),))
                      if self.profile.spike_times_as_sequence else self.array(t)
                      for t in value.trains]
            return Lit(trains) if value.per_cell else trains[0]
        if isinstance(value, ArrayValue):
            if listed and self.profile.parameter_arrays_as_lists:
                array = self.array(value)
                return (Call(Attr(array, "tolist")) if isinstance(array, LoadArray)
                        else Lit(value.data.tolist()))
            return self.array(value)
        if isinstance(value, Component):
            return self.component(value, Sym(f"space.{value.type}"))
        return Lit(value)

    def array(self, value: ArrayValue) -> Any:
        if value.file is not None and value.file.endswith(".npy") and value.data.ndim == 1:
            return LoadArray(value.file, value.data)
        return Lit(value.data)

    def component(self, component: Component, func: Sym) -> Call:
        return Call(func, (), tuple((k, self.value(v)) for k, v in component.parameters.items()))

    def plan(self) -> Plan:
        network, sim = self.network, self.network.simulation
        setup = [Step(Call(Sym("sim.setup"), (), tuple(
            (k, Lit(v)) for k, v in self.profile.setup_kwargs(network).items())),
            comment="simulator settings")]
        self.native = self.profile.native_connectors(network)
        if self.native:
            setup.append(Step(Call(Sym("sim.NativeRNG"), (), (("seed", Lit(sim.seed)),)),
                              target="native_rng",
                              comment="native_connectors: NEST's own connection rules and RNG "
                                      "(not the host RNG's network)"))
        if self.profile.host_rng or any(p.connector.type in self.profile.host_rng_connectors
                                        for p in network.projections.values()):
            setup.append(Step(Call(Sym("NumpyRNG"), (), (("seed", Lit(sim.seed)),
                                                         ("parallel_safe", Lit(True)))),
                              target="rng",
                              comment="one RNG for every host-side draw, in spec order"))
        for index, population in enumerate(network.populations.values()):
            self.population(population, index)
        for view in network.views.values():
            self.view(view)
        for projection in network.projections.values():
            synapse = projection.synapse
            on_host = projection.connector.type in self.profile.host_rng_connectors
            native = projection.connector.type in self.native
            kwargs: list[tuple[str, Any]] = [
                (k, self.value(v, on_host, native=native)) for k, v in synapse.parameters.items()]
            for rule, component in (("timing_dependence", synapse.timing_dependence),
                                    ("weight_dependence", synapse.weight_dependence)):
                if component is not None:
                    kwargs.insert(0, (rule, self.component(component,
                                                           Sym(f"sim.{component.type}"))))
            connector = projection.connector
            connector_call = Call(
                Sym(f"sim.{connector.type}"), (),
                (*((k, Sym(self.objects[v]) if k == "reference_projection"
                    else self.value(v, on_host)) for k, v in connector.parameters.items()),
                 *self.connector_rng(connector.type, on_host)))
            self.steps.append(Step(
                Call(self.projection_class(projection),
                     (Sym(self.objects[projection.pre]), Sym(self.objects[projection.post]),
                      connector_call, Call(Sym(f"sim.{synapse.type}"), (), tuple(kwargs))),
                     (("receptor_type", Lit(projection.receptor_type)),
                      ("label", Lit(projection.label)))),
                target=self.name_for(projection.name), origin=projection.origin))
        for stimulus in network.stimuli.values():
            source = self.name_for(stimulus.name)
            parameters = self.profile.model_parameters(self.network, stimulus.type,
                                                       stimulus.parameters)
            self.steps.append(Step(Call(self.helper_or_sim(
                self.profile.stimulus_helper(network, stimulus), stimulus.type), (), tuple(
                (k, self.value(v, listed=True)) for k, v in parameters.items())),
                target=source, origin=stimulus.origin))
            self.steps.append(Step(Call(Attr(Sym(source), "inject_into"),
                                        (Sym(self.objects[stimulus.target]),)),
                                   origin=stimulus.origin))
        for recording in network.recordings.values():
            target: Any = Sym(self.objects[recording.target])
            if recording.indices is not None:
                target = Call(Attr(target, "__getitem__"),
                              (Lit(np.asarray(recording.indices, dtype=int)),))
            kwargs2: tuple[tuple[str, Any], ...] = ()
            if recording.sampling_interval is not None:
                kwargs2 = (("sampling_interval", Lit(recording.sampling_interval)),)
            self.steps.append(Step(Call(Attr(target, "record"),
                                        (Lit(list(recording.variables)),), kwargs2),
                                   origin=recording.origin))
        return Plan(network, self.profile.name, (self.profile.pynn_module,), tuple(setup),
                    tuple(self.steps), dict(self.objects), sim.duration,
                    tuple(self.profile.script_after_run), dict(self.helpers))

    def projection_class(self, projection: Projection) -> Sym:
        """``sim.Projection``, or the ``Projection`` of the helper module the backend
        builds ``projection`` with (NEST: its exact fast path or its native rules)."""
        return self.helper_or_sim(self.profile.projection_helper(self.network, projection),
                                  "Projection")

    def helper_or_sim(self, module: str | None, name: str) -> Sym:
        """``sim.<name>``, or ``<helper>.<name>`` from netspec's helper ``module``."""
        if module is None:
            return Sym(f"sim.{name}")
        alias = module.rpartition(".")[2]
        self.helpers[alias] = module
        self.used.add(alias)
        return Sym(f"{alias}.{name}")

    def population(self, population: Population, index: int) -> None:
        name = self.name_for(population.name)
        parameters = self.profile.model_parameters(self.network, population.cell_type,
                                                   population.parameters)
        cell = Call(Sym(f"sim.{population.cell_type}"), (), tuple(
            (k, self.value(v, listed=True)) for k, v in parameters.items()))
        kwargs: list[tuple[str, Any]] = []
        if population.structure is not None:
            kwargs.append(("structure", self.value(population.structure)))
        kwargs.append(("label", Lit(population.label)))
        kwargs.extend((k, Lit(v)) for k, v in
                      self.profile.population_kwargs(self.network, population, index).items())
        self.steps.append(Step(Call(Sym("sim.Population"), (Lit(population.size), cell),
                                    tuple(kwargs)),
                               target=name, origin=population.origin))
        if population.initial_values:
            self.steps.append(Step(
                Call(Attr(Sym(name), "initialize"), (), tuple(
                    (k, self.value(v)) for k, v in population.initial_values.items())),
                origin=population.origin))

    def view(self, view: View | Assembly) -> None:
        name = self.name_for(view.name)
        if isinstance(view, Assembly):
            # PyNN's Assembly takes populations and views only: a member that is itself an
            # assembly stands for its members
            call = Call(Sym("sim.Assembly"), tuple(Sym(self.objects[m])
                                                   for m in self.leaves(view)),
                        (("label", Lit(view.label)),))
        else:
            if view.kind == "slice":
                selector: Any = Lit(slice(*view.selector))
            else:
                selector = Lit(np.asarray(view.selector,
                                          dtype=bool if view.kind == "mask" else int))
            call = Call(Sym("sim.PopulationView"), (Sym(self.objects[view.parent]), selector),
                        (("label", Lit(view.label)),))
        self.steps.append(Step(call, target=name, origin=view.origin))

    def leaves(self, assembly: Assembly) -> list[str]:
        """The populations and views of ``assembly``, nested assemblies flattened."""
        out: list[str] = []
        for member in assembly.members:
            inner = self.network.views.get(member)
            out += self.leaves(inner) if isinstance(inner, Assembly) else [member]
        return out
