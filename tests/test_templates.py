"""Templates (``for_each``, ``name``, ``when``): what they unroll to, in which order, how
their errors read, and that a templated spec and its unrolled form are the same network
(the same script, the same spikes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netspec
from netspec.errors import NetspecError
from netspec.pipeline import check
from tests.conftest import needs_nest, netspec_cli, run_python

HEAD = """\
netspec: "1"
name: ei
parameters:
  pops: [e, i]
  size: {e: 80, i: 20}
  p: {e: {e: 0.1, i: 0.1}, i: {e: 0.2, i: 0.0}}     # p[post][pre]
  w: {e: 0.5 nA, i: -2.0 nA}                         # by pre
simulation: {timestep: 0.1 ms, duration: 300 ms, seed: 4242}
"""

#: The example of the design section, made into a whole spec with a template in every
#: section that may hold one.
TEMPLATED = HEAD + """\
populations:
  layer:
    for_each: {pop: "${pops}"}
    name: "${pop}"
    size: "${size[pop]}"
    cell_type: IF_curr_exp
    initial_values: {v: {distribution: uniform, low: -70, high: -50}}
  noise: {size: 20, cell_type: SpikeSourcePoisson, parameters: {rate: 80 Hz}}
views:
  first:
    for_each: {pop: "${pops}"}
    name: "first_${pop}"
    population: "${pop}"
    slice: [0, 10]
projections:
  recurrent:
    for_each: {pre: "${pops}", post: "${pops}"}
    name: "${pre}_to_${post}"
    when: "${p[post][pre] > 0}"
    pre: "${pre}"
    post: "${post}"
    connector: {type: FixedProbabilityConnector, p_connect: "${p[post][pre]}"}
    synapse: {type: StaticSynapse, weight: "${w[pre]}",
              delay: {distribution: uniform, low: 1.0, high: 2.0}}
    receptor_type: "${'excitatory' if w[pre] > 0 nA else 'inhibitory'}"
  drive:
    for_each: [{post: e, k: 8}, {post: i, k: 4}]
    pre: noise
    post: "${post}"
    connector: {type: FixedNumberPreConnector, n: "${k}"}
    synapse: {type: StaticSynapse, weight: 1.5, delay: 1 ms}
stimuli:
  kick:
    for_each: {pop: "${pops}"}
    name: "kick_${pop}"
    type: DCSource
    amplitude: "${0.3 nA if pop == 'e' else 0.2 nA}"
    start: 50 ms
    stop: 150 ms
    target: "first_${pop}"
recordings:
  spikes:
    for_each: {pop: "${pops}"}
    name: "spikes_${pop}"
    target: "${pop}"
    variables: [spikes]
export:
  - for_each: {pop: "${pops}"}
    format: nix
    path: "${pop}.h5"
    target: "${pop}"
  - {format: summary, path: summary.json}
"""

#: The same network written out by hand.
UNROLLED = HEAD + """\
populations:
  e: {size: 80, cell_type: IF_curr_exp,
      initial_values: {v: {distribution: uniform, low: -70, high: -50}}}
  i: {size: 20, cell_type: IF_curr_exp,
      initial_values: {v: {distribution: uniform, low: -70, high: -50}}}
  noise: {size: 20, cell_type: SpikeSourcePoisson, parameters: {rate: 80 Hz}}
views:
  first_e: {population: e, slice: [0, 10]}
  first_i: {population: i, slice: [0, 10]}
projections:
  e_to_e: {pre: e, post: e, connector: {type: FixedProbabilityConnector, p_connect: 0.1},
           synapse: {type: StaticSynapse, weight: 0.5 nA,
                     delay: {distribution: uniform, low: 1.0, high: 2.0}},
           receptor_type: excitatory}
  e_to_i: {pre: e, post: i, connector: {type: FixedProbabilityConnector, p_connect: 0.2},
           synapse: {type: StaticSynapse, weight: 0.5 nA,
                     delay: {distribution: uniform, low: 1.0, high: 2.0}},
           receptor_type: excitatory}
  i_to_e: {pre: i, post: e, connector: {type: FixedProbabilityConnector, p_connect: 0.1},
           synapse: {type: StaticSynapse, weight: -2.0 nA,
                     delay: {distribution: uniform, low: 1.0, high: 2.0}},
           receptor_type: inhibitory}
  drive_0: {pre: noise, post: e, connector: {type: FixedNumberPreConnector, n: 8},
            synapse: {type: StaticSynapse, weight: 1.5, delay: 1 ms}}
  drive_1: {pre: noise, post: i, connector: {type: FixedNumberPreConnector, n: 4},
            synapse: {type: StaticSynapse, weight: 1.5, delay: 1 ms}}
