"""The export stage: writers read back exactly, staging publishes all or nothing.

Everything but the last test uses synthetic :class:`RecordedData` (no
simulator); the NEST test runs a tiny network and compares with PyNN's own
``get_data``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from netspec.errors import Interrupted, OutputError, OutputExistsError, UsageError
from netspec.export import (
    MANIFEST,
    WRITERS,
    RecordedData,
    Signal,
    WriteContext,
    prepare,
    summarise,
    write_exports,
)
from netspec.export.manifest import versions

neo = pytest.importorskip("neo")
h5py = pytest.importorskip("h5py")


@dataclass(frozen=True)
class Exp:
    """An export entry, as the spec model gives it."""

    format: str
    path: str
    target: str | None = None
    variables: tuple[str, ...] | None = None
    edges: bool = False


def make(name: str = "exc", size: int = 6, label: str = "cells", first_id: int = 3,
         offset: int = 0, kind: str = "view", seed: int = 0) -> RecordedData:
    """Spikes on neurons 0..size-2 (the last one recorded but silent), v on two neurons."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(size - 1), 3)
    times = np.round(rng.uniform(0.0, 100.0, ids.size), 1)
    order = np.lexsort((ids, times))
    values = rng.normal(-60.0, 2.0, (11, 2))
    return RecordedData(
        name=name, size=size, t_start=0.0, t_stop=100.0,
        spike_times=times[order], spike_ids=ids[order], spike_channels=np.arange(size),
        signals={"v": Signal("v", 0.0, 10.0, values, np.array([0, 2]), "mV")},
        kind=kind, label=label, description=f"Population {label}",
        annotations={"size": 100, "label": label, "first_id": first_id, "dt": 0.1},
        cell_ids=np.arange(first_id + offset, first_id + offset + size),
        source_index=np.arange(offset, offset + size),
    )


def per_neuron(d: RecordedData) -> dict[int, np.ndarray]:
    """Expected spike times by simulator id (every recorded neuron)."""
    assert d.spike_times is not None and d.spike_ids is not None
    assert d.cell_ids is not None and d.spike_channels is not None
    return {int(d.cell_ids[i]): d.spike_times[d.spike_ids == i] for i in d.spike_channels}


def trains_by_id(block: Any) -> dict[int, np.ndarray]:
    return {int(st.annotations["channel_id"]): np.asarray(st.magnitude)
            for st in block.segments[0].spiketrains}


def assert_same_trains(expected: dict[int, np.ndarray], got: dict[int, np.ndarray]) -> None:
    assert sorted(expected) == sorted(got)
    for key, times in expected.items():
        np.testing.assert_array_equal(got[key], times)


# ------------------------------------------------------------------------------ writers


def test_nix_stores_one_multiplexed_train_readable_by_neo(tmp_path: Path) -> None:
    d = make()
    path = tmp_path / "exc.h5"
    WRITERS["nix"](path, [d], None)
    with neo.io.NixIO(str(path), mode="ro") as io:
        block = io.read_block()
    assert block.name == "cells"
    assert block.annotations["netspec_layout"] == "multiplexed-1"
    (train,) = block.segments[0].spiketrains
    np.testing.assert_array_equal(train.magnitude, d.spike_times)
    np.testing.assert_array_equal(train.array_annotations["channel_index"], d.spike_ids)
    assert str(train.units.dimensionality) == "ms"
    assert float(train.t_stop) == 100.0
    (signal,) = block.segments[0].analogsignals
    np.testing.assert_array_equal(signal.magnitude, d.signals["v"].values)
    np.testing.assert_array_equal(signal.array_annotations["channel_index"], [0, 2])
    assert float(signal.sampling_period) == 10.0


def test_read_splits_nix_into_one_train_per_recorded_neuron(tmp_path: Path) -> None:
    import netspec.reader

    d = make(offset=10)
    path = tmp_path / "exc.h5"
    WRITERS["nix"](path, [d], None)
    block = netspec.reader.read(path)
    trains = block.segments[0].spiketrains
    assert len(trains) == d.size  # the silent neuron has an empty train
    assert_same_trains(per_neuron(d), trains_by_id(block))
    first = trains[0]
    assert first.annotations["source_population"] == "cells"
    assert first.annotations["source_index"] == 10
    assert first.annotations["target_index"] == 0
    assert trains[-1].size == 0
    np.testing.assert_array_equal(block.segments[0].analogsignals[0].magnitude,
                                  d.signals["v"].values)


