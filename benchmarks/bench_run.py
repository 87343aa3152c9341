"""Benchmark: `netspec run` on the seed spec against the hand-written PyNN script.

Prints, for this machine and this run (interleaved repeats, medians):

* build + simulate of netspec vs the hand-written script (goal: within 10 %);
* the whole `netspec run` command vs the hand-written script that also writes
  NixIO + pickle as the notebook did (goal: at least 4 times faster).

    python benchmarks/bench_run.py [--n 1000] [--repeats 3]
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

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "vogels_abbott_coba.yaml"
HAND = ROOT / "tests" / "reference" / "va_coba_pynn.py"
ENV = {**os.environ, "PYNEST_QUIET": "1"}


def _timed(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return wall, done.stdout


def _seconds(text: str, label: str) -> float:
    match = re.search(rf"{label}\s*:\s*([0-9.eE+-]+) s", text)
    if match is None:
        raise SystemExit(f"no '{label}' in output:\n{text}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {k: [] for k in (
        "hand_build_sim", "hand_whole", "hand_write", "netspec_build_sim", "netspec_whole",
        "netspec_write")}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            wall, out = _timed([sys.executable, str(HAND), "--n", str(args.n),
                                "--write", str(Path(tmp) / "hand")])
            rows["hand_whole"].append(wall)
            rows["hand_build_sim"].append(_seconds(out, "Build time")
                                          + _seconds(out, "Simulation time"))
            rows["hand_write"].append(_seconds(out, "Writing time"))
            wall, out = _timed([sys.executable, "-m", "netspec", "run", str(SPEC), "--out",
                                str(Path(tmp) / "netspec"), "--set", f"n={args.n}",
                                "--no-progress"])
            rows["netspec_whole"].append(wall)
            summary = json.loads((Path(tmp) / "netspec" / "summary.json").read_text())
            rows["netspec_build_sim"].append(summary["times_s"]["build"]
                                             + summary["times_s"]["simulate"])
            rows["netspec_write"].append(_seconds(out, "Writing time"))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"seed spec, n={args.n}, {args.repeats} interleaved repeats, medians:")
    for key, value in med.items():
        print(f"  {key:<18} {value:8.3f} s   (all: {', '.join(f'{x:.3f}' for x in rows[key])})")
    overhead = med["netspec_build_sim"] / med["hand_build_sim"]
    speedup = med["hand_whole"] / med["netspec_whole"]
    print(f"build+simulate, netspec / hand-written: {overhead:.3f}  (goal <= 1.10) "
          f"{'PASS' if overhead <= 1.10 else 'FAIL'}")
    print(f"whole command, hand-written-with-NixIO / netspec: {speedup:.2f}x  (goal >= 4) "
          f"{'PASS' if speedup >= 4 else 'FAIL'}")
    print(f"writing, hand-written / netspec: {med['hand_write'] / med['netspec_write']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
