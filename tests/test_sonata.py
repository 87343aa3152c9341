"""SONATA that SONATA tools read: spikes per PyNN Population with Population-relative node
ids, a nodes file for every Population and, on request, the connections as edges; checked
with libsonata (the SONATA reference reader), for `run` and for the compiled script."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import netspec
from netspec.checks import export_files
from netspec.export import WRITERS, RecordedData, WriteContext
from netspec.export.structure import EdgeSet, PopulationInfo
from netspec.model import Export, Origin
from tests.conftest import VA, needs_nest, netspec_cli

libsonata = pytest.importorskip("libsonata")
h5py = pytest.importorskip("h5py")

ORIGIN = Origin("spec.yaml", 1, 1, ("export", 0))


def _inh_view() -> RecordedData:
    """Spikes of the view cells[800:1000] (target indices 0-199), as collect() gives them."""
    size = 200
    ids = np.array([0, 5, 199, 5])
    times = np.array([1.0, 2.5, 2.5, 7.0])
    return RecordedData(name="inh", size=size, t_start=0.0, t_stop=10.0, spike_times=times,
                        spike_ids=ids, kind="view", label="inh",
                        cell_ids=np.arange(801, 1001), source_index=np.arange(800, 1000),
                        source_population=np.full(size, "cells"))


def _populations() -> tuple[PopulationInfo, ...]:
    return (PopulationInfo("cells", "cells", 1000, "IF_cond_exp", False,
                           np.vstack([np.arange(1000.0), np.zeros(1000), np.zeros(1000)])),
            PopulationInfo("stim", "stim", 20, "SpikeSourcePoisson", True, None))


def test_file_names_of_a_sonata_export() -> None:
    plain = Export("sonata", "out/spikes.h5", None, None, ORIGIN)
    assert export_files(plain) == ("out/spikes.h5", "out/spikes_nodes.h5",
                                   "out/spikes_node_types.csv")
    edges = Export("sonata", "spikes", None, None, ORIGIN, edges=True)
    assert export_files(edges) == ("spikes", "spikes_nodes.h5", "spikes_node_types.csv",
                                   "spikes_edges.h5", "spikes_edge_types.csv")
    assert export_files(Export("nix", "a.h5", None, None, ORIGIN)) == ("a.h5",)


def _write(tmp_path: Path, edges: tuple[EdgeSet, ...] | None = None) -> list[Path]:
    export = Export("sonata", "spikes.h5", "inh", None, ORIGIN, edges=edges is not None)
    files = [tmp_path / f for f in export_files(export)]
    WRITERS["sonata"](files[0], [_inh_view()],
                      WriteContext(populations=_populations(), edges=edges, files=tuple(files)))
    return files


def test_spikes_are_per_population_with_population_ids(tmp_path: Path) -> None:
    spikes, nodes, types = _write(tmp_path)
    reader = libsonata.SpikeReader(str(spikes))
    assert reader.get_population_names() == ["cells"]  # the Population, not the view
    population = reader["cells"]
    assert population.sorting == "by_time"
    assert population.get() == [(800, 1.0), (805, 2.5), (999, 2.5), (805, 7.0)]
    storage = libsonata.NodeStorage(str(nodes))
    assert storage.population_names == {"cells", "stim"}
    cells = storage.open_population("cells")
    assert cells.size == 1000
    np.testing.assert_array_equal(cells.get_attribute("x", cells.select_all())[:3], [0, 1, 2])
    assert storage.open_population("stim").size == 20
    with open(types, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=" "))
    assert rows == [
        {"node_type_id": "0", "pop_name": "cells", "model_type": "point_neuron",
         "model_template": "pynn:IF_cond_exp"},
        {"node_type_id": "1", "pop_name": "stim", "model_type": "virtual",
         "model_template": "pynn:SpikeSourcePoisson"}]


def test_edges_readable_by_libsonata(tmp_path: Path) -> None:
    edge_set = EdgeSet("stim_to_cells", "StaticSynapse", "excitatory", "stim", "cells",
                       np.array([0, 0, 19]), np.array([3, 999, 3]), np.array([0.1, 0.2, 0.3]),
                       np.array([1.0, 1.0, 2.0]))
    files = _write(tmp_path, (edge_set,))
    storage = libsonata.EdgeStorage(str(files[3]))
    assert storage.population_names == {"stim_to_cells"}
    population = storage.open_population("stim_to_cells")
    assert (population.source, population.target, population.size) == ("stim", "cells", 3)
    every = population.select_all()
    np.testing.assert_array_equal(population.source_nodes(every), [0, 0, 19])
    np.testing.assert_array_equal(population.target_nodes(every), [3, 999, 3])
    np.testing.assert_array_equal(population.get_attribute("syn_weight", every), [.1, .2, .3])
    np.testing.assert_array_equal(population.get_attribute("delay", every), [1, 1, 2])


def test_edges_is_an_option_of_sonata_only(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(VA.read_text(encoding="utf-8").replace(
        "  - {format: summary, path: summary.json}",
        "  - {format: pickle, target: exc, path: x.pkl, edges: true}\n"
        "  - {format: sonata, path: s.h5, edges: yes}"), encoding="utf-8")
    found = sorted((d.code, d.path[-1]) for d in netspec.validate(spec))
    assert found == [("NS103", "edges"), ("NS504", "edges")]


def test_sonata_files_collide_with_other_exports(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(VA.read_text(encoding="utf-8").replace(
        "  - {format: summary, path: summary.json}",
        "  - {format: sonata, path: spikes.h5}\n"
        "  - {format: pickle, target: exc, path: spikes_nodes.h5}"), encoding="utf-8")
    found = [(d.code, d.message) for d in netspec.validate(spec)]
    assert len(found) == 1 and found[0][0] == "NS502"
    assert "spikes_nodes.h5" in found[0][1]


SONATA_SPEC = """\
netspec: "1"
name: sonata-check
simulation: {timestep: 0.1 ms, duration: 200 ms, seed: 7}
populations:
  drive: {size: 30, cell_type: SpikeSourcePoisson, parameters: {rate: 60 Hz}}
  cells: {size: 50, cell_type: IF_curr_exp, parameters: {i_offset: 0.3 nA},
          structure: {type: Line, dx: 10}}
