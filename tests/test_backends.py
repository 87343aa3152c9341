"""Backend profiles: registry, NEST capability data checked against the installed pyNN.nest."""

from __future__ import annotations

import pytest

from netspec import pynn_catalogue
from netspec.backends import names, profile
from netspec.backends.nest import UNAVAILABLE
from netspec.errors import UsageError
from tests.conftest import needs_nest, run_python


def test_unknown_backend_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError, match="did you mean 'nest'"):
        profile("nets")
    assert names() == ("nest", "spinnaker")


@needs_nest
def test_nest_unavailable_table_matches_installed_pynn_nest() -> None:
    code = """
import json, warnings
warnings.simplefilter('ignore')
import pyNN.nest as sim
from netspec import pynn_catalogue as c
print(json.dumps({
    'synapse': sorted(n for n in c.synapse_types() if not hasattr(sim, n)),
    'timing_dependence': sorted(n for n in c.timing_dependences() if not hasattr(sim, n)),
    'others': sorted(n for n in (*c.cell_types(), *c.weight_dependences(), *c.connectors(),
                                 *c.current_sources()) if not hasattr(sim, n)),
}))
"""
    import json
    found = json.loads(run_python(code))
    assert found["synapse"] == sorted(UNAVAILABLE["synapse"])
    assert found["timing_dependence"] == sorted(UNAVAILABLE["timing_dependence"])
    assert found["others"] == []
    assert all(n in pynn_catalogue.synapse_types() for n in UNAVAILABLE["synapse"])


def test_rng_connectors_are_those_whose_constructor_takes_rng() -> None:
    pytest.importorskip("pyNN")
    import inspect

    from pyNN import connectors

    from netspec.plan import RNG_CONNECTORS
    takes_rng = {name for name in pynn_catalogue.connectors()
                 if "rng" in inspect.signature(getattr(connectors, name)).parameters}
    assert takes_rng == set(RNG_CONNECTORS)


def test_nest_refuses_partly_axonal_stdp_delays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import netspec
    from netspec.pipeline import check
    spec = tmp_path / "ddf.yaml"
    spec.write_text("""\
netspec: "1"
name: ddf
simulation: {timestep: 0.1 ms, duration: 10 ms}
populations:
  a: {size: 2, cell_type: SpikeSourcePoisson}
  b: {size: 2, cell_type: IF_cond_exp}
projections:
  p:
    pre: a
    post: b
    connector: {type: AllToAllConnector}
    synapse:
      type: STDPMechanism
      timing_dependence: {type: SpikePairRule}
      weight_dependence: {type: AdditiveWeightDependence}
      dendritic_delay_fraction: 0.5
""", encoding="utf-8")
    assert check(spec).ok  # valid PyNN: a restriction of the backend
    found = netspec.validate(spec)  # the default backend: NEST
    assert [(d.code, d.line, d.column) for d in found] == [("NS604", 16, 33)]
