"""Benchmark: writing the seed network's results, PyNN's way versus netspec's.

For each ``--n`` the hand-written reference network
(``tests/reference/va_coba_pynn.py``) is built and run on NEST, then, in the
same process and from the same recorded data:

* netspec: ``prepare`` + ``collect`` (exc, inh) + ``write_exports`` (nix and
  pickle for exc and inh, summary, manifest) + ``publish``;
* PyNN, as the seed notebook does: ``write_data`` to ``NixIO`` for exc and inh
  (the pickles are timed too, apart).

It prints both times and their ratio, and checks that ``netspec.read`` of the
nix files and ``PickleIO`` of the pickles give, neuron by neuron, the spike
times of ``exc.get_data()`` / ``inh.get_data()``. ``--layouts`` adds a
comparison of NIX layouts on synthetic spikes (no simulator)::

    python benchmarks/bench_export.py                 # --n 1000 --n 10000
    python benchmarks/bench_export.py --n 1000 --layouts
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reference"))

import va_coba_pynn as reference  # noqa: E402 - found through the path set just above

from netspec.export import (  # noqa: E402
    collect,
    prepare,
    summarise,
    write_exports,
)
from netspec.export.manifest import versions  # noqa: E402


@dataclass(frozen=True)
class BenchExport:
    """An export entry as the spec model provides it."""

    format: str
    path: str
    target: str | None = None
    variables: tuple[str, ...] | None = None


EXPORTS = (
    BenchExport("nix", "exc.h5", "exc"),
    BenchExport("nix", "inh.h5", "inh"),
    BenchExport("pickle", "exc.pkl", "exc"),
    BenchExport("pickle", "inh.pkl", "inh"),
    BenchExport("summary", "summary.json"),
)


def netspec_export(net: dict[str, Any], out: Path) -> dict[str, float]:
    """netspec's whole export stage; returns timings in seconds."""
    t0 = time.perf_counter()
    plan = prepare(EXPORTS, out, force=False)
    with plan:
        t1 = time.perf_counter()
        data = {name: collect(net[name], None, name, net["duration"])
                for name in ("exc", "inh")}
        t2 = time.perf_counter()
        summary = {
            "backend": "nest", "seed": reference.SEED,
            "populations": summarise(data, net["duration"]),
            "build_seconds": net["build"], "simulate_seconds": net["simulate"],
        }
        manifest = {"spec": "tests/reference/va_coba_pynn.py", "versions": versions("nest"),
                    "command": sys.argv}
        per_file = write_exports(plan, EXPORTS, data, summary, manifest)
        t3 = time.perf_counter()
        plan.publish()
    t4 = time.perf_counter()
    return {"prepare": t1 - t0, "collect": t2 - t1, "write": t3 - t2, "publish": t4 - t3,
            "total": t4 - t0, **{f"  {k}": v for k, v in per_file.items()}}


def same_spikes(expected: Any, got: Any) -> tuple[bool, int]:
    """Compare two Blocks' spike trains neuron by neuron (matched on ``channel_id``)."""
    want = {int(st.annotations["channel_id"]): np.asarray(st.magnitude)
            for st in expected.segments[0].spiketrains}
    have = {int(st.annotations["channel_id"]): np.asarray(st.magnitude)
            for st in got.segments[0].spiketrains}
    ok = want.keys() == have.keys() and all(np.array_equal(want[k], have[k]) for k in want)
    return ok, len(want)


def bench(n: int, duration: float, keep: Path | None) -> dict[str, Any]:
    """Build, run and time both exports for ``n`` cells (files kept only under ``keep``)."""
    import neo
    import pyNN.nest as sim

    import netspec.reader

    net = reference.build_and_run(sim, n=n, duration=duration)
    work = Path(keep) if keep is not None else Path(tempfile.mkdtemp(prefix="bench_export-"))
    try:
        ours = netspec_export(net, work / f"netspec-n{n}")
        pynn = reference.write_like_notebook(net["exc"], net["inh"], work / f"pynn-n{n}")
        checks = {}
        for name in ("exc", "inh"):
            expected = net[name].get_data()
            written = work / f"netspec-n{n}"
            checks[f"{name}.h5"] = same_spikes(
                expected, netspec.reader.read(written / f"{name}.h5"))
            checks[f"{name}.pkl"] = same_spikes(
                expected, neo.io.PickleIO(str(written / f"{name}.pkl")).read_block())
        n_spikes = sum(net["cells"].get_spike_counts().values())
    finally:
        sim.end()
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return {"n": n, "build": net["build"], "simulate": net["simulate"], "ours": ours,
            "pynn": pynn, "checks": checks, "spikes": n_spikes, "kept": keep}


