"""The cortical microcircuit spec of the scale benchmark (benchmarks/microcircuit.yaml) stays
what benchmarks/microcircuit.py generates, validates, is estimated at full scale as NEST's
example builds it (298,880,968 synapses) and runs at a small scale."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import netspec
from netspec.estimate import estimate, problems
from tests.conftest import ROOT, needs_nest, netspec_cli

SPEC = ROOT / "benchmarks" / "microcircuit.yaml"


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("microcircuit", ROOT / "benchmarks" /
                                                  "microcircuit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_is_generated() -> None:
    assert SPEC.read_text(encoding="utf-8") == _generator().spec_text(), (  # type: ignore[attr-defined]
        "regenerate: python benchmarks/microcircuit.py --write-spec benchmarks/microcircuit.yaml")


def test_full_scale_estimate_matches_nest_example() -> None:
    network = netspec.load(SPEC, overrides={"N_scaling": 1, "K_scaling": 1})
    result = estimate(network, threads=4, native=frozenset({"FixedTotalNumberConnector"}),
                      available_bytes=10**12)
    recurrent = sum(p.synapses for p in result.projections if p.connector != "PoissonInput")
    assert recurrent == 298_880_968
    assert sum(p.size for p in network.populations.values()) == 77_169
    assert problems(network, result) == []
    # one synapse model per native projection: even one thread stays under NEST's limit
    assert problems(network, estimate(network, threads=1, native=frozenset(
        {"FixedTotalNumberConnector"}), available_bytes=10**12)) == []


@needs_nest
@pytest.mark.slow
def test_runs_at_a_small_scale(tmp_path: Path) -> None:
    done = netspec_cli("run", str(SPEC), "--set", "N_scaling=0.02", "--set", "K_scaling=0.05",
                       "--set", "t_sim=200 ms", "--out", str(tmp_path / "o"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["populations"]["l4e"]["spike_count"] > 0
