"""The seed Vogels-Abbott COBA network, written by hand in PyNN.

This is the reference that netspec's run of ``vogels_abbott_coba.yaml`` is
compared against (spikes, timings, outputs). It follows the seed notebook
(``seed-va-benchmark-notebook.txt``) with netspec's documented RNG policy:

* ``sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0, threads=1, rng_seed=98765)``;
* ONE ``NumpyRNG(seed=98765, parallel_safe=True)`` serves every host-side draw,
  in this order: the initial ``v`` of all cells, then the projections
  exc→all, inh→all, stim→all.

The simulator module is passed in (``build_and_run(pyNN.nest)``); nothing here
imports a simulator at module level. Run it as a script::

    python tests/reference/va_coba_pynn.py --n 1000 [--duration 1000] [--write DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import ModuleType
from typing import Any

SEED = 98765
R_EI = 4.0  # excitatory : inhibitory
P_CONNECT = 0.01
TIMESTEP = 0.1  # ms
MIN_DELAY = 0.2  # ms
MAX_DELAY = 1.0  # ms
DELAY = 0.2  # ms
W_EXC = 4e-3  # µS (4 nS)
W_INH = 51e-3  # µS (51 nS)
W_STIM = 0.1  # µS
STIM_SIZE = 20
STIM_RATE = 10.0  # Hz
STIM_DURATION = 50.0  # ms

# 20000 µm², 1 µF/cm², 5e-5 S/cm² → cm = 0.2 nF and tau_m = 20 ms (exact values, as netspec
# resolves them; the notebook's float arithmetic gives 0.19999999999999998).
CELL_PARAMETERS: dict[str, float] = {
    "tau_m": 20.0,
    "tau_syn_E": 5.0,
    "tau_syn_I": 10.0,
    "v_rest": -60.0,
    "v_reset": -60.0,
    "v_thresh": -50.0,
    "cm": 0.2,
    "tau_refrac": 5.0,
    "e_rev_E": 0.0,
    "e_rev_I": -80.0,
}


def build_and_run(sim: ModuleType, n: int = 1000, duration: float = 1000.0) -> dict[str, Any]:
    """Build the network on ``sim`` (e.g. ``pyNN.nest``), run it for ``duration`` ms.

    Returns the PyNN objects (``cells``, ``exc``, ``inh``, ``stim``, ``projections``),
    ``n``, ``duration`` and the wall-clock times ``build`` and ``simulate`` in seconds.
    ``sim.end()`` is left to the caller, who usually wants the recorded data first.
    """
    from pyNN.random import NumpyRNG, RandomDistribution

    n_exc = round(n * R_EI / (1 + R_EI))

    t0 = time.perf_counter()
    sim.setup(timestep=TIMESTEP, min_delay=MIN_DELAY, max_delay=MAX_DELAY, threads=1,
              rng_seed=SEED)
    rng = NumpyRNG(seed=SEED, parallel_safe=True)

    cells = sim.Population(n, sim.IF_cond_exp(**CELL_PARAMETERS), label="cells")
    exc = cells[:n_exc]
    inh = cells[n_exc:]
    stim = sim.Population(STIM_SIZE,
                          sim.SpikeSourcePoisson(rate=STIM_RATE, duration=STIM_DURATION),
                          label="stim")

    cells.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng))

    projections = {
        "exc_to_all": sim.Projection(
            exc, cells, sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
            sim.StaticSynapse(weight=W_EXC, delay=DELAY), receptor_type="excitatory"),
        "inh_to_all": sim.Projection(
            inh, cells, sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
            sim.StaticSynapse(weight=W_INH, delay=DELAY), receptor_type="inhibitory"),
        "stim_to_all": sim.Projection(
            stim, cells, sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
            sim.StaticSynapse(weight=W_STIM), receptor_type="excitatory"),
    }

    cells.record("spikes")
    exc[[0, 1]].record("v")
    t1 = time.perf_counter()

    sim.run(duration)
    t2 = time.perf_counter()

    return {
        "sim": sim,
        "n": n,
        "duration": duration,
        "cells": cells,
        "exc": exc,
        "inh": inh,
        "stim": stim,
        "projections": projections,
        "build": t1 - t0,
        "simulate": t2 - t1,
    }


def write_like_notebook(exc: Any, inh: Any, folder: Path | str) -> dict[str, float]:
    """Write ``exc`` and ``inh`` exactly as the notebook does; return seconds per file.

    ``exc.h5`` and ``inh.h5`` through ``neo.io.NixIO`` + ``write_data``, then
    ``exc.pkl`` and ``inh.pkl`` through ``write_data(filename)`` (a pickled Block).
    """
    from neo.io import NixIO

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    for view, stem in ((exc, "exc"), (inh, "inh")):
        t0 = time.perf_counter()
        with NixIO(str(folder / f"{stem}.h5")) as io:
            view.write_data(io)
        times[f"{stem}.h5"] = time.perf_counter() - t0
    for view, stem in ((exc, "exc"), (inh, "inh")):
        t0 = time.perf_counter()
        view.write_data(str(folder / f"{stem}.pkl"))
        times[f"{stem}.pkl"] = time.perf_counter() - t0
    return times


def main(argv: list[str] | None = None) -> int:
    """Command line: build, run, optionally write, and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of cells (default 1000)")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--write", type=Path, default=None, metavar="DIR",
                        help="write exc/inh .h5 and .pkl into DIR as the notebook does")
    args = parser.parse_args(argv)

    import pyNN.nest as sim

    net = build_and_run(sim, n=args.n, duration=args.duration)
    exc, inh = net["exc"], net["inh"]
    rate_exc = exc.mean_spike_count() * 1000.0 / args.duration
    rate_inh = inh.mean_spike_count() * 1000.0 / args.duration
    writes: dict[str, float] = {}
    if args.write is not None:
        writes = write_like_notebook(exc, inh, args.write)
    sim.end()

    print("\n--- Vogels-Abbott Network Simulation (hand-written PyNN) ---")
    print(f"Number of Neurons      : {args.n}")
    print(f"Excitatory rate        : {rate_exc:g} Hz")
    print(f"Inhibitory rate        : {rate_inh:g} Hz")
    print(f"Build time             : {net['build']:g} s")
    print(f"Simulation time        : {net['simulate']:g} s")
    if writes:
        for name, seconds in writes.items():
            print(f"Writing {name:<15}: {seconds:g} s")
        print(f"Writing time           : {sum(writes.values()):g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
