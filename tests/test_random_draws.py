"""docs/randomness.md stays true: every statement it marks ✔ is measured here against the
installed PyNN (which of PyNN's calls consume numbers of the shared host RNG, and which
read them from a copy), and netspec's plan makes the calls in the order it documents."""

from __future__ import annotations

import json

import netspec
from netspec.backends import profile
from netspec.plan import build_plan
from tests.conftest import ROOT, needs_nest, run_python

MEASURE = r"""
import copy, json
import numpy as np
import pyNN.nest as sim
from pyNN.random import NumpyRNG, RandomDistribution as RD

def uniform(rng, n):
    return rng.next(n, 'uniform', {'low': 0.0, 'high': 1.0})

fresh = np.round(uniform(NumpyRNG(seed=5, parallel_safe=True), 400), 9).tolist()

def peek(rng):
    return round(float(uniform(copy.deepcopy(rng), 1)[0]), 9)

def position(rng):
    return fresh.index(peek(rng))

out = {}
sim.setup(timestep=0.1)
rng = NumpyRNG(seed=5, parallel_safe=True)
a = sim.Population(4, sim.IF_cond_exp(tau_m=RD('uniform', low=10.0, high=20.0, rng=rng),
                                      cm=RD('uniform', low=0.5, high=1.0, rng=rng)))
out['cell parameter'] = position(rng)
tau_m = np.asarray(a.get('tau_m'))
cm = np.asarray(a.get('cm'))
out['same quantiles'] = bool(np.allclose((tau_m - 10) / 10, (cm - 0.5) / 0.5))
out['from the current position'] = bool(np.allclose((tau_m - 10) / 10, fresh[:4]))
b = sim.Population(3, sim.IF_cond_exp(tau_m=RD('uniform', low=10.0, high=20.0, rng=rng)))
out['second population same numbers'] = bool(np.allclose(
    (np.asarray(b.get('tau_m')) - 10) / 10, fresh[:3]))
a.initialize(v=RD('uniform', low=-70.0, high=-60.0, rng=rng),
             gsyn_exc=RD('uniform', low=0.0, high=0.01, rng=rng))
out['initialize'] = position(rng)
before = position(rng)
prj = sim.Projection(a, b, sim.AllToAllConnector(),
                     sim.StaticSynapse(weight=RD('uniform', low=0.0, high=1.0, rng=rng),
                                       delay=RD('uniform', low=0.1, high=1.0, rng=rng)))
out['random weights and delays'] = position(rng) - before
weights = prj.get('weight', format='array')  # [pre, post]
out['weights post by post'] = bool(np.allclose(weights.T.ravel(), fresh[before:before + 12]))
for name, connector in [
        ('FixedProbabilityConnector', sim.FixedProbabilityConnector(0.5, rng=rng)),
        ('DistanceDependentProbabilityConnector',
         sim.DistanceDependentProbabilityConnector('d < 10', rng=rng)),
        ('FixedNumberPreConnector', sim.FixedNumberPreConnector(2, rng=rng)),
        ('FixedNumberPostConnector', sim.FixedNumberPostConnector(2, rng=rng)),
        ('FixedTotalNumberConnector', sim.FixedTotalNumberConnector(5, rng=rng))]:
    before = peek(rng)
    sim.Projection(a, b, connector, sim.StaticSynapse(weight=0.01))
    out[name] = peek(rng) != before  # consumed numbers
print(json.dumps(out))
sim.end()
"""


@needs_nest
def test_which_pynn_calls_consume_host_numbers() -> None:
    found = json.loads(run_python(MEASURE).strip().splitlines()[-1])
    assert found["cell parameter"] == 0  # read from a copy
    assert found["same quantiles"] and found["from the current position"]
    assert found["second population same numbers"]
    assert found["initialize"] == 8  # 4 cells, 2 variables: consumed
    assert found["random weights and delays"] == 0
    assert found["weights post by post"]
    assert found["FixedProbabilityConnector"] is False
    assert found["DistanceDependentProbabilityConnector"] is False
    for consuming in ("FixedNumberPreConnector", "FixedNumberPostConnector",
                      "FixedTotalNumberConnector"):
        assert found[consuming] is True, consuming


def test_the_plan_makes_the_calls_in_the_documented_order() -> None:
    network = netspec.load(ROOT / "specs" / "cuba_dc_views.yaml")
    plan = build_plan(network, profile("nest"))
    kinds = [step.origin.path[0] for step in plan.build if step.origin is not None]
    order = list(dict.fromkeys(kinds))
    assert order == [k for k in ("populations", "views", "projections", "stimuli",
                                 "recordings") if k in order]
    populations = [step.origin.path[1] for step in plan.build
                   if step.origin is not None and step.origin.path[0] == "populations"]
    assert list(dict.fromkeys(populations)) == list(network.populations)
    setup = [step.target for step in plan.setup]
    assert "rng" in setup  # one host RNG, made before anything is built
    doc = (ROOT / "docs" / "randomness.md").read_text(encoding="utf-8")
    assert "tests/test_random_draws.py" in doc
