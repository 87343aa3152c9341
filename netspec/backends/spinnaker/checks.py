"""The capability checks: everything in a resolved network that sPyNNaker cannot run,
as located diagnostics (NS601 unsupported, NS602 delay too long, NS603 ignored, NS605
machine settings, NS606 behaves differently), from the generated capability table and
without importing sPyNNaker."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from math import ceil
from typing import Any

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec.backends.spinnaker.capabilities import (
    ASSEMBLIES,
    CELL_TYPES,
    CONNECTORS,
    CURRENT_SOURCES,
    DIFFERENCES,
    FIXED_SYNAPSE_PARAMETERS,
    IGNORED,
    NOT_RANDOM,
    ON_CHIP_DISTRIBUTIONS,
    SPYNNAKER_VERSION,
    SYNAPSE_TYPES,
    TIMING_DEPENDENCES,
    VIEWS_AS_PROJECTION_ENDS,
    WEIGHT_DEPENDENCES,
)
from netspec.backends.spinnaker.machine import SELECTORS, named_kinds
from netspec.backends.spinnaker.partitioning import (
    LARGEST_MACHINE_CORES,
    max_delay_steps,
    n_bits,
    neurons_on_a_core,
)
from netspec.cells import Run, cell_runs, contains, select
from netspec.diagnostics import Diagnostic, SpecPath, allowed, did_you_mean
from netspec.loader import SourceMap
from netspec.model import (
    ArrayValue,
    Assembly,
    Component,
    Network,
    Population,
    Projection,
    RandomValue,
    View,
)


def check(network: Network, source: SourceMap) -> list[Diagnostic]:
    """Everything in ``network`` that sPyNNaker cannot run, sorted by position."""
    return sorted(Checker(network, source).run())


def _pynn_default(model: str, name: str) -> Any:
    """PyNN's default value of parameter ``name`` of current source ``model``."""
    info = catalogue.current_source(model)
    return info.parameters[name].default if info is not None else None


