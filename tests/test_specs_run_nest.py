"""Every spec in specs/ runs on NEST, and its outputs read back with their standard readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import netspec
from netspec.checks import export_files
from tests.conftest import SPECS, needs_nest, netspec_cli, quick, quick_args

SPEC_FILES = sorted(SPECS.glob("*.yaml"))


@needs_nest
@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_spec_runs_on_nest_and_outputs_read_back(spec: Path, tmp_path: Path) -> None:
    neo = pytest.importorskip("neo")
    pytest.importorskip("h5py")
    out = tmp_path / "out"
    done = netspec_cli("run", str(spec), "--out", str(out), "--no-progress", *quick_args(spec))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    network = netspec.load(spec, overrides=quick(spec))
    summary = json.loads((out / "summary.json").read_text()) if any(
        e.format == "summary" for e in network.exports) else None
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["sha256"] == network.spec_sha256
    for export in network.exports:
        path = out / export.path
        for file in export_files(export):
            assert (out / file).is_file(), f"{file} missing"
            assert manifest["outputs"][file]["bytes"] == (out / file).stat().st_size
        if export.format == "nix":
            with neo.io.NixIO(str(path), mode="ro") as io:
                block = io.read_block()
            assert block.segments, f"{export.path}: no segment"
            per_neuron = netspec.read(path)
            trains = per_neuron.segments[0].spiketrains
            spikes_written = export.variables is None or "spikes" in export.variables
            if (spikes_written and export.target and summary
                    and export.target in summary["populations"]):
                expected = summary["populations"][export.target]["spike_count"]
                assert sum(len(t) for t in trains) == expected
        elif export.format == "pickle":
            block = neo.io.PickleIO(str(path)).read_block()
            assert block.segments
        elif export.format == "sonata":
            libsonata = pytest.importorskip("libsonata")
            files = export_files(export)
            reader = libsonata.SpikeReader(str(path))
            nodes = libsonata.NodeStorage(str(out / files[1]))
            sizes = {n: nodes.open_population(n).size for n in nodes.population_names}
            assert sizes == {p.label: p.size for p in network.populations.values()}
            for name in reader.get_population_names():
                population = reader[name]
                assert population.sorting == "by_time"
                pairs = population.get()
                times = np.asarray([t for _, t in pairs])
                ids = np.asarray([i for i, _ in pairs])
                assert (times[1:] >= times[:-1]).all()
                assert ids.size == 0 or ids.max() < sizes[name]
            if export.edges:
                edges = libsonata.EdgeStorage(str(out / files[3]))
                counts = {n: edges.open_population(n).size for n in edges.population_names}
                assert sum(counts.values()) == sum(
                    p["connections"] for p in manifest_summary(out)["projections"].values())
        elif export.format == "summary":
            assert summary is not None and summary["backend"] == "nest"
    # nothing but the outputs and the manifest is left in the folder
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert names == {f for e in network.exports for f in export_files(e)} | {"manifest.json"}
    _check_analysis(out, summary, tmp_path)


def manifest_summary(out: Path) -> dict[str, Any]:
    """The summary a run wrote (its first summary export)."""
    manifest = json.loads((out / "manifest.json").read_text())
    path = next(p for p, info in manifest["outputs"].items() if info["format"] == "summary")
    summary: dict[str, Any] = json.loads((out / path).read_text())
    return summary


def _check_analysis(out: Path, summary: dict[str, Any] | None, tmp_path: Path) -> None:
    """netspec stats gives the summary's rates from the exports; netspec plot draws a real
    PNG whose rasters hold one mark per recorded spike."""
    pytest.importorskip("elephant")
    pytest.importorskip("matplotlib")
    from netspec.analysis import api
    from netspec.analysis.figure import figure, raster_marks
    from netspec.analysis.runfolder import read_run
    from netspec.analysis.statistics import window

    document = api.stats(out)
    assert "NaN" not in json.dumps(document, allow_nan=False)
    manifest = json.loads((out / "manifest.json").read_text())
    for path, info in manifest["outputs"].items():
        if info["format"] == "stats":  # the export and the command agree
            exported = json.loads((out / path).read_text())
            assert set(exported["populations"]) == set(document["populations"])
            for name, entry in exported["populations"].items():
                assert entry == document["populations"][name]
    if summary is not None:
        rated = summary["populations"]
        assert set(document["populations"]) | set(document["unavailable"]) == set(rated)
        for name, entry in document["populations"].items():
            assert entry["mean_rate_hz"] == rated[name]["mean_rate_hz"], name
            assert entry["spike_count"] == rated[name]["spike_count"], name
    figure_file = api.plot(out, tmp_path / "figure.png")
    assert figure_file.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    run = read_run(out)
    marks = raster_marks(figure(api.rasters(run), run.signals, window(run.t_start, run.t_stop)))
    assert marks == {name: int(data.spike_times.size)  # type: ignore[union-attr]
                     for name, data in api.rasters(run).items()}
