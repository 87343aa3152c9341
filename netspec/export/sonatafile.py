"""The ``sonata`` format: spikes, nodes and (optionally) edges as SONATA files that
SONATA tools (libsonata, BMTK, PyNN's own SONATA reader) read.

Spikes (the export's ``path``) are written per PyNN **Population**, whatever the
export's target (a view or an assembly is split into the Populations its cells belong
to), with node ids relative to that Population, as SONATA numbers nodes::

    /spikes/<population label>              attribute sorting = by_time (SONATA's enum)
    /spikes/<population label>/timestamps   float64, ms (attribute units = "ms")
    /spikes/<population label>/node_ids     uint64, index of the neuron in its Population

Nodes, beside it as ``<stem>_nodes.h5`` and ``<stem>_node_types.csv``: every Population
of the network, one node type each (``model_type`` ``point_neuron``, or ``virtual``
for spike sources; ``model_template`` ``pynn:<cell type>``), with PyNN's positions::

    /nodes/<label>/node_id, node_type_id, node_group_id (0), node_group_index
    /nodes/<label>/0/x, y, z                 µm

Edges (``edges: true``), as ``<stem>_edges.h5`` and ``<stem>_edge_types.csv``: one edge
population per projection and (pre, post) Population pair, named after the projection
(``<projection>__<pre>__<post>`` when a view or assembly spans several Populations)::

    /edges/<name>/source_node_id, target_node_id  uint64 (attribute node_population)
    /edges/<name>/edge_type_id, edge_group_id (0), edge_group_index
    /edges/<name>/0/syn_weight (PyNN units), delay (ms)

Analog signals are not part of SONATA's spike format and are not written.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from netspec.export.guarded import guarded
from netspec.export.recorded import RecordedData, collect
from netspec.export.structure import EdgeSet, PopulationInfo, edge_sets, population_info

#: SONATA's ``sorting`` attribute is an HDF5 enum (libsonata refuses a string).
SORTING = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")
_BY_TIME = 2
#: SONATA files carry this magic number and version (as PyNN's SONATA export writes).
MAGIC = np.uint32(0x0A7A)
VERSION = np.array([0, 1], dtype=np.uint32)


def spikes_by_population(data: Sequence[RecordedData]
                         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Label → (times, population-relative ids), sorted by time then id, of every spike in
    ``data``; a cell that two targets (or two members of an assembly) share counts once."""
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for d in data:
        if d.spike_times is None or d.spike_ids is None or d.spike_channels is None:
            continue
        labels = d.source_population[d.spike_ids]
        index = d.source_index[d.spike_ids]
        for label in dict.fromkeys(d.source_population[d.spike_channels].tolist()):
            keep = labels == label
            parts.setdefault(str(label), []).append((d.spike_times[keep], index[keep]))
    out = {}
    for label, pieces in parts.items():
        times = np.concatenate([t for t, _ in pieces]).astype(np.float64)
        ids = np.concatenate([i for _, i in pieces]).astype(np.uint64)
        if len(pieces) > 1:
            pairs = np.unique(np.stack([times, ids.astype(np.float64)]), axis=1)
            times, ids = pairs[0], pairs[1].astype(np.uint64)
        order = np.lexsort((ids, times))
        out[label] = (times[order], ids[order])
    return out


def write(files: Sequence[Path], data: Sequence[RecordedData],
          populations: Sequence[PopulationInfo], edges: Sequence[EdgeSet] | None = None) -> None:
    """Write the files of one export (as :func:`netspec.checks.export_files` names them):
    spikes, nodes, node types and, with ``edges``, edges and edge types."""
    write_spikes(files[0], data)
    write_nodes(files[1], files[2], populations)
    if edges is not None:
        write_edges(files[3], files[4], edges)


def write_from_pynn(files: Sequence[Path], targets: Sequence[Any],
                    populations: Sequence[tuple[Any, bool]],
                    projections: Sequence[tuple[str, Any]] | None = None, *,
                    t_stop: float) -> None:
    """:func:`write` from built PyNN objects, for a script emitted by ``netspec compile``:
    the spikes of ``targets`` (populations, views, assemblies) up to ``t_stop`` (ms), every
    Population as ``(population, is_spike_source)``, and, when given, the connections of
    ``projections`` (``(name, Projection)`` pairs)."""
    data = [collect(target, ["spikes"], name=str(target.label), t_stop=t_stop)
            for target in targets]
    infos = [population_info(cells, spike_source) for cells, spike_source in populations]
    edges = None if projections is None else edge_sets(
        projections, [cells for cells, _ in populations])
    write(files, data, infos, edges)


