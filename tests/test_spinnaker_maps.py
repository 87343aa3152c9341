"""Everything ``validate --backend spinnaker`` accepts maps on a virtual board.

The cases are generated from the SpiNNaker capability table and PyNN's catalogue, so a
capability added to the table is exercised here without editing this file: every cell
type (each parameter and initial value as a constant, a per-cell list and a random
value; every recordable recorded; a projection onto every receptor type), every random
distribution, every synapse type and STDP rule pair, every connector, every current
source (all parameters given, and only the required ones), external files (spike times
as ``.npy`` and ``.csv``, step times from ``.npy``, connection lists and
``FromFileConnector``), views as projection ends and stimulus targets, structures, and
a templated spec.

Each case must pass ``validate --backend spinnaker`` (a case sPyNNaker cannot run is a
test of the checks instead, in ``tests/test_spinnaker.py``) and then map. Importing
sPyNNaker and setting it up is the slow part, so every case maps in **one** subprocess,
one ``netspec.run`` after another (sPyNNaker resets itself at each ``sim.setup``), from
a sandbox whose HOME, current directory and TMPDIR must stay empty; each case is still
its own test, reading that process's result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from netspec import pynn_catalogue as catalogue
from netspec import schema
from netspec.backends.spinnaker import capabilities as caps
from netspec.pipeline import check
from netspec.resolve import NOT_EXPRESSIBLE
from tests.test_models_run_nest import CONNECTOR_ARGUMENTS
from tests.test_spinnaker import Sandbox, clean_env, needs_spinnaker

SIMULATION = {"timestep": "0.1 ms", "duration": "20 ms", "seed": 5}
SIZE = 4
SOURCES = {"SpikeSourceArray": {"spike_times": [[1.0, 5.0], [2.0], [], [3.0, 7.0]]},
           "SpikeSourcePoisson": {"rate": "200 Hz", "start": "1 ms", "duration": "15 ms"}}

#: PyNN's parameters of each random distribution, for a membrane potential in mV.
DISTRIBUTION_PARAMETERS: dict[str, dict[str, float]] = {
    "binomial": {"n": 10, "p": 0.5},
    "exponential": {"beta": 2.0},
    "gamma": {"k": 2.0, "theta": 1.0},
    "lognormal": {"mu": 0.0, "sigma": 0.5},
    "normal": {"mu": -65.0, "sigma": 2.0},
    "normal_clipped": {"mu": -65.0, "sigma": 2.0, "low": -70.0, "high": -60.0},
    "normal_clipped_to_boundary": {"mu": -65.0, "sigma": 2.0, "low": -70.0, "high": -60.0},
    "poisson": {"lambda_": 3.0},
    "uniform": {"low": -70.0, "high": -60.0},
    "uniform_int": {"low": -70, "high": -60},
    "vonmises": {"mu": 0.0, "kappa": 1.0},
}

#: Every parameter of each current source (the step times are multiples of the timestep).
CURRENT_SOURCE_PARAMETERS: dict[str, dict[str, Any]] = {
    "DCSource": {"amplitude": "0.5 nA", "start": "2 ms", "stop": "15 ms"},
    "ACSource": {"amplitude": "0.1 nA", "offset": "0.1 nA", "frequency": "100 Hz",
                 "phase": 90, "start": "1 ms", "stop": "18 ms"},
    "StepCurrentSource": {"times": [2.0, 10.0, 12.3], "amplitudes": [0.4, 0.0, 0.2]},
    "NoisyCurrentSource": {"mean": "0.1 nA", "stdev": "0.05 nA", "start": "1 ms",
                           "stop": "18 ms", "dt": "0.1 ms"},
}
#: Arguments of each connector from a 4-cell source onto 4 cells (on a Line).
CONNECTORS: dict[str, dict[str, Any]] = {
    **{k: v for k, v in CONNECTOR_ARGUMENTS.items()
       if k in caps.CONNECTORS and k not in NOT_EXPRESSIBLE},
    "FromListConnector": {"conn_list": [[0, 1, 0.5, 1.0], [2, 0, 0.4, 2.0], [3, 3, 0.1, 3.5]],
                          "column_names": ["weight", "delay"]},
    "FixedNumberPostConnector": {"n": 2, "with_replacement": False},
    "ArrayConnector": {"array": [[True, False, True, False], [False, True, False, True],
                                 [True, True, True, True], [False, False, False, True]]},
}
#: Connectors that need positions on both sides (the cells project onto themselves).
SPATIAL = ("DistanceDependentProbabilityConnector", "SmallWorldConnector")


def _slug(name: str) -> str:
    return name.lower().replace("_", "-")


def _spec(name: str, **sections: Any) -> dict[str, Any]:
    return {"netspec": "1", "name": name, "simulation": SIMULATION, **sections,
            "export": [{"format": "summary", "path": "summary.json"}]}


def _forms(name: str, default: Any, form: str) -> Any:
    """PyNN's default of parameter ``name`` as a constant, a per-cell list (slightly
    different values) or a random value around it."""
    value = float(default)
    step = max(abs(value) * 0.02, 0.01)
    if form == "constant":
        return value
    if form == "list":
        return [value + i * step for i in range(SIZE)]
    return {"distribution": "uniform", "low": value, "high": value + step}


def _weight(cell: str, receptor: str) -> float:
    model = catalogue.cell_type(cell)
    assert model is not None
    if model.conductance_based:
        return 0.005
    scale = 1.0 if receptor == "excitatory" else -1.0
    return scale * (2.0 if model.weight_unit == "mV" else 0.5)


def cell_case(cell: str) -> dict[str, Any]:
    """Three populations of ``cell``: every parameter and initial value as a constant, a
    per-cell list and a random value (one form per population, rotating), every
    recordable recorded, and a source onto every receptor type."""
    info = caps.CELL_TYPES[cell]
    model = catalogue.cell_type(cell)
    assert model is not None
    populations: dict[str, Any] = {}
    projections: dict[str, Any] = {}
    recordings: dict[str, Any] = {}
    forms = ("constant", "list", "random")
    if not info["receptor_types"]:
        source = SOURCES[cell]
        populations["plain"] = {"size": SIZE, "cell_type": cell, "parameters": source}
        if cell == "SpikeSourcePoisson":  # random values: refused (caps.NOT_RANDOM)
            populations["lists"] = {"size": SIZE, "cell_type": cell, "parameters": {
                p: _forms(p, float(str(v).split()[0]), "list") for p, v in source.items()}}
            populations["defaults"] = {"size": SIZE, "cell_type": cell}
        else:
            populations["one-train"] = {"size": SIZE, "cell_type": cell,
                                        "parameters": {"spike_times": [1.0, 2.5, 9.0]}}
        for name in populations:
            recordings[name] = {"target": name, "variables": ["spikes"]}
        return _spec(f"cell-{_slug(cell)}", populations=populations, recordings=recordings)
    populations["drive"] = {"size": SIZE, "cell_type": "SpikeSourceArray",
                            "parameters": SOURCES["SpikeSourceArray"]}
    names = [p for p in info["parameters"] if p in model.parameters]
    states = [v for v in info["initial_values"] if v in model.initial_values]
    recordables = [v for v in model.recordables if v in info["recordables"]]
    for k, form in enumerate(forms):
        name = f"cells-{form}"
        populations[name] = {
            "size": SIZE, "cell_type": cell,
            "parameters": {p: _forms(p, model.parameters[p].default, forms[(i + k) % 3])
                           for i, p in enumerate(names)},
            "initial_values": {v: _forms(v, model.initial_values[v].default,
                                         forms[(i + k) % 3]) for i, v in enumerate(states)}}
        for receptor in info["receptor_types"]:
            projections[f"{name}-{receptor}"] = {
                "pre": "drive", "post": name, "connector": {"type": "OneToOneConnector"},
                "synapse": {"type": "StaticSynapse", "weight": _weight(cell, receptor),
                            "delay": 1.0},
                "receptor_type": receptor}
        recordings[name] = {"target": name, "variables": recordables}
    return _spec(f"cell-{_slug(cell)}", populations=populations, projections=projections,
                 recordings=recordings)


def _cells(**extra: Any) -> dict[str, Any]:
    return {"size": SIZE, "cell_type": "IF_curr_exp", **extra}


def _drive() -> dict[str, Any]:
    return {"size": SIZE, "cell_type": "SpikeSourcePoisson",
            "parameters": {"rate": "100 Hz"}}


def distributions_case() -> dict[str, Any]:
    """One population per random distribution, for its initial membrane potential."""
    populations = {
        _slug(name): _cells(initial_values={"v": {"distribution": name, **parameters}})
        for name, parameters in DISTRIBUTION_PARAMETERS.items()}
    return _spec("distributions", populations=populations)


def synapse_case(kind: str) -> dict[str, Any]:
    """A projection of synapse type ``kind``; STDP in every timing × weight pair (each
    onto its own population: sPyNNaker runs one rule per population); weights and
    delays as constants and random values."""
    projections: dict[str, Any] = {}
    weights = [0.5, {"distribution": "uniform", "low": 0.1, "high": 0.5},
               {"distribution": "normal_clipped", "mu": 0.3, "sigma": 0.1, "low": 0.0,
                "high": 1.0}]
    delays = [1.0, {"distribution": "uniform", "low": 1.0, "high": 4.0}, 2.5]
    if kind == "STDPMechanism":
        pairs = [(t, w) for t in caps.TIMING_DEPENDENCES for w in caps.WEIGHT_DEPENDENCES]
    else:
        pairs = [("", "")]
    for k, (timing, dependence) in enumerate(pairs):
        for i, (weight, delay) in enumerate(zip(weights, delays, strict=True)):
            synapse: dict[str, Any] = {"type": kind, "weight": weight, "delay": delay}
            if timing:
                synapse["timing_dependence"] = {"type": timing}
                synapse["weight_dependence"] = {"type": dependence, "w_min": 0.0,
                                                "w_max": 1.0}
            projections[f"p{k}-{i}"] = {"pre": "drive", "post": f"cells-{k}",
                                        "connector": {"type": "AllToAllConnector"},
                                        "synapse": synapse}
    populations = {"drive": _drive(), **{f"cells-{k}": _cells() for k in range(len(pairs))}}
    return _spec(f"synapse-{_slug(kind)}", populations=populations, projections=projections)


def connector_case(kind: str) -> dict[str, Any]:
    """One projection through connector ``kind`` (the cells lie on a Line)."""
    arguments = CONNECTORS[kind]
    pre = "cells" if kind in SPATIAL else "drive"
    return _spec(f"connector-{_slug(kind)}",
                 populations={"drive": _drive(),
                              "cells": _cells(structure={"type": "Line", "dx": 10})},
                 projections={"conn": {"pre": pre, "post": "cells",
                                       "connector": {"type": kind, **arguments},
                                       "synapse": {"type": "StaticSynapse", "weight": 0.5,
                                                   "delay": 1.0}}})


def current_source_case(kind: str, complete: bool) -> dict[str, Any]:
    """Current source ``kind`` into a view, with every parameter or only the required
    ones (the rest take PyNN's defaults)."""
    parameters = dict(CURRENT_SOURCE_PARAMETERS[kind])
    if not complete:
        model = catalogue.current_source(kind)
        assert model is not None
        keep = {"DCSource": ("amplitude",), "ACSource": ("amplitude", "frequency"),
                "StepCurrentSource": ("times", "amplitudes"),
                "NoisyCurrentSource": ("mean", "stdev", "dt")}[kind]
        parameters = {k: v for k, v in parameters.items() if k in keep}
    return _spec(f"current-{_slug(kind)}{'' if complete else '-defaults'}",
                 populations={"cells": _cells()},
                 views={"some": {"population": "cells", "slice": [1, 3]}},
                 stimuli={"stim": {"type": kind, "target": "some", **parameters}},
                 recordings={"v": {"target": "cells", "variables": ["v"]}})


def files_case(folder: Path) -> dict[str, Any]:
    """Spike times, step-current times and connection lists read from files."""
    np.save(folder / "trains.npy", np.array([[1.0, 4.0], [2.0, 6.0], [3.0, 8.0],
                                             [5.0, 9.0]]))
    np.save(folder / "one.npy", np.array([1.0, 2.0, 3.0]))
    (folder / "trains.csv").write_text("1.0, 2.0\n3.5\n7.5\n4.0, 5.0, 6.0\n", encoding="utf-8")
    np.save(folder / "times.npy", np.array([2.0, 8.0]))
    np.save(folder / "amps.npy", np.array([0.3, 0.0]))
    np.save(folder / "taus.npy", np.array([10.0, 12.0, 14.0, 16.0]))
    (folder / "conns.csv").write_text("0, 1, 0.5, 1.0\n1, 2, 0.4, 2.0\n", encoding="utf-8")
    (folder / "conns.txt").write_text('# columns = ["i", "j", "weight", "delay"]\n'
                                      "0 1 0.5 1.0\n1 2 0.3 1.5\n", encoding="utf-8")
    static = {"type": "StaticSynapse", "weight": 0.5, "delay": 1.0}
    return _spec(
        "files",
        populations={
            "npy": {"size": SIZE, "cell_type": "SpikeSourceArray",
                    "parameters": {"spike_times": {"file": "trains.npy"}}},
            "one": {"size": SIZE, "cell_type": "SpikeSourceArray",
                    "parameters": {"spike_times": {"file": "one.npy"}}},
            "csv": {"size": SIZE, "cell_type": "SpikeSourceArray",
                    "parameters": {"spike_times": {"file": "trains.csv"}}},
            "cells": _cells(parameters={"tau_m": {"file": "taus.npy"}})},
        projections={
            "listed": {"pre": "npy", "post": "cells",
                       "connector": {"type": "FromListConnector",
                                     "conn_list": {"file": "conns.csv"},
                                     "column_names": ["weight", "delay"]},
                       "synapse": static},
            "filed": {"pre": "csv", "post": "cells",
                      "connector": {"type": "FromFileConnector", "file": "conns.txt"},
                      "synapse": static}},
        stimuli={"steps": {"type": "StepCurrentSource", "target": "cells",
                           "times": {"file": "times.npy"}, "amplitudes": {"file": "amps.npy"}}})


def views_case() -> dict[str, Any]:
    """Views (slices, contiguous index lists, masks, views of views) as projection ends,
    stimulus targets and recording targets, with recorded indices."""
    return _spec(
        "views",
        simulation={**SIMULATION, "backends": {"spinnaker": {"time_scale_factor": 2}}},
        populations={"drive": {**_drive(), "size": 8}, "cells": {**_cells(), "size": 10}},
        views={"front": {"population": "cells", "slice": [0, 5]},
               "back": {"population": "cells", "indices": [5, 6, 7]},
               "inner": {"population": "front", "slice": [1, 3]},
               "masked": {"population": "drive", "mask": [True] * 4 + [False] * 4},
               "sparse": {"population": "cells", "indices": [0, 2, 9]}},
        projections={
            "a": {"pre": "masked", "post": "front", "connector": {"type": "AllToAllConnector"},
                  "synapse": {"type": "StaticSynapse", "weight": 0.5, "delay": 1.0}},
            "b": {"pre": "drive", "post": "back",
                  "connector": {"type": "FixedProbabilityConnector", "p_connect": 0.5},
                  "synapse": {"type": "StaticSynapse", "weight": 0.5, "delay": 1.0}},
            "c": {"pre": "inner", "post": "back", "connector": {"type": "AllToAllConnector"},
                  "synapse": {"type": "StaticSynapse", "weight": -0.5, "delay": 1.5},
                  "receptor_type": "inhibitory"}},
        stimuli={"dc": {"type": "DCSource", "amplitude": 0.3, "start": 1.0, "stop": 10.0,
                        "target": "sparse"}},
        recordings={"spikes": {"target": "cells", "variables": ["spikes"]},
                    "probe": {"target": "sparse", "variables": ["v"],
                              "sampling_interval": "1 ms"},
                    "some": {"target": "front", "indices": [0, 4], "variables": ["v"],
                             "sampling_interval": "1 ms"}})


def structures_case() -> dict[str, Any]:
    """Populations on each structure, joined by distance-dependent connectors; a grid
    gets a box of neurons per core."""
    ddpc = {"type": "DistanceDependentProbabilityConnector", "d_expression": "exp(-d/20)"}
    static = {"type": "StaticSynapse", "weight": 0.5, "delay": 1.0}
    return _spec(
        "structures",
        simulation={**SIMULATION, "backends": {"spinnaker": {
            "neurons_per_core": {"IF_curr_exp": 16}, "machine": {"boards": 2}}}},
        populations={
            "line": _cells(structure={"type": "Line", "dx": 5}),
            "grid": {**_cells(structure={"type": "Grid2D", "dx": 5, "dy": 5}), "size": 36},
            "cube": {**_cells(structure={"type": "Grid3D", "dx": 5, "dy": 5, "dz": 5}),
                     "size": 27},
            "cloud": _cells(structure={"type": "RandomStructure", "boundary": {
                "type": "Cuboid", "width": 50, "height": 50, "depth": 50}})},
        projections={f"{a}-{b}": {"pre": a, "post": b, "connector": ddpc, "synapse": static}
                     for a, b in (("line", "grid"), ("grid", "cube"), ("cube", "cloud"))})


def templates_case() -> dict[str, Any]:
    """A templated microcircuit-like table: populations and projections from for_each."""
    spec = _spec(
        "templates",
        parameters={"pops": ["e", "i"], "size": {"e": 8, "i": 4},
                    "p": {"e": {"e": 0.2, "i": 0.3}, "i": {"e": 0.4, "i": 0.0}},
                    "w": {"e": "0.5 nA", "i": "-1.0 nA"}},
        populations={
            "layer": {"for_each": {"pop": "${pops}"}, "name": "${pop}",
                      "size": "${size[pop]}", "cell_type": "IF_curr_exp"},
            "bg": {"for_each": {"pop": "${pops}"}, "name": "bg_${pop}",
                   "size": "${size[pop]}", "cell_type": "SpikeSourcePoisson",
                   "parameters": {"rate": "50 Hz"}}},
        projections={
            "recurrent": {"for_each": {"pre": "${pops}", "post": "${pops}"},
                          "name": "${pre}_to_${post}", "when": "${p[post][pre] > 0}",
                          "pre": "${pre}", "post": "${post}",
                          "connector": {"type": "FixedProbabilityConnector",
                                        "p_connect": "${p[post][pre]}"},
                          "synapse": {"type": "StaticSynapse", "weight": "${w[pre]}",
                                      "delay": "1 ms"},
                          "receptor_type":
                              "${'excitatory' if w[pre] > 0 nA else 'inhibitory'}"},
            "background": {"for_each": {"pop": "${pops}"}, "name": "bg_to_${pop}",
                           "pre": "bg_${pop}", "post": "${pop}",
                           "connector": {"type": "OneToOneConnector"},
                           "synapse": {"type": "StaticSynapse", "weight": "0.5 nA",
                                       "delay": "1 ms"}}},
        recordings={"spikes": {"for_each": {"pop": "${pops}"}, "name": "spikes_${pop}",
                               "target": "${pop}", "variables": ["spikes"]}})
    return spec


def cases(folder: Path) -> dict[str, dict[str, Any]]:
    """Every case, by name (files the cases read are written into ``folder``)."""
    out: dict[str, dict[str, Any]] = {}
    for cell in caps.CELL_TYPES:
        out[f"cell-{_slug(cell)}"] = cell_case(cell)
    out["distributions"] = distributions_case()
    for kind in caps.SYNAPSE_TYPES:
        out[f"synapse-{_slug(kind)}"] = synapse_case(kind)
    for kind in caps.CONNECTORS:
        if kind in CONNECTORS:
            out[f"connector-{_slug(kind)}"] = connector_case(kind)
    for kind in caps.CURRENT_SOURCES:
        for complete in (True, False):
            case = current_source_case(kind, complete)
            out[case["name"]] = case
    out["files"] = files_case(folder)
    out["views"] = views_case()
    out["structures"] = structures_case()
    if "for_each" in schema.schema_text():  # the language has templates (yet)
        out["templates"] = templates_case()
    return out


def case_names() -> list[str]:
    """The names of every case (without writing their files)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        return list(cases(Path(tmp)))


#: Maps every spec given on its command line, one after another, in this process, and
#: prints one JSON line per spec: the error (class, rendered diagnostic), or the mapping.
DRIVER = """
import json, sys, traceback
from pathlib import Path
import netspec
from netspec.errors import NetspecError
out = Path(sys.argv[1])
for spec in sys.argv[2:]:
    name = Path(spec).stem
    try:
        result = netspec.run(spec, backend="spinnaker", out=out / name, virtual_board=True)
        print(json.dumps({"case": name, "ok": True,
                          "mapping": result.summary.get("mapping", {})}), flush=True)
    except NetspecError as exc:
        print(json.dumps({"case": name, "ok": False, "error": type(exc).__name__,
                          "message": str(exc)}), flush=True)
    except BaseException as exc:
        print(json.dumps({"case": name, "ok": False, "error": type(exc).__name__,
                          "message": traceback.format_exc()}), flush=True)
"""


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Validate every case and map the accepted ones in one subprocess."""
    needs_spinnaker()
    root = tmp_path_factory.mktemp("maps")
    specs = root / "specs"
    specs.mkdir()
    results: dict[str, Any] = {}
    accepted: list[str] = []
    for name, spec in cases(specs).items():
        path = specs / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        checked = check(path, backend="spinnaker")
        if checked.ok:
            accepted.append(str(path))
        else:
            results[name] = {"ok": False, "error": "refused by validate",
                             "message": "\n".join(d.render() for d in checked.errors)}
    box = Sandbox(root / "box")
    done = subprocess.run([sys.executable, "-c", DRIVER, str(box.out), *accepted],
                          capture_output=True, text=True, cwd=box.cwd,
                          env=clean_env(box.home, box.tmp), timeout=1800, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            results[record["case"]] = record
    results["__stderr__"] = done.stderr
    results["__box__"] = box
    return results


@pytest.mark.spinnaker
@pytest.mark.slow
@pytest.mark.parametrize("case", case_names())
def test_accepted_by_validate_and_maps(case: str, mapped: dict[str, Any]) -> None:
    result = mapped.get(case)
    assert result is not None, f"the mapping process died:\n{mapped['__stderr__'][-3000:]}"
    assert result["ok"], f"{result['error']}: {result['message']}"
    assert result["mapping"]["cores_used"] > 0
    if case == "structures":  # a virtual machine of two boards (from the spec): more
        # chips than one board's 48 (sPyNNaker builds it of whole triads of boards)
        chips = int(result["mapping"]["machine"].split(" of ")[1].split()[0])
        assert chips > 48, result["mapping"]["machine"]


@pytest.mark.spinnaker
@pytest.mark.slow
def test_mapping_many_networks_writes_nothing_outside_the_output(mapped: dict[str, Any]) -> None:
    mapped["__box__"].assert_untouched()
    assert "Traceback" not in mapped["__stderr__"]
    assert "|0%" not in mapped["__stderr__"]  # sPyNNaker's progress bars: in the run's log


def test_cases_cover_the_capability_table() -> None:
    """A capability added to the table gets a case (or this test says which is missing)."""
    names = set(case_names())
    assert {f"cell-{_slug(c)}" for c in caps.CELL_TYPES} <= names
    assert {f"synapse-{_slug(s)}" for s in caps.SYNAPSE_TYPES} <= names
    missing = set(caps.CONNECTORS) - set(NOT_EXPRESSIBLE) - set(CONNECTORS)
    assert not missing, f"no arguments for {missing}"
    assert {f"connector-{_slug(c)}" for c in CONNECTORS} <= names
    assert set(DISTRIBUTION_PARAMETERS) == set(catalogue.distributions())
    assert set(CURRENT_SOURCE_PARAMETERS) == set(caps.CURRENT_SOURCES)
