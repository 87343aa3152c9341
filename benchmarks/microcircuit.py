"""The Potjans & Diesmann (2014) cortical microcircuit in plain PyNEST, for the scale benchmark.

:func:`build_pynest` builds it as NEST's ``Potjans_2014`` example does, written here from
the paper's parameters as that example uses them (no code copied): ``iaf_psc_exp`` cells,
``fixed_total_number`` connections with normally distributed weights and delays (clipped
with ``nest.math.redraw``), one ``poisson_generator`` per population connected straight
to its cells, DC compensation when ``K_scaling < 1``. It is what netspec's
``specs/potjans_diesmann_2014.yaml`` builds on NEST (native rules, ``PoissonInput``),
which ``benchmarks/bench_scale.py`` runs beside it.

``python benchmarks/microcircuit.py --pynest [--scale 0.1] [--threads 2]`` builds and
simulates plain PyNEST and prints JSON (times, rates, synapses).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
FULL_SIZES = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: Connection probabilities, target (row) x source (column).
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE = 8.0  # Hz
#: Full-scale rates (Hz) used to compensate the lost input when K_scaling < 1.
FULL_MEAN_RATES = np.array([0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851])
#: NEST's reference rates at N_scaling = K_scaling = 0.1 (Hz, 500-1500 ms).
REFERENCE_RATES_10PC = (0.402, 2.017, 3.880, 4.958, 6.575, 7.726, 0.831, 6.986)
V0_MEAN = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_SD = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
CELL = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "t_ref": 2.0,
        "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0}
PSP_EXC = 0.15  # mV
G = -4.0
WEIGHT_REL_SD = 0.1
DELAY_EXC, DELAY_INH, DELAY_REL_SD = 1.5, 0.75, 0.5  # ms
POISSON_DELAY = 1.5  # ms
RESOLUTION = 0.1  # ms
MAX_DELAY = 6.0  # ms: delays are clipped here (8 standard deviations above the mean)
SEED = 55


def psc_over_psp() -> float:
    """The PSC amplitude (pA) that gives a 1 mV PSP peak on the model cell."""
    c, tau_m, tau_s = CELL["C_m"], CELL["tau_m"], CELL["tau_syn_ex"]
    sub = 1.0 / (tau_s - tau_m)
    pre = tau_m * tau_s / c * sub
    frac = (tau_m / tau_s) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_s))


def full_synapses() -> np.ndarray:
    """Synapses per (target, source) pair at full scale (not rounded)."""
    prod = np.outer(FULL_SIZES, FULL_SIZES).astype(float)
    return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def psc_matrix() -> np.ndarray:
    """Mean PSC amplitudes (pA), target × source, before K scaling."""
    psp = np.tile([PSP_EXC, G * PSP_EXC] * 4, (8, 1))
    psp[0, 2] *= 2.0  # L4E → L23E twice as strong
    return psp * psc_over_psp()


def derived(n_scaling: float, k_scaling: float) -> dict[str, Any]:
    """Sizes, synapse numbers, weights (pA), delays, input rates and DC (pA)."""
    sizes = np.round(FULL_SIZES * n_scaling).astype(int)
    synapses = np.round(full_synapses() * n_scaling * k_scaling).astype(int)
    psc = psc_matrix()
    psc_ext = PSP_EXC * psc_over_psp()
    indegree = full_synapses() / FULL_SIZES[:, np.newaxis]
    input_rec = np.sum(psc * indegree * FULL_MEAN_RATES, axis=1)
    input_ext = psc_ext * K_EXT * BG_RATE
    dc = 0.001 * CELL["tau_syn_ex"] * (1.0 - math.sqrt(k_scaling)) * (input_rec + input_ext)
    return {"sizes": sizes, "synapses": synapses, "weights": psc / math.sqrt(k_scaling),
            "weight_ext": psc_ext / math.sqrt(k_scaling),
            "ext_rates": BG_RATE * np.round(K_EXT * k_scaling), "dc": dc}


def build_pynest(n_scaling: float, k_scaling: float, threads: int, seed: int = SEED,
                 simulate: float = 1500.0) -> dict[str, Any]:
    """Build (and simulate ``simulate`` ms of) the model in plain PyNEST."""
    import nest
    nest.set_verbosity("M_ERROR")
    d = derived(n_scaling, k_scaling)
    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": RESOLUTION, "local_num_threads": threads,
                          "rng_seed": seed})
    pops = []
    for i in range(8):  # the populations, then the devices, as the reference creates them
        pop = nest.Create("iaf_psc_exp", int(d["sizes"][i]),
                          params={**CELL, "I_e": float(d["dc"][i])})
        pop.V_m = nest.random.normal(mean=float(V0_MEAN[i]), std=float(V0_SD[i]))
        pops.append(pop)
    recorders = nest.Create("spike_recorder", 8)
    generators = nest.Create("poisson_generator", 8,
                             params=[{"rate": float(r)} for r in d["ext_rates"]])
    t1 = time.perf_counter()
    for i in range(8):  # target
        for j in range(8):  # source
            n = int(d["synapses"][i, j])
            if n <= 0:
                continue
            w = float(d["weights"][i, j])
            mean_delay = DELAY_EXC if j % 2 == 0 else DELAY_INH
            weight = nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * WEIGHT_REL_SD),
                                      min=0.0 if w > 0 else -np.inf,
                                      max=np.inf if w > 0 else 0.0)
            delay = nest.math.redraw(
                nest.random.normal(mean=mean_delay, std=mean_delay * DELAY_REL_SD),
                min=RESOLUTION, max=MAX_DELAY)
            nest.Connect(pops[j], pops[i], {"rule": "fixed_total_number", "N": n},
                         {"synapse_model": "static_synapse", "weight": weight,
                          "delay": delay})
    # then the recording devices and the background, in the reference's order (devices
    # connected before the recurrent connections make NEST's connecting several times
    # slower: measured here at 30 %, 37.5 s against 8.8 s)
    for pop, recorder in zip(pops, recorders, strict=True):
        nest.Connect(pop, recorder)
    for i in range(8):
        nest.Connect(generators[i], pops[i], "all_to_all",
                     {"synapse_model": "static_synapse", "weight": float(d["weight_ext"]),
                      "delay": POISSON_DELAY})
    t2 = time.perf_counter()
    if simulate > 0:
        nest.Simulate(simulate)
    t3 = time.perf_counter()
    rates = []
    for pop, recorder in zip(pops, recorders, strict=True):
        times = recorder.get("events")["times"]
        rates.append(float(np.count_nonzero(times > 500.0)) / len(pop) / 1.0
                     if simulate >= 1500 else float("nan"))
    return {"create_s": t1 - t0, "connect_s": t2 - t1, "simulate_s": t3 - t2,
            "rates_hz": rates, "synapses": int(nest.GetKernelStatus("num_connections"))}


def main() -> int:
    """Command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pynest", action="store_true")
    parser.add_argument("--scale", type=float, default=0.1, help="N_scaling = K_scaling")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--simulate", type=float, default=1500.0, help="ms (0: build only)")
    args = parser.parse_args()
    if args.pynest:
        result = build_pynest(args.scale, args.scale, args.threads, args.seed, args.simulate)
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