class Checker:
    """Walks a resolved network and yields what sPyNNaker cannot run."""

    def __init__(self, network: Network, source: SourceMap) -> None:
        self.network = network
        self.source = source
        self.dt = network.simulation.timestep

    def say(self, path: SpecPath, code: str, message: str, *, key: bool = False,
            severity: str = "error") -> Diagnostic:
        return self.source.diagnostic(path, code, message, key=key, severity=severity)

    def run(self) -> Iterator[Diagnostic]:
        yield from self.simulation()
        for population in self.network.populations.values():
            yield from self.population(population)
        yield from self.machine_size()
        for view in self.network.views.values():
            if isinstance(view, Assembly) and not ASSEMBLIES:
                yield self.say(view.origin.path, "NS601",
                               f"assembly '{view.name}' is not supported on SpiNNaker: "
                               f"sPyNNaker {SPYNNAKER_VERSION} cannot create a PyNN Assembly; "
                               "use its members one by one", key=True)
        for projection in self.network.projections.values():
            yield from self.projection(projection)
        yield from self.plasticity()
        for stimulus in self.network.stimuli.values():
            yield from self.component(stimulus.type, stimulus.parameters, CURRENT_SOURCES,
                                      stimulus.origin.path, "current source", "type")
            dt = stimulus.parameters.get("dt", _pynn_default("NoisyCurrentSource", "dt"))
            if stimulus.type == "NoisyCurrentSource" and isinstance(dt, float) and \
                    abs(dt - self.dt) > 1e-9:
                yield self.say((*stimulus.origin.path, "dt") if "dt" in stimulus.parameters
                               else stimulus.origin.path, "NS601",
                               f"sPyNNaker draws NoisyCurrentSource noise once per timestep "
                               f"only: dt must be the timestep ({self.dt:g} ms), not {dt:g} ms")
        yield from self.recordings()

    # ---------------------------------------------------------------- simulation
    def simulation(self) -> Iterator[Diagnostic]:
        path: SpecPath = ("simulation",)
        micro = self.dt * 1000.0
        if abs(micro - round(micro)) > 1e-6:
            yield self.say((*path, "timestep"), "NS601",
                           f"timestep {self.dt:g} ms is not a whole number of microseconds, "
                           "which sPyNNaker needs")
        if (*path, "max_delay") in self.source.values:
            yield self.say((*path, "max_delay"), "NS603",
                           f"max_delay is ignored on SpiNNaker: {IGNORED['max_delay']}",
                           severity="warning")
        options = self.network.simulation.spinnaker
        opath: SpecPath = (*path, "backends", "spinnaker")
        per_core = options.get("neurons_per_core")
        if isinstance(per_core, Mapping):
            for cell, value in per_core.items():
                where: SpecPath = (*opath, "neurons_per_core", cell)
                info = CELL_TYPES.get(cell)
                if info is None:
                    yield self.say(where, "NS601",
                                   f"neurons_per_core names '{cell}', which is not a cell type "
                                   f"sPyNNaker runs{did_you_mean(cell, CELL_TYPES)}; "
                                   f"allowed: {allowed(CELL_TYPES)}", key=True)
                    continue
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    number = float("nan")
                if not (number >= 1 and number.is_integer()):
                    yield self.say(where, "NS601",
                                   f"neurons_per_core of {cell} must be a whole number ≥ 1")
                elif number > info["max_neurons_per_core"]:
                    yield self.say(where, "NS601",
                                   f"sPyNNaker puts at most {info['max_neurons_per_core']} "
                                   f"{cell} neurons on one core, not {int(number)}")
        machine = options.get("machine")
        if isinstance(machine, Mapping):
            kinds = named_kinds(machine)
            if len(kinds) > 1:
                keys = [k for k in SELECTORS if SELECTORS[k] in kinds]
                yield self.say((*opath, "machine"), "NS605",
                               f"machine names two SpiNNaker machines ({', '.join(keys)}); "
                               "give only one")

    # --------------------------------------------------------------- populations
    def population(self, population: Population) -> Iterator[Diagnostic]:
        path = population.origin.path
        info = CELL_TYPES.get(population.cell_type)
        if info is None:
            yield self.say((*path, "cell_type"), "NS601",
                           f"cell type {population.cell_type} is not supported on SpiNNaker "
                           f"(sPyNNaker {SPYNNAKER_VERSION} runs "
                           f"{allowed(CELL_TYPES)})")
            return
        for section, names, what in (("parameters", info["parameters"], "parameter"),
                                     ("initial_values", info["initial_values"],
                                      "state variable")):
            for name, value in getattr(population, section).items():
                if name not in names:
                    yield self.say((*path, section, name), "NS601",
                                   f"{what} '{name}' of {population.cell_type} is not supported "
                                   f"on SpiNNaker; sPyNNaker's {population.cell_type} takes "
                                   f"{allowed(names)}", key=True)
                elif (isinstance(value, RandomValue)
                      and name in NOT_RANDOM.get(population.cell_type, ())):
                    yield self.say((*path, section, name), "NS601",
                                   f"sPyNNaker's {population.cell_type} takes '{name}' as a "
                                   "number or one value per cell, not a random value: draw "
                                   "the values in the spec's parameters, or give a list")
                else:
                    yield from self.unseeded(value, (*path, section, name))
        note = DIFFERENCES.get(population.cell_type)
        if note:
            yield self.say((*path, "cell_type"), "NS606",
                           f"{population.cell_type} behaves differently on SpiNNaker: {note}",
                           severity="warning")

    def machine_size(self) -> Iterator[Diagnostic]:
        """No SpiNNaker machine maps a network whose neurons alone need more cores than
        the largest one has (a lower bound: synapse and delay cores come on top);
        reported at the size of the population that needs the most cores."""
        cores = {name: math.ceil(population.size / neurons_on_a_core(self.network, population))
                 for name, population in self.network.populations.items()
                 if population.cell_type in CELL_TYPES}
        total = sum(cores.values())
        if total <= LARGEST_MACHINE_CORES:
            return
        name = max(cores, key=lambda n: cores[n])
        population = self.network.populations[name]
        yield self.say((*population.origin.path, "size"), "NS601",
                       f"the populations' neurons alone need {total:,} SpiNNaker cores "
                       f"('{name}': {population.size:,} neurons, "
                       f"{neurons_on_a_core(self.network, population)} per core, "
                       f"{cores[name]:,} cores), more than the largest SpiNNaker machine has "
                       f"(SpiNNaker1M: {LARGEST_MACHINE_CORES:,} cores for applications); "
                       "make the network smaller (parameters, --set)")

    def unseeded(self, value: Any, path: SpecPath,
                 on_machine: bool = True) -> Iterator[Diagnostic]:
        if (on_machine and isinstance(value, RandomValue)
                and value.distribution not in ON_CHIP_DISTRIBUTIONS):
            yield self.say(path, "NS606",
                           f"sPyNNaker cannot draw '{value.distribution}' values from the "
                           "population's seed, so it draws them on the host without a seed: "
                           "they differ between runs (seeded on SpiNNaker: "
                           f"{allowed(ON_CHIP_DISTRIBUTIONS)})", severity="warning")

    # --------------------------------------------------------------- projections
    def projection(self, projection: Projection) -> Iterator[Diagnostic]:
        path = projection.origin.path
        for end in ("pre", "post"):
            name = getattr(projection, end)
            target = self.network.target(name)
            if isinstance(target, Assembly):
                if not ASSEMBLIES:
                    continue  # reported once, where the assembly is defined
                yield self.say((*path, end), "NS601",
                               f"'{name}' is an assembly; sPyNNaker projects only from and to "
                               "populations and views: use one projection per member")
            elif isinstance(target, View) and not _contiguous(target.indices):
                yield self.say((*path, end), "NS601",
                               f"view '{name}' holds cells that are not one contiguous run of "
                               f"'{target.population}' ({_show(target.indices)}); sPyNNaker "
                               f"projects {VIEWS_AS_PROJECTION_ENDS}")
        connector = projection.connector
        cinfo = CONNECTORS.get(connector.type)
        on_machine = True
        if cinfo is None:
            yield self.say((*path, "connector", "type"), "NS601",
                           f"{connector.type} is not supported on SpiNNaker; sPyNNaker "
                           f"connects with {allowed(CONNECTORS)}")
        else:
            on_machine = bool(cinfo["on_machine"])
            for name in connector.parameters:
                if name not in cinfo["arguments"]:
                    yield self.say((*path, "connector", name), "NS601",
                                   f"argument '{name}' of {connector.type} is not supported on "
                                   f"SpiNNaker; sPyNNaker's takes "
                                   f"{allowed(cinfo['arguments'])}", key=True)
            yield from self.total_number(projection)
        synapse = projection.synapse
        spath: SpecPath = (*path, "synapse")
        sinfo = SYNAPSE_TYPES.get(synapse.type)
        if sinfo is None:
            yield self.say((*spath, "type"), "NS601",
                           f"synapse type {synapse.type} is not supported on SpiNNaker; "
                           f"sPyNNaker has {allowed(SYNAPSE_TYPES)}")
        else:
            for name, value in synapse.parameters.items():
                if name not in sinfo:
                    yield self.say((*spath, name), "NS601",
                                   f"parameter '{name}' of {synapse.type} is not supported on "
                                   f"SpiNNaker; sPyNNaker's takes {allowed(sinfo)}", key=True)
                elif name in FIXED_SYNAPSE_PARAMETERS.get(synapse.type, {}):
                    fixed = FIXED_SYNAPSE_PARAMETERS[synapse.type][name]
                    if value != fixed:
                        yield self.say((*spath, name), "NS601",
                                       f"sPyNNaker's {synapse.type} needs {name} = {fixed!r}, "
                                       f"not {value!r}")
                else:
                    yield from self.unseeded(value, (*spath, name), on_machine)
            for rule, table, what in (
                    ("timing_dependence", TIMING_DEPENDENCES, "timing dependence"),
                    ("weight_dependence", WEIGHT_DEPENDENCES, "weight dependence")):
                component = getattr(synapse, rule)
                if component is not None:
                    yield from self.component(component.type, component.parameters, table,
                                              (*spath, rule), what, "type")
        post_types = self.network.cell_types_of(projection.post)
        for cell in post_types:
            info = CELL_TYPES.get(cell)
            if info is not None and projection.receptor_type not in info["receptor_types"]:
                yield self.say((*path, "receptor_type"), "NS601",
                               f"receptor type '{projection.receptor_type}' of {cell} is not "
                               f"supported on SpiNNaker; sPyNNaker's {cell} has "
                               f"{allowed(info['receptor_types'])}")
        yield from self.delay(projection)

    def plasticity(self) -> Iterator[Diagnostic]:
        """sPyNNaker runs one STDP rule per post-synaptic population: every plastic
        projection onto it (or onto a view of it) must have the same timing and weight
        dependence, with the same parameters (``SynapseDynamicsSTDP.merge``)."""
        first: dict[str, tuple[Projection, tuple[Any, ...]]] = {}
        for projection in self.network.projections.values():
            synapse = projection.synapse
            if synapse.timing_dependence is None or synapse.weight_dependence is None:
                continue
            target = self.network.target(projection.post)
            if isinstance(target, Assembly):
                continue
            population = self.network.root_population(projection.post).name
            rule = (_with_defaults(synapse.timing_dependence, catalogue.timing_dependence),
                    _with_defaults(synapse.weight_dependence, catalogue.weight_dependence),
                    synapse.parameters.get("dendritic_delay_fraction", 1.0))
            if population not in first:
                first[population] = (projection, rule)
                continue
            other, expected = first[population]
            if rule != expected:
                yield self.say((*projection.origin.path, "synapse"), "NS601",
                               f"sPyNNaker runs one STDP rule per population: every plastic "
                               f"projection onto '{population}' must use the rule of "
                               f"'{other.name}', {_show_rule(expected)}; this one uses "
                               f"{_show_rule(rule)}")

    def component(self, kind: str, parameters: Mapping[str, Any],
                  table: Mapping[str, tuple[str, ...]], path: SpecPath, what: str,
                  type_key: str) -> Iterator[Diagnostic]:
        names = table.get(kind)
        if names is None:
            yield self.say((*path, type_key), "NS601",
                           f"{what} {kind} is not supported on SpiNNaker; sPyNNaker has "
                           f"{allowed(table)}")
            return
        for name in parameters:
            if name not in names:
                yield self.say((*path, name), "NS601",
                               f"parameter '{name}' of {kind} is not supported on SpiNNaker; "
                               f"sPyNNaker's {kind} takes {allowed(names)}", key=True)

    def total_number(self, projection: Projection) -> Iterator[Diagnostic]:
        """sPyNNaker's FixedTotalNumberConnector (its MultapseConnector) fails while
        mapping when the post population spans several cores: it splits the synapses
        between the cores, then tests that array for truth (ValueError, 'truth value of
        an array … is ambiguous'; seen with sPyNNaker 7.x on a virtual board)."""
        if projection.connector.type != "FixedTotalNumberConnector" or isinstance(
                self.network.target(projection.post), Assembly):
            return
        population = self.network.root_population(projection.post)
        per_core = neurons_on_a_core(self.network, population)
        if population.size > per_core:
            yield self.say((*projection.origin.path, "connector", "type"), "NS601",
                           f"FixedTotalNumberConnector onto '{population.name}' "
                           f"({population.size} neurons, {per_core} per core) fails in "
                           "sPyNNaker when the post population spans several cores; keep it "
                           "within one core (simulation.backends.spinnaker.neurons_per_core."
                           f"{population.cell_type}) or use FixedNumberPreConnector")

    def delay(self, projection: Projection) -> Iterator[Diagnostic]:
        target = self.network.target(projection.post)
        if isinstance(target, Assembly):
            return
        population = self.network.root_population(projection.post)
        info = CELL_TYPES.get(population.cell_type)
        if info is None or not info["receptor_types"]:
            return
        longest, where = _longest_delay(projection)
        if longest is None:
            return
        per_core = neurons_on_a_core(self.network, population)
        n_types = info["n_synapse_types"]
        steps = max_delay_steps(per_core, n_types)
        if longest <= steps * self.dt + 1e-9:
            return
        needed = ceil(longest / self.dt - 1e-9)
        hint = " or the neurons per core"
        fits = [2 ** b for b in range(n_bits(per_core) - 1, -1, -1)
                if max_delay_steps(2 ** b, n_types) >= needed]
        if fits:
            hint = (f" or set simulation.backends.spinnaker.neurons_per_core."
                    f"{population.cell_type}: {fits[0]} (which allows "
                    f"{max_delay_steps(fits[0], n_types)} timesteps)")
        yield self.say(where, "NS602",
                       f"delay {longest:g} ms is {needed} timesteps of {self.dt:g} ms; sPyNNaker "
                       f"delivers at most {steps} timesteps ({steps * self.dt:g} ms) to "
                       f"'{population.name}' ({population.cell_type}, {per_core} neurons per "
                       f"core): shorten the delay, lengthen the timestep{hint}")

    # ---------------------------------------------------------------- recordings
    def recordings(self) -> Iterator[Diagnostic]:
        # (population, variable) → (rate, the cells recorded so far as runs, by whom)
        rates: dict[tuple[str, str], tuple[int, list[Run], str]] = {}
        for recording in self.network.recordings.values():
            path = recording.origin.path
            cells = cell_runs(self.network, recording.target)
            if recording.indices is not None:
                cells = select(cells, recording.indices)
            for i, variable in enumerate(recording.variables):
                for cell in self.network.cell_types_of(recording.target):
                    info = CELL_TYPES.get(cell)
                    if info is not None and variable not in info["recordables"]:
                        model = catalogue.cell_type(cell)
                        pynn = set(model.recordables) if model is not None else set()
                        yield self.say((*path, "variables", i), "NS601",
                                       f"sPyNNaker cannot record '{variable}' from {cell}; it "
                                       f"records {allowed(set(info['recordables']) & pynn)}")
            rate = 1
            interval = recording.sampling_interval
            if interval is not None:
                rate = int(interval / self.dt)
                if interval != rate * self.dt:
                    yield self.say((*path, "sampling_interval"), "NS601",
                                   f"sPyNNaker refuses sampling_interval {interval:g} ms: "
                                   f"{interval!r} / {self.dt!r} is not a whole number in floating"
                                   f" point; choose another interval")
                    continue
            for variable in recording.variables:
                if variable == "spikes":
                    continue
                for pop in dict.fromkeys(p for p, _ in cells):
                    ids = [run for run in cells if run[0] == pop]
                    key = (pop, variable)
                    if key not in rates:
                        rates[key] = (rate, ids, recording.name)
                        continue
                    previous, covered, by = rates[key]
                    if rate != previous and not contains(ids, covered):
                        yield self.say((*path, "sampling_interval"), "NS601",
                                       f"sPyNNaker samples '{variable}' of '{pop}' at one "
                                       f"interval: recording '{by}' samples it every "
                                       f"{previous * self.dt:g} ms, this one every "
                                       f"{rate * self.dt:g} ms")
                    else:
                        rates[key] = (rate, covered + ids, recording.name)