stimuli:
  kick_e: {type: DCSource, amplitude: 0.3 nA, start: 50 ms, stop: 150 ms, target: first_e}
  kick_i: {type: DCSource, amplitude: 0.2 nA, start: 50 ms, stop: 150 ms, target: first_i}
recordings:
  spikes_e: {target: e, variables: [spikes]}
  spikes_i: {target: i, variables: [spikes]}
export:
  - {format: nix, path: e.h5, target: e}
  - {format: nix, path: i.h5, target: i}
  - {format: summary, path: summary.json}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_unroll_in_loop_order_where_they_stand(tmp_path: Path) -> None:
    checked = check(write(tmp_path, "t.yaml", TEMPLATED))
    assert checked.ok, [d.render() for d in checked.diagnostics]
    network = checked.network
    assert network is not None
    assert list(network.populations) == ["e", "i", "noise"]
    assert list(network.views) == ["first_e", "first_i"]
    # pre outermost; 'when' drops i_to_i (p = 0)
    assert list(network.projections) == ["e_to_e", "e_to_i", "i_to_e", "drive_0", "drive_1"]
    assert list(network.stimuli) == ["kick_e", "kick_i"]
    assert list(network.recordings) == ["spikes_e", "spikes_i"]
    assert [e.path for e in network.exports] == ["e.h5", "i.h5", "summary.json"]
    e_to_i = network.projections["e_to_i"]
    assert (e_to_i.pre, e_to_i.post, e_to_i.receptor_type) == ("e", "i", "excitatory")
    assert e_to_i.connector.parameters["p_connect"] == 0.2
    assert network.projections["i_to_e"].synapse.parameters["weight"] == -2.0
    assert network.projections["drive_1"].connector.parameters["n"] == 4
    assert network.stimuli["kick_i"].parameters["amplitude"] == pytest.approx(0.2)
    # each generated entry records where it came from
    origin = e_to_i.template
    assert origin is not None
    assert origin.path == ("projections", "recurrent")
    assert origin.bindings == (("pre", "e"), ("post", "i"))
    assert origin.index == 1
    assert str(origin) == "projections.recurrent[pre=e, post=i]"
    assert e_to_i.origin.where == "projections.recurrent[pre=e, post=i]"
    assert network.populations["noise"].template is None
    assert network.exports[1].template is not None and network.exports[2].template is None


def test_a_templated_spec_is_its_unrolled_form(tmp_path: Path) -> None:
    templated = check(write(tmp_path, "t.yaml", TEMPLATED)).network
    unrolled = check(write(tmp_path, "u.yaml", UNROLLED)).network
    assert templated is not None and unrolled is not None

    def shape(network: Any) -> Any:
        strip = ("origin", "template")
        return {
            section: {name: {k: getattr(item, k) for k in item.__dataclass_fields__
                             if k not in strip}
                      for name, item in getattr(network, section).items()}
            for section in ("populations", "views", "projections", "stimuli", "recordings")
        }

    assert shape(templated) == shape(unrolled)


def test_compile_gives_the_unrolled_script(tmp_path: Path) -> None:
    def code(text: str) -> list[str]:
        script = netspec.compile(write(tmp_path, "spec.yaml", text))
        return [line for line in script.splitlines()
                if not line.lstrip().startswith("#") and "sha256" not in line]

    templated, unrolled = code(TEMPLATED), code(UNROLLED)
    assert templated == unrolled
    script = netspec.compile(write(tmp_path, "spec.yaml", TEMPLATED))
    # readable: each generated call says which combination it is
    assert "# projections.recurrent[pre=e, post=i] (spec.yaml:" in script
    assert "# populations.layer[pop=i] (spec.yaml:" in script


