"""The pre-flight estimate: synapses per connector, connections per virtual process, memory;
`validate --estimate` prints it; `run` refuses, before importing NEST, what will not fit."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

import netspec
from netspec.estimate import NEST_MAX_CONNECTIONS_PER_VP, estimate, problems
from tests.conftest import SPECS, netspec_cli
from tests.test_no_simulator_import import _loaded_after

VA = SPECS / "vogels_abbott_coba.yaml"

CONNECTORS = """
netspec: "1"
name: estimate-connectors
simulation: {timestep: 0.1 ms, duration: 10 ms, seed: 1}
populations:
  a: {size: 100, cell_type: IF_curr_exp}
  b: {size: 40, cell_type: IF_curr_exp}
  s: {size: 10, cell_type: SpikeSourcePoisson, parameters: {rate: 5 Hz}}
projections:
  p: {pre: a, post: b, connector: {type: FixedProbabilityConnector, p_connect: 0.25},
      synapse: {type: StaticSynapse, weight: 0.1, delay: 1 ms}}
  p_self: {pre: a, post: a, connector: {type: FixedProbabilityConnector, p_connect: 0.5,
           allow_self_connections: false}, synapse: {type: StaticSynapse, weight: 0.1}}
  all: {pre: a, post: b, connector: {type: AllToAllConnector},
        synapse: {type: TsodyksMarkramSynapse, weight: 0.1}}
  one: {pre: b, post: b, connector: {type: OneToOneConnector},
        synapse: {type: StaticSynapse, weight: 0.1}}
  fpre: {pre: a, post: b, connector: {type: FixedNumberPreConnector, n: 7},
         synapse: {type: StaticSynapse, weight: 0.1}}
  fpost: {pre: s, post: a, connector: {type: FixedNumberPostConnector, n: 3},
          synapse: {type: StaticSynapse, weight: 0.1}}
  total: {pre: a, post: b, connector: {type: FixedTotalNumberConnector, n: 333},
          synapse: {type: StaticSynapse, weight: 0.1}}
  listed: {pre: a, post: b, connector: {type: FromListConnector,
           conn_list: [[0, 0], [1, 2], [3, 4]]}, synapse: {type: StaticSynapse, weight: 0.1}}
  clone: {pre: a, post: b, connector: {type: CloneConnector, reference_projection: total},
          synapse: {type: StaticSynapse, weight: 0.1}}
  dist: {pre: a, post: b, connector: {type: DistanceDependentProbabilityConnector,
         d_expression: "exp(-d)"}, synapse: {type: StaticSynapse, weight: 0.1}}
