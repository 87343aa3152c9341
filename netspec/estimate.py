"""Pre-flight estimate: what a network will cost on NEST, computed without building it.

For every projection the expected number of synapses follows from its connector
(:mod:`netspec.expected`: ``p * n_pre * n_post`` for FixedProbabilityConnector,
``n * n_post`` for FixedNumberPreConnector, the rows of a connection list, …; all
pairs where it cannot be known without building); NEST's memory follows
from the number of cells and synapses, with bytes per cell and per synapse
measured on NEST 3.10 by ``benchmarks/calibrate_estimate.py`` (docs/scale.md);
connections per virtual process follow from how NEST places connections: on the
thread of their target cell, cells dealt round-robin over the virtual processes.

:func:`problems` turns an estimate into diagnostics: a network that will not fit in
the machine's memory, or that puts more connections of one synapse model on one
virtual process than NEST can hold (134,217,726), is refused before NEST is
imported, with the numbers and the fix. Nothing here imports PyNN or a simulator.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspec import expected
from netspec.backends.native_models import (
    NEST_MAX_CONNECTIONS_PER_VP,
    ModelPacker,
    Span,
    busiest_vp_share,
)
from netspec.diagnostics import Diagnostic
from netspec.expected import Expected
from netspec.model import Assembly, Network, Projection, View
from netspec.spike_inputs import POISSON_INPUT

#: Resident memory of a netspec run beyond its cells and synapses: PyNN, NEST, Neo and the
#: exports (bytes; measured: the seed network at n=10,000 peaks at 587 MiB).
BASE_BYTES = 400 * 2**20
#: Bytes per cell of a pyNN.nest Population (NEST node, PyNN's ID and NodeCollection).
CELL_BYTES = 5_200
#: Bytes per synapse on NEST 3.10 (after connecting, source table included), by the
#: NEST model a PyNN synapse type becomes; PyNN's labelled copy (``*_lbl``, the default
#: path) holds one more 8-byte field per synapse.
SYNAPSE_BYTES = {"StaticSynapse": 42, "TsodyksMarkramSynapse": 94, "STDPMechanism": 110}
#: Bytes per synapse for synapse types not measured (the largest measured).
OTHER_SYNAPSE_BYTES = 110
LABEL_BYTES = 8
#: Headroom for NEST's growing buffers while it connects and prepares (measured: plain
#: PyNEST's full-scale microcircuit peaks at 1.18x its synapse and cell memory).
PEAK_FACTOR = 1.2
#: Bytes per connection the exact path gathers before handing them to NEST (source,
#: target, weight, delay), up to ``nest_exact.FLUSH_CONNECTIONS`` connections at once.
GATHER_BYTES = 40
GATHER_LIMIT = 1 << 22
#: Spike sources on pyNN.nest are a generator and a parrot neuron per cell.
SOURCE_NODES = 2


@dataclass(frozen=True)
class ProjectionEstimate:
    """One projection: expected synapses, and whether that number is exact or an upper
    bound (DistanceDependentProbabilityConnector: every pair)."""

    name: str
    connector: str
    synapses: float
    kind: str  # "expected", "exact" or "at most"
    model: str  # the synapse model NEST counts its connections under
    per_vp: float  # connections on the busiest virtual process
    native: bool
    post_size: int  # cells the connections end on (NEST keeps them on their VPs)


@dataclass(frozen=True)
class Estimate:
    """The whole network's estimate on NEST with ``processes`` x ``threads`` VPs."""

    projections: tuple[ProjectionEstimate, ...]
    cells: int
    processes: int
    threads: int
    memory_bytes: float
    available_bytes: int | None

    @property
    def virtual_processes(self) -> int:
        """NEST's virtual processes (processes x threads)."""
        return self.processes * self.threads

    @property
    def synapses(self) -> float:
        """Expected synapses in total."""
        return sum(p.synapses for p in self.projections)

    def per_vp_by_model(self) -> dict[str, float]:
        """Connections on the busiest virtual process, per synapse model."""
        out: dict[str, float] = {}
        for projection in self.projections:
            out[projection.model] = out.get(projection.model, 0.0) + projection.per_vp
        return out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "cells": self.cells, "synapses": self.synapses, "processes": self.processes,
            "threads": self.threads, "virtual_processes": self.virtual_processes,
            "memory_bytes": self.memory_bytes, "available_bytes": self.available_bytes,
            "connections_per_vp_limit": NEST_MAX_CONNECTIONS_PER_VP,
            "connections_per_vp": self.per_vp_by_model(),
            "projections": {p.name: {"connector": p.connector, "synapses": p.synapses,
                                     "kind": p.kind, "synapse_model": p.model,
                                     "connections_per_vp": p.per_vp, "native": p.native}
                            for p in self.projections},
        }


