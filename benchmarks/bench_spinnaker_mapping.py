"""Benchmark: mapping the seed network on a sPyNNaker virtual board, netspec versus PyNN by hand.

For each ``--n`` and each repeat, in fresh processes (sPyNNaker keeps
process-global state), one after the other (alternating which goes first):

* **by hand**: this file run as ``--hand N --out DIR``: the Vogels-Abbott network
  of ``tests/reference/va_coba_pynn.py`` written directly for ``pyNN.spiNNaker``
  (same timestep, min_delay, time_scale_factor, cell parameters, weights, delays
  and connection probabilities as ``specs/vogels_abbott_coba.yaml``; seeds on the
  populations, as sPyNNaker wants), configured the way a sPyNNaker user does it:
  a ``~/.spynnaker.cfg`` (virtual board, version 5, reports under DIR, warnings
  only) in a throwaway HOME;
* **netspec**: ``netspec run specs/vogels_abbott_coba.yaml --backend spinnaker
  --virtual-board --set n=N --out DIR --no-progress``, timings from its
  ``summary.json``.

Both measure the same spans: *build* (``setup`` to the last ``record``), *map*
(``sim.run`` on the virtual board: partitioning, placement, routing and data
generation, mostly host-side synaptic matrices that a real board would generate
on chip) and sPyNNaker's own provenance of its Mapping and Loading stages; and
the wall time of the whole process (imports, and netspec's parsing, included).
The table prints medians and, in brackets, the least of the samples (what is
left when other processes on the machine are quiet), the process CPU time
(user + system) too, and the ratios netspec / by hand; the bar is 1.10::

    python benchmarks/bench_spinnaker_mapping.py              # n=1000, 10000
    python benchmarks/bench_spinnaker_mapping.py --n 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "vogels_abbott_coba.yaml"
BAR = 1.10


# ----------------------------------------------------------------- the network by hand
def by_hand(n: int) -> dict[str, float]:
    """Build and map the seed network with pyNN.spiNNaker; return the timings (s)."""
    sys.path.insert(0, str(ROOT / "tests" / "reference"))
    import va_coba_pynn as ref

    t0 = time.perf_counter()
    import pyNN.spiNNaker as sim
    from pyNN.random import RandomDistribution
    t1 = time.perf_counter()

    n_exc = round(n * ref.R_EI / (1 + ref.R_EI))
    sim.setup(timestep=ref.TIMESTEP, min_delay=ref.MIN_DELAY, time_scale_factor=10)
    cells = sim.Population(n, sim.IF_cond_exp(**ref.CELL_PARAMETERS), label="cells",
                           seed=ref.SEED)
    stim = sim.Population(ref.STIM_SIZE, sim.SpikeSourcePoisson(
        rate=ref.STIM_RATE, duration=ref.STIM_DURATION), label="stim", seed=ref.SEED + 1)
    cells.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0))
    exc, inh = cells[:n_exc], cells[n_exc:]
    sim.Projection(exc, cells, sim.FixedProbabilityConnector(ref.P_CONNECT),
                   sim.StaticSynapse(weight=ref.W_EXC, delay=ref.DELAY),
                   receptor_type="excitatory")
    sim.Projection(inh, cells, sim.FixedProbabilityConnector(ref.P_CONNECT),
                   sim.StaticSynapse(weight=ref.W_INH, delay=ref.DELAY),
                   receptor_type="inhibitory")
    sim.Projection(stim, cells, sim.FixedProbabilityConnector(ref.P_CONNECT),
                   sim.StaticSynapse(weight=ref.W_STIM), receptor_type="excitatory")
    cells.record("spikes")
    exc[[0, 1]].record("v")
    t2 = time.perf_counter()
    sim.run(1000.0)
    t3 = time.perf_counter()

    from spinn_front_end_common.interface.provenance import GlobalProvenance, TimerCategory
    with GlobalProvenance() as provenance:
        mapping = provenance.get_category_timer_sum(TimerCategory.MAPPING) / 1000.0
        loading = provenance.get_category_timer_sum(TimerCategory.LOADING) / 1000.0
    sim.end()
    return {"import": t1 - t0, "build": t2 - t1, "map": t3 - t2, "mapping_stage": mapping,
            "loading_stage": loading}


# ------------------------------------------------------------------------- one sample
def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NETSPEC_SPINNAKER_", "XDG_")) and k != "MPLCONFIGDIR"}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


def sample_hand(n: int, work: Path) -> dict[str, float]:
    home, out = work / "home", work / "out"
    home.mkdir(parents=True)
    out.mkdir()
    (home / ".spynnaker.cfg").write_text(
        "[Machine]\nvirtual_board = True\nversion = 5\n"
        f"[Reports]\ndefault_report_file_path = {out}\n[Logging]\ndefault = warning\n",
        encoding="utf-8")
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, __file__, "--hand", str(n)], capture_output=True,
                          text=True, cwd=out, env=_env(home), check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"hand-written run failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"], result["cpu"] = wall, cpu
    return result


def sample_netspec(n: int, work: Path) -> dict[str, float]:
    home, cwd, out = work / "home", work / "cwd", work / "out"
    home.mkdir(parents=True)
    cwd.mkdir()
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "netspec", "run", str(SPEC), "--backend",
                           "spinnaker", "--virtual-board", "--set", f"n={n}", "--out", str(out),
                           "--no-progress"], capture_output=True, text=True, cwd=cwd,
                          env=_env(home), check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"netspec run failed:\n{done.stderr[-3000:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    times, mapping = summary["times_s"], summary["mapping"]
    return {"build": times["build"], "map": times["simulate"],
            "mapping_stage": mapping["mapping_s"], "loading_stage": mapping["loading_s"],
            "wall": wall, "cpu": cpu}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def least(samples: list[dict[str, float]], key: str) -> float:
    return min(s[key] for s in samples)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="cells (repeatable; "
                        "default 1000 and 10000)")
    parser.add_argument("--repeat", type=int, default=2, help="samples of each (default 2)")
    parser.add_argument("--hand", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hand is not None:  # the child process of sample_hand
        print(json.dumps(by_hand(args.hand)))
        return 0

    rows = []
    for n in args.n or [1000, 10000]:
        hand: list[dict[str, float]] = []
        ours: list[dict[str, float]] = []
        for i in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-spinnaker-") as tmp:
                # alternate which goes first, so that neither profits from a warm machine
                if i % 2:
                    ours.append(sample_netspec(n, Path(tmp) / "netspec"))
                    hand.append(sample_hand(n, Path(tmp) / "hand"))
                else:
                    hand.append(sample_hand(n, Path(tmp) / "hand"))
                    ours.append(sample_netspec(n, Path(tmp) / "netspec"))
            print(f"n={n} sample {i + 1}/{args.repeat}: by hand map {hand[-1]['map']:.2f} s, "
                  f"netspec map {ours[-1]['map']:.2f} s", file=sys.stderr)
        rows.append((n, hand, ours))

    print("\nMapping the seed network on a sPyNNaker virtual board: median (and least) "
          f"of {args.repeat}, seconds\n")
    head = (f"{'n':>6}  {'':8} {'build':>7} {'map':>16} {'Mapping':>8} {'Loading':>8} "
            f"{'process wall':>16} {'process CPU':>16}")
    print(head)
    print("-" * len(head))
    verdicts: list[bool] = []

    def both(samples: list[dict[str, float]], key: str) -> str:
        return f"{median(samples, key):7.3f} ({least(samples, key):6.3f})"

    for n, hand, ours in rows:
        for label, samples in (("by hand", hand), ("netspec", ours)):
            print(f"{n:>6}  {label:8} {median(samples, 'build'):7.3f} {both(samples, 'map')} "
                  f"{median(samples, 'mapping_stage'):8.3f} "
                  f"{median(samples, 'loading_stage'):8.3f} {both(samples, 'wall')} "
                  f"{both(samples, 'cpu')}")
        ratios = {key: (median(ours, key) / median(hand, key), least(ours, key) / least(hand, key))
                  for key in ("map", "wall", "cpu")}
        build_map = ((median(ours, "build") + median(ours, "map"))
                     / (median(hand, "build") + median(hand, "map")))
        verdicts.append(min(ratios["map"]) <= BAR)
        print(f"{n:>6}  netspec / by hand: build+map {build_map:.3f}; map "
              f"{ratios['map'][0]:.3f} ({ratios['map'][1]:.3f}); process wall "
              f"{ratios['wall'][0]:.3f} ({ratios['wall'][1]:.3f}); process CPU "
              f"{ratios['cpu'][0]:.3f} ({ratios['cpu'][1]:.3f})")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
