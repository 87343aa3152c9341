"""`mpirun -n 2 netspec run`: NEST's MPI splits the network, rank 0 alone writes and reports.

These tests start ``mpirun -n 2`` and need NEST built with MPI and mpi4py (install both
with ``tools/install-nest-mpi``); they skip, saying so, where either is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import netspec
from tests.conftest import ROOT, VA, has_module

pytestmark = [pytest.mark.mpi, pytest.mark.nest]

#: Open MPI refuses to run as root without these (CI and containers run as root).
ENV = {**os.environ, "PYNEST_QUIET": "1", "OMPI_ALLOW_RUN_AS_ROOT": "1",
       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}
#: What every run of the seed spec writes, once.
OUTPUTS = {"exc.h5", "inh.h5", "exc.pkl", "inh.pkl", "summary.json", "manifest.json"}


@cache
def _missing() -> str | None:
    """Why the MPI tests cannot run here (None when they can)."""
    if shutil.which("mpirun") is None:
        return "mpirun is not installed (tools/install-nest-mpi installs Open MPI)"
    if not (has_module("mpi4py") and has_module("nest") and has_module("pyNN")):
        return "mpi4py, NEST or PyNN is not installed (tools/install-nest-mpi)"
    probe = subprocess.run(
        [sys.executable, "-c", "import nest; print('have_mpi', "
                               "nest.GetKernelStatus('build_info')['have_mpi'])"],
        capture_output=True, text=True, env=ENV, timeout=300, check=False)
    if "have_mpi True" not in probe.stdout:
        return ("this NEST was built without MPI (the PyPI wheel has none); "
                "install one with tools/install-nest-mpi")
    return None


@pytest.fixture(autouse=True)
def _needs_mpi_nest() -> None:
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)


def _netspec(*args: str, ranks: int = 1, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "netspec", *args]
    if ranks > 1:
        command = ["mpirun", "-n", str(ranks), *command]
    return subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=timeout,
                          check=False)


def _spec(tmp_path: Path, threads: int = 1, duration: str = "1000 ms") -> Path:
    text = VA.read_text()
    assert "threads: 1" in text and "duration: 1000 ms" in text
    text = text.replace("threads: 1", f"threads: {threads}")
    text = text.replace("duration: 1000 ms", f"duration: {duration}")
    spec = tmp_path / f"va_{threads}_threads.yaml"
    spec.write_text(text)
    return spec


def _spikes(folder: Path) -> list[np.ndarray]:
    trains: list[np.ndarray] = []
    for name in ("exc", "inh"):
        block = netspec.read(folder / f"{name}.h5")
        trains += [np.asarray(t.rescale("ms").magnitude)
                   for t in block.segments[0].spiketrains]
    return trains


def test_two_ranks_give_the_spikes_of_two_threads(tmp_path: Path) -> None:
    """Same spec, seed and number of virtual processes: the same spikes, neuron by neuron,
    whether the two virtual processes are MPI ranks or threads."""
    ranks_out, threads_out = tmp_path / "ranks", tmp_path / "threads"
    done = _netspec("run", str(_spec(tmp_path)), "--set", "n=4000", "--out", str(ranks_out),
                    "--no-progress", ranks=2)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("outputs in") == 1, done.stdout  # reported once, by rank 0
    done = _netspec("run", str(_spec(tmp_path, threads=2)), "--set", "n=4000",
                    "--out", str(threads_out), "--no-progress")
    assert done.returncode == 0, done.stderr

    assert {p.name for p in ranks_out.iterdir()} == OUTPUTS  # complete, once, nothing else
    by_ranks, by_threads = _spikes(ranks_out), _spikes(threads_out)
    assert len(by_ranks) == len(by_threads) == 4000
    assert sum(t.size for t in by_ranks) > 4000, "the network should be active"
    for index, (a, b) in enumerate(zip(by_ranks, by_threads, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"neuron {index} differs")
    v_ranks = netspec.read(ranks_out / "exc.h5").segments[0].analogsignals[0]
    v_threads = netspec.read(threads_out / "exc.h5").segments[0].analogsignals[0]
    np.testing.assert_array_equal(v_ranks.magnitude, v_threads.magnitude)

    manifest = json.loads((ranks_out / "manifest.json").read_text())
    assert manifest["parallel"] == {"processes": 2, "threads": 1, "virtual_processes": 2}
    threads = json.loads((threads_out / "manifest.json").read_text())
    assert threads["parallel"] == {"processes": 1, "threads": 2, "virtual_processes": 2}
    summary = json.loads((ranks_out / "summary.json").read_text())
    other = json.loads((threads_out / "summary.json").read_text())
    assert summary["populations"] == other["populations"]
    assert summary["parallel"]["processes"] == 2
    assert set(manifest["outputs"]) == OUTPUTS - {"manifest.json"}


def test_native_path_two_ranks_give_the_spikes_of_two_threads(tmp_path: Path) -> None:
    """NEST's own realisation (native rules, NEST-drawn weights and delays, PoissonInput):
    the microcircuit spec gives the same spikes on 2 ranks as on 2 threads, as NEST's
    kernel RNG has one stream per virtual process."""
    spec = ROOT / "specs" / "potjans_diesmann_2014.yaml"
    scale = ["--set", "N_scaling=0.02", "--set", "K_scaling=0.05", "--set", "t_sim=300 ms",
             "--no-progress"]
    ranks_out, threads_out = tmp_path / "ranks", tmp_path / "threads"
    done = _netspec("run", str(spec), *scale, "--out", str(ranks_out), ranks=2)
    assert done.returncode == 0, done.stderr
    done = _netspec("run", str(spec), *scale, "--threads", "2", "--out", str(threads_out))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((ranks_out / "manifest.json").read_text())
    assert manifest["parallel"] == {"processes": 2, "threads": 1, "virtual_processes": 2}
    assert set(manifest["projections"].values()) == {"native: fixed_total_number"}
    # each process counts its own connections; the summary holds their sum
    counts = json.loads((ranks_out / "summary.json").read_text())["projections"]
    assert counts == json.loads((threads_out / "summary.json").read_text())["projections"]
    assert sum(c["connections"] for c in counts.values()) > 10_000
    by_ranks, by_threads = _sonata_spikes(ranks_out), _sonata_spikes(threads_out)
    assert sorted(by_ranks) == sorted(by_threads) and len(by_ranks) == 8
    assert sum(len(v) for v in by_ranks.values()) > 100, "the network should be active"
    for name, spikes in by_ranks.items():
        assert spikes == by_threads[name], name


def _sonata_spikes(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """(node, time) pairs of every SONATA population in ``folder/spikes.h5``, sorted."""
    import h5py
    with h5py.File(folder / "spikes.h5", "r") as h5:
        return {name: sorted(zip(group["node_ids"][()].tolist(),
                                 group["timestamps"][()].tolist(), strict=True))
                for name, group in h5["spikes"].items()}


def test_existing_outputs_are_refused_once_before_building(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "exc.h5").write_text("keep me")
    done = _netspec("run", str(_spec(tmp_path, duration="50 ms")), "--set", "n=200",
                    "--out", str(out), "--no-progress", ranks=2)
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("outputs exist") == 1, done.stderr
    assert (out / "exc.h5").read_text() == "keep me"
    assert {p.name for p in out.iterdir()} == {"exc.h5"}


def test_an_invalid_spec_is_reported_once(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(VA.read_text().replace("cell_type: IF_cond_exp", "cell_type: IF_cond_exq"))
    done = _netspec("run", str(spec), "--out", str(tmp_path / "out"), "--no-progress", ranks=2)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("IF_cond_exq") == 1, done.stderr
    assert not (tmp_path / "out").exists()


def test_spinnaker_is_refused_on_several_processes(tmp_path: Path) -> None:
    done = _netspec("run", str(VA), "--backend", "spinnaker", "--virtual-board",
                    "--out", str(tmp_path / "out"), "--no-progress", ranks=2)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("runs in one process") == 1, done.stderr
    assert not (tmp_path / "out").exists()


def test_interrupting_mpirun_ends_every_rank_and_publishes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = _spec(tmp_path, duration="100000 ms")
    proc = subprocess.Popen(
        ["mpirun", "-n", "2", sys.executable, "-m", "netspec", "run", str(spec), "--set",
         "n=2000", "--out", str(out), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 300
        while not any(out.glob(".netspec-staging-*")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        time.sleep(15)  # well into the simulation
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert stderr.count("interrupted") == 1, stderr
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