def test_nix_with_several_targets_and_edge_cases(tmp_path: Path) -> None:
    import netspec.reader

    a = make("cells", kind="population")
    b = make("stim", size=3, label="stim", first_id=50, seed=1)
    b.signals.clear()
    lone = make("lone", size=2, seed=2)
    lone.spike_times, lone.spike_ids = np.array([5.0]), np.array([1])  # one spike only
    lone.signals.clear()
    path = tmp_path / "all.h5"
    WRITERS["nix"](path, [a, b, lone], None)
    block = netspec.reader.read(path)
    got = trains_by_id(block)
    assert_same_trains({**per_neuron(a), **per_neuron(b), **per_neuron(lone)}, got)
    assert block.annotations["netspec_targets"] == ["cells", "stim", "lone"]


def test_read_returns_pynn_layout_nix_unchanged(tmp_path: Path) -> None:
    import quantities as pq

    import netspec.reader

    segment = neo.Segment()
    for i in range(3):
        segment.spiketrains.append(neo.SpikeTrain([1.0 + i, 5.0] * pq.ms, t_stop=10 * pq.ms,
                                                  channel_id=i + 1, source_index=i))
    block = neo.Block(name="pynn")
    block.segments.append(segment)
    path = tmp_path / "pynn.h5"
    with neo.io.NixIO(str(path), mode="ow") as io:
        io.write_block(block)
    back = netspec.reader.read(path)
    assert [list(st.magnitude) for st in back.segments[0].spiketrains] == [
        [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]


def test_pickle_is_a_pynn_style_block(tmp_path: Path) -> None:
    import netspec.reader

    d = make(offset=4)
    path = tmp_path / "exc.pkl"
    WRITERS["pickle"](path, [d], None)
    block = neo.io.PickleIO(str(path)).read_block()
    assert block.name == "cells"
    assert block.annotations["first_id"] == 3
    segment = block.segments[0]
    assert segment.name == "segment000"
    assert len(segment.spiketrains) == d.size
    assert_same_trains(per_neuron(d), trains_by_id(block))
    first = segment.spiketrains[0]
    assert first.annotations == {"source_population": "cells", "source_index": 4,
                                 "channel_id": 7}
    (signal,) = segment.analogsignals
    np.testing.assert_array_equal(signal.magnitude, d.signals["v"].values)
    np.testing.assert_array_equal(signal.annotations["channel_ids"], [7, 9])
    np.testing.assert_array_equal(signal.array_annotations["channel_index"], [4, 6])
    assert_same_trains(per_neuron(d), trains_by_id(netspec.reader.read(path)))


def test_sonata_spikes(tmp_path: Path) -> None:
    d = make()
    files = (tmp_path / "spikes.h5", tmp_path / "spikes_nodes.h5",
             tmp_path / "spikes_node_types.csv")
    WRITERS["sonata"](files[0], [d], WriteContext(files=files))
    with h5py.File(files[0], "r") as f:
        group = f["spikes/cells"]  # the Population, not the view
        assert h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype) == {
            "none": 0, "by_id": 1, "by_time": 2}
        assert group.attrs["sorting"] == 2
        assert group["timestamps"].attrs["units"] == "ms"
        assert group["timestamps"].dtype == np.float64
        assert group["node_ids"].dtype == np.uint64
        order = np.lexsort((d.spike_ids, d.spike_times))
        np.testing.assert_array_equal(group["timestamps"][:], d.spike_times[order])
        np.testing.assert_array_equal(group["node_ids"][:], d.source_index[d.spike_ids][order])


def test_summary_and_summarise(tmp_path: Path) -> None:
    d = make()
    quiet = make("quiet")
    quiet.spike_times = quiet.spike_ids = quiet.spike_channels = None
    rates = summarise({"exc": d, "quiet": quiet}, 100.0)
    assert rates["exc"] == {"size": 6, "recorded": 6, "spike_count": 15,
                            "mean_rate_hz": 15 / 6 / 0.1}
    assert rates["quiet"] == {"size": 6, "recorded": None, "spike_count": None,
                              "mean_rate_hz": None}
    d.spike_channels = np.array([1, 3, 4])  # recorded on three cells: their rate
    assert summarise({"exc": d}, 100.0)["exc"] == {
        "size": 6, "recorded": 3, "spike_count": 15, "mean_rate_hz": 15 / 3 / 0.1}
    path = tmp_path / "summary.json"
    WRITERS["summary"](path, [], WriteContext(summary={"populations": rates,
                                                       "seed": np.int64(3),
                                                       "nan": float("nan")}))
    back = json.loads(path.read_text())
    assert back["populations"]["exc"]["spike_count"] == 15
    assert back["seed"] == 3
    assert back["nan"] is None