"""


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_expected_synapses_per_connector(tmp_path: Path) -> None:
    network = netspec.load(_spec(tmp_path, CONNECTORS))
    result = estimate(network, threads=4, available_bytes=10**12)
    got = {p.name: (p.synapses, p.kind) for p in result.projections}
    distance, kind = got.pop("dist")  # evaluated over the positions (netspec.expected)
    assert kind == "expected" and 0 < distance < 4000
    assert got == {
        "p": (0.25 * 100 * 40, "expected"),
        "p_self": (0.5 * 100 * 99, "expected"),
        "all": (4000.0, "exact"),
        "one": (40.0, "exact"),
        "fpre": (7 * 40.0, "exact"),
        "fpost": (3 * 10.0, "exact"),
        "total": (333.0, "exact"),
        "listed": (3.0, "exact"),
        "clone": (333.0, "exact"),
    }
    assert result.cells == 100 + 40 + 2 * 10  # a spike source is a generator and a parrot
    assert result.virtual_processes == 4
    # NEST keeps a connection on the virtual process of its target: 40 cells over 4 VPs
    assert math.isclose({p.name: p.per_vp for p in result.projections}["p"], 1000 / 4)
    by_model = result.per_vp_by_model()
    assert set(by_model) == {"StaticSynapse", "TsodyksMarkramSynapse"}


def test_native_projections_share_model_copies_by_fixed_parameters(tmp_path: Path) -> None:
    network = netspec.load(_spec(tmp_path, CONNECTORS))
    result = estimate(network, native=frozenset({"FixedProbabilityConnector"}),
                      available_bytes=10**12)
    models = {p.name: p.model for p in result.projections}
    # p (a -> b, 1 ms) and p_self (a -> a, the default delay) differ in a fixed parameter
    assert models["p"] == "StaticSynapse copy 0" and models["p_self"] == "StaticSynapse copy 1"
    assert models["fpre"] == "StaticSynapse"  # PyNN's labelled model, shared by type
    labelled = estimate(network, available_bytes=10**12)
    assert result.memory_bytes < labelled.memory_bytes  # no synapse label per connection


def test_too_many_connections_per_virtual_process_names_the_threads_needed() -> None:
    network = netspec.load(VA, overrides={"n": 150_000})
    result = estimate(network, threads=1, available_bytes=10**13)
    assert result.synapses == pytest.approx(0.01 * 150_000 * 150_000 + 0.01 * 20 * 150_000)
    found = problems(network, result)
    assert [d.code for d in found] == ["NS607"]
    message = found[0].message
    assert "134,217,726" in message and "use --threads 2 or more" in message
    assert found[0].line > 0 and found[0].path == ("simulation",)
    fixed = estimate(network, threads=2, available_bytes=10**13)
    assert max(fixed.per_vp_by_model().values()) <= NEST_MAX_CONNECTIONS_PER_VP
    assert problems(network, fixed) == []


def test_more_memory_than_the_machine_has_is_refused() -> None:
    network = netspec.load(VA, overrides={"n": 10_000})
    result = estimate(network, available_bytes=100 * 2**20)
    found = problems(network, result)
    assert [d.code for d in found] == ["NS608"]
    assert "100 MiB available" in found[0].message
    assert problems(network, estimate(network, available_bytes=10**12)) == []


def test_estimate_is_calibrated_on_the_seed_network() -> None:
    """Memory within the measured range (docs/scale.md): n=10,000 peaks at 0.5–0.7 GiB."""
    network = netspec.load(VA, overrides={"n": 10_000})
    result = estimate(network, available_bytes=10**12)
    assert result.synapses == pytest.approx(1_002_000)
    assert 0.3 * 2**30 < result.memory_bytes < 0.9 * 2**30


def test_validate_estimate_prints_a_table_and_imports_no_simulator() -> None:
    done = netspec_cli("validate", "--estimate", str(VA), "--set", "n=10000")
    assert done.returncode == 0, done.stderr
    assert "exc_to_all" in done.stdout and "800,000" in done.stdout
    assert "virtual processes: 1" in done.stdout and "memory on NEST" in done.stdout
    code = ("from netspec.backends import profile\nimport netspec\n"
            f"profile('nest', {{'threads': 3}}).estimate(netspec.load({str(VA)!r}))\n")
    assert _loaded_after(code) == []


def test_validate_estimate_json_and_refusal() -> None:
    done = netspec_cli("validate", "--estimate", "--format", "json", str(VA),
                       "--set", "n=150000")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    entry = data["files"][0]
    assert entry["estimate"]["virtual_processes"] == 1
    assert [d["code"] for d in entry["diagnostics"]] == ["NS607"] or \
        {d["code"] for d in entry["diagnostics"]} == {"NS607", "NS608"}
    done = netspec_cli("validate", "--estimate", str(VA), "--set", "n=150000",
                       "--threads", "2")
    assert "NS607" not in done.stdout


def test_run_refuses_before_importing_nest(tmp_path: Path) -> None:
    done = netspec_cli("run", str(VA), "--set", "n=150000", "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "error[NS607]" in done.stderr and "--threads 2 or more" in done.stderr
    assert not (tmp_path / "o").exists()


def test_no_size_cap_in_validation(tmp_path: Path) -> None:
    assert netspec.load(VA, overrides={"n": 50_000_000}).populations["cells"].size == 50_000_000


def test_when_one_cell_receives_too_many_connections_no_thread_count_is_named(
        tmp_path: Path) -> None:
    """NEST keeps the connections onto a cell on that cell's virtual process: beyond its
    limit for one cell, no number of threads helps, and the estimate says so at once."""
    spec = _spec(tmp_path, """
        netspec: "1"
        name: funnel
        simulation: {timestep: 0.1 ms, duration: 10 ms}
        populations:
          many: {size: 1000000000000, cell_type: SpikeSourcePoisson}
          one: {size: 2, cell_type: IF_curr_exp}
        projections:
          in: {pre: many, post: one, connector: {type: AllToAllConnector},
               synapse: {type: StaticSynapse, weight: 0.1}}
        """)
    network = netspec.load(spec)
    found = problems(network, estimate(network, threads=4, available_bytes=10**30))
    assert [d.code for d in found] == ["NS607"]
    assert "no number of threads helps" in found[0].message
    assert "--threads" not in found[0].message
