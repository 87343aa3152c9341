"""NEST's native path (native_connectors: true): every connector NEST has a rule for is built by
that rule, with NEST's distributions (normal_clipped included), a synapse model per projection,
no connection copied back into Python; named in the emitted script; same spec, seed and virtual
processes give the same spikes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import netspec
from netspec.backends.nest import NATIVE_CONNECTORS, NATIVE_DISTRIBUTIONS
from tests.conftest import needs_nest, netspec_cli, run_python

SPEC = """
netspec: "1"
name: native-rules
simulation:
  timestep: 0.1 ms
  duration: 100 ms
  min_delay: 1 ms     # threads meet every millisecond, not every step (a loaded machine)
  seed: 31
  backends: {nest: {native_connectors: true}}
populations:
  e: {size: 200, cell_type: IF_cond_exp, parameters: {tau_refrac: 2 ms}}
  i: {size: 50, cell_type: IF_cond_exp}
  drive: {size: 40, cell_type: SpikeSourcePoisson, parameters: {rate: 80 Hz}}
projections:
  drive_e: {pre: drive, post: e, connector: {type: FixedNumberPreConnector, n: 10},
            synapse: {type: StaticSynapse, weight: 0.02, delay: 1 ms}}
  drive_i: {pre: drive, post: i, connector: {type: AllToAllConnector},
            synapse: {type: StaticSynapse, weight: 0.004, delay: 1 ms}}
  e_e: {pre: e, post: e, connector: {type: FixedProbabilityConnector, p_connect: 0.05,
        allow_self_connections: false},
        synapse: {type: StaticSynapse,
                  weight: {distribution: normal_clipped, mu: 0.004, sigma: 0.002, low: 0.001,
                           high: 0.006},
                  delay: {distribution: uniform, low: 1.0, high: 2.0}}}
  e_i: {pre: e, post: i, connector: {type: FixedTotalNumberConnector, n: 1000},
        synapse: {type: StaticSynapse, weight: 0.004, delay: 1 ms}}
  i_e: {pre: i, post: e, connector: {type: FixedNumberPostConnector, n: 30},
        synapse: {type: StaticSynapse, weight: 0.03, delay: 1 ms}, receptor_type: inhibitory}
  i_i: {pre: i, post: i, connector: {type: OneToOneConnector},
        synapse: {type: StaticSynapse, weight: 0.01, delay: 1 ms}, receptor_type: inhibitory}
recordings:
  spikes: {target: e, variables: [spikes]}
export:
  - {format: pickle, target: e, path: e.pkl}
  - {format: summary, path: summary.json}
"""


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "native.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@needs_nest
def test_every_rule_nest_has_is_native() -> None:
    out = run_python("import json\nfrom netspec.backends import nest_native as n\n"
                     "print(json.dumps([n.RULES, n.DISTRIBUTIONS]))")
    rules, distributions = json.loads(out)
    assert set(rules) == NATIVE_CONNECTORS
    assert set(distributions) == NATIVE_DISTRIBUTIONS


def test_emitted_script_names_the_native_path(tmp_path: Path) -> None:
    script = netspec.compile(_spec(tmp_path))
    assert "from netspec.backends import nest_native" in script
    assert "native_rng = sim.NativeRNG(seed=31)" in script
    assert script.count("nest_native.Projection(") == 6
    flat = " ".join(script.split())
    assert "RandomDistribution( 'normal_clipped', mu=0.004, sigma=0.002, low=0.001, " \
           "high=0.006, rng=native_rng, )" in flat
    assert "FixedTotalNumberConnector(n=1000, rng=native_rng)" in script
    assert "nest_exact" not in script


def test_distributions_nest_cannot_draw_are_refused(tmp_path: Path) -> None:
    text = SPEC.replace("{distribution: uniform, low: 1.0, high: 2.0}",
                        "{distribution: gamma, k: 2.0, theta: 0.5}")
    found = netspec.validate(_spec(tmp_path, text), backend="nest")
    assert [d.code for d in found] == ["NS604"]
    assert "gamma" in found[0].message and "normal_clipped" in found[0].message


CHECK = """
import json
import nest
from netspec.runner import run
result = run(SPEC, out=OUT, backend_options={"threads": 2})
models = sorted((m for m in nest.synapse_models if "_netspec_" in m),
                key=lambda m: int(m.rsplit("_", 1)[1]))
e_e = nest.GetConnections(synapse_model=models[2])
print(json.dumps({"counts": [result.summary["projections"][name]["connections"] for name in
                             ("drive_e", "drive_i", "e_e", "e_i", "i_e", "i_i")],
                  "models": [nest.GetDefaults(m, "num_connections") for m in models],
                  "e_e_cells": [len(set(e_e.source)), len(set(e_e.target))],
                  "weights": [min(e_e.weight), max(e_e.weight)],
                  "delays": [min(e_e.delay), max(e_e.delay)],
                  "spikes": result.summary["populations"]["e"]["spike_count"]}))
