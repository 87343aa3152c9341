"""Every PyNN standard model, connector and current source netspec can name runs on NEST
through the command line, and its outputs read back; what NEST (or the language) cannot
run is refused by ``validate`` with a located diagnostic instead of crashing the run.

The models are grouped into a few specs (one subprocess each, ~2 s of imports); each model
is still its own test case, checked against the outputs of its group's run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import netspec
from netspec import pynn_catalogue as catalogue
from netspec.backends.nest import BROKEN, FIXED_INITIAL_VALUES, UNAVAILABLE, UNRECORDABLE
from netspec.pipeline import check
from netspec.resolve import NOT_EXPRESSIBLE
from tests.conftest import HAS_NEST, needs_nest, netspec_cli

SIMULATION = {"timestep": "0.1 ms", "duration": "20 ms", "seed": 11}

#: Parameters that make each spike source fire within 20 ms.
SOURCE_PARAMETERS: dict[str, dict[str, Any]] = {
    "SpikeSourceArray": {"spike_times": [[1.0, 5.0], [2.0], [3.0, 7.0]]},
    "SpikeSourcePoisson": {"rate": "500 Hz"},
    "SpikeSourcePoissonRefractory": {"rate": "500 Hz", "tau_refrac": "1 ms"},
    "SpikeSourceGamma": {"alpha": 2, "beta": "500 Hz"},
    "SpikeSourceInhGamma": {"a": [2.0, 3.0], "b": [0.002, 0.003], "tbins": [0.0, 10.0]},
}

RUNNABLE_CELLS = [c for c in catalogue.cell_types() if c not in BROKEN["cell"]]
REFUSED_CELLS = sorted(BROKEN["cell"])


def _slug(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _weight(model: catalogue.ModelInfo, receptor: str) -> str:
    """Excitatory weights twice as strong as inhibitory ones (equal ones from one source
    would cancel exactly in current-based cells)."""
    scale = 1.0
    if receptor == "inhibitory":
        scale = 0.5 if model.conductance_based else -0.5
    return {"uS": f"{5 * scale} nS", "nA": f"{0.5 * scale} nA",
            "mV": f"{2 * scale} mV"}[str(model.weight_unit)]


def _recordables(cell: str) -> list[str]:
    model = catalogue.cell_type(cell)
    assert model is not None
    return [v for v in model.recordables if v not in UNRECORDABLE.get(cell, ())]


def _receptors(cell: str) -> list[str]:
    """Receptor types a chemical synapse can target (gap junctions need ElectricalSynapse,
    which NEST lacks)."""
    model = catalogue.cell_type(cell)
    assert model is not None
    return [r for r in model.receptor_types if not r.endswith(".gap")]


def cells_spec() -> dict[str, Any]:
    """Every runnable cell type: 3 cells with default parameters, a Poisson input onto
    each receptor type, every recordable recorded and exported."""
    populations: dict[str, Any] = {
        "drive": {"size": 2, "cell_type": "SpikeSourcePoisson",
                  "parameters": {"rate": "1000 Hz"}}}
    projections: dict[str, Any] = {}
    recordings: dict[str, Any] = {}
    export: list[dict[str, Any]] = []
    for cell in RUNNABLE_CELLS:
        model = catalogue.cell_type(cell)
        assert model is not None
        name = _slug(cell)
        populations[name] = {"size": 3, "cell_type": cell}
        if model.spike_source:
            populations[name]["parameters"] = SOURCE_PARAMETERS[cell]
        for receptor in _receptors(cell):
            projections[f"{name}-{_slug(receptor)}"] = {
                "pre": "drive", "post": name, "connector": {"type": "AllToAllConnector"},
                "synapse": {"type": "StaticSynapse", "weight": _weight(model, receptor),
                            "delay": "1 ms"},
                "receptor_type": receptor}
        recordings[name] = {"target": name, "variables": _recordables(cell)}
        export += [{"format": "nix", "target": name, "path": f"{name}.h5"},
                   {"format": "pickle", "target": name, "path": f"{name}.pkl"}]
    export += [{"format": "sonata", "path": "spikes.h5"},
               {"format": "summary", "path": "summary.json"}]
    return {"netspec": "1", "name": "every-cell-type", "simulation": SIMULATION,
            "populations": populations, "projections": projections,
            "recordings": recordings, "export": export}


SYNAPSE_PARAMETERS: dict[str, dict[str, Any]] = {
    "StaticSynapse": {},
    "TsodyksMarkramSynapse": {"U": 0.5, "tau_rec": "100 ms", "tau_facil": "10 ms"},
    "MultiQuantalSynapse": {"n": 2},
    "SimpleStochasticSynapse": {"p": 0.5},
    "StochasticTsodyksMarkramSynapse": {"U": 0.5},
    "ElectricalSynapse": {},
}

#: Connector arguments for a 3-cell source onto 3 cells on a Line (or the cells onto
#: themselves, for the connectors that need positions on both sides).
CONNECTOR_ARGUMENTS: dict[str, dict[str, Any]] = {
    "AllToAllConnector": {"allow_self_connections": False},
    "OneToOneConnector": {},
    "FixedProbabilityConnector": {"p_connect": 0.5},
    "FixedNumberPreConnector": {"n": 2},
    "FixedNumberPostConnector": {"n": 2, "with_replacement": True},
    "FixedTotalNumberConnector": {"n": 4},
    "DistanceDependentProbabilityConnector": {"d_expression": "exp(-d/20)"},
    "FromListConnector": {"conn_list": [[0, 1, 0.005, 1.0], [2, 0, 0.004, 2.0]],
                          "column_names": ["weight", "delay"]},
    "FromFileConnector": {"file": "conns.txt"},
    "ArrayConnector": {"array": [[True, False, True], [False, True, False],
                                 [True, True, True]]},
    "CloneConnector": {"reference_projection": "reference"},
    "SmallWorldConnector": {"degree": 15, "rewiring": 0.1},
    "CSAConnector": {"cset": "full"},
    "IndexBasedProbabilityConnector": {"index_expression": "i+j"},
    "DisplacementDependentProbabilityConnector": {"disp_function": "exp(-abs(dx)/20)"},
}
CONNECTORS_ON_NEST = [c for c in catalogue.connectors()
                      if c not in NOT_EXPRESSIBLE and c not in BROKEN["connector"]]

CURRENT_SOURCES: dict[str, dict[str, Any]] = {
    "DCSource": {"amplitude": "0.5 nA", "start": "2 ms", "stop": "15 ms"},
    "StepCurrentSource": {"times": [2, 10], "amplitudes": [0.4, 0.0]},
    "ACSource": {"amplitude": "0.1 nA", "frequency": "100 Hz", "offset": "0.1 nA"},
    "NoisyCurrentSource": {"mean": "0.1 nA", "stdev": "0.05 nA", "dt": "1 ms"},
}

STDP = [(t, w) for t in catalogue.timing_dependences() for w in catalogue.weight_dependences()]


def _synapse(kind: str, **extra: Any) -> dict[str, Any]:
    if kind == "ElectricalSynapse":  # a gap junction has no delay
        return {"type": kind, "weight": "5 nS", **extra}
    return {"type": kind, "weight": "5 nS", "delay": "1 ms", **extra}


def _projection(pre: str, connector: dict[str, Any], synapse: dict[str, Any]) -> dict[str, Any]:
    return {"pre": pre, "post": "cells", "connector": connector, "synapse": synapse}


def _stdp(timing: str, weight: str) -> dict[str, Any]:
    return _synapse("STDPMechanism", timing_dependence={"type": timing},
                    weight_dependence={"type": weight, "w_min": 0, "w_max": "10 nS"})


def connections_spec(synapses: list[str], stdp: list[tuple[str, str]], connectors: list[str],
                     sources: list[str]) -> dict[str, Any]:
    """A source and 3 cells, one projection per synapse type, STDP rule pair and
    connector, and every current source injected into the cells."""
    projections: dict[str, Any] = {"reference": _projection(
        "src", {"type": "AllToAllConnector"}, _synapse("StaticSynapse"))}
    for kind in synapses:
        projections[f"syn-{_slug(kind)}"] = _projection(
            "src", {"type": "AllToAllConnector"}, _synapse(kind, **SYNAPSE_PARAMETERS[kind]))
    for timing, weight in stdp:
        projections[f"stdp-{_slug(timing)}-{_slug(weight)}"] = _projection(
            "src", {"type": "AllToAllConnector"}, _stdp(timing, weight))
    for kind in connectors:
        pre = "cells" if kind in ("DistanceDependentProbabilityConnector",
                                  "SmallWorldConnector",
                                  "DisplacementDependentProbabilityConnector") else "src"
        projections[f"conn-{_slug(kind)}"] = _projection(
            pre, {"type": kind, **CONNECTOR_ARGUMENTS[kind]}, _synapse("StaticSynapse"))
    return {
        "netspec": "1", "name": "every-connection", "simulation": SIMULATION,
        "populations": {
            "src": {"size": 3, "cell_type": "SpikeSourcePoisson",
                    "parameters": {"rate": "500 Hz"}},
            "cells": {"size": 3, "cell_type": "IF_cond_exp",
                      "structure": {"type": "Line", "dx": 10}}},
        "projections": projections,
        "stimuli": {f"stim-{_slug(k)}": {"type": k, "target": "cells", **CURRENT_SOURCES[k]}
                    for k in sources},
        "recordings": {"r": {"target": "cells", "variables": ["spikes", "v", "gsyn_exc"]}},
        "export": [{"format": "nix", "target": "cells", "path": "cells.h5"},
                   {"format": "summary", "path": "summary.json"}],
    }


def _write(folder: Path, name: str, spec: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conns.txt").write_text('# columns = ["i", "j", "weight", "delay"]\n'
                                      "0 1 0.005 1.0\n1 2 0.003 1.5\n", encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _run(spec: Path, out: Path, *extra: str) -> None:
    done = netspec_cli("run", str(spec), "--out", str(out), "--no-progress", *extra)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # PyNN's warnings about initial values NEST does not take are not the user's business
    assert "NEST does not allow" not in done.stderr


def _refused(spec: dict[str, Any], folder: Path, name: str) -> list[tuple[str, str]]:
    """(code, dotted path) of every error of ``spec`` on NEST; every one located."""
    checked = check(_write(folder, name, spec), backend="nest")
    assert not checked.ok
    for diagnostic in checked.errors:
        assert diagnostic.line > 0 and diagnostic.column > 0, diagnostic.render()
    return [(d.code, d.path_text) for d in checked.errors]


# ------------------------------------------------------------------ cell types
@pytest.fixture(scope="module")
def cells_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_NEST:
        pytest.skip("PyNN and nest-simulator are not installed")
    folder = tmp_path_factory.mktemp("cells")
    out = folder / "out"
    _run(_write(folder, "cells", cells_spec()), out)
    return out


@needs_nest
@pytest.mark.parametrize("cell", RUNNABLE_CELLS)
def test_cell_type_runs_and_every_recordable_reads_back(cell: str, cells_run: Path) -> None:
    neo = pytest.importorskip("neo")
    h5py = pytest.importorskip("h5py")
    name = _slug(cell)
    variables = _recordables(cell)
    summary = json.loads((cells_run / "summary.json").read_text())
    assert summary["populations"][name]["size"] == 3
    block = netspec.read(cells_run / f"{name}.h5")
    segment = block.segments[0]
    assert len(segment.spiketrains) == 3
    assert sum(len(t) for t in segment.spiketrains) == \
        summary["populations"][name]["spike_count"]
    signals = {s.name: s for s in segment.analogsignals}
    assert set(signals) == set(variables) - {"spikes"}
    for signal in signals.values():
        assert signal.shape == (201, 3), (signal.name, signal.shape)
        assert np.all(np.isfinite(signal.magnitude)), signal.name
    pickled = neo.io.PickleIO(str(cells_run / f"{name}.pkl")).read_block()
    assert {s.name for s in pickled.segments[0].analogsignals} == set(signals)
    with h5py.File(cells_run / "spikes.h5", "r") as h5:
        group = h5["spikes"][name]
        assert len(group["timestamps"][()]) == summary["populations"][name]["spike_count"]
    if "v" in signals:  # the Poisson input reached the cells
        assert np.ptp(signals["v"].magnitude) > 0


@pytest.mark.parametrize("cell", REFUSED_CELLS)
def test_cell_type_nest_cannot_build_is_refused_at_its_cell_type(cell: str,
                                                                tmp_path: Path) -> None:
    spec = {"netspec": "1", "name": "refused", "simulation": SIMULATION,
            "populations": {"cells": {"size": 2, "cell_type": cell}}}
    assert _refused(spec, tmp_path, "refused") == [("NS604", "populations.cells.cell_type")]


@pytest.mark.parametrize("cell,variable", sorted(
    (c, v) for c, vs in FIXED_INITIAL_VALUES.items() for v in vs))
def test_initial_value_nest_ignores_is_refused(cell: str, variable: str,
                                              tmp_path: Path) -> None:
    spec = {"netspec": "1", "name": "refused", "simulation": SIMULATION,
            "populations": {"cells": {"size": 2, "cell_type": cell,
                                      "initial_values": {variable: 0.5}}}}
    assert _refused(spec, tmp_path, "refused") == [
        ("NS604", f"populations.cells.initial_values.{variable}")]


@pytest.mark.parametrize("cell,variable", sorted(
    (c, v) for c, vs in UNRECORDABLE.items() for v in vs))
def test_variable_nest_cannot_record_is_refused(cell: str, variable: str,
                                               tmp_path: Path) -> None:
    spec = {"netspec": "1", "name": "refused", "simulation": SIMULATION,
            "populations": {"cells": {"size": 2, "cell_type": cell}},
            "recordings": {"r": {"target": "cells", "variables": ["spikes", variable]}}}
    assert _refused(spec, tmp_path, "refused") == [("NS604", "recordings.r.variables[1]")]


# ------------------------------------------------ synapses, STDP, connectors, current
@pytest.fixture(scope="module")
def connections_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_NEST:
        pytest.skip("PyNN and nest-simulator are not installed")
    folder = tmp_path_factory.mktemp("connections")
    out = folder / "out"
    spec = connections_spec(
        [s for s in catalogue.synapse_types() if s != "STDPMechanism"
         and s not in UNAVAILABLE["synapse"] and s not in BROKEN["synapse"]],
        [(t, w) for t, w in STDP if t not in UNAVAILABLE["timing_dependence"]],
        CONNECTORS_ON_NEST, list(CURRENT_SOURCES))
    _run(_write(folder, "connections", spec), out)
    return out


def _manifest_projection(out: Path, name: str) -> dict[str, Any]:
    manifest = json.loads((out / "manifest.json").read_text())
    projection: dict[str, Any] = manifest["resolved"]["projections"][name]
    return projection


@needs_nest
@pytest.mark.parametrize("synapse", [s for s in catalogue.synapse_types()
                                     if s != "STDPMechanism"])
def test_synapse_type_runs_or_is_refused(synapse: str, connections_run: Path,
                                         tmp_path: Path) -> None:
    if synapse in UNAVAILABLE["synapse"] or synapse in BROKEN["synapse"]:
        spec = connections_spec([synapse], [], [], [])
        assert _refused(spec, tmp_path, "refused") == [
            ("NS604", f"projections.syn-{_slug(synapse)}.synapse.type")]
        return
    assert _manifest_projection(connections_run, f"syn-{_slug(synapse)}")["synapse"]["type"] \
        == synapse


@needs_nest
@pytest.mark.parametrize("timing,weight", STDP)
def test_stdp_rule_runs_or_is_refused(timing: str, weight: str, connections_run: Path,
                                      tmp_path: Path) -> None:
    name = f"stdp-{_slug(timing)}-{_slug(weight)}"
    if timing in UNAVAILABLE["timing_dependence"]:
        assert _refused(connections_spec([], [(timing, weight)], [], []), tmp_path,
                        "refused") == [
            ("NS604", f"projections.{name}.synapse.timing_dependence.type")]
        return
    synapse = _manifest_projection(connections_run, name)["synapse"]
    assert synapse["timing_dependence"]["type"] == timing
    assert synapse["weight_dependence"]["type"] == weight


@needs_nest
@pytest.mark.parametrize("connector", catalogue.connectors())
def test_connector_runs_or_is_refused_at_its_type(connector: str, connections_run: Path,
                                                  tmp_path: Path) -> None:
    name = f"conn-{_slug(connector)}"
    if connector in NOT_EXPRESSIBLE or connector in BROKEN["connector"]:
        code = "NS304" if connector in NOT_EXPRESSIBLE else "NS604"
        assert _refused(connections_spec([], [], [connector], []), tmp_path, "refused") == [
            (code, f"projections.{name}.connector.type")]
        return
    assert _manifest_projection(connections_run, name)["connector"]["type"] == connector


@needs_nest
@pytest.mark.parametrize("source", catalogue.current_sources())
def test_current_source_runs(source: str, connections_run: Path) -> None:
    manifest = json.loads((connections_run / "manifest.json").read_text())
    assert manifest["resolved"]["stimuli"][f"stim-{_slug(source)}"]["type"] == source
    block = netspec.read(connections_run / "cells.h5")
    assert {s.name for s in block.segments[0].analogsignals} == {"v", "gsyn_exc"}


# ------------------------------------------------------------ hostile but valid
HOSTILE = """\
netspec: "1"
name: hostile
parameters:
  n: 4
  w: 0.5 nA
  dt: 0.1 ms
  gain: ${2 * 1.5}