def _with_defaults(component: Component,
                   lookup: Callable[[str], catalogue.ModelInfo | None]) -> tuple[Any, ...]:
    """A STDP component as (type, sorted (parameter, value) pairs), PyNN's defaults
    filled in, so that an omitted parameter equals its default written out."""
    model = lookup(component.type)
    values = {name: info.default for name, info in model.parameters.items()} if model else {}
    values.update(component.parameters)
    return (component.type, tuple(sorted((k, _plain(v)) for k, v in values.items())))


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value,
                                                                            bool) else value


def _show_rule(rule: tuple[Any, ...]) -> str:
    def show(value: Any) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)
    parts = [f"{kind}({', '.join(f'{k}={show(v)}' for k, v in values)})"
             for kind, values in rule[:2]]
    return " with ".join(parts)


def _contiguous(indices: Sequence[int]) -> bool:
    """Whether a view's cells are one run of consecutive cells (a range is checked by
    its step, never cell by cell)."""
    if isinstance(indices, range):
        return len(indices) > 0 and (indices.step == 1 or len(indices) == 1)
    return bool(indices) and tuple(indices) == tuple(range(indices[0],
                                                           indices[0] + len(indices)))


def _show(indices: Sequence[int], limit: int = 6) -> str:
    head = ", ".join(str(i) for i in indices[:limit])
    return f"cells {head}{', …' if len(indices) > limit else ''}"


def _longest_delay(projection: Projection) -> tuple[float | None, SpecPath]:
    """The longest delay of a projection (ms) and where it is written."""
    path = projection.origin.path
    connector: Component = projection.connector
    columns = connector.parameters.get("column_names") or ()
    conn_list = connector.parameters.get("conn_list")
    if "delay" in columns and isinstance(conn_list, ArrayValue) and conn_list.data.size:
        column = 2 + list(columns).index("delay")
        return float(np.max(conn_list.data[:, column])), (*path, "connector", "conn_list")
    delay = projection.synapse.parameters.get("delay")
    where: SpecPath = (*path, "synapse", "delay")
    if isinstance(delay, int | float) and not isinstance(delay, bool):
        return float(delay), where
    if isinstance(delay, RandomValue) and "high" in delay.parameters:
        return float(delay.parameters["high"]), where
    return None, where
