"""Measure the NEST memory constants behind ``netspec estimate`` (netspec/estimate.py).

Each measurement runs in a fresh interpreter and reads the process's resident memory
(``VmRSS``) and its peak (``VmHWM``) from /proc/self/status before and after one step:

* per neuron: ``nest.Create`` of N cells (NEST alone) and ``sim.Population`` of N cells
  (pyNN.nest, which also keeps a Python ``ID`` and a NodeCollection per cell);
* per synapse: ``nest.Connect`` of S synapses with ``fixed_indegree`` into 10,000 cells, for
  ``static_synapse`` (NEST's own, the native path) and ``static_synapse_lbl`` (PyNN's
  labelled model, the default path), with 1 and 2 threads.

Run: ``python benchmarks/calibrate_estimate.py [--synapses 20000000]``; it prints a table of
bytes per neuron and per synapse (final and peak), which docs/scale.md records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

STEP = r"""
import json, os, sys
os.environ["PYNEST_QUIET"] = "1"
def status():
    out = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            out[key] = int(value.split()[0]) * 1024
    return out
kind, count, threads, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if kind == "pynn_neurons":
    import pyNN.nest as sim
    sim.setup(threads=threads)
    before = status()
    sim.Population(count, sim.IF_cond_exp())
else:
    import nest
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = threads
    if kind == "neurons":
        before = status()
        nest.Create("iaf_cond_exp", count)
    else:
        cells = nest.Create("iaf_cond_exp", 10000)
        before = status()
        nest.Connect(cells, cells, {"rule": "fixed_indegree", "indegree": count // 10000},
                     {"synapse_model": model, "weight": 1.0, "delay": 1.0})
        nest.Prepare(); nest.Cleanup()  # as a simulation would: the source table is sorted
after = status()
print(json.dumps({"rss": after["VmRSS"] - before["VmRSS"],
                  "peak": max(0, after["VmHWM"] - before["VmRSS"]), "count": count}))
"""


def measure(kind: str, count: int, threads: int = 1, model: str = "-") -> dict[str, float]:
    """Bytes per item (final and peak) of one step, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", STEP, kind, str(count), str(threads), model],
                          capture_output=True, text=True, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {"final": data["rss"] / count, "peak": data["peak"] / count}


def main() -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=100_000)
    parser.add_argument("--synapses", type=int, default=20_000_000)
    args = parser.parse_args()
    rows = [
        ("neuron, nest.Create (iaf_cond_exp)", measure("neurons", args.neurons)),
        ("neuron, pyNN.nest Population (IF_cond_exp)", measure("pynn_neurons", args.neurons)),
    ]
    for model in ("static_synapse", "static_synapse_lbl"):
        for threads in (1, 2):
            rows.append((f"synapse, {model}, {threads} thread(s)",
                         measure("synapses", args.synapses, threads, model)))
    print("| what | bytes (after) | bytes (peak) |\n|---|---|---|")
    for name, value in rows:
        print(f"| {name} | {value['final']:.1f} | {value['peak']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