simulation: {timestep: "${dt}", duration: "${200 * dt}", min_delay: "${dt}", max_delay: 5 ms,
             seed: 7}
populations:
  cells:
    size: ${n}
    cell_type: IF_curr_exp
    parameters:
      tau_m: {file: tau.npy}
      cm: {distribution: uniform, low: 0.9 nF, high: 1.1 nF}
      i_offset: [0.1, 0.2, 0.3, "${w * gain}"]
      v_thresh: "${-50 mV - 1 mV}"
    initial_values:
      v: {file: v0.csv}
  other:
    size: 2
    cell_type: IF_cond_exp
    initial_values: {v: {distribution: normal_clipped, mu: -65 mV, sigma: 2 mV, low: -70 mV,
                         high: -60 mV}}
  arr: {size: 2, cell_type: SpikeSourceArray, parameters: {spike_times: {file: trains.csv}}}
  arr2: {size: 2, cell_type: SpikeSourceArray, parameters: {spike_times: {file: times.npy}}}
views:
  half: {population: cells, mask: [true, false, true, true]}
  half2: {population: half, indices: [2, 0]}
  half3: {population: half2, slice: [1, 2]}
  both: {assembly: [half2, other]}
  every: {assembly: [both, cells]}
projections:
  a2c:
    pre: arr
    post: half2
    connector: {type: AllToAllConnector}
    synapse: {type: StaticSynapse, weight: {distribution: uniform, low: 0.1, high: 0.5},
              delay: {distribution: uniform, low: 0.1 ms, high: 2 ms}}
  a2o:
    pre: arr2
    post: other
    connector: {type: FixedProbabilityConnector, p_connect: 1}
    synapse: {type: StaticSynapse, delay: 0.1 ms,
              weight: {distribution: normal_clipped, mu: 0.01, sigma: 0.001, low: 0, high: 0.02}}
  from-assembly:
    pre: both
    post: half3
    connector: {type: AllToAllConnector}
    synapse: {type: StaticSynapse, weight: 0.1, delay: 1 ms}