def report(result: dict[str, Any]) -> None:
    """Print one network size's numbers."""
    pynn_nix = result["pynn"]["exc.h5"] + result["pynn"]["inh.h5"]
    pynn_pkl = result["pynn"]["exc.pkl"] + result["pynn"]["inh.pkl"]
    ours = result["ours"]["total"]
    print(f"\n=== n = {result['n']}  ({result['spikes']} spikes;  build {result['build']:.2f} s,"
          f" simulate {result['simulate']:.2f} s)")
    print(f"PyNN write_data NixIO exc+inh      : {pynn_nix:9.3f} s"
          f"   (exc {result['pynn']['exc.h5']:.3f}, inh {result['pynn']['inh.h5']:.3f})")
    print(f"PyNN write_data pickle exc+inh     : {pynn_pkl:9.3f} s")
    print(f"netspec whole export               : {ours:9.3f} s")
    for key, value in result["ours"].items():
        if key != "total":
            print(f"    {key:<30} {value:9.4f} s")
    print(f"ratio PyNN NixIO / netspec whole   : {pynn_nix / ours:9.1f} x "
          f"(goal >= 10: {'met' if pynn_nix / ours >= 10 else 'NOT met'})")
    for name, (ok, trains) in result["checks"].items():
        print(f"check {name:<8}: {'same' if ok else 'DIFFERENT'} spike times as get_data() "
              f"for {trains} neurons")
    if result["kept"] is not None:
        print(f"files in {result['kept']}")


def bench_layouts(n_neurons: int = 8000, n_spikes: int = 100_000) -> None:
    """Time NIX layouts for the same spikes (synthetic, no simulator)."""
    import neo
    import quantities as pq
    from neo.io import NixIO

    from netspec.export.nixfile import _fast_nixio_class

    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 1000, n_spikes))
    index = rng.integers(0, n_neurons, n_spikes)

    def per_neuron() -> neo.Block:
        seg = neo.Segment()
        order = np.argsort(index, kind="stable")
        bounds = np.searchsorted(index[order], np.arange(n_neurons + 1))
        for i in range(n_neurons):
            seg.spiketrains.append(neo.SpikeTrain(
                times[order][bounds[i]:bounds[i + 1]] * pq.ms, t_stop=1000 * pq.ms,
                source_population="cells", source_index=i, channel_id=i + 3))
        return _block(seg)

    def multiplexed() -> neo.Block:
        seg = neo.Segment()
        seg.spiketrains.append(neo.SpikeTrain(
            times * pq.ms, t_stop=1000 * pq.ms, recorded_channels=np.arange(n_neurons),
            array_annotations={"channel_index": index}))
        return _block(seg)

    def event() -> neo.Block:
        seg = neo.Segment()
        seg.events.append(neo.Event(times * pq.ms, labels=index.astype("U6")))
        return _block(seg)

    def _block(seg: neo.Segment) -> neo.Block:
        block = neo.Block()
        block.segments.append(seg)
        return block

    cases = [
        ("PyNN layout: one SpikeTrain per neuron, neo NixIO", per_neuron, NixIO),
        ("multiplexed SpikeTrain + index array annotation, neo NixIO", multiplexed, NixIO),
        ("multiplexed SpikeTrain + index array annotation, netspec", multiplexed,
         _fast_nixio_class()),
        ("neo Event with the neuron index as labels, neo NixIO", event, NixIO),
    ]
    print(f"\n=== NIX layouts, {n_neurons} neurons, {n_spikes} spikes (synthetic)")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, make, io_class) in enumerate(cases):
            path = Path(tmp) / f"layout{i}.h5"
            block = make()
            t0 = time.perf_counter()
            with io_class(str(path), mode="ow") as io:
                io.write_block(block)
            t1 = time.perf_counter()
            with NixIO(str(path), mode="ro") as io:
                io.read_block()
            t2 = time.perf_counter()
            print(f"{label:<62} write {t1 - t0:8.3f} s  read {t2 - t1:7.3f} s  "
                  f"{path.stat().st_size / 1e6:7.2f} MB")


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append",
                        help="network size (repeatable; default 1000 and 10000)")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the files under this folder (default: a temp folder)")
    parser.add_argument("--layouts", action="store_true",
                        help="also compare NIX layouts on synthetic spikes")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    failed = False
    for n in args.n or [1000, 10000]:
        result = bench(n, args.duration, args.keep)
        report(result)
        failed |= not all(ok for ok, _ in result["checks"].values())
    if args.layouts:
        bench_layouts()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
