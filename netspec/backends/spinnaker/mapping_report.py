"""What the mapping used: the machine, the chips and cores of the network, and each
population's share, read from sPyNNaker after ``sim.run`` (imports sPyNNaker)."""

from __future__ import annotations

from typing import Any

from netspec.backends.spinnaker.machine import Machine
from netspec.model import Network


def mapping_report(network: Network | None, machine: Machine | None) -> dict[str, Any]:
    """The machine (``machine``), chips and cores used, system cores, sPyNNaker's mapping
    and loading timers, and per population of ``network``: size, cores, chips, neurons per
    core and delay-extension cores."""
    from spinn_front_end_common.interface.provenance import GlobalProvenance, TimerCategory
    from spynnaker.pyNN.data import SpynnakerDataView as view
    from spynnaker.pyNN.models.common.population_application_vertex import (
        PopulationApplicationVertex,
    )
    from spynnaker.pyNN.models.utility_models.delays import DelayExtensionVertex

    vertices = list(view.iterate_vertices())
    populations = [v for v in vertices if isinstance(v, PopulationApplicationVertex)]
    names: list[str] = list(network.populations) if network is not None else []
    if len(names) != len(populations):  # fall back on labels
        names = [str(v.label) for v in populations]
    by_vertex = {id(v): name for v, name in zip(populations, names, strict=True)}

    def placed(vertex: Any) -> list[Any]:
        return [view.get_placement_of_vertex(m) for m in vertex.machine_vertices]

    per_population: dict[str, dict[str, Any]] = {}
    network_chips: set[tuple[int, int]] = set()
    network_cores = 0
    for vertex in populations:
        places = placed(vertex)
        chips = {(p.x, p.y) for p in places}
        per_core = max((m.vertex_slice.n_atoms for m in vertex.machine_vertices
                        if hasattr(m, "vertex_slice")), default=0)
        per_population[by_vertex[id(vertex)]] = {
            "size": int(vertex.n_atoms), "cores": len(places), "chips": len(chips),
            "neurons_per_core": int(per_core), "delay_extension_cores": 0}
        network_chips |= chips
        network_cores += len(places)
    for other in vertices:
        if isinstance(other, DelayExtensionVertex):
            places = placed(other)
            name = by_vertex.get(id(other.source_vertex))
            if name is not None:
                per_population[name]["delay_extension_cores"] += len(places)
            network_chips |= {(p.x, p.y) for p in places}
            network_cores += len(places)
    spinn = view.get_machine()
    described = (f"{'virtual board' if machine is not None and machine.virtual else 'machine'}"
                 f" of {spinn.n_chips} chips ({spinn.width} x {spinn.height})")
    report: dict[str, Any] = {
        "machine": described,
        "chips_used": len(network_chips),
        "cores_used": network_cores,
        "system_cores": view.get_n_placements() - network_cores,
    }
    with GlobalProvenance() as provenance:
        for key, category in (("mapping_s", TimerCategory.MAPPING),
                              ("loading_s", TimerCategory.LOADING)):
            report[key] = provenance.get_category_timer_sum(category) / 1000.0
    report["populations"] = per_population
    return report