stimuli:
  kick: {type: DCSource, amplitude: 0.2 nA, start: 1 ms, stop: 10 ms, target: half3}
  wave: {type: ACSource, amplitude: 0.1 nA, frequency: 50 Hz, target: half}
recordings:
  sp: {target: every, variables: [spikes]}
  vv: {target: both, indices: [0, 2], variables: [v], sampling_interval: 0.5 ms}
  c: {target: cells, variables: [v], sampling_interval: 0.5 ms}
export:
  - {format: nix, target: every, path: sub/dir/every.h5}
  - {format: pickle, target: both, path: sub/both.pkl, variables: [v]}
  - {format: nix, target: half3, path: half3.h5, variables: [spikes]}
  - {format: sonata, path: spikes.h5}
  - {format: pickle, path: all.pkl}
  - {format: summary, path: summary.json}
"""


def _hostile(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "tau.npy", np.array([10.0, 15.0, 20.0, 25.0]))
    np.save(folder / "times.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (folder / "trains.csv").write_text("5,6,7\n1.5\n", encoding="utf-8")
    (folder / "v0.csv").write_text("-60,-62,-64,-66\n", encoding="utf-8")
    spec = folder / "hostile.yaml"
    spec.write_text(HOSTILE, encoding="utf-8")
    return spec


@needs_nest
def test_hostile_but_valid_spec_runs_and_outputs_are_right(tmp_path: Path) -> None:
    """Files, random values everywhere, views of views, nested assemblies as pre, recording
    and export targets, recording indices on an assembly, subfolders, variable subsets."""
    neo = pytest.importorskip("neo")
    h5py = pytest.importorskip("h5py")
    out = tmp_path / "out"
    _run(_hostile(tmp_path), out)
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == {"sub/dir/every.h5", "sub/both.pkl", "half3.h5", "spikes.h5", "all.pkl",
                     "spikes_nodes.h5", "spikes_node_types.csv", "summary.json",
                     "manifest.json"}
    every = netspec.read(out / "sub" / "dir" / "every.h5").segments[0]
    # every = both (half2: cells 0 and 3; other: 2 cells) + cells (4): 8 cells
    assert len(every.spiketrains) == 8
    assert [(t.annotations["source_population"], t.annotations["source_index"])
            for t in every.spiketrains[:4]] == [("cells", 0), ("cells", 3), ("other", 0),
                                                 ("other", 1)]
    (v,) = every.analogsignals
    assert v.name == "v" and v.shape == (41, 7)  # cells 0, 3; other 0; cells 0-3
    both = neo.io.PickleIO(str(out / "sub" / "both.pkl")).read_block().segments[0]
    assert not both.spiketrains and [s.name for s in both.analogsignals] == ["v"]
    # the t=0 sample is the initial value the cells really had (from v0.csv for cells)
    assert both.analogsignals[0].magnitude[0, :2].tolist() == [-60.0, -66.0]
    half3 = netspec.read(out / "half3.h5").segments[0]
    assert len(half3.spiketrains) == 1 and not half3.analogsignals
    with h5py.File(out / "spikes.h5", "r") as h5:
        assert sorted(h5["spikes"]) == ["cells", "other"]


@needs_nest
def test_nested_assembly_compiles_to_its_members(tmp_path: Path) -> None:
    script = netspec.compile(_hostile(tmp_path))
    assert "sim.Assembly(half2, other, label='every')" not in script
    assert "half2,\n    other,\n    cells," in script or "half2, other, cells" in script


HOSTILE_INVALID = [
    # (what, spec fragment, expected code, expected path)
    ("StepCurrentSource without steps",
     "stimuli: {s: {type: StepCurrentSource, times: [], amplitudes: [], target: cells}}",
     "NS314", "stimuli.s.times"),
    ("NoisyCurrentSource whose default dt is not a multiple of a 1 ms timestep",
     "stimuli: {s: {type: NoisyCurrentSource, mean: 0.1 nA, stdev: 0.1 nA, target: cells}}",
     "NS403", "stimuli.s"),
    ("ArrayConnector matrix of the wrong shape",
     "projections: {p: {pre: cells, post: cells, connector: {type: ArrayConnector, "
     "array: [[true, false]]}}}", "NS316", "projections.p.connector.array"),
    ("CloneConnector of a projection between other populations",
     "projections:\n  a: {pre: cells, post: cells, connector: {type: AllToAllConnector}}\n"
     "  b: {pre: src, post: cells, connector: {type: CloneConnector, "
     "reference_projection: a}}", "NS316", "projections.b.connector.reference_projection"),
    ("CloneConnector of a later projection",
     "projections:\n  b: {pre: cells, post: cells, connector: {type: CloneConnector, "
     "reference_projection: a}}\n  a: {pre: cells, post: cells, "
     "connector: {type: AllToAllConnector}}", "NS301",
     "projections.b.connector.reference_projection"),
]


@pytest.mark.parametrize("what,fragment,code,path", HOSTILE_INVALID,
                         ids=[c[0] for c in HOSTILE_INVALID])
def test_hostile_spec_is_refused_before_running(what: str, fragment: str, code: str,
                                                path: str, tmp_path: Path) -> None:
    text = ('netspec: "1"\nname: bad\nsimulation: {timestep: 1 ms, duration: 10 ms}\n'
            "populations:\n  cells: {size: 2, cell_type: IF_cond_exp}\n"
            "  src: {size: 1, cell_type: SpikeSourcePoisson}\n" + fragment + "\n")
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    checked = check(spec, backend="nest")
    assert [(d.code, d.path_text) for d in checked.errors] == [(code, path)]
    assert all(d.line > 0 for d in checked.errors)
