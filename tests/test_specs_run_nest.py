"""Every spec in specs/ runs on NEST, and its outputs read back with their standard readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import netspec
from tests.conftest import SPECS, needs_nest, netspec_cli

SPEC_FILES = sorted(SPECS.glob("*.yaml"))


@needs_nest
@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_spec_runs_on_nest_and_outputs_read_back(spec: Path, tmp_path: Path) -> None:
    neo = pytest.importorskip("neo")
    h5py = pytest.importorskip("h5py")
    out = tmp_path / "out"
    done = netspec_cli("run", str(spec), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    network = netspec.load(spec)
    summary = json.loads((out / "summary.json").read_text()) if any(
        e.format == "summary" for e in network.exports) else None
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["sha256"] == network.spec_sha256
    for export in network.exports:
        path = out / export.path
        assert path.is_file(), f"{export.path} missing"
        assert manifest["outputs"][export.path]["bytes"] == path.stat().st_size
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
            with h5py.File(path, "r") as h5:
                assert "spikes" in h5
                for group in h5["spikes"].values():
                    assert group.attrs["sorting"] in ("by_time", b"by_time")
                    times = group["timestamps"][()]
                    assert len(times) == len(group["node_ids"][()])
                    assert (times[1:] >= times[:-1]).all()
        elif export.format == "summary":
            assert summary is not None and summary["backend"] == "nest"
    # nothing but the outputs and the manifest is left in the folder
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert names == {e.path for e in network.exports} | {"manifest.json"}
