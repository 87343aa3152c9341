"""Benchmark: netspec at scale against hand-written PyNN and plain PyNEST, side by side.

Each measurement is one process under ``/usr/bin/time -v`` (wall time, peak resident
memory of that process); netspec and its hand-written equivalent run one after the
other, alternating which goes first, and the table gives medians over ``--repeats``
and their ratios.

* **seed network** (``specs/vogels_abbott_coba.yaml``, n = 1k, 4k, 10k, 20k): `netspec run`
  (default, exact path) against the hand-written PyNN script
  (``tests/reference/va_coba_pynn.py``): build time, peak memory, and whether every
  neuron's spike train is identical (goal at n = 10,000: build at least 3x faster,
  identical spikes, peak memory no higher);
* **microcircuit at 10 %** (``specs/potjans_diesmann_2014.yaml``: on NEST, native rules
  and PoissonInput; ``--threads 2``) against plain PyNEST as NEST's example builds it
  (``benchmarks/microcircuit.py --pynest``): build + simulate (goal: within 1.3x) and the
  rates over 500–1500 ms against NEST's reference (within max(0.15 Hz, 10 %));
* **full scale** (``--full-scale``: ``--set N_scaling=1 --set K_scaling=1 --threads 4``,
  about 15 GiB per process; build only): build against plain PyNEST's create + connect
  (goal: within 1.25x) and peak memory (goal: within 1.1x).

    python benchmarks/bench_scale.py [--sizes 1000 4000 10000 20000] [--repeats 1]
                                     [--no-seed] [--no-microcircuit] [--full-scale]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED_SPEC = ROOT / "specs" / "vogels_abbott_coba.yaml"
MICRO_SPEC = ROOT / "specs" / "potjans_diesmann_2014.yaml"
MICRO = ROOT / "benchmarks" / "microcircuit.py"
ENV = {**os.environ, "PYNEST_QUIET": "1"}
NETSPEC = [sys.executable, "-m", "netspec"]

# the hand-written seed network: build, simulate, save every neuron's spikes
HAND = """
import json, sys, time, numpy as np
sys.path.insert(0, {ref!r})
import pyNN.nest as sim
import va_coba_pynn as va
net = va.build_and_run(sim, n={n}, duration=1000.0)
trains = net["cells"].get_data("spikes").segments[0].spiketrains
trains = sorted(trains, key=lambda t: t.annotations["source_index"])
np.savez({out!r}, *[np.asarray(t.rescale("ms").magnitude) for t in trains])
print(json.dumps({{"build": net["build"], "simulate": net["simulate"]}}))
sim.end()
"""


def timed(cmd: list[str]) -> tuple[dict[str, float], str]:
    """Run ``cmd`` under /usr/bin/time -v: wall seconds, peak MiB, and its stdout."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1])
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
                     done.stderr)[1]
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    return {"wall_s": seconds, "peak_mib": peak / 1024}, done.stdout


def seed(n: int, first: str, tmp: Path) -> dict[str, Any]:
    """Hand-written PyNN and netspec at size ``n``, in the order ``first`` says."""
    out: dict[str, Any] = {}
    for who in (("pynn", "netspec") if first == "pynn" else ("netspec", "pynn")):
        if who == "pynn":
            code = HAND.format(ref=str(ROOT / "tests" / "reference"), n=n,
                               out=str(tmp / "hand.npz"))
            measured, stdout = timed([sys.executable, "-c", code])
            measured.update(json.loads(stdout.strip().splitlines()[-1]))
        else:
            folder = tmp / f"netspec{n}"
            measured, _ = timed([*NETSPEC, "run", str(SEED_SPEC), "--set", f"n={n}",
                                 "--out", str(folder), "--force", "--no-progress"])
            summary = json.loads((folder / "summary.json").read_text())
            measured.update(summary["times_s"])
        out[who] = measured
    out["identical_spikes"] = _same_spikes(tmp / "hand.npz", tmp / f"netspec{n}")
    return out