def test_the_manifest_records_the_unrolled_network(tmp_path: Path) -> None:
    from netspec.model import as_data
    network = check(write(tmp_path, "t.yaml", TEMPLATED)).network
    data = as_data(network)
    assert list(data["projections"]) == ["e_to_e", "e_to_i", "i_to_e", "drive_0", "drive_1"]
    assert data["projections"]["i_to_e"]["template"] == {
        "template": "projections.recurrent", "for_each": {"pre": "i", "post": "e"},
        "index": 2}
    assert "template" not in data["populations"]["noise"]
    json.dumps(data)  # plain data


def test_list_of_mappings_default_names_and_for_each_from_a_parameter(tmp_path: Path) -> None:
    text = HEAD.replace("parameters:\n", "parameters:\n  combos: [{pre: e, post: i}, "
                                        "{pre: i, post: e}]\n") + """\
populations:
  e: {size: 4, cell_type: IF_curr_exp}
  i: {size: 4, cell_type: IF_curr_exp}
projections:
  pair:
    for_each: "${combos}"
    pre: "${pre}"
    post: "${post}"
    connector: {type: AllToAllConnector}
    synapse: {type: StaticSynapse, weight: 0.1, delay: 1 ms}
"""
    checked = check(write(tmp_path, "l.yaml", text))
    assert checked.ok, [d.render() for d in checked.diagnostics]
    assert checked.network is not None
    assert [(p.name, p.pre, p.post) for p in checked.network.projections.values()] == [
        ("pair_0", "e", "i"), ("pair_1", "i", "e")]


def test_loop_values_may_be_numbers_and_quantities(tmp_path: Path) -> None:
    text = HEAD + """\
populations:
  cells:
    for_each: {n: [2, 3], tau: [10 ms, 20 ms]}
    name: "c${n}_${round(tau / 1 ms)}"
    size: "${n}"
    cell_type: IF_curr_exp
    parameters: {tau_m: "${tau}"}
"""
    checked = check(write(tmp_path, "n.yaml", text))
    assert checked.ok, [d.render() for d in checked.diagnostics]
    assert checked.network is not None
    populations = checked.network.populations
    assert list(populations) == ["c2_10", "c2_20", "c3_10", "c3_20"]
    assert populations["c3_20"].size == 3
    assert populations["c3_20"].parameters["tau_m"] == 20.0


def messages(tmp_path: Path, body: str) -> list[str]:
    checked = check(write(tmp_path, "bad.yaml", HEAD + body))
    assert not checked.ok
    return [d.render() for d in checked.diagnostics]


def test_an_error_every_combination_makes_is_reported_once(tmp_path: Path) -> None:
    found = messages(tmp_path, """\
populations:
  e: {size: 4, cell_type: IF_curr_exp}
  i: {size: 4, cell_type: IF_curr_exp}
projections:
  all:
    for_each: {pre: "${pops}", post: "${pops}"}
    name: "${pre}_${post}"
    pre: "${pre}"
    post: "${post}"
    connector: {type: FixedProbabilityConnector, p_connect: "${q[post]}"}
""")
    assert len(found) == 1, found
    assert "bad.yaml:18:61: error[NS202]: unknown parameter 'q'" in found[0]
    assert "(in all 4 combinations of projections.all)" in found[0]


def test_an_error_of_one_combination_names_it(tmp_path: Path) -> None:
    found = messages(tmp_path, """\
populations:
  e: {size: 4, cell_type: IF_curr_exp}
  i: {size: 4, cell_type: IF_curr_exp}
projections:
  all:
    for_each: {pre: "${pops}", post: "${pops}"}
    name: "${pre}_${post}"
    pre: "${pre}"
    post: "${post}"
    connector: {type: FixedProbabilityConnector, p_connect: "${p[post][pre] * 6}"}
""")
    assert len(found) == 1, found
    assert "error[NS310]" in found[0]
    assert "(in projections.all[pre=e, post=i])" in found[0]