def test_versions_reads_metadata_without_importing_simulators() -> None:
    found = versions("nest")
    assert {"python", "netspec", "PyNN", "nest-simulator", "neo"} <= found.keys()
    assert "sPyNNaker" in versions("spinnaker")
    code = ("import sys, netspec.export, netspec.export.manifest as m; m.versions('nest'); "
            "print(sorted(k for k in ('neo', 'h5py', 'nixio', 'pyNN', 'nest', 'spynnaker') "
            "if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------ staging

EXPORTS = (Exp("nix", "exc.h5", "exc"), Exp("pickle", "sub/exc.pkl", "exc"),
           Exp("sonata", "spikes.h5"), Exp("summary", "summary.json"))


def data() -> dict[str, RecordedData]:
    return {"exc": make(), "cells": make("cells", kind="population", offset=0)}


def visible(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_write_exports_then_publish(tmp_path: Path) -> None:
    out = tmp_path / "results" / "run"
    with prepare(EXPORTS, out, force=False) as plan:
        staging = plan.staging
        assert staging.parent == out and staging.name.startswith(".netspec-staging-")
        seconds = write_exports(plan, EXPORTS, data(), {"seed": 1}, {"command": ["x"]})
        assert [p.name for p in out.iterdir()] == [staging.name]  # nothing published yet
    assert set(seconds) == {e.path for e in EXPORTS} | {MANIFEST}
    manifest_outputs = json.loads((out / MANIFEST).read_text())["outputs"]
    assert set(manifest_outputs) == set(visible(out)) - {"sub", MANIFEST}
    assert visible(out) == ["exc.h5", "manifest.json", "spikes.h5", "spikes_node_types.csv",
                            "spikes_nodes.h5", "sub", "sub/exc.pkl", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["write_seconds"]) == {"exc.h5", "sub/exc.pkl", "spikes.h5"}
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["command"] == ["x"]
    assert manifest["outputs"]["exc.h5"]["bytes"] == (out / "exc.h5").stat().st_size
    with h5py.File(out / "spikes.h5", "r") as f:  # no target: every population
        assert list(f["spikes"]) == ["cells"]


def test_existing_output_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "exc.h5").write_text("old")
    (tmp_path / MANIFEST).write_text("{}")
    with pytest.raises(OutputExistsError) as info:
        prepare(EXPORTS, tmp_path, force=False)
    assert "exc.h5" in str(info.value) and MANIFEST in str(info.value)
    assert visible(tmp_path) == ["exc.h5", MANIFEST]  # no staging folder left
    with prepare(EXPORTS, tmp_path, force=True) as plan:
        write_exports(plan, EXPORTS, data(), {}, {})
    assert (tmp_path / "exc.h5").read_bytes()[:4] == b"\x89HDF"


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"
    plan = prepare(EXPORTS, out, force=False)
    write_exports(plan, EXPORTS, data(), {}, {})
    plan.abort()
    assert not (tmp_path / "new").exists()  # the folders prepare made are gone too


def test_exception_in_block_aborts(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), prepare(EXPORTS, tmp_path, force=False) as plan:
        write_exports(plan, EXPORTS, data(), {}, {})
        raise RuntimeError("simulation failed")
    assert visible(tmp_path) == []


def test_ctrl_c_aborts_and_becomes_interrupted(tmp_path: Path) -> None:
    with pytest.raises(Interrupted), prepare(EXPORTS, tmp_path, force=False):
        raise KeyboardInterrupt
    assert visible(tmp_path) == []


def test_failing_writer_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(path: Path, chosen: Any, summary: Any) -> None:
        path.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(WRITERS, "sonata", full_disk)
    with pytest.raises(OutputError) as info, prepare(EXPORTS, tmp_path, force=False) as plan:
        write_exports(plan, EXPORTS, data(), {}, {})
    assert "spikes.h5" in str(info.value) and "No space left" in str(info.value)
    assert visible(tmp_path) == []


def test_unverifiable_file_publishes_nothing(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(WRITERS, "pickle", lambda path, chosen, summary: path.write_bytes(b""))
    with pytest.raises(OutputError, match="empty"), \
            prepare(EXPORTS, tmp_path, force=False) as plan:
        write_exports(plan, EXPORTS, data(), {}, {})
    assert visible(tmp_path) == []


def test_publish_refuses_unwritten_outputs(tmp_path: Path) -> None:
    plan = prepare(EXPORTS, tmp_path, force=False)
    with pytest.raises(OutputError, match="not written"):
        plan.publish()
    plan.abort()
    assert visible(tmp_path) == []


def test_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="file"):
        prepare(EXPORTS, blocker / "out", force=False)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions are not enforced for root")
def test_read_only_folder_is_an_output_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError, match=str(tmp_path)):
            prepare(EXPORTS, tmp_path / "out", force=False)
    finally:
        tmp_path.chmod(0o700)


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        prepare([Exp("nix", "../x.h5")], tmp_path, force=False)
    with pytest.raises(UsageError):
        prepare([Exp("nix", "a.h5"), Exp("pickle", "a.h5")], tmp_path, force=False)
    (tmp_path / "a.h5").mkdir()
    with pytest.raises(OutputError, match="folder"):
        prepare([Exp("nix", "a.h5")], tmp_path, force=True)


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    exports = [Exp("nix", "x.h5", "nope")]
    with pytest.raises(UsageError, match="nope"), prepare(exports, tmp_path, False) as plan:
        write_exports(plan, exports, data(), {}, {})
    assert visible(tmp_path) == []