def _same_spikes(hand: Path, folder: Path) -> bool:
    import netspec
    expected = [a for _, a in sorted(np.load(hand).items(), key=lambda kv: int(kv[0][4:]))]
    got = []
    for name in ("exc", "inh"):
        block = netspec.read(folder / f"{name}.h5")
        got += [np.asarray(t.rescale("ms").magnitude) for t in block.segments[0].spiketrains]
    return len(got) == len(expected) and all(
        np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


def microcircuit(scale: float, threads: int, first: str, tmp: Path,
                 build_only: bool) -> dict[str, Any]:
    """Plain PyNEST and netspec's microcircuit spec at ``scale``."""
    out: dict[str, Any] = {}
    t_sim = "1 ms" if build_only else "1500 ms"
    for who in (("pynest", "netspec") if first == "pynest" else ("netspec", "pynest")):
        if who == "pynest":
            measured, stdout = timed([sys.executable, str(MICRO), "--pynest", "--scale",
                                      str(scale), "--threads", str(threads), "--simulate",
                                      "1" if build_only else "1500"])
            data = json.loads(stdout.strip().splitlines()[-1])
            measured.update(build=data["create_s"] + data["connect_s"],
                            simulate=data["simulate_s"], rates=data["rates_hz"])
        else:
            folder = tmp / f"micro{scale}"
            measured, _ = timed([*NETSPEC, "run", str(MICRO_SPEC), "--threads", str(threads),
                                 "--set", f"N_scaling={scale}", "--set", f"K_scaling={scale}",
                                 "--set", f"t_sim={t_sim}", "--out", str(folder), "--force",
                                 "--no-progress"])
            summary = json.loads((folder / "summary.json").read_text())
            measured.update(summary["times_s"])
            if not build_only:
                measured["rates"] = _window_rates(folder / "spikes.h5", summary)
        out[who] = measured
    return out


def _window_rates(path: Path, summary: dict[str, Any]) -> list[float]:
    import h5py
    rates = []
    with h5py.File(path, "r") as h5:
        for name in ("l23e", "l23i", "l4e", "l4i", "l5e", "l5i", "l6e", "l6i"):
            times = np.asarray(h5[f"spikes/{name}/timestamps"])
            rates.append(float(np.count_nonzero(times > 500.0))
                         / summary["populations"][name]["size"])
    return rates


def median(rows: list[dict[str, Any]], who: str, key: str) -> float:
    """Median of ``key`` of ``who`` over the repeats."""
    return statistics.median(float(r[who][key]) for r in rows)


def main() -> int:
    """Run and print the tables (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 4000, 10000, 20000])
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each case, alternating which goes first (medians)")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--no-microcircuit", action="store_true")
    parser.add_argument("--full-scale", action="store_true",
                        help="also the full-scale microcircuit (about 15 GiB per process)")
    parser.add_argument("--large-scale", type=float, default=1.0, metavar="S",
                        help="N_scaling = K_scaling of --full-scale (default 1)")
    args = parser.parse_args()
    print(f"command: python benchmarks/bench_scale.py {' '.join(sys.argv[1:])}".rstrip())
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if not args.no_seed:
            print("\n| seed network n | PyNN build s | netspec build s | speed-up | "
                  "PyNN peak MiB | netspec peak MiB | identical spikes |")
            print("|---|---|---|---|---|---|---|")
            for n in args.sizes:
                rows = [seed(n, "pynn" if k % 2 == 0 else "netspec", tmp)
                        for k in range(args.repeats)]
                pb, nb = median(rows, "pynn", "build"), median(rows, "netspec", "build")
                print(f"| {n:,} | {pb:.2f} | {nb:.2f} | {pb / nb:.2f}x | "
                      f"{median(rows, 'pynn', 'peak_mib'):.0f} | "
                      f"{median(rows, 'netspec', 'peak_mib'):.0f} | "
                      f"{all(r['identical_spikes'] for r in rows)} |", flush=True)
        if not args.no_microcircuit:
            rows = [microcircuit(0.1, 2, "pynest" if k % 2 == 0 else "netspec", tmp, False)
                    for k in range(args.repeats)]
            _micro_table(rows, "microcircuit 10 %, 2 threads, build + simulate 1.5 s")
            reference = (0.402, 2.017, 3.880, 4.958, 6.575, 7.726, 0.831, 6.986)
            print("\n| population | reference Hz | plain PyNEST Hz | netspec Hz | "
                  "netspec within max(0.15 Hz, 10 %) |")
            print("|---|---|---|---|---|")
            names = ("L2/3E", "L2/3I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
            for i, name in enumerate(names):
                ours = statistics.median(r["netspec"]["rates"][i] for r in rows)
                theirs = statistics.median(r["pynest"]["rates"][i] for r in rows)
                ok = abs(ours - reference[i]) <= max(0.15, 0.1 * reference[i])
                print(f"| {name} | {reference[i]:.3f} | {theirs:.3f} | {ours:.3f} | {ok} |")
        if args.full_scale:
            rows = [microcircuit(args.large_scale, 4, "pynest" if k % 2 == 0 else "netspec",
                                 tmp, True) for k in range(args.repeats)]
            _micro_table(rows, f"microcircuit at scale {args.large_scale:g}, 4 threads, "
                               "build only")
    return 0


def _micro_table(rows: list[dict[str, Any]], title: str) -> None:
    print(f"\n| {title} | plain PyNEST | netspec | ratio |")
    print("|---|---|---|---|")
    for key, label in (("build", "build s"), ("simulate", "simulate s"),
                       ("peak_mib", "peak MiB"), ("wall_s", "whole process s")):
        a, b = median(rows, "pynest", key), median(rows, "netspec", key)
        print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    a = median(rows, "pynest", "build") + median(rows, "pynest", "simulate")
    b = median(rows, "netspec", "build") + median(rows, "netspec", "simulate")
    print(f"| build + simulate s | {a:.2f} | {b:.2f} | {b / a:.2f}x |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
