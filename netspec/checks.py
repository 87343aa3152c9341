"""Stage 4 — checks across the resolved network: delays against the timestep and the
delay range, one sampling interval per population, and the export section (paths
confined to the output folder, no two exports to one path, targets that record
what the format writes).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from netspec import units
from netspec.diagnostics import Diagnostic, SpecPath, unknown
from netspec.loader import SourceMap
from netspec.model import Assembly, Export, Network, RandomValue, View

#: The manifest every run writes beside its outputs; no export may take its name.
MANIFEST = "manifest.json"
#: The hidden folder a run stages its outputs in (``<out>/.netspec-staging-<random>``);
#: no export path may start with it.
STAGING_PREFIX = ".netspec-staging-"
#: What each export format can write.
FORMAT_WRITES = {"nix": "any", "pickle": "any", "sonata": "spikes", "summary": "none"}
#: The files a ``sonata`` export writes beside its spike file ``<stem>.h5``, by suffix of
#: the stem: the nodes of every population, and (``edges: true``) the connections.
SONATA_NODES = ("_nodes.h5", "_node_types.csv")
SONATA_EDGES = ("_edges.h5", "_edge_types.csv")


class _ExportEntry(Protocol):
    @property
    def format(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def edges(self) -> bool | None: ...


def export_files(export: _ExportEntry) -> tuple[str, ...]:
    """Every file ``export`` writes, relative to the output folder: its ``path``, and for
    ``sonata`` the nodes (and edges) files beside it, named after its stem
    (``spikes.h5`` → ``spikes_nodes.h5``, ``spikes_node_types.csv``, …)."""
    if export.format != "sonata":
        return (export.path,)
    head, dot, suffix = export.path.rpartition(".")
    stem = head if dot and "/" not in suffix and head and not head.endswith("/") \
        else export.path
    extra = SONATA_NODES + (SONATA_EDGES if export.edges else ())
    return (export.path, *(stem + tail for tail in extra))


#: Parameters that are probabilities or fractions, by (kind, name); p_connect is checked
#: where connectors are resolved.
PROBABILITIES = {("connector", "rewiring"), ("synapse", "U"),
                 ("synapse", "dendritic_delay_fraction")}


#: PyNN's receptor-type families for its weight-sign rule (pyNN.standardmodels.base).
EXCITATORY_RECEPTORS = frozenset({"excitatory", "AMPA", "NMDA"})
INHIBITORY_RECEPTORS = frozenset({"inhibitory", "GABA", "GABAA", "GABAB"})


def check_network(network: Network, source: SourceMap) -> list[Diagnostic]:
    """Every cross-object problem of ``network``."""
    return [*_delays(network, source), *_weight_signs(network, source),
            *_connection_counts(network, source),
            *_connection_lists(network, source),
            *_probabilities(network, source), *_sampling(network, source),
            *_exports(network, source), *_sonata_names(network, source)]


#: Connectors that draw a fixed number of connections: the size that bounds ``n`` per cell
#: (``pre`` or ``post``), or ``None`` for a total over every pair of cells.
FIXED_NUMBER_CONNECTORS = {"FixedNumberPreConnector": "pre", "FixedNumberPostConnector": "post",
                           "FixedTotalNumberConnector": None}
#: Most connections per pair of cells, on average, a connector drawing with replacement may
#: make. Down-scaled cortical models keep their in-degrees and so draw several connections
#: per pair (the microcircuit at 2 % scale: about 5); thousands per pair are a mistake,
#: and PyNN draws them one by one in Python (2e9 connections on 5 x 5 cells hang a run).
MAX_MULTAPSES = 1000


def _connection_counts(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    """``n`` of the fixed-number connectors, bounded by what the sizes of ``pre`` and
    ``post`` allow. Without replacement: at most the cells to draw from (one fewer when a
    population may not connect to itself), at most every pair in total (past that PyNN
    would silently connect pairs twice). With replacement: at most
    :data:`MAX_MULTAPSES` connections per pair on average."""
    for projection in network.projections.values():
        connector = projection.connector
        if connector.type not in FIXED_NUMBER_CONNECTORS:
            continue
        n = connector.parameters.get("n")
        if not isinstance(n, int) or isinstance(n, bool):
            continue  # a random n is drawn per cell by PyNN
        side = FIXED_NUMBER_CONNECTORS[connector.type]
        pre, post = network.size_of(projection.pre), network.size_of(projection.post)
        replacement = connector.parameters.get("with_replacement", side is None) is True
        no_self = (connector.parameters.get("allow_self_connections", True) is not True
                   and projection.pre == projection.post)
        path: SpecPath = (*projection.origin.path, "connector", "n")
        if side is None:
            pairs = pre * post - (min(pre, post) if no_self else 0)
            what = (f"the {pairs} pairs of cells of '{projection.pre}' and "
                    f"'{projection.post}'{' (no cell to itself)' if no_self else ''}")
        else:
            drawn_from = projection.pre if side == "pre" else projection.post
            cells = pre if side == "pre" else post
            pairs = cells - (1 if no_self else 0)
            each = "post" if side == "pre" else "pre"
            what = (f"the {cells} cells of '{drawn_from}'" if pairs == cells else
                    f"the {pairs} other cells of '{drawn_from}' (no cell to itself)"
                    ) + f", which each {each} cell draws from"
        if not replacement and n > pairs:
            yield source.diagnostic(path, "NS106", (
                f"n ({n}) is more than {what}; without replacement there are not that many "
                "distinct pairs, so PyNN would silently connect some pairs twice: lower n, "
                "or set with_replacement: true if multiple connections are meant"))
        elif replacement and n > MAX_MULTAPSES * max(pairs, 1):
            yield source.diagnostic(path, "NS106", (
                f"n ({n}) would make more than {MAX_MULTAPSES} connections per pair on "
                f"average ({what}); such a count is a mistake, and PyNN would draw it one "
                "connection at a time"))


def _weight_signs(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    """PyNN's rule, checked when it builds a projection: weights are positive onto
    conductance-based or excitatory synapses, negative onto current-based inhibitory ones."""
    from netspec import pynn_catalogue
    for projection in network.projections.values():
        models = [pynn_catalogue.cell_type(c) for c in network.cell_types_of(projection.post)]
        kinds = {m.conductance_based for m in models if m is not None}
        if len(kinds) != 1:
            continue  # PyNN skips the check for mixed assemblies too
        conductance = kinds.pop()
        receptor = projection.receptor_type
        if conductance or receptor in EXCITATORY_RECEPTORS:
            sign, wanted = 1.0, "positive (or zero)"
            why = "conductance-based" if conductance else "excitatory"
        elif conductance is False and receptor in INHIBITORY_RECEPTORS:
            sign, wanted, why = -1.0, "negative (or zero)", "current-based inhibitory"
        else:
            continue
        synapse_path: SpecPath = (*projection.origin.path, "synapse", "weight")
        weights: list[tuple[SpecPath, float]] = []
        weight = projection.synapse.parameters.get("weight")
        if isinstance(weight, float | int):
            weights.append((synapse_path, float(weight)))
        elif isinstance(weight, RandomValue):
            weights += [(synapse_path, float(weight.parameters[k]))
                        for k in ("low", "high") if k in weight.parameters]
        columns = projection.connector.parameters.get("column_names")
        conn_list = projection.connector.parameters.get("conn_list")
        if columns and "weight" in columns and conn_list is not None and conn_list.data.size:
            values = conn_list.data[:, 2 + list(columns).index("weight")]
            bad = values * sign < 0
            if np.any(bad):
                row = int(np.argmax(bad))
                where: SpecPath = (*projection.origin.path, "connector", "conn_list")
                if conn_list.file is None:
                    where = (*where, row, 2 + list(columns).index("weight"))
                weights.append((where, float(values[row])))
        for path, value in weights:
            if value * sign < 0:
                yield source.diagnostic(
                    path, "NS316", f"weight {value:g} onto {why} synapses "
                    f"('{projection.post}', receptor_type {receptor}) must be {wanted}; PyNN "
                    "refuses it")
                break


def _probabilities(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    for projection in network.projections.values():
        for kind, parameters in (("connector", projection.connector.parameters),
                                 ("synapse", projection.synapse.parameters)):
            for name, value in parameters.items():
                if ((kind, name) in PROBABILITIES and isinstance(value, float | int)
                        and not 0.0 <= value <= 1.0):
                    yield source.diagnostic((*projection.origin.path, kind, name), "NS310",
                                            f"{name} must be in [0, 1], not {value:g}")


def _connection_lists(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    """Column names of FromListConnector are synapse parameters; listed delays obey the
    same rules as any delay."""
    from netspec import pynn_catalogue
    sim = network.simulation
    for projection in network.projections.values():
        connector = projection.connector
        columns = connector.parameters.get("column_names")
        conn_list = connector.parameters.get("conn_list")
        if columns is None:
            continue
        path: SpecPath = (*projection.origin.path, "connector", "column_names")
        model = pynn_catalogue.synapse_type(projection.synapse.type)
        allowed = set(model.parameters) if model else set()
        for i, column in enumerate(columns):
            if column not in allowed:
                yield source.diagnostic((*path, i), "NS303",
                                        unknown("column", column, allowed,
                                                projection.synapse.type))
        if "delay" in columns and conn_list is not None and conn_list.data.size:
            column = 2 + list(columns).index("delay")
            delays = conn_list.data[:, column]
            shortest = max(sim.min_delay, sim.timestep)
            ratios = delays / sim.timestep
            for code, bad, text in (
                    ("NS401", delays < shortest - 1e-9, f"is shorter than {shortest:g} ms"),
                    ("NS402", delays > sim.max_delay + 1e-9,
                     f"is longer than max_delay ({sim.max_delay:g} ms)"),
                    ("NS403", np.abs(ratios - np.round(ratios)) > 1e-6,
                     f"is not a multiple of the timestep ({sim.timestep:g} ms)")):
                if np.any(bad):
                    row = int(np.argmax(bad))
                    where: SpecPath = (*projection.origin.path, "connector", "conn_list")
                    if conn_list.file is None:
                        where = (*where, row, column)
                    yield source.diagnostic(where, code, f"the delay of conn_list row {row} "
                                                         f"({delays[row]:g} ms) {text}")
                    break


def _delays(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    sim = network.simulation
    for projection in network.projections.values():
        synapse = projection.synapse
        if "delay" not in synapse.parameters:
            continue
        delay = synapse.parameters["delay"]
        path: SpecPath = (*projection.origin.path, "synapse", "delay")
        values: list[float] = []
        if isinstance(delay, float | int):
            values = [float(delay)]
        elif isinstance(delay, RandomValue):
            values = [float(delay.parameters[k]) for k in ("low", "high")
                      if k in delay.parameters]
        for value in values:
            if value < sim.timestep - 1e-9 or value < sim.min_delay - 1e-9:
                yield source.diagnostic(
                    path, "NS401", f"delay {value:g} ms is shorter than "
                    f"{'min_delay' if sim.min_delay > sim.timestep else 'the timestep'} "
                    f"({max(sim.min_delay, sim.timestep):g} ms)")
            elif value > sim.max_delay + 1e-9:
                yield source.diagnostic(
                    path, "NS402", f"delay {value:g} ms is longer than max_delay "
                    f"({sim.max_delay:g} ms); raise simulation.max_delay")
            elif isinstance(delay, float | int) and not units.is_multiple(value, sim.timestep):
                yield source.diagnostic(
                    path, "NS403", f"delay {value:g} ms is not a multiple of the timestep "
                    f"({sim.timestep:g} ms)")


def _sampling(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    """PyNN samples every analogue variable of one population at one interval
    (``Population.record`` raises otherwise); an omitted interval is the timestep."""
    first: dict[str, tuple[float, str]] = {}
    for recording in network.recordings.values():
        if not set(recording.variables) - {"spikes"}:
            continue  # spikes have no sampling interval
        interval = recording.sampling_interval or network.simulation.timestep
        for population in sorted({p for p, _ in cell_runs(network, recording.target)}):
            seen = first.setdefault(population, (interval, recording.name))
            if abs(seen[0] - interval) > 1e-9:
                given = recording.sampling_interval is not None
                path = (*recording.origin.path, "sampling_interval") if given \
                    else recording.origin.path
                yield source.diagnostic(
                    path, "NS405",
                    f"recording '{recording.name}' samples population '{population}' every "
                    f"{interval:g} ms{'' if given else ' (the timestep)'}, but recording "
                    f"'{seen[1]}' samples it every {seen[0]:g} ms; PyNN samples all analogue "
                    "variables of a population at one interval: give both the same "
                    "sampling_interval")
                break


def recorded_variables(network: Network, target: str) -> set[str]:
    """Variables recorded on (some cells of) ``target``, directly or through a
    recording of a population, view or assembly that overlaps it."""
    cells = _cells(network, target)
    found: set[str] = set()
    for recording in network.recordings.values():
        if set(recording.variables) <= found:
            continue
        recorded = _cells(network, recording.target, recording.indices)
        if any(np.any(mask & cells[name]) for name, mask in recorded.items() if name in cells):
            found.update(recording.variables)
    return found


def export_targets(network: Network, export: Export) -> list[str]:
    """What a data export writes: its target, or else every population that records
    something (in spec order)."""
    if export.target is not None:
        return [export.target]
    return [p for p in network.populations if recorded_variables(network, p)]


def rated_targets(network: Network) -> list[str]:
    """Populations, views and assemblies that record spikes: the summary reports their
    mean rates, in spec order (populations first)."""
    names = [*network.populations, *network.views]
    return [n for n in names if "spikes" in recorded_variables(network, n)]


def cell_runs(network: Network, name: str) -> list[tuple[str, np.ndarray]]:
    """The cells of a population, view or assembly in PyNN's order, as runs of
    (population, indices)."""
    target = network.target(name)
    if isinstance(target, Assembly):
        return [run for member in target.members for run in cell_runs(network, member)]
    if isinstance(target, View):
        return [(target.population, np.asarray(target.indices, dtype=np.int64))]
    return [(target.name, np.arange(target.size, dtype=np.int64))]


def _cells(network: Network, name: str,
           indices: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """The cells of ``name`` (only those at ``indices`` within it, when given), as a
    boolean mask over each population they belong to."""
    runs = cell_runs(network, name)
    if indices is not None:
        owner = np.concatenate([np.full(len(cells), i) for i, (_, cells) in enumerate(runs)])
        every = np.concatenate([cells for _, cells in runs])
        chosen = np.asarray([i for i in indices if 0 <= i < len(every)], dtype=np.int64)
        runs = [(population, every[chosen][owner[chosen] == i])
                for i, (population, _) in enumerate(runs)]
    masks: dict[str, np.ndarray] = {}
    for population, cells in runs:
        if population not in masks:
            masks[population] = np.zeros(network.populations[population].size, dtype=bool)
        masks[population][cells] = True
    return masks


def _sonata_names(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    """A ``sonata`` export names its SONATA populations after the PyNN Populations'
    labels (as PyNN does): they must be distinct and usable as HDF5 group names."""
    if not any(e.format == "sonata" for e in network.exports):
        return
    seen: dict[str, str] = {}
    for name, population in network.populations.items():
        label = population.label
        path: SpecPath = (*population.origin.path, "label")
        if not label or "/" in label or label in (".", "..") or not label.isprintable():
            yield source.diagnostic(path,
                                    "NS505", f"label {label!r} of population '{name}' cannot "
                                    "name a SONATA population (it is an HDF5 group name: no "
                                    "'/', not empty); the sonata export needs another label")
        elif label in seen:
            yield source.diagnostic(path,
                                    "NS505", f"populations '{seen[label]}' and '{name}' have "
                                    f"the same label {label!r}, which names their SONATA "
                                    "population; give them distinct labels")
        seen.setdefault(label, name)


def _path_clash(normal: str, files: dict[str, int], folders: dict[str, int]) -> str | None:
    """Why an export may not write ``normal`` beside the ``files`` written so far and the
    ``folders`` they need (path → export index, -1 for the manifest): the same path, or a
    path that one needs as a file and another as a folder (``res`` and ``res/cells.pkl``);
    ``None`` when it is free."""
    def who(index: int, path: str) -> str:
        return f"every run writes '{path}'" if index < 0 else f"export[{index}] writes '{path}'"

    if normal in files:
        if files[normal] < 0:
            return f"'{MANIFEST}' is written by every run; choose another path"
        return f"export[{files[normal]}] already writes '{normal}'"
    parts = normal.split("/")
    mine = ["/".join(parts[:end]) for end in range(1, len(parts))]
    for folder in mine:
        if folder in files:
            return (f"'{normal}' needs '{folder}' to be a folder, but "
                    f"{who(files[folder], folder)} as a file")
    if normal in folders:
        index = folders[normal]
        return (f"'{normal}' would be a file where export[{index}] needs a folder "
                f"(it writes inside '{normal}')")
    return None


def _exports(network: Network, source: SourceMap) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {MANIFEST: -1}
    folders: dict[str, int] = {}
    for export in network.exports:
        path = export.origin.path
        normal = posixpath.normpath(export.path.replace("\\", "/"))
        parts = normal.split("/")
        if (export.path.startswith(("/", "\\")) or (len(export.path) > 1
                                                     and export.path[1] == ":")
                or normal == ".." or normal.startswith("../") or normal in ("", ".")
                or export.path.endswith(("/", "\\"))):
            yield source.diagnostic((*path, "path"), "NS501",
                                    f"export path {export.path!r} must be a file name relative "
                                    "to the output folder, inside it")
            continue
        if parts[0].startswith(STAGING_PREFIX):
            yield source.diagnostic((*path, "path"), "NS501",
                                    f"export path {export.path!r} is inside the hidden folder "
                                    f"netspec stages outputs in ({STAGING_PREFIX}…); choose "
                                    "another path")
            continue
        for written in export_files(export):
            normal = posixpath.normpath(written.replace("\\", "/"))
            parts = normal.split("/")
            beside = "" if written == export.path else f" (beside '{export.path}')"
            clash = _path_clash(normal, seen, folders)
            if clash is not None:
                yield source.diagnostic((*path, "path"), "NS502", clash + beside)
                break
            seen[normal] = int(path[-1])
            for end in range(1, len(parts)):
                folders.setdefault("/".join(parts[:end]), int(path[-1]))
        writes = FORMAT_WRITES.get(export.format)
        if export.edges is not None and export.format != "sonata":
            yield source.diagnostic((*path, "edges"), "NS504",
                                    f"format '{export.format}' writes no connections; "
                                    "'edges' is an option of format 'sonata'", key=True)
        if writes == "none":
            for key in ("target", "variables"):
                if getattr(export, key) is not None:
                    yield source.diagnostic((*path, key), "NS504",
                                            f"format 'summary' covers the whole run; remove "
                                            f"'{key}'", key=True)
            continue
        targets = export_targets(network, export)
        recorded: set[str] = set()
        for target in targets:
            recorded |= recorded_variables(network, target)
        if export.variables is not None:
            for j, variable in enumerate(export.variables):
                if variable not in recorded:
                    yield source.diagnostic(
                        (*path, "variables", j), "NS503",
                        f"'{variable}' is not recorded on "
                        f"{repr(export.target) if export.target else 'any target'}; "
                        f"recorded: {', '.join(sorted(recorded)) or 'nothing'}")
        if writes == "spikes" and "spikes" not in recorded:
            yield source.diagnostic(path, "NS503", f"format '{export.format}' writes spikes, "
                                                   "but no spikes are recorded on "
                                                   f"{export.target or 'any target'}")
        elif not recorded:
            where = f"'{export.target}'" if export.target else "any population"
            yield source.diagnostic(path, "NS503", f"nothing is recorded on {where}; add a "
                                                   "recording or remove this export")
