"""The exact fast path on NEST (netspec.backends.nest_exact) builds hand-written PyNN's network:
the same connections, weights and delays, the same state of the shared RNG afterwards and the
same spikes, for every connector, with fixed and random weights and delays, onto populations
and views."""

from __future__ import annotations

import json

import pytest

from tests.conftest import needs_nest, run_python

# One network, built twice in one interpreter: with pyNN.nest.Projection and with
# nest_exact.Projection. Each connector drives a small recurrent network (so spikes depend on
# every connection) from a Poisson input.
SCRIPT = """
import json, numpy as np
import pyNN.nest as sim
import nest
from pyNN.random import NumpyRNG, RandomDistribution
from netspec.backends import nest_exact

def build(Projection, connector, weight, delay, pre_view, post_view, receptor, synapse):
    sim.setup(timestep=0.1, min_delay=0.2, max_delay=3.0, rng_seed=7)
    rng = NumpyRNG(seed=1234, parallel_safe=True)
    cells = sim.Population(120, sim.IF_cond_exp(tau_refrac=2.0), label="cells")
    cells.initialize(v=RandomDistribution("uniform", low=-65.0, high=-50.0, rng=rng))
    drive = sim.Population(30, sim.SpikeSourcePoisson(rate=60.0), label="drive")
    sim.Projection(drive, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.02, delay=0.5))
    pre = cells[10:90] if pre_view else cells
    post = cells[5:115:2] if post_view else cells
    env = {"sim": sim, "rng": rng, "RandomDistribution": RandomDistribution, "np": np}
    conn = eval(connector, env)
    syn = eval(synapse, env) if synapse else sim.StaticSynapse(
        weight=eval(weight, env), delay=eval(delay, env))
    projection = Projection(pre, post, conn, syn, receptor_type=receptor)
    after = rng.next(3).tolist()  # the shared RNG must stand where PyNN leaves it
    cells.record("spikes")
    sim.run(300.0)
    c = nest.GetConnections(synapse_model=projection.nest_synapse_model,
                            synapse_label=projection.nest_synapse_label)
    table = np.array([c.source, c.target, c.weight, c.delay], dtype=float).T
    table = table[np.lexsort(table.T[::-1])].tolist() if len(table) else []
    trains = cells.get_data("spikes").segments[0].spiketrains
    spikes = [np.asarray(t.magnitude).tolist() for t in trains]
    count = len(projection)
    known = getattr(projection, "connection_count", count)
    sim.end()
    return {"connections": table, "after": after, "spikes": spikes, "len": count,
            "known": known}

case = json.loads(CASE)
hand = build(sim.Projection, **case)
fast = build(nest_exact.Projection, **case)
print(json.dumps({"hand": hand, "fast": fast}))
"""

FIXED = ("0.012", "0.5")
RANDOM = ("RandomDistribution('uniform', low=0.005, high=0.02, rng=rng)",
          "RandomDistribution('uniform', low=0.2, high=2.5, rng=rng)")

CASES = {
    "fixed_probability": ("sim.FixedProbabilityConnector(0.1, rng=rng)", *FIXED),
    "fixed_probability_no_self": (
        "sim.FixedProbabilityConnector(0.1, allow_self_connections=False, rng=rng)", *FIXED),
    "fixed_probability_random_weights": ("sim.FixedProbabilityConnector(0.1, rng=rng)",
                                         *RANDOM),
    "all_to_all": ("sim.AllToAllConnector(allow_self_connections=False)", "0.001", "0.5"),
    "all_to_all_random": ("sim.AllToAllConnector()", RANDOM[0].replace("0.02", "0.002"),
                          RANDOM[1]),
    "one_to_one": ("sim.OneToOneConnector()", "0.03", "1.0"),
    "fixed_number_pre": ("sim.FixedNumberPreConnector(8, rng=rng)", *RANDOM),
    "fixed_number_post": (
        "sim.FixedNumberPostConnector(6, allow_self_connections=False, rng=rng)", *FIXED),
    "fixed_total_number": ("sim.FixedTotalNumberConnector(900, rng=rng)", *RANDOM),
    "distance_dependent": (
        "sim.DistanceDependentProbabilityConnector('exp(-d/30)', rng=rng)", *FIXED),
    "from_list": ("sim.FromListConnector([(0, 1, 0.02, 0.3), (3, 1, 0.01, 1.5), "
                  "(5, 7, 0.03, 0.7), (5, 7, 0.01, 0.2)], column_names=['weight', 'delay'])",
                  *FIXED),
    "array": ("sim.ArrayConnector(np.random.RandomState(3).rand(PRE, POST) < 0.1)", *FIXED),
}


def _case(name: str, pre_view: bool, post_view: bool) -> dict[str, object]:
    connector, weight, delay = CASES[name]
    connector = connector.replace("PRE", "80" if pre_view else "120").replace(
        "POST", "55" if post_view else "120")
    receptor = "inhibitory" if name.endswith("random_weights") else "excitatory"
    return {"connector": connector, "weight": weight, "delay": delay, "pre_view": pre_view,
            "post_view": post_view, "receptor": receptor, "synapse": ""}


def _compare(case: dict[str, object]) -> None:
    out = json.loads(run_python(SCRIPT.replace("CASE", repr(json.dumps(case)))))
    hand, fast = out["hand"], out["fast"]
    assert hand["connections"], "the reference network should have connections"
    assert fast["connections"] == hand["connections"]
    assert fast["len"] == hand["len"] == fast["known"]  # counted without asking NEST
    assert fast["after"] == hand["after"]
    assert sum(len(t) for t in hand["spikes"]) > 0, "the reference network should spike"
    assert fast["spikes"] == hand["spikes"]


@needs_nest
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_path_builds_pynns_network(name: str) -> None:
    _compare(_case(name, pre_view=False, post_view=False))


@needs_nest
@pytest.mark.slow
@pytest.mark.parametrize("name", ["fixed_probability", "fixed_probability_no_self",
                                  "fixed_number_pre", "array"])
def test_exact_path_on_views(name: str) -> None:
    _compare(_case(name, pre_view=True, post_view=True))


@needs_nest
@pytest.mark.slow
def test_synapse_types_pynn_connects_itself_stay_exact() -> None:
    case = _case("fixed_probability", pre_view=False, post_view=False)
    case["synapse"] = ("sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=0.0, "
                       "weight=0.01, delay=0.5)")
    _compare(case)
