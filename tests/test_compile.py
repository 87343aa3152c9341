"""`netspec compile`: the emitted script parses, is deterministic, matches its golden file,
and builds the same network as `netspec run` (same spikes)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import netspec
from tests.conftest import ROOT, SPECS, needs_nest, netspec_cli

GOLDEN = Path(__file__).parent / "golden"
SPEC_FILES = sorted(SPECS.glob("*.yaml"))


def _normalised(script: str) -> str:
    return script.replace(str(ROOT), "<repo>")


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_emitted_script_parses_is_stable_and_matches_golden(spec: Path) -> None:
    first = netspec.compile(spec)
    second = netspec.compile(spec)
    assert first == second, "compiling twice must give the same bytes"
    ast.parse(first)
    golden = GOLDEN / f"{spec.stem}.py"
    if os.environ.get("NETSPEC_UPDATE_GOLDEN"):
        golden.write_text(_normalised(first), encoding="utf-8")
    assert golden.is_file(), (
        f"no golden file {golden.name} for {spec.name}: write it with NETSPEC_UPDATE_GOLDEN=1 "
        f"pytest {__file__}, read it, and commit it")
    assert _normalised(first) == golden.read_text(encoding="utf-8"), (
        f"emitted script changed; if intended, regenerate with NETSPEC_UPDATE_GOLDEN=1 "
        f"pytest {__file__}")


def test_compile_cli_writes_file(tmp_path: Path) -> None:
    target = tmp_path / "va.py"
    done = netspec_cli("compile", str(SPECS / "vogels_abbott_coba.yaml"), "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8") == netspec.compile(
        SPECS / "vogels_abbott_coba.yaml")


@needs_nest
def test_compiled_script_gives_the_same_spikes_as_run(tmp_path: Path) -> None:
    neo = pytest.importorskip("neo")
    spec = SPECS / "vogels_abbott_coba.yaml"
    script = tmp_path / "va.py"
    done = netspec_cli("compile", str(spec), "--set", "n=300", "-o", str(script))
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "PYNEST_QUIET": "1"}
    ran = subprocess.run([sys.executable, str(script), str(tmp_path / "script_out")],
                         capture_output=True, text=True, env=env, check=False, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    done = netspec_cli("run", str(spec), "--set", "n=300", "--out", str(tmp_path / "run_out"))
    assert done.returncode == 0, done.stderr
    for name in ("exc", "inh"):
        by_script = neo.io.PickleIO(str(tmp_path / "script_out" / f"{name}.pkl")).read_block()
        by_run = neo.io.PickleIO(str(tmp_path / "run_out" / f"{name}.pkl")).read_block()
        a = by_script.segments[0].spiketrains
        b = by_run.segments[0].spiketrains
        assert len(a) == len(b)
        assert sum(len(t) for t in a) > 0
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(np.asarray(x.rescale("ms")), np.asarray(y.rescale("ms")))


def test_a_missing_golden_file_fails(tmp_path: Path) -> None:
    """A spec without its golden file is a failure, not a golden file written on the fly."""
    spec = tmp_path / "specs" / "unseen.yaml"
    spec.parent.mkdir()
    spec.write_text((SPECS / "cuba_dc_views.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NETSPEC_UPDATE_GOLDEN"}
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; "
            "import tests.test_compile as t; "
            f"t.test_emitted_script_parses_is_stable_and_matches_golden(Path({str(spec)!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode != 0
    assert "no golden file unseen.py" in done.stderr
    assert not (GOLDEN / "unseen.py").exists()


ASSEMBLY_OUT_OF_ORDER = """\
netspec: "1"
name: assembly-order
simulation: {timestep: 0.1 ms, duration: 300 ms, seed: 11}
populations:
  alpha: {size: 12, cell_type: IF_curr_alpha,
          parameters: {i_offset: {distribution: uniform, low: 0.8, high: 1.4}}}
  izh: {size: 5, cell_type: Izhikevich, parameters: {i_offset: 0.02 nA}}
views:
  alpha_even: {population: alpha, slice: [0, 12, 2]}
  both: {assembly: [izh, alpha_even]}
recordings:
  spikes: {target: both, variables: [spikes]}
export:
  - {format: pickle, target: both, path: both.pkl}
  - {format: nix, target: both, path: both.h5}
  - {format: summary, path: summary.json}
