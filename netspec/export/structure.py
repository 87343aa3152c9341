"""What the network was built as, for the writers that describe it (SONATA's nodes and
edges files): every population with its size, cell type and positions, and, when an
export asks for them, the connections PyNN built.

:func:`populations` and :func:`connections` read the PyNN objects after the network is
built; the connections of a projection between views or assemblies are mapped back to
the Populations they belong to (SONATA numbers nodes within a population).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from netspec.model import Assembly, Network, View


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
    """The connections every projection built, split by (pre, post) Population."""
    out: list[EdgeSet] = []
    for name, projection in network.projections.items():
        obj = pynn[name]
        rows = np.asarray(obj.get(["weight", "delay"], format="list", gather=True,
                                  with_address=True), dtype=np.float64).reshape(-1, 4)
        pre_pop, pre_index = cells(network, projection.pre)
        post_pop, post_index = cells(network, projection.post)
        i, j = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
        pairs = {(int(a), int(b)) for a, b in zip(pre_pop[i], post_pop[j], strict=True)}
        labels = [network.populations[p].label for p in network.populations]
        for a, b in sorted(pairs):
            keep = (pre_pop[i] == a) & (post_pop[j] == b)
            out.append(EdgeSet(name, projection.synapse.type, projection.receptor_type,
                               labels[a], labels[b], pre_index[i[keep]], post_index[j[keep]],
                               rows[keep, 2], rows[keep, 3]))
    return tuple(out)


def cells(network: Network, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a population, view or assembly in PyNN's order, as two arrays: the
    position of each cell's Population in ``network.populations`` and its index there."""
    order = list(network.populations)
    target = network.target(name)
    if isinstance(target, Assembly):
        parts = [cells(network, member) for member in target.members]
        return (np.concatenate([p for p, _ in parts]), np.concatenate([i for _, i in parts]))
    if isinstance(target, View):
        index = np.asarray(target.indices, dtype=np.int64)
        return np.full(index.size, order.index(target.population), dtype=np.int64), index
    return (np.full(target.size, order.index(target.name), dtype=np.int64),
            np.arange(target.size, dtype=np.int64))
