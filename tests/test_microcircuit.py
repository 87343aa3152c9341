"""specs/potjans_diesmann_2014.yaml: the microcircuit as NEST's reference defines it.

The spec's derived numbers (population sizes, synapse counts, weights, DC input,
background rates) are checked against the reference's formulas computed here with
numpy; a scaled-down run reproduces a hand-written, unrolled PyNN script of the same
model spike for spike (nest_native=false); its NEST realisation is NEST's example's at full
scale; and validating it stays cheap.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import netspec
from netspec.model import RandomValue
from netspec.pipeline import check
from tests.conftest import SPECS, needs_nest, netspec_cli, run_python

SPEC = SPECS / "potjans_diesmann_2014.yaml"
POPS = ["l23e", "l23i", "l4e", "l4i", "l5e", "l5i", "l6e", "l6i"]

#: The reference's tables (INM-6 microcircuit-PD14-model / NEST's Potjans_2014 example).
REFERENCE = """
import numpy as np
N_full = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
C = np.array([[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
              [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
              [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
              [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
              [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
              [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
              [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
              [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
rates = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
K_ext = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
V0_mean = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_sd = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]


def derived(N_scaling, K_scaling, poisson_input=True):
    prod = np.outer(N_full, N_full)
    full_syn = np.log(1.0 - C) / np.log((prod - 1.0) / prod)
    sizes = np.round(N_full * N_scaling).astype(int)
    synapses = np.round(full_syn * N_scaling * K_scaling).astype(int)
    ext = np.round(K_ext * K_scaling).astype(int)
    tm, ts, cm = 10.0, 0.5, 250.0
    sub = 1.0 / (ts - tm)
    frac = (tm / ts) ** sub
    psc = 1.0 / (tm * ts / cm * sub * (frac ** tm - frac ** ts))
    PSP = np.zeros((8, 8))
    PSP[:, 0::2] = 0.15
    PSP[:, 1::2] = -4 * 0.15
    PSP[0, 2] = 2 * 0.15
    PSC, PSC_ext = PSP * psc, 0.15 * psc
    DC = np.zeros(8) if poisson_input else 8.0 * K_ext * PSC_ext * ts * 0.001
    lost = np.sum(PSC * full_syn / N_full[:, None] * rates, axis=1)
    if poisson_input:
        lost = lost + PSC_ext * K_ext * 8.0
    DC = DC + 0.001 * ts * (1.0 - np.sqrt(K_scaling)) * lost
    return dict(sizes=sizes, synapses=synapses, ext=ext, W=PSC / np.sqrt(K_scaling),
                W_ext=PSC_ext / np.sqrt(K_scaling), DC=DC)
"""


def reference(N_scaling: float, K_scaling: float, poisson_input: bool = True) -> Any:
    scope: dict[str, Any] = {}
    exec(REFERENCE, scope)  # our own test code, not spec input
    return scope["derived"](N_scaling, K_scaling, poisson_input)


@pytest.mark.parametrize("overrides", [
    {}, {"N_scaling": 0.02, "K_scaling": 0.05}, {"K_scaling": 1}, {"poisson_input": False},
    {"nest_native": False}, {"nest_native": False, "poisson_input": False},
], ids=["default", "smaller", "full-in-degree", "dc-input", "pynn", "pynn-dc-input"])
def test_derived_numbers_are_the_reference_numbers(overrides: dict[str, Any]) -> None:
    network = netspec.load(SPEC, overrides=overrides)
    n = overrides.get("N_scaling", 0.1)
    k = overrides.get("K_scaling", 0.1)
    poisson = overrides.get("poisson_input", True)
    ref = reference(n, k, poisson)
    for i, post in enumerate(POPS):
        population = network.populations[post]
        assert population.size == ref["sizes"][i]
        assert population.parameters["i_offset"] == pytest.approx(ref["DC"][i] / 1000,
                                                                   rel=1e-12, abs=1e-15)
        assert population.parameters["v_thresh"] == -50.0
        assert population.parameters["cm"] == 0.25
        v = population.initial_values["v"]
        assert isinstance(v, RandomValue) and v.distribution == "normal"
        native = overrides.get("nest_native", True)
        background = network.populations.get(f"bg_{post}")
        stimulus = network.stimuli.get(f"bg_{post}")
        if poisson and native:  # NEST's poisson_generator, straight to the cells
            assert background is None and stimulus is not None
            assert stimulus.type == "PoissonInput" and stimulus.target == post
            assert stimulus.parameters["rate"] == pytest.approx(8.0 * ref["ext"][i])
            assert stimulus.parameters["weight"] == pytest.approx(ref["W_ext"] / 1000,
                                                                  rel=1e-12)
            assert stimulus.parameters["delay"] == 1.5
        elif poisson:  # PyNN's: a SpikeSourcePoisson per cell, one-to-one
            assert background is not None and stimulus is None
            assert background.parameters["rate"] == pytest.approx(8.0 * ref["ext"][i])
            w_ext = network.projections[f"bg_to_{post}"].synapse.parameters["weight"]
            assert w_ext == pytest.approx(ref["W_ext"] / 1000, rel=1e-12)
        else:
            assert background is None and stimulus is None
            assert f"bg_to_{post}" not in network.projections
        for j, pre in enumerate(POPS):
            name = f"{pre}_to_{post}"
            if ref["synapses"][i][j] == 0 and name not in network.projections:
                continue
            projection = network.projections[name]
            assert projection.connector.type == "FixedTotalNumberConnector"
            assert projection.connector.parameters["n"] == ref["synapses"][i][j], name
            weight = projection.synapse.parameters["weight"]
            assert isinstance(weight, RandomValue) and weight.distribution == "normal_clipped"
            mean = ref["W"][i][j] / 1000
            assert weight.parameters["mu"] == pytest.approx(mean, rel=1e-12)
            # NEST's reference: SD = 0.1 |mean|, also for the doubled L4E -> L2/3E
            assert weight.parameters["sigma"] == pytest.approx(0.1 * abs(mean), rel=1e-12)
            bounds = (weight.parameters["low"], weight.parameters["high"])
            assert bounds == ((0.0, float("inf")) if pre.endswith("e") else
                              (-float("inf"), 0.0))
            assert projection.receptor_type == ("excitatory" if pre.endswith("e")
                                                else "inhibitory")
            delay = projection.synapse.parameters["delay"]
            assert isinstance(delay, RandomValue)
            assert delay.parameters["mu"] == (1.5 if pre.endswith("e") else 0.75)
            assert delay.parameters["sigma"] == 0.5 * delay.parameters["mu"]
    # the zero entries of the table are the only pairs left out
    recurrent = [p for p in network.projections if "_to_" in p and not p.startswith("bg_")]
    assert len(recurrent) == 55


def test_nest_realises_it_natively_by_default() -> None:
    """The spec asks for NEST's realisation (native rules, iaf_psc_exp, PoissonInput);
    nest_native=false gives PyNN's network (host RNG on every projection)."""
    from netspec.backends import profile as backend_profile
    network = netspec.load(SPEC)
    profile = backend_profile("nest")
    assert network.simulation.nest == {"native_connectors": True, "spike_precision": "on_grid"}
    paths = profile.projection_paths(network)
    assert paths and set(paths.values()) == {"native: fixed_total_number"}
    exact = netspec.load(SPEC, overrides={"nest_native": False})
    assert exact.simulation.nest["native_connectors"] is False
    assert set(profile.projection_paths(exact).values()) == {"exact"}
    assert not exact.stimuli and len(exact.populations) == 16


def test_full_scale_estimate_is_nest_example() -> None:
    """At full scale the spec has NEST's example's 77,169 cells and 298,880,968 recurrent
    synapses, and fits this kind of machine on 4 threads (one synapse model per native
    projection keeps even one thread under NEST's per-process limit)."""
    from netspec.estimate import estimate, problems
    network = netspec.load(SPEC, overrides={"N_scaling": 1, "K_scaling": 1})
    native = frozenset({"FixedTotalNumberConnector"})
    result = estimate(network, threads=4, native=native, available_bytes=10**12)
    recurrent = sum(p.synapses for p in result.projections if p.connector != "PoissonInput")
    assert recurrent == 298_880_968
    assert sum(p.size for p in network.populations.values()) == 77_169
    assert problems(network, result) == []
    assert problems(network, estimate(network, threads=1, native=native,
                                      available_bytes=10**12)) == []


def test_population_order_and_duration() -> None:
    network = netspec.load(SPEC)
    assert list(network.populations)[:8] == POPS
    assert network.simulation.duration == 1500.0
    assert network.simulation.seed == 55
    formats = sorted(e.format for e in network.exports)
    assert formats == ["sonata", "summary"]
    sonata = next(e for e in network.exports if e.format == "sonata")
    assert sonata.path == "spikes.h5" and sonata.target is None
    assert sorted(r.target for r in network.recordings.values()) == sorted(POPS)


def test_validating_it_is_cheap() -> None:
    """In-process CPU time of the whole front end (load, schema, resolve, checks); the
    command's own bar (≤ 0.5 s wall, median) is measured by benchmarks/bench_validate.py."""
    check(SPEC)
    times = []
    for _ in range(5):
        start = time.process_time()
        assert check(SPEC).ok
        times.append(time.process_time() - start)
    assert statistics.median(times) < 0.3, times


# --- spike for spike against hand-written PyNN -----------------------------------------

#: The reference's numbers computed with Python floats in the order the spec writes its
#: formulas (which is the order of [NEST]'s code, with sums from left to right): a
#: hand-written script of the same model (PyNN's realisation: nest_native=false), whose
#: spike times compare to the last bit.
HAND = REFERENCE + """
import json, math, sys
import pyNN.nest as sim
from pyNN.random import NumpyRNG, RandomDistribution
N_scaling, K_scaling, t_sim = {N_scaling!r}, {K_scaling!r}, {t_sim!r}
names = {pops!r}
n = [int(x) for x in N_full]
tm, ts = 10.0, 0.5
sub = 1 / (ts - tm)
frac = (tm / ts) ** sub
psc = 1 / (tm * ts / 250.0 * sub * (frac ** tm - frac ** ts))
psc_ext = 0.15 * psc
def psp(i, j):
    return 0.15 * (1 if j % 2 == 0 else -4) * (2 if (i, j) == (0, 2) else 1)
K_full = [[math.log(1 - C[i][j]) / math.log((n[j] * n[i] - 1) / (n[j] * n[i]))
           for j in range(8)] for i in range(8)]
d = dict(sizes=[round(n[i] * N_scaling) for i in range(8)],
         synapses=[[round(K_full[i][j] * N_scaling * K_scaling) for j in range(8)]
                   for i in range(8)],
         ext=[round(int(K_ext[i]) * K_scaling) for i in range(8)],
         W=[[psp(i, j) * psc / math.sqrt(K_scaling) for j in range(8)] for i in range(8)],
         W_ext=psc_ext / math.sqrt(K_scaling),
         DC=[0 + 0.001 * ts * (1 - math.sqrt(K_scaling))
             * sum(psp(i, j) * psc * (K_full[i][j] / n[i]) * float(rates[j]) for j in range(8))
             + 0.001 * ts * (1 - math.sqrt(K_scaling)) * (psc_ext * int(K_ext[i]) * 8.0)
             for i in range(8)])
sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, threads=1, rng_seed=55,
          spike_precision='on_grid')
rng = NumpyRNG(seed=55, parallel_safe=True)
cells = []
for i, name in enumerate(names):
    p = sim.Population(d['sizes'][i], sim.IF_curr_exp(
        cm=0.25, tau_m=10.0, tau_syn_E=0.5, tau_syn_I=0.5, v_rest=-65.0, v_thresh=-50.0,
        v_reset=-65.0, tau_refrac=2.0, i_offset=d['DC'][i] / 1000), label=name)
    p.initialize(v=RandomDistribution('normal', mu=V0_mean[i], sigma=V0_sd[i], rng=rng))
    cells.append(p)
background = [sim.Population(d['sizes'][i], sim.SpikeSourcePoisson(rate=8.0 * d['ext'][i]))
              for i in range(8)]
for i in range(8):          # target
    for j in range(8):      # source
        if C[i][j] == 0:
            continue
        w = d['W'][i][j] / 1000
        exc = j % 2 == 0
        weight = RandomDistribution('normal_clipped', mu=w, sigma=abs(w * 0.1),
                                    low=0.0 if exc else -np.inf,
                                    high=np.inf if exc else 0.0, rng=rng)
        mean = 1.5 if exc else 0.75
        delay = RandomDistribution('normal_clipped', mu=mean, sigma=0.5 * mean, low=0.1,
                                   high=10.0, rng=rng)
        sim.Projection(cells[j], cells[i],
                       sim.FixedTotalNumberConnector(n=d['synapses'][i][j],
                                                     allow_self_connections=True,
                                                     with_replacement=True, rng=rng),
                       sim.StaticSynapse(weight=weight, delay=delay),
                       receptor_type='excitatory' if exc else 'inhibitory')
for i in range(8):
    sim.Projection(background[i], cells[i], sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=d['W_ext'] / 1000, delay=1.5),
                   receptor_type='excitatory')
for p in cells:
    p.record('spikes')
sim.run(t_sim)
out = {{}}
for p in cells:
    trains = p.get_data('spikes').segments[0].spiketrains
    pairs = sorted((int(k), float(t)) for k, train in enumerate(trains)
                   for t in np.asarray(train.rescale('ms').magnitude))
    out[p.label] = pairs
sim.end()
print(json.dumps(out))
"""

READ_SONATA = """
import json, h5py
out = {{}}
with h5py.File({path!r}, 'r') as h5:
    for name, group in h5['spikes'].items():
        out[name] = sorted((int(k), float(t)) for k, t in
                           zip(group['node_ids'][()], group['timestamps'][()]))
print(json.dumps(out))
"""


@needs_nest
def test_a_scaled_down_run_matches_hand_written_pynn(tmp_path: Path) -> None:
    settings = {"N_scaling": 0.01, "K_scaling": 0.02, "t_sim": 100.0}
    hand = json.loads(run_python(HAND.format(pops=POPS, **settings)).splitlines()[-1])
    out = tmp_path / "run"
    done = netspec_cli("run", str(SPEC), "--out", str(out), "--no-progress",
                       "--set", "N_scaling=0.01", "--set", "K_scaling=0.02",
                       "--set", "t_sim=100 ms", "--set", "nest_native=false")
    assert done.returncode == 0, done.stderr
    ours = json.loads(run_python(READ_SONATA.format(path=str(out / "spikes.h5"))))
    assert sorted(ours) == sorted(POPS)
    assert sum(len(v) for v in hand.values()) > 20, "the reference network should fire"
    for name in POPS:
        assert [tuple(s) for s in ours[name]] == [tuple(s) for s in hand[name]], name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["populations"]["l4e"]["spike_count"] == len(hand["l4e"])
    assert np.isfinite(summary["populations"]["l23e"]["mean_rate_hz"])