"""


@needs_nest
def test_assembly_exports_keep_pynn_member_order(tmp_path: Path) -> None:
    """An Assembly listed out of creation order: run and the compiled script (PyNN's own
    write_data) give the same trains in the same order, and the same summary counts."""
    neo = pytest.importorskip("neo")
    spec = tmp_path / "assembly.yaml"
    spec.write_text(ASSEMBLY_OUT_OF_ORDER, encoding="utf-8")
    done = netspec_cli("run", str(spec), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    script = tmp_path / "script.py"
    script.write_text(netspec.compile(spec), encoding="utf-8")
    env = {**os.environ, "PYNEST_QUIET": "1"}
    ran = subprocess.run([sys.executable, str(script), str(tmp_path / "script")],
                         capture_output=True, text=True, env=env, check=False, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]

    def trains(block: Any) -> list[tuple[str, int, list[float]]]:
        return [(str(t.annotations["source_population"]), int(t.annotations["source_index"]),
                 np.asarray(t.rescale("ms").magnitude).tolist())
                for t in block.segments[0].spiketrains]

    by_script = trains(neo.io.PickleIO(str(tmp_path / "script" / "both.pkl")).read_block())
    assert [p for p, _, _ in by_script] == ["izh"] * 5 + ["alpha"] * 6  # PyNN: member order
    assert sum(len(t) for _, _, t in by_script) > 0
    assert trains(netspec.read(tmp_path / "run" / "both.pkl")) == by_script
    assert trains(netspec.read(tmp_path / "run" / "both.h5")) == by_script
    with neo.io.NixIO(str(tmp_path / "script" / "both.h5"), mode="ro") as io:
        assert trains(io.read_block()) == by_script
    run_summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    script_summary = json.loads((tmp_path / "script" / "summary.json").read_text())
    for name in ("alpha", "izh", "alpha_even", "both"):
        assert script_summary["populations"][name]["spike_count"] == \
            run_summary["populations"][name]["spike_count"], name


def test_imports_come_from_the_plan_not_from_the_text(tmp_path: Path) -> None:
    """Labels that look like code (``space.``, ``NumpyRNG(``) add no imports."""
    spec = tmp_path / "labels.yaml"
    spec.write_text("""\
netspec: "1"
name: labels
simulation: {timestep: 0.1 ms, duration: 10 ms, seed: 1}
populations:
  cells: {size: 2, cell_type: IF_cond_exp,
          label: "space.Grid2D NumpyRNG( RandomDistribution( Sequence( json. h5py. NixIO("}
recordings:
  spikes: {target: cells, variables: [spikes]}
export:
  - {format: pickle, target: cells, path: cells.pkl}
""", encoding="utf-8")
    script = netspec.compile(spec)
    head = script.split('"""', 2)[2].split("\n\n\n", 1)[0]
    imports = [line for line in head.splitlines() if line.startswith(("import ", "from "))]
    # numpy only when the plan uses it (an array, a data file, the stats or plot code)
    assert imports == ["import sys", "from pathlib import Path", "import pyNN.nest as sim",
                       "from pyNN.random import NumpyRNG"]  # the plan's host RNG
    ast.parse(script)


@needs_nest
def test_compiled_script_computes_the_same_statistics_with_elephant(tmp_path: Path) -> None:
    """The emitted script computes each statistic with Elephant, one spike train at a
    time; netspec's vectorised ``stats`` export must give the same numbers."""
    pytest.importorskip("elephant")
    spec = SPECS / "cuba_dc_views.yaml"
    script = tmp_path / "cuba.py"
    assert netspec_cli("compile", str(spec), "-o", str(script)).returncode == 0
    env = {**os.environ, "PYNEST_QUIET": "1", "MPLBACKEND": "Agg"}
    ran = subprocess.run([sys.executable, str(script), str(tmp_path / "script_out")],
                         capture_output=True, text=True, env=env, check=False, timeout=600)
    assert ran.returncode == 0, ran.stderr[-3000:]
    done = netspec_cli("run", str(spec), "--out", str(tmp_path / "run_out"))
    assert done.returncode == 0, done.stderr
    by_script = json.loads((tmp_path / "script_out" / "stats.json").read_text())
    by_run = json.loads((tmp_path / "run_out" / "stats.json").read_text())
    assert list(by_script["populations"]) == list(by_run["populations"])
    for name, entry in by_script["populations"].items():
        other = by_run["populations"][name]
        assert entry.keys() == other.keys()
        for key, value in entry.items():
            if isinstance(value, float):
                assert value == pytest.approx(other[key], rel=1e-12), (name, key)
            else:
                assert value == other[key], (name, key)
    assert (tmp_path / "script_out" / "figure.svg").read_bytes().lstrip().startswith(b"<?xml")
