"""Benchmark: `netspec run` on one process against `mpirun -n 2 netspec run`.

Cases (interleaved repeats, medians of the times netspec records in summary.json and of
the wall-clock time of the whole command):

* the seed network (specs/vogels_abbott_coba.yaml) at n=4000;
* the cortical microcircuit (specs/potjans_diesmann_2014.yaml, when present) at 10 %,
  whose rates under `mpirun -n 2` must be within max(0.15 Hz, 10 %) of NEST's reference
  rates of the full-scale model.

Needs NEST built with MPI (tools/install-nest-mpi).

    python benchmarks/bench_mpi.py [--repeats 3] [--cases seed,microcircuit]
        [--microcircuit-set N_scaling=0.1 --microcircuit-set K_scaling=0.1]
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "specs" / "vogels_abbott_coba.yaml"
MICROCIRCUIT = ROOT / "specs" / "potjans_diesmann_2014.yaml"
ENV = {**os.environ, "PYNEST_QUIET": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1",
       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
#: NEST's reference rates (Hz) of the microcircuit, L2/3E … L6I.
REFERENCE_HZ = {"L23E": 0.402, "L23I": 2.017, "L4E": 3.880, "L4I": 4.958,
                "L5E": 6.575, "L5I": 7.726, "L6E": 0.831, "L6I": 6.986}


def _run(spec: Path, sets: list[str], processes: int, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "netspec", "run", str(spec), "--out", str(out),
               "--no-progress", *(arg for s in sets for arg in ("--set", s))]
    if processes > 1:
        command = ["mpirun", "-n", str(processes), *command]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n"
                         f"{done.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    summary["wall_s"] = wall
    return summary


def _rates_check(summary: dict[str, Any]) -> tuple[bool, list[str]]:
    """Each microcircuit population's rate against the reference, within the tolerance."""
    rates = {re.sub(r"[^0-9A-Za-z]", "", name).upper(): entry.get("mean_rate_hz")
             for name, entry in summary.get("populations", {}).items()}
    ok, lines = True, []
    for name, want in REFERENCE_HZ.items():
        got = rates.get(name)
        tolerance = max(0.15, 0.10 * want)
        passed = got is not None and abs(got - want) <= tolerance
        ok &= passed
        shown = f"{got:.3f}" if got is not None else "missing"
        lines.append(f"    {name:<5} {shown:>8} Hz"
                     f"  reference {want:.3f} ± {tolerance:.3f}  {'pass' if passed else 'FAIL'}")
    return ok, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default="seed,microcircuit")
    parser.add_argument("--seed-n", type=int, default=4000)
    parser.add_argument("--microcircuit-set", action="append", default=None,
                        metavar="NAME=VALUE", help="how the spec is scaled to 10 %% "
                        "(default: N_scaling=0.1, K_scaling=0.1, as NEST's example)")
    args = parser.parse_args()
    cases: dict[str, tuple[Path, list[str]]] = {}
    for case in args.cases.split(","):
        if case == "seed":
            cases[f"seed n={args.seed_n}"] = (SEED, [f"n={args.seed_n}"])
        elif case == "microcircuit":
            if MICROCIRCUIT.is_file():
                cases["microcircuit 10 %"] = (MICROCIRCUIT,
                                              args.microcircuit_set
                                              or ["N_scaling=0.1", "K_scaling=0.1"])
            else:
                print(f"microcircuit: {MICROCIRCUIT.relative_to(ROOT)} is not in this "
                      "checkout; case skipped")
        else:
            raise SystemExit(f"unknown case {case!r} (seed, microcircuit)")
    status = 0
    for label, (spec, sets) in cases.items():
        rows: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for _ in range(args.repeats):
            for processes in (1, 2):
                with tempfile.TemporaryDirectory() as tmp:
                    rows[processes].append(_run(spec, sets, processes, Path(tmp) / "out"))
        print(f"{label}: {args.repeats} interleaved repeats, medians (all runs)")
        for processes, summaries in rows.items():
            parts = []
            for key in ("build", "simulate"):
                values = [s["times_s"].get(key, float("nan")) for s in summaries]
                parts.append(f"{key} {statistics.median(values):7.2f} s")
            walls = [s["wall_s"] for s in summaries]
            spread = summaries[0].get("parallel", {})
            print(f"  {processes} process{'es' if processes > 1 else '  '} "
                  f"({spread.get('virtual_processes', '?')} VP): " + ", ".join(parts)
                  + f", whole command {statistics.median(walls):7.2f} s "
                  f"({', '.join(f'{w:.1f}' for w in walls)})")
        one = statistics.median(s["times_s"]["simulate"] for s in rows[1])
        two = statistics.median(s["times_s"]["simulate"] for s in rows[2])
        print(f"  simulate speed-up on 2 processes: {one / two:.2f}x")
        if spec == MICROCIRCUIT:
            ok, lines = _rates_check(rows[2][-1])
            print("  rates under mpirun -n 2 (last run):")
            print("\n".join(lines))
            print(f"  microcircuit rates bar: {'PASS' if ok else 'FAIL'}")
            status |= 0 if ok else 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
