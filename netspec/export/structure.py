"""What the network was built as, for the writers that describe it (SONATA's nodes and
edges files): every population with its size, cell type and positions, and, when an
export asks for them, the connections PyNN built.

:func:`populations` and :func:`connections` read the PyNN objects after the network is
built; the connections of a projection between views or assemblies are mapped back to
the Populations they belong to (SONATA numbers nodes within a population).
:func:`population_info` and :func:`edge_sets` read the PyNN objects alone: a script
emitted by ``netspec compile`` describes its network with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from netspec.model import Network


@dataclass(frozen=True)
class PopulationInfo:
    """One PyNN Population: its label (SONATA's population name), size and cell type;
    ``positions`` is PyNN's 3 × size array (µm), or None where it was not read."""

    name: str
    label: str
    size: int
    cell_type: str
    spike_source: bool
    positions: np.ndarray | None = None


@dataclass(frozen=True)
class EdgeSet:
    """The connections of one projection between one pre and one post Population:
    population-relative indices, weights (PyNN units) and delays (ms)."""

    projection: str
    synapse_type: str
    receptor_type: str
    pre: str  # population label
    post: str
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    delay: np.ndarray


def populations(network: Network, pynn: Mapping[str, Any]) -> tuple[PopulationInfo, ...]:
    """Every Population of ``network``, in spec order, with PyNN's positions."""
    from netspec import pynn_catalogue

    out = []
    for name, population in network.populations.items():
        model = pynn_catalogue.cell_type(population.cell_type)
        positions = None
        obj = pynn.get(name)
        if obj is not None:
            try:
                positions = np.asarray(obj.positions, dtype=np.float64)
            except Exception:  # a backend that does not keep positions
                positions = None
        out.append(PopulationInfo(name, population.label, population.size,
                                  population.cell_type, bool(model and model.spike_source),
                                  positions))
    return tuple(out)


def connections(network: Network, pynn: Mapping[str, Any]) -> tuple[EdgeSet, ...]:
    """The connections every projection of ``network`` built, split by (pre, post)
    Population."""
    return edge_sets([(name, pynn[name]) for name in network.projections],
                     [pynn[name] for name in network.populations])


def population_info(cells: Any, spike_source: bool) -> PopulationInfo:
    """A built PyNN Population as the writers describe it (a script that has no spec
    calls this)."""
    try:
        positions: np.ndarray | None = np.asarray(cells.positions, dtype=np.float64)
    except Exception:  # a backend that does not keep positions
        positions = None
    return PopulationInfo(str(cells.label), str(cells.label), int(cells.size),
                          type(cells.celltype).__name__, spike_source, positions)


def edge_sets(projections: Sequence[tuple[str, Any]],
              populations: Sequence[Any]) -> tuple[EdgeSet, ...]:
    """The connections of built PyNN projections (``(name, Projection)`` pairs), split by
    the (pre, post) pair of ``populations`` their cells belong to, with indices within
    those Populations (a Population's cells are numbered from its ``first_id``)."""
    firsts = np.array([int(p.first_id) for p in populations], dtype=np.int64)
    order = np.argsort(firsts)
    labels = [str(p.label) for p in populations]

    def locate(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = order[np.searchsorted(firsts[order], ids, side="right") - 1]
        return k, ids - firsts[k]

    out: list[EdgeSet] = []
    for name, obj in projections:
        rows = np.asarray(obj.get(["weight", "delay"], format="list", gather=True,
                                  with_address=True), dtype=np.float64).reshape(-1, 4)
        pre_ids = np.asarray(obj.pre.all_cells, dtype=np.int64)[rows[:, 0].astype(np.int64)]
        post_ids = np.asarray(obj.post.all_cells, dtype=np.int64)[rows[:, 1].astype(np.int64)]
        (pre, i), (post, j) = locate(pre_ids), locate(post_ids)
        for a, b in sorted({(int(a), int(b)) for a, b in zip(pre, post, strict=True)}):
            keep = (pre == a) & (post == b)
            out.append(EdgeSet(name, type(obj.synapse_type).__name__, str(obj.receptor_type),
                               labels[a], labels[b], i[keep], j[keep], rows[keep, 2],
                               rows[keep, 3]))
    return tuple(out)
