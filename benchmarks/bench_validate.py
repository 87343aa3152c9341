"""Benchmark: what ``netspec validate`` costs as a whole process, on this machine.

Three timings, each the median of several runs of a fresh process:

* ``netspec validate <VA spec>``, the seed network's spec (goal: ≤ 0.4 s, and less
  than importing pyNN.nest, which every PyNN script pays before it can find a typo);
* ``netspec validate specs/potjans_diesmann_2014.yaml``, the microcircuit: 8 populations
  and 55 projections from templates, derived tables (goal: ≤ 0.5 s);
* ``python -c "import pyNN.nest"`` for comparison (skipped when absent);
* one ``netspec validate`` call on 100 spec files, copies and variants of the
  example specs in a temporary folder (goal: ≤ 1.5 s);
* for context, a bare ``python -c "import numpy, quantities, jsonschema, yaml, click"``:
  what validation cannot avoid importing.

It prints the medians, the ratios and PASS/FAIL per goal, and exits 1 if a goal
is missed::

    python benchmarks/bench_validate.py               # 15 runs each
    python benchmarks/bench_validate.py --runs 30 --files 200
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
VA = SPECS / "vogels_abbott_coba.yaml"

GOAL_ONE = 0.4
GOAL_MANY = 1.5
GOAL_MICROCIRCUIT = 0.5
MICROCIRCUIT = SPECS / "potjans_diesmann_2014.yaml"
#: What validation cannot avoid importing: the floor under the first timing.
FLOOR = ("numpy", "quantities", "jsonschema", "yaml", "click")


def netspec_command() -> list[str]:
    """The installed ``netspec`` script beside this interpreter, else ``python -m netspec``."""
    script = Path(sys.executable).parent / "netspec"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "netspec"]


@dataclass(frozen=True)
class Timing:
    """Medians over several runs of one command: wall time and CPU time (user + system)."""

    wall: float
    cpu: float
    runs: int

    def __str__(self) -> str:
        return f"median {self.wall:6.3f} s wall, {self.cpu:6.3f} s CPU over {self.runs} runs"


def median_time(command: Sequence[str], runs: int, *, expect: int = 0,
                env: dict[str, str] | None = None) -> Timing:
    """Median wall and CPU time of ``command`` over ``runs`` runs (after a warm-up run).

    CPU time is shown beside wall time because it changes less when other
    processes share the machine; the goals are judged on wall time.
    """
    env = {**(os.environ if env is None else env), "PYNEST_QUIET": "1",
           "PYTHONWARNINGS": "ignore"}
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(command[:4])} … exited {done.returncode}:\n"
                             f"{done.stderr.decode(errors='replace')[-2000:]}")
        if i:  # the first run warms the file cache
            walls.append(elapsed)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return Timing(statistics.median(walls), statistics.median(cpus), runs)


def make_variants(folder: Path, count: int) -> list[Path]:
    """``count`` valid spec files: the examples, with the seed (and a size) changed."""
    shutil.copytree(SPECS / "data", folder / "data")
    sources = [VA, *sorted(SPECS.glob("*.yaml"))]
    files = []
    for i in range(count):
        source = sources[i % len(sources)]
        text = source.read_text(encoding="utf-8")
        text = text.replace("seed: ", f"seed: {i + 1}  # was ", 1)
        if "\n  n: 1000 " in text:
            text = text.replace("\n  n: 1000 ", f"\n  n: {1000 + 10 * i} ", 1)
        path = folder / f"{source.stem}_{i:03d}.yaml"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per timing (≥ 10)")
    parser.add_argument("--files", type=int, default=100, help="spec files in the batch")
    args = parser.parse_args(argv)
    runs = max(args.runs, 10)
    netspec = netspec_command()

    one = median_time([*netspec, "validate", str(VA)], runs)
    micro = median_time([*netspec, "validate", str(MICROCIRCUIT)], runs)
    compiled = None
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # Here Python may not cache bytecode, so netspec's own modules are compiled on every
        # start; an installed package has its bytecode. Measure that case too.
        with tempfile.TemporaryDirectory() as cache:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            compiled = median_time([*netspec, "validate", str(VA)], runs,
                                   env={**env, "PYTHONPYCACHEPREFIX": cache})
    floor = median_time([sys.executable, "-c", f"import {', '.join(FLOOR)}"], runs)
    try:
        pynn = median_time([sys.executable, "-c", "import pyNN.nest"], runs)
    except SystemExit as exc:
        print(f"(pyNN.nest cannot be imported here: {str(exc).splitlines()[0]})")
        pynn = Timing(float("nan"), float("nan"), 0)
    batch_runs = max(runs // 3, 5)
    with tempfile.TemporaryDirectory() as name:
        files = make_variants(Path(name), args.files)
        many = median_time([*netspec, "validate", *map(str, files)], batch_runs)

    with open("/proc/loadavg") if Path("/proc/loadavg").exists() else nullcontext() as load:
        load_text = f", load average {load.read().split()[0]}" if load else ""
    print(f"machine: {os.cpu_count()} CPUs{load_text}; Python {sys.version.split()[0]}; "
          f"command: {' '.join(Path(c).name for c in netspec)}")
    print(f"netspec validate VA spec         {one}")
    print(f"netspec validate microcircuit    {micro}")
    if compiled is not None:
        print(f"  the same, bytecode cached      {compiled}  (PYTHONDONTWRITEBYTECODE is set "
              "here; an installed netspec has its bytecode)")
    print(f"import of its dependencies       {floor}  ({', '.join(FLOOR)})")
    print(f"python -c 'import pyNN.nest'     {pynn}")
    print(f"netspec validate {args.files} specs      {many}  "
          f"({1000 * (many.wall - one.wall) / max(args.files - 1, 1):.1f} ms per extra spec)")
    print()
    has_pynn = pynn.wall == pynn.wall  # not nan
    goals = [
        (f"validate VA ≤ {GOAL_ONE} s", one.wall <= GOAL_ONE,
         f"{one.wall / GOAL_ONE:.2f} of the goal"),
        (f"validate microcircuit ≤ {GOAL_MICROCIRCUIT} s", micro.wall <= GOAL_MICROCIRCUIT,
         f"{micro.wall / GOAL_MICROCIRCUIT:.2f} of the goal"),
        ("validate VA < import pyNN.nest", not has_pynn or one.wall < pynn.wall,
         f"ratio {one.wall / pynn.wall:.2f}" if has_pynn else "pyNN.nest absent"),
        (f"validate {args.files} specs ≤ {GOAL_MANY} s", many.wall <= GOAL_MANY,
         f"{many.wall / GOAL_MANY:.2f} of the goal"),
    ]
    for label, ok, detail in goals:
        print(f"{verdict(ok)}  {label:<34} {detail}")
    return 0 if all(ok for _, ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
