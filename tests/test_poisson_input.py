"""PoissonInput: an independent Poisson train into every cell, as NEST's poisson_generator
connected straight to the population; the same drive as PyNN's SpikeSourcePoisson population
connected one-to-one (which costs a parrot neuron per cell), in PyNN's weight units."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import netspec
from tests.conftest import needs_nest, netspec_cli

DIRECT = """
netspec: "1"
name: direct
simulation: {timestep: 0.1 ms, duration: 2000 ms, seed: 11}
populations:
  cond: {size: 300, cell_type: IF_cond_exp}
  curr: {size: 300, cell_type: IF_curr_exp}
stimuli:
  bg_cond: {type: PoissonInput, target: cond, rate: 3000 Hz, weight: 0.002, delay: 1 ms}
  in_cond: {type: PoissonInput, target: cond, rate: 500 Hz, weight: 0.004,
            receptor_type: inhibitory}
  bg_curr: {type: PoissonInput, target: curr, rate: 3000 Hz, weight: 0.07 nA, delay: 1 ms}
  in_curr: {type: PoissonInput, target: curr, rate: 500 Hz, weight: -0.1 nA,
            receptor_type: inhibitory}
recordings:
  spikes_cond: {target: cond, variables: [spikes]}
  spikes_curr: {target: curr, variables: [spikes]}
export:
  - {format: summary, path: summary.json}
"""

# the same drive with PyNN's spike sources (a generator and a parrot per cell)
PARROTS = """
netspec: "1"
name: parrots
simulation: {timestep: 0.1 ms, duration: 2000 ms, seed: 11}
populations:
  cond: {size: 300, cell_type: IF_cond_exp}
  curr: {size: 300, cell_type: IF_curr_exp}
  exc_src: {size: 300, cell_type: SpikeSourcePoisson, parameters: {rate: 3000 Hz}}
  inh_src: {size: 300, cell_type: SpikeSourcePoisson, parameters: {rate: 500 Hz}}
projections:
  e_cond: {pre: exc_src, post: cond, connector: {type: OneToOneConnector},
           synapse: {type: StaticSynapse, weight: 0.002, delay: 1 ms}}
  i_cond: {pre: inh_src, post: cond, connector: {type: OneToOneConnector},
           synapse: {type: StaticSynapse, weight: 0.004, delay: 0.1 ms},
           receptor_type: inhibitory}
  e_curr: {pre: exc_src, post: curr, connector: {type: OneToOneConnector},
           synapse: {type: StaticSynapse, weight: 0.07, delay: 1 ms}}
  i_curr: {pre: inh_src, post: curr, connector: {type: OneToOneConnector},
           synapse: {type: StaticSynapse, weight: -0.1, delay: 0.1 ms},
           receptor_type: inhibitory}
recordings:
  spikes_cond: {target: cond, variables: [spikes]}
  spikes_curr: {target: curr, variables: [spikes]}
export:
  - {format: summary, path: summary.json}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_compiles_to_nest_native_poisson_input(tmp_path: Path) -> None:
    script = netspec.compile(_write(tmp_path, "direct", DIRECT))
    assert "from netspec.backends import nest_native" in script
    assert "bg_cond = nest_native.PoissonInput(rate=3000.0, weight=0.002, delay=1.0, " \
           "receptor_type='excitatory')" in script
    assert "bg_cond.inject_into(cond)" in script


def test_spinnaker_refuses_poisson_input(tmp_path: Path) -> None:
    found = netspec.validate(_write(tmp_path, "direct", DIRECT), backend="spinnaker")
    assert any(d.code == "NS601" and "PoissonInput" in d.message for d in found)


def test_estimate_counts_poisson_input(tmp_path: Path) -> None:
    from netspec.estimate import estimate
    result = estimate(netspec.load(_write(tmp_path, "direct", DIRECT)), available_bytes=10**12)
    rows = {p.name: p for p in result.projections}
    assert rows["bg_cond"].synapses == 300 and rows["bg_cond"].connector == "PoissonInput"


@needs_nest
@pytest.mark.slow
def test_same_drive_as_pynns_spike_sources_without_parrots(tmp_path: Path) -> None:
    rates = {}
    for name, text in (("direct", DIRECT), ("parrots", PARROTS)):
        done = netspec_cli("run", str(_write(tmp_path, name, text)), "--out",
                           str(tmp_path / name))
        assert done.returncode == 0, done.stderr
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        rates[name] = {k: v["mean_rate_hz"] for k, v in summary["populations"].items()}
    for population in ("cond", "curr"):
        direct, parrots = rates["direct"][population], rates["parrots"][population]
        assert direct > 1.0, "the drive should make the cells fire"
        assert abs(direct - parrots) <= 0.1 * parrots, (population, direct, parrots)