def test_importing_export_imports_no_heavy_library() -> None:
    code = ("import sys, netspec.export; "
            "print(sorted(k for k in ('neo', 'h5py', 'nixio', 'pyNN', 'nest') "
            "if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------ NEST


@pytest.mark.nest
def test_nest_collect_nix_read_matches_get_data(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sim = pytest.importorskip("pyNN.nest", reason="pyNN.nest (NEST) is not installed")
    from pyNN.random import NumpyRNG, RandomDistribution

    import netspec.reader
    from netspec.export import capture_initial_values, collect, recorded
    from netspec.export.nixfile import write

    sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0, threads=1, rng_seed=7)
    try:
        rng = NumpyRNG(seed=7, parallel_safe=True)
        cells = sim.Population(30, sim.IF_cond_exp(tau_refrac=2.0), label="cells")
        cells.initialize(v=RandomDistribution("uniform", low=-65.0, high=-55.0, rng=rng))
        drive = sim.Population(10, sim.SpikeSourcePoisson(rate=200.0), label="drive")
        sim.Projection(drive, cells, sim.FixedProbabilityConnector(0.5, rng=rng),
                       sim.StaticSynapse(weight=0.05, delay=0.5), receptor_type="excitatory")
        view = cells[5:25]
        cells.record("spikes")
        view[[3, 1]].record("v")
        initial = capture_initial_values([cells])
        v_start = np.asarray(cells.node_collection.get("V_m"))  # what NEST starts from
        sim.run(200.0)

        data = collect(view, None, "view", 200.0, initial_values=initial)
        expected = view.get_data()
        path = tmp_path / "view.h5"
        write(path, [data])
        got = netspec.reader.read(path)

        assert data.spike_times is not None and data.spike_times.size > 0
        assert_same_trains(trains_by_id(expected), trains_by_id(got))
        assert [int(st.annotations["source_index"]) for st in got.segments[0].spiketrains] == \
            list(range(5, 25))
        (pynn_v,) = expected.segments[0].analogsignals
        ours = data.signals["v"]
        np.testing.assert_array_equal(ours.channel_ids, [1, 3])  # order of simulator id
        # PyNN re-draws the t=0 sample from the RandomDistribution; later samples agree
        np.testing.assert_array_equal(ours.values[1:], pynn_v.magnitude[1:])
        assert ours.values.shape == pynn_v.shape
        np.testing.assert_array_equal(ours.values[0], v_start[[5 + 1, 5 + 3]])
        spikes_only = collect(cells, ["spikes", "gsyn_exc"], "cells", 200.0)
        assert spikes_only.signals == {}  # gsyn_exc was not recorded: left out, as PyNN does
        assert spikes_only.spike_times is not None

        assembly = sim.Assembly(cells[25:], view, label="both")
        both = collect(assembly, None, "both", 200.0)
        assert both.kind == "assembly" and both.size == 25
        assert_same_trains(trains_by_id(assembly.get_data()), per_neuron(both))

        # the general path (get_data), used off NEST or after reset(), gives the same data
        monkeypatch.setattr(recorded, "_is_nest_fast_path", lambda recorder: False)
        slow = collect(view, None, "view", 200.0)
        assert_same_trains(per_neuron(data), per_neuron(slow))
        np.testing.assert_array_equal(slow.signals["v"].values[1:], ours.values[1:])
        np.testing.assert_array_equal(slow.signals["v"].channel_ids, ours.channel_ids)
    finally:
        sim.end()