def test_generated_names_must_be_unique(tmp_path: Path) -> None:
    found = messages(tmp_path, """\
populations:
  e: {size: 4, cell_type: IF_curr_exp}
stimuli:
  kick:
    for_each: {a: [1, 2, 3]}
    name: kick
    type: DCSource
    amplitude: 0.1
    target: e
""")
    assert len(found) == 1, found
    assert "error[NS309]: 'kick' is already the name of a stimulus" in found[0]
    assert "(in stimuli.kick[a=2] and 1 more of its 3 combinations)" in found[0]


# --- the same spikes ----------------------------------------------------------------------

READ = """
import json, numpy as np, netspec
out = {{}}
for name in ('e', 'i'):
    block = netspec.read({folder!r} + '/' + name + '.h5')
    out[name] = [np.asarray(t.rescale('ms').magnitude).tolist()
                 for t in block.segments[0].spiketrains]
print(json.dumps(out))
"""


@needs_nest
def test_templated_and_unrolled_specs_give_identical_spikes(tmp_path: Path) -> None:
    spikes = {}
    for name, text in (("templated", TEMPLATED), ("unrolled", UNROLLED)):
        spec = write(tmp_path, f"{name}.yaml", text)
        out = tmp_path / name
        done = netspec_cli("run", str(spec), "--out", str(out), "--no-progress")
        assert done.returncode == 0, done.stderr
        spikes[name] = json.loads(run_python(READ.format(folder=str(out))))
    assert sum(len(t) for t in spikes["templated"]["e"]) > 50, "the network should fire"
    assert spikes["templated"] == spikes["unrolled"]


# --- property: generated template specs never crash ----------------------------------------

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

loop_values = st.lists(st.sampled_from(["e", "i", "x", 0, 1, 2, -1, 0.5, "10 ms", True,
                                        "${pops}", "${size}", "E"]), max_size=4)
for_each = (st.dictionaries(st.sampled_from(["pre", "post", "pop", "k", "size", "name", "1x"]),
                            loop_values | st.sampled_from(["${pops}", "${p}", "${size}", "3",
                                                           "${pops[5]}"]),
                            max_size=3)
            | st.lists(st.dictionaries(st.sampled_from(["pre", "post", "k"]),
                                       st.sampled_from(["e", "i", 1, "${pops}"]), max_size=2),
                       max_size=3)
            | st.sampled_from(["${pops}", "${size}", 3, None, "", "${[1, 2]}"]))
expressions = st.sampled_from([
    "${pre}", "${post}", "${pop}", "${k}", "${size[pop]}", "${p[post][pre]}",
    "${p[pre][post] > 0}", "${k > 0 and pre != post}", "${'a' if k else 'b'}",
    "x_${pre}_${post}", "${pre}_to_${post}", "${len(pops)}", "${sum(size)}",
    "${size[k]}", "${pops[k]}", "e", "i", 3, 0.5, True, "${1/0}", "${q}"])


@st.composite
def template_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec = yaml.safe_load(HEAD + "populations:\n  e: {size: 4, cell_type: IF_curr_exp}\n"
                                 "  i: {size: 4, cell_type: IF_curr_exp}\n")
    section = draw(st.sampled_from(["populations", "views", "projections", "stimuli",
                                    "recordings", "export"]))
    entry: dict[str, Any] = {
        "populations": {"size": draw(expressions), "cell_type": "IF_curr_exp"},
        "views": {"population": draw(expressions), "slice": [0, draw(expressions)]},
        "projections": {"pre": draw(expressions), "post": draw(expressions),
                        "connector": {"type": "FixedProbabilityConnector",
                                      "p_connect": draw(expressions)}},
        "stimuli": {"type": "DCSource", "amplitude": draw(expressions),
                    "target": draw(expressions)},
        "recordings": {"target": draw(expressions), "variables": ["spikes"]},
        "export": {"format": "nix", "path": draw(expressions), "target": draw(expressions)},
    }[section]
    entry["for_each"] = draw(for_each)
    if section != "export" and draw(st.booleans()):
        entry["name"] = draw(expressions)
    if draw(st.booleans()):
        entry["when"] = draw(expressions)
    if section == "export":
        spec["recordings"] = {"all": {"target": "e", "variables": ["spikes"]}}
        spec["export"] = [entry]
    else:
        spec[section] = {**spec.get(section, {}), "tpl": entry}
    return spec