def estimate(network: Network, *, threads: int = 1, processes: int = 1,
             native: frozenset[str] = frozenset(),
             available_bytes: int | None = None) -> Estimate:
    """The estimate of ``network`` on NEST. ``native`` names the connectors built with
    NEST's own rules (unlabelled copies of NEST's model, shared as
    :mod:`netspec.backends.native_models` shares them); the others share PyNN's labelled
    model per synapse type. ``available_bytes`` defaults to the machine's available
    memory (None where it cannot be read)."""
    vps = max(1, threads * processes)
    rows: list[ProjectionEstimate] = []
    counted: dict[str, Expected] = {}
    synapse_bytes = 0.0
    packer, spans = ModelPacker(), _NodeSpans(network)
    for projection in network.projections.values():
        counted[projection.name], count, kind = expected_synapses(network, projection,
                                                                  counted)
        is_native = projection.connector.type in native
        post = network.size_of(projection.post)
        per_vp = busiest_vp_share(count, post, vps)
        model = synapse_model(projection)
        if is_native:
            number, _ = packer.assign(_fixed_parameters(projection), per_vp,
                                      spans.of(projection.pre), spans.of(projection.post))
            model = f"{model} copy {number}"
        rows.append(ProjectionEstimate(projection.name, projection.connector.type, count,
                                       kind, model, per_vp, is_native, post))
        per = SYNAPSE_BYTES.get(projection.synapse.type, OTHER_SYNAPSE_BYTES)
        synapse_bytes += count * (per if is_native else per + LABEL_BYTES)
    for stimulus in network.stimuli.values():
        if stimulus.type == POISSON_INPUT:  # one generator, a connection into each cell
            count = float(network.size_of(stimulus.target))
            rows.append(ProjectionEstimate(stimulus.name, POISSON_INPUT, count, "exact",
                                           f"{stimulus.name} (static_synapse)",
                                           math.ceil(count / vps), True, int(count)))
            synapse_bytes += count * SYNAPSE_BYTES["StaticSynapse"]
    cells = 0
    for population in network.populations.values():
        cells += population.size * (SOURCE_NODES if _is_source(population.cell_type) else 1)
    largest = max((r.synapses for r in rows if not r.native), default=0.0)
    gather = min(largest, GATHER_LIMIT) * GATHER_BYTES
    # the processes share the cells and synapses; each has its own interpreter and buffers
    memory = BASE_BYTES * processes + PEAK_FACTOR * (cells * CELL_BYTES + synapse_bytes) + gather
    if available_bytes is None:
        available_bytes = machine_available_bytes()
    return Estimate(tuple(rows), cells, processes, threads, memory, available_bytes)


def expected_synapses(network: Network, projection: Projection,
                      earlier: Mapping[str, Expected]) -> tuple[Expected, float, str]:
    """The expected synapses of ``projection`` (:mod:`netspec.expected`), the number the
    estimate uses and whether it is ``exact``, ``expected`` or ``at most`` (all pairs,
    where the count cannot be known without building)."""
    found = expected.expected_synapses(network, projection, earlier)
    if found.synapses is None or not math.isfinite(found.synapses):
        pairs = float(network.size_of(projection.pre)) * network.size_of(projection.post)
        return found, pairs, "at most"
    return found, found.synapses, "exact" if found.exact else "expected"


def _fixed_parameters(projection: Projection) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What native projections must have in common to share a model: the synapse type
    and its fixed parameters (random ones are drawn per connection)."""
    from netspec.model import RandomValue
    fixed = tuple(sorted((name, repr(value)) for name, value
                         in projection.synapse.parameters.items()
                         if not isinstance(value, RandomValue)))
    return synapse_model(projection), fixed


class _NodeSpans:
    """The NEST node ids a population, view or assembly will hold, as the span
    (first, last): populations are created in spec order, two nodes per cell for spike
    sources (a generator and a parrot); assemblies span their members."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.first: dict[str, int] = {}
        start = 1
        for name, population in network.populations.items():
            self.first[name] = start
            nodes = SOURCE_NODES if _is_source(population.cell_type) else 1
            start += population.size * nodes

    def of(self, name: str) -> Span:
        """The span of ``name``."""
        target = self.network.target(name)
        if isinstance(target, Assembly):
            members = [self.of(member) for member in target.members]
            return (min(a for a, _ in members), max(b for _, b in members))
        if isinstance(target, View):
            first = self.first[target.population]
            return (first + target.indices[0], first + target.indices[-1])
        return (self.first[target.name], self.first[target.name] + target.size - 1)


def synapse_model(projection: Projection) -> str:
    """The NEST model PyNN connects ``projection`` with (one model per synapse type and,
    for STDP, per pair of rules)."""
    synapse = projection.synapse
    parts = [synapse.type]
    for rule in (synapse.timing_dependence, synapse.weight_dependence):
        if rule is not None:
            parts.append(rule.type)
    return "/".join(parts)