views:
  late: {population: cells, slice: [20, 50]}
  both: {assembly: [late, drive]}
projections:
  kick:
    pre: drive
    post: late
    connector: {type: FixedProbabilityConnector, p_connect: 0.2}
    synapse: {type: StaticSynapse, weight: 0.2, delay: 1 ms}
    receptor_type: excitatory
recordings:
  spikes: {target: both, variables: [spikes]}
export:
  - {format: sonata, target: both, path: sonata/spikes.h5, edges: true}
  - {format: summary, path: summary.json}
"""


@needs_nest
def test_run_and_compiled_script_write_the_same_sonata(tmp_path: Path) -> None:
    spec = tmp_path / "sonata.yaml"
    spec.write_text(SONATA_SPEC, encoding="utf-8")
    done = netspec_cli("run", str(spec), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    script = tmp_path / "script.py"
    script.write_text(netspec.compile(spec), encoding="utf-8")
    ran = subprocess.run([sys.executable, str(script), str(tmp_path / "script")],
                         capture_output=True, text=True, check=False, timeout=600,
                         env={**os.environ, "PYNEST_QUIET": "1"})
    assert ran.returncode == 0, ran.stderr[-3000:]
    spikes = {}
    for side in ("run", "script"):
        reader = libsonata.SpikeReader(str(tmp_path / side / "sonata" / "spikes.h5"))
        assert sorted(reader.get_population_names()) == ["cells", "drive"]
        spikes[side] = {name: reader[name].get() for name in ("cells", "drive")}
        ids = [node for node, _ in spikes[side]["cells"]]
        assert ids and min(ids) >= 20 and max(ids) < 50  # Population ids of the view's cells
        nodes = libsonata.NodeStorage(str(tmp_path / side / "sonata" / "spikes_nodes.h5"))
        assert {n: nodes.open_population(n).size for n in nodes.population_names} == {
            "cells": 50, "drive": 30}
        cells = nodes.open_population("cells")
        np.testing.assert_allclose(cells.get_attribute("x", cells.select_all())[:3],
                                   [0, 10, 20])
    assert spikes["run"] == spikes["script"]
    edges = {}
    for side in ("run", "script"):
        storage = libsonata.EdgeStorage(str(tmp_path / side / "sonata" / "spikes_edges.h5"))
        population = storage.open_population("kick")
        assert (population.source, population.target) == ("drive", "cells")
        every = population.select_all()
        edges[side] = (population.source_nodes(every).tolist(),
                       population.target_nodes(every).tolist(),
                       population.get_attribute("syn_weight", every).tolist(),
                       population.get_attribute("delay", every).tolist())
        assert edges[side][0] and min(edges[side][1]) >= 20  # the view's cells, by Population
        assert set(edges[side][2]) == {0.2} and set(edges[side][3]) == {1.0}
    assert edges["run"] == edges["script"]
    assert (tmp_path / "run" / "sonata" / "spikes_edge_types.csv").read_text() == (
        tmp_path / "script" / "sonata" / "spikes_edge_types.csv").read_text()
    types = [(tmp_path / side / "sonata" / "spikes_node_types.csv").read_text()
             for side in ("run", "script")]
    assert types[0] == types[1]
    import json
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["projections"]["kick"]["connections"] > 0
    assert "both" in summary["populations"]  # assemblies are rated too
    script_summary = json.loads((tmp_path / "script" / "summary.json").read_text())
    assert script_summary["projections"] == summary["projections"]
    for name, rates in summary["populations"].items():
        assert script_summary["populations"][name]["spike_count"] == rates["spike_count"]