@SETTINGS
@given(spec=template_specs())
def test_generated_template_specs_give_diagnostics_or_a_network(tmp_path_factory: Any,
                                                                 spec: dict[str, Any]) -> None:
    path = tmp_path_factory.mktemp("tpl") / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    try:
        checked = check(path)
    except NetspecError:
        return
    for diagnostic in checked.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1 and diagnostic.message
        assert "\n" not in diagnostic.message
    if checked.ok:  # a spec that validates also compiles
        script = netspec.compile(path)
        compile(script, "script.py", "exec")


@st.composite
def valid_template_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Template specs written as documented (loops of either shape, names, conditions), in
    every section: the ones that validate must run."""
    spec = yaml.safe_load(HEAD + "populations:\n  e: {size: 4, cell_type: IF_curr_exp}\n"
                                 "  i: {size: 4, cell_type: IF_curr_exp}\n")
    spec["simulation"]["duration"] = "20 ms"
    loop = draw(st.sampled_from([{"pop": "${pops}"}, {"pop": ["e", "i"]},
                                 [{"pop": "e"}, {"pop": "i"}], [{"pop": "i"}]]))
    pairs = draw(st.sampled_from([{"pre": "${pops}", "post": "${pops}"},
                                  [{"pre": "e", "post": "i"}, {"pre": "i", "post": "e"}]]))
    named = draw(st.booleans())
    spec["populations"]["extra"] = {
        "for_each": {"k": draw(st.lists(st.integers(1, 5), min_size=1, max_size=3,
                                        unique=True))},
        "size": "${k}", "cell_type": "IF_cond_exp",
        **({"name": "extra_${k}"} if named else {})}
    spec["views"] = {"half": {"for_each": loop, "population": "${pop}",
                              "slice": [0, draw(st.sampled_from([1, 2, "${len(pops)}"]))],
                              **({"name": "half_${pop}"} if named else {})}}
    spec["projections"] = {"rec": {
        "for_each": pairs, "pre": "${pre}", "post": "${post}",
        "connector": {"type": "FixedProbabilityConnector", "p_connect": "${p[post][pre]}"},
        "synapse": {"type": "StaticSynapse", "weight": "${w[pre]}", "delay": "1 ms"},
        "receptor_type": "${'excitatory' if w[pre] > 0 nA else 'inhibitory'}",
        **({"name": "${pre}_to_${post}"} if named else {}),
        **({"when": "${p[post][pre] > 0}"} if draw(st.booleans()) else {})}}
    spec["stimuli"] = {"dc": {"for_each": loop, "type": "DCSource",
                              "amplitude": draw(st.sampled_from([0.5, "${size[pop] / 100}"])),
                              "target": "${pop}", **({"name": "dc_${pop}"} if named else {})}}
    spec["recordings"] = {"rec": {"for_each": loop, "target": "${pop}",
                                  "variables": draw(st.sampled_from([["spikes"], ["v"],
                                                                     ["spikes", "v"]])),
                                  **({"name": "rec_${pop}"} if named else {})}}
    spec["export"] = [{"for_each": loop, "format": draw(st.sampled_from(["nix", "pickle"])),
                       "path": "${pop}.data", "target": "${pop}"},
                      {"format": "summary", "path": "summary.json"}]
    return spec


def test_documented_template_specs_validate(tmp_path: Path) -> None:
    @settings(max_examples=40, deadline=None)
    @given(spec=valid_template_specs())
    def each(spec: dict[str, Any]) -> None:
        path = tmp_path / "spec.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        checked = check(path)
        assert checked.ok, [d.render() for d in checked.diagnostics]
        compile(netspec.compile(path), "script.py", "exec")

    each()


@needs_nest
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=valid_template_specs())
def test_generated_template_specs_run(tmp_path_factory: Any, spec: dict[str, Any]) -> None:
    folder = tmp_path_factory.mktemp("run")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    done = netspec_cli("run", str(path), "--out", str(folder / "out"), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    network = netspec.load(path)
    for export in network.exports:
        assert (folder / "out" / export.path).is_file()