def problems(network: Network, result: Estimate) -> list[Diagnostic]:
    """Why ``network`` cannot run as estimated: too many connections per virtual process
    for one synapse model, or more memory than the machine has; located at
    ``simulation``."""
    origin = network.simulation.origin
    file, line, column, path = ((origin.file, origin.line, origin.column, origin.path)
                                if origin else (network.file, 0, 0, ("simulation",)))
    found = []
    for model, per_vp in result.per_vp_by_model().items():
        if per_vp > NEST_MAX_CONNECTIONS_PER_VP:
            threads = _threads_needed(result, model, per_vp)
            fix = (f"use --threads {threads} or more (or simulation.backends.nest.threads)"
                   if threads is not None else
                   "no number of threads helps, as NEST keeps the connections onto one cell "
                   "on one virtual process: make the network smaller (parameters, --set)")
            found.append(Diagnostic(
                file, line, column, "NS607",
                f"about {per_vp:,.0f} connections of synapse model {model} on one virtual "
                f"process, more than NEST's limit of {NEST_MAX_CONNECTIONS_PER_VP:,} "
                f"({result.virtual_processes} virtual process"
                f"{'es' if result.virtual_processes != 1 else ''}); {fix}", path))
    if result.available_bytes is not None and result.memory_bytes > result.available_bytes:
        found.append(Diagnostic(
            file, line, column, "NS608",
            f"the network needs about {_gib(result.memory_bytes)} of memory on NEST "
            f"({result.cells:,} cells, {result.synapses:,.0f} synapses) but this machine has "
            f"{_gib(result.available_bytes)} available; make it smaller (parameters, --set) "
            "or run it on a larger machine", path))
    return found


def machine_available_bytes() -> int | None:
    """Memory available to a new process (``MemAvailable`` of /proc/meminfo; elsewhere
    the free physical pages), or None where neither can be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def table(result: Estimate) -> str:
    """The estimate as a text table (``netspec validate --estimate``)."""
    header = ("projection", "connector", "synapses", "", "per VP", "synapse model")
    rows = [(p.name, p.connector, f"{p.synapses:,.0f}", p.kind, f"{p.per_vp:,.0f}",
             p.model + (" (native)" if p.native else "")) for p in result.projections]
    rows.append(("total", "", f"{result.synapses:,.0f}", "", "", ""))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i in (0, 1, 3, 5) else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    per_model = result.per_vp_by_model()
    busiest = max(per_model.values(), default=0.0)
    available = _gib(result.available_bytes) if result.available_bytes is not None \
        else "unknown"
    lines += [
        "",
        f"cells (NEST nodes): {result.cells:,}",
        f"virtual processes: {result.virtual_processes} ({result.processes} process x "
        f"{result.threads} thread{'s' if result.threads != 1 else ''})",
        f"busiest virtual process: {busiest:,.0f} connections of one synapse model "
        f"(NEST's limit: {NEST_MAX_CONNECTIONS_PER_VP:,})",
        f"memory on NEST: about {_gib(result.memory_bytes)} (available: {available})",
    ]
    return "\n".join(lines)


def _threads_needed(result: Estimate, model: str, per_vp: float) -> int | None:
    """The fewest threads per process that keep ``model``'s connections on every virtual
    process within NEST's limit, or None when none does (a cell alone on its virtual
    process already receives too many). The busiest virtual process never gets busier
    with more threads, so the number is found by bisection, whatever the sizes."""
    needed = math.ceil(per_vp * result.virtual_processes / NEST_MAX_CONNECTIONS_PER_VP)
    low = max(1, math.ceil(needed / result.processes))
    # from this many threads on, every cell has a virtual process of its own
    sizes = [p.post_size for p in result.projections if p.model == model]
    high = max(low, math.ceil(max(sizes, default=1) / result.processes))
    if _busiest(result, model, high) > NEST_MAX_CONNECTIONS_PER_VP:
        return None
    while low < high:
        middle = (low + high) // 2
        if _busiest(result, model, middle) > NEST_MAX_CONNECTIONS_PER_VP:
            low = middle + 1
        else:
            high = middle
    return low


def _busiest(result: Estimate, model: str, threads: int) -> float:
    vps = threads * result.processes
    return sum(busiest_vp_share(p.synapses, p.post_size, vps)
               for p in result.projections if p.model == model)


def _is_source(cell_type: str) -> bool:
    from netspec import pynn_catalogue
    model = pynn_catalogue.cell_type(cell_type)
    return bool(model and model.spike_source)


def _gib(value: float) -> str:
    if value < 2**30:
        return f"{value / 2**20:.0f} MiB"
    for power, unit in ((60, "EiB"), (50, "PiB"), (40, "TiB")):
        if value >= 2**power:
            return f"{value / 2**power:,.1f} {unit}"
    return f"{value / 2**30:.1f} GiB"