def write_spikes(path: Path, data: Sequence[RecordedData]) -> None:
    """The spikes file: the spikes of ``data`` per PyNN Population."""
    # each HDF5 file through a guard: a full disk raises OSError after HDF5 closed the file
    with guarded(path) as guard, h5py.File(guard, "w") as f:
        _header(f)
        root = f.create_group("spikes")
        for label, (times, ids) in spikes_by_population(data).items():
            group = root.create_group(label)
            group.attrs.create("sorting", _BY_TIME, dtype=SORTING)
            group.create_dataset("timestamps", data=times).attrs["units"] = "ms"
            group.create_dataset("node_ids", data=ids)


def write_nodes(nodes: Path, types: Path, populations: Sequence[PopulationInfo]) -> None:
    """The nodes file and node types table of ``populations``."""
    with guarded(nodes) as guard, h5py.File(guard, "w") as f:
        _header(f)
        root = f.create_group("nodes")
        for type_id, population in enumerate(populations):
            group = root.create_group(population.label)
            n = population.size
            group.create_dataset("node_id", data=np.arange(n, dtype=np.uint64))
            group.create_dataset("node_type_id", data=np.full(n, type_id, dtype=np.int64))
            group.create_dataset("node_group_id", data=np.zeros(n, dtype=np.uint32))
            group.create_dataset("node_group_index", data=np.arange(n, dtype=np.uint64))
            attributes = group.create_group("0")
            if population.positions is not None and population.positions.shape == (3, n):
                for axis, values in zip("xyz", population.positions, strict=True):
                    attributes.create_dataset(axis, data=values)
    with open(types, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=" ", lineterminator="\n")
        writer.writerow(["node_type_id", "pop_name", "model_type", "model_template"])
        for type_id, population in enumerate(populations):
            writer.writerow([type_id, population.label,
                             "virtual" if population.spike_source else "point_neuron",
                             f"pynn:{population.cell_type}"])


def edge_population_names(edges: Sequence[EdgeSet]) -> list[str]:
    """SONATA's name of each edge set: its projection, or ``<projection>__<pre>__<post>``
    when the projection has several (pre, post) Population pairs."""
    counts: dict[str, int] = {}
    for e in edges:
        counts[e.projection] = counts.get(e.projection, 0) + 1
    return [e.projection if counts[e.projection] == 1 else f"{e.projection}__{e.pre}__{e.post}"
            for e in edges]


def write_edges(file: Path, types: Path, edges: Sequence[EdgeSet]) -> None:
    """The edges file and edge types table of ``edges``."""
    names = edge_population_names(edges)
    with guarded(file) as guard, h5py.File(guard, "w") as f:
        _header(f)
        root = f.create_group("edges")
        for type_id, (name, e) in enumerate(zip(names, edges, strict=True)):
            group = root.create_group(name)
            n = e.source.size
            source = group.create_dataset("source_node_id", data=e.source.astype(np.uint64))
            source.attrs["node_population"] = e.pre
            target = group.create_dataset("target_node_id", data=e.target.astype(np.uint64))
            target.attrs["node_population"] = e.post
            group.create_dataset("edge_type_id", data=np.full(n, type_id, dtype=np.int64))
            group.create_dataset("edge_group_id", data=np.zeros(n, dtype=np.uint32))
            group.create_dataset("edge_group_index", data=np.arange(n, dtype=np.uint64))
            attributes = group.create_group("0")
            attributes.create_dataset("syn_weight", data=e.weight.astype(np.float64))
            attributes.create_dataset("delay", data=e.delay.astype(np.float64))
    with open(types, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=" ", lineterminator="\n")
        writer.writerow(["edge_type_id", "pop_name", "model_template", "receptor_type"])
        for type_id, (name, e) in enumerate(zip(names, edges, strict=True)):
            writer.writerow([type_id, name, f"pynn:{e.synapse_type}", e.receptor_type])


def _header(f: h5py.File) -> None:
    f.attrs["magic"] = MAGIC
    f.attrs["version"] = VERSION


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` is an HDF5 file with a ``/spikes``, ``/nodes``
    or ``/edges`` group, or a node/edge types table with its header."""
    if path.suffix == ".csv":
        first = path.read_text(encoding="utf-8").split("\n", 1)[0].split()
        if not first or first[0] not in ("node_type_id", "edge_type_id"):
            raise ValueError(f"{path} is not a SONATA types table")
        return
    with h5py.File(path, "r") as f:
        if not {"spikes", "nodes", "edges"} & set(f):
            raise ValueError(f"{path} has no /spikes, /nodes or /edges group")