"""


@needs_nest
@pytest.mark.slow
def test_native_network_has_the_expected_connections(tmp_path: Path) -> None:
    code = CHECK.replace("SPEC", repr(str(_spec(tmp_path)))).replace(
        "OUT", repr(str(tmp_path / "o")))
    out = json.loads(run_python(code))
    drive_e, drive_i, e_e, e_i, i_e, i_i = out["counts"]
    assert (drive_e, drive_i, e_i, i_e, i_i) == (10 * 200, 40 * 50, 1000, 30 * 50, 50)
    assert 0.035 * 200 * 199 < e_e < 0.065 * 200 * 199
    # projections with the same fixed parameters onto other cells share a model copy
    # (drive_i and e_i: 4 nS, 1 ms, both onto i); the others have copies of their own
    assert out["models"] == [drive_e, drive_i + e_i, e_e, i_e, i_i]
    assert out["e_e_cells"][0] <= 200 and out["e_e_cells"][1] <= 200  # e_e alone on copy 2
    low, high = out["weights"]  # normal_clipped in [1, 6] nS, drawn by NEST
    assert 1.0 <= low < high <= 6.0
    assert 1.0 <= out["delays"][0] < out["delays"][1] <= 2.0
    assert out["spikes"] > 0


@needs_nest
@pytest.mark.slow
def test_same_spec_seed_and_virtual_processes_give_the_same_spikes(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    runs = []
    for k in range(2):
        done = netspec_cli("run", str(spec), "--threads", "2", "--out", str(tmp_path / f"r{k}"))
        assert done.returncode == 0, done.stderr
        runs.append((tmp_path / f"r{k}" / "e.pkl").read_bytes())
        manifest = json.loads((tmp_path / f"r{k}" / "manifest.json").read_text())
        assert manifest["parallel"] == {"processes": 1, "threads": 2, "virtual_processes": 2}
        assert manifest["projections"]["e_i"] == "native: fixed_total_number"
        assert manifest["projections"]["e_e"] == "native: pairwise_bernoulli"
    neo = pytest.importorskip("neo")
    a, b = (neo.io.PickleIO(str(tmp_path / f"r{k}" / "e.pkl")).read_block() for k in range(2))
    trains_a = [list(t.magnitude) for t in a.segments[0].spiketrains]
    trains_b = [list(t.magnitude) for t in b.segments[0].spiketrains]
    assert trains_a == trains_b and sum(map(len, trains_a)) > 0


@needs_nest
@pytest.mark.slow
def test_compiled_script_builds_the_same_native_network(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    script = tmp_path / "script.py"
    done = netspec_cli("compile", str(spec), "--threads", "2", "-o", str(script))
    assert done.returncode == 0, done.stderr
    run_python(script.read_text().replace("sys.argv[1] if len(sys.argv) > 1 else ", "")
               .replace("'results/native-rules'", repr(str(tmp_path / "script_out"))))
    done = netspec_cli("run", str(spec), "--threads", "2", "--out", str(tmp_path / "run_out"))
    assert done.returncode == 0, done.stderr
    neo = pytest.importorskip("neo")
    a, b = (neo.io.PickleIO(str(tmp_path / f / "e.pkl")).read_block()
            for f in ("script_out", "run_out"))
    trains_a = [list(t.magnitude) for t in a.segments[0].spiketrains]
    trains_b = [list(t.magnitude) for t in b.segments[0].spiketrains]
    assert trains_a == trains_b and sum(map(len, trains_a)) > 0


SHARED = """
import json
import pyNN.nest as sim
from netspec.backends import nest_native
sim.setup(timestep=0.1, threads=2, rng_seed=3)
a = sim.Population(100, sim.IF_curr_exp())
b = sim.Population(50, sim.IF_curr_exp())
def native(pre, post, n, weight=0.1):
    return nest_native.Projection(pre, post, sim.FixedTotalNumberConnector(n),
                                  sim.StaticSynapse(weight=weight, delay=1.0))
shared = [native(a, b, 1000), native(a, a, 700), native(b, a, 300)]
again = native(a, b, 200)  # the same cells as shared[0]: a copy of its own
other = native(b, b, 100, weight=0.2)  # other fixed parameters: a copy of its own
projections = [*shared, again, other]
print(json.dumps({"models": [p.nest_synapse_model for p in projections],
                  "sizes": [p.size() for p in projections],
                  "got": [len(p.get("weight", format="list")) for p in projections],
                  "weights": sorted({round(float(w), 6) for p in projections
                                     for w in p.get("weight", format="list",
                                                    with_address=False)})}))
"""


@needs_nest
def test_projections_sharing_a_model_copy_keep_their_own_connections() -> None:
    """Native projections with the same fixed parameters share a model copy unless they
    connect the same cells; PyNN's size() and get() still see each projection's own."""
    out = json.loads(run_python(SHARED))
    models = out["models"]
    assert models[0] == models[1] == models[2]
    assert len({models[0], models[3], models[4]}) == 3
    assert out["sizes"] == out["got"] == [1000, 700, 300, 200, 100]
    assert out["weights"] == [0.1, 0.2]
