"""`netspec compile`: the emitted script parses, is deterministic, matches its golden file,
and builds the same network as `netspec run` (same spikes)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

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
    if os.environ.get("NETSPEC_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(_normalised(first), encoding="utf-8")
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
