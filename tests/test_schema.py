"""Tests of the schema stage: netspec/schema.py and schema/netspec.schema.json."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from netspec import schema
from netspec.diagnostics import CODES, Diagnostic
from netspec.loader import SourceMap, parse_spec_text

REPO = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO / "schema" / "netspec.schema.json"
VA_SPEC = REPO / "specs" / "vogels_abbott_coba.yaml"

#: Three valid lines; every case below starts on line 4.
HEAD = 'netspec: "1"\nname: t\nsimulation: {timestep: 0.1 ms, duration: 100 ms}\n'
CELLS = "populations:\n  cells: {size: 10, cell_type: IF_cond_exp}\n"  # lines 4-5


def diagnose(text: str) -> list[Diagnostic]:
    data, source = parse_spec_text(text, "t.yaml")
    return schema.check(data, source)


def found(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in diagnose(text)]


# --- the schema itself -------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    loaded = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert loaded["$id"] == schema.SCHEMA_ID == "urn:netspec:schema:1"
    assert loaded["title"] and loaded["description"]


def test_schema_text_is_the_repository_file() -> None:
    assert schema.schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")
    assert schema.load_schema() == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema.load_schema() is schema.load_schema()


def _subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _subschemas(value, f"{where}/{i}")


def test_every_property_and_definition_has_a_description() -> None:
    # Editors show a property's own description, or else that of the definition it refers to.
    loaded = schema.load_schema()

    def described(sub: dict[str, Any]) -> bool:
        ref = sub.get("$ref", "")
        target = loaded["$defs"].get(ref.removeprefix("#/$defs/"), {}) if ref else {}
        return "description" in sub or "description" in target

    missing = [f"{where}/properties/{name}"
               for where, node in _subschemas(loaded)
               if isinstance(node.get("properties"), dict) and where.split("/")[-1] != "properties"
               for name, sub in node["properties"].items() if not described(sub)]
    missing += [f"#/$defs/{name}" for name, sub in loaded["$defs"].items()
                if "description" not in sub]
    assert missing == []


def test_objects_with_fixed_keys_refuse_unknown_keys() -> None:
    open_objects = {"#/$defs/random", "#/$defs/typed", "#/$defs/structure",
                    "#/$defs/connector", "#/$defs/synapse", "#/$defs/stimulus"}
    for where, node in _subschemas(schema.load_schema()):
        if "properties" in node and where.split("/")[-1] != "properties" \
                and where not in open_objects:
            assert node.get("additionalProperties") is False, where


def test_schema_module_imports_no_simulator_or_numpy() -> None:
    tree = ast.parse((REPO / "netspec" / "schema.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "collections", "functools", "importlib", "json",
                        "pathlib", "re", "typing", "jsonschema", "referencing", "netspec"}
    netspec_modules = {node.module for node in ast.walk(tree)
                       if isinstance(node, ast.ImportFrom) and node.module
                       and node.module.startswith("netspec")}
    assert netspec_modules == {"netspec.diagnostics", "netspec.loader"}


def va_text() -> str:
    return VA_SPEC.read_text(encoding="utf-8")


def test_vogels_abbott_spec_is_valid() -> None:
    assert diagnose(va_text()) == []


def test_va_spec_parses_to_what_the_raw_schema_accepts() -> None:
    data, _ = parse_spec_text(va_text(), "va.yaml")
    assert list(Draft202012Validator(schema.load_schema()).iter_errors(data)) == []


# --- invalid documents: exact codes and positions ----------------------------------------

CASES: list[tuple[str, str, list[tuple[str, int, int]]]] = [
    ("unknown key in a population, a typo of a required one: one NS101, no NS102",
     HEAD + "populations:\n  cells: {size: 10, cel_type: IF_cond_exp, tau_mm: 3}\n",
     [("NS101", 5, 21), ("NS101", 5, 44)]),
    ("missing required key, at the mapping's key",
     HEAD + "populations:\n  cells: {size: 10}\n",
     [("NS102", 5, 3)]),
    ("top level misses two keys",
     'netspec: "1"\nname: t\n',
     [("NS102", 1, 1)]),
    ("unknown top-level key that is a typo of a required one",
     HEAD + "populaton:\n  cells: {size: 10, cell_type: IF_cond_exp}\n",
     [("NS101", 4, 1)]),
    ("size of the wrong type",
     HEAD + "populations:\n  cells: {size: [10], cell_type: IF_cond_exp}\n",
     [("NS103", 5, 17)]),
    ("size is a boolean",
     HEAD + "populations:\n  cells: {size: true, cell_type: IF_cond_exp}\n",
     [("NS103", 5, 17)]),
    ("a population that is a list",
     HEAD + "populations:\n  cells: [1, 2]\n",
     [("NS103", 5, 10)]),
    ("views is a number",
     HEAD + CELLS + "views: 3\n",
     [("NS103", 6, 8)]),
    ("netspec is an unquoted number",
     'netspec: 1\nname: t\nsimulation: {timestep: 0.1, duration: 10}\n' + CELLS,
     [("NS104", 1, 10)]),
    ("stimulus type misspelt",
     HEAD + CELLS + "stimuli:\n  kick: {type: DCsource, target: cells, amplitude: 1}\n",
     [("NS104", 7, 16)]),
    ("network name not a slug",
     'netspec: "1"\nname: My Net\nsimulation: {timestep: 0.1, duration: 10}\n' + CELLS,
     [("NS105", 2, 7)]),
    ("network name with a trailing newline (ECMA-262 '$')",
     'netspec: "1"\nname: "exc\\n"\nsimulation: {timestep: 0.1, duration: 10}\n' + CELLS,
     [("NS105", 2, 7)]),
    ("population name not a slug, at the key",
     HEAD + "populations:\n  Cells: {size: 10, cell_type: IF_cond_exp}\n",
     [("NS105", 5, 3)]),
    ("parameter name not an identifier",
     HEAD + CELLS + "parameters:\n  n-exc: 3\n",
     [("NS105", 7, 3)]),
    ("parameter that is empty, table entry that is empty",
     HEAD + CELLS + "parameters:\n  w: ~\n  t: {a: [1, ~]}\n",
     [("NS103", 7, 6), ("NS103", 8, 14)]),
    ("seed and threads out of range, unknown verbosity, unknown backend",
     'netspec: "1"\nname: t\nsimulation:\n  timestep: 0.1\n  duration: 10\n  seed: 2147483648\n'
     "  backends:\n    nest: {threads: 0, verbosity: M_WARN}\n    brian: {}\n" + CELLS,
     [("NS106", 6, 9), ("NS106", 8, 21), ("NS104", 8, 35), ("NS101", 9, 5)]),
    ("negative seed",
     'netspec: "1"\nname: t\nsimulation: {timestep: 0.1, duration: 10, seed: -1}\n' + CELLS,
     [("NS106", 3, 49)]),
    ("view with no slice, indices, mask or assembly",
     HEAD + CELLS + "views:\n  v: {population: cells}\n",
     [("NS102", 7, 3)]),
    ("view with a misspelt slice",
     HEAD + CELLS + "views:\n  v: {population: cells, slise: [0, 2]}\n",
     [("NS101", 7, 26)]),
    ("view with a slice of one item and an unknown key: the slice branch's errors",
     HEAD + CELLS + "views:\n  v: {population: cells, slice: [0], labl: x}\n",
     [("NS106", 7, 33), ("NS101", 7, 38)]),
    ("view with both slice and indices",
     HEAD + CELLS + "views:\n  v: {population: cells, slice: [0, 2], indices: [1]}\n",
     [("NS100", 7, 41)]),
    ("view mask with a number in it",
     HEAD + CELLS + "views:\n  v: {population: cells, mask: [true, 1]}\n",
     [("NS103", 7, 39)]),
    ("empty assembly",
     HEAD + CELLS + "views:\n  v: {assembly: []}\n",
     [("NS106", 7, 17)]),
    ("view that is empty",
     HEAD + CELLS + "views:\n  v:\n",
     [("NS103", 7, 5)]),
    ("random value with a misspelt 'distribution'",
     HEAD + "populations:\n  cells:\n    size: 10\n    cell_type: IF_cond_exp\n"
     "    initial_values: {v: {distrib: uniform, low: 0}}\n",
     [("NS101", 8, 26)]),
    ("parameter value left empty",
     HEAD + "populations:\n  cells:\n    size: 10\n    cell_type: IF_cond_exp\n"
     "    parameters: {tau_m: }\n",
     [("NS103", 8, 24)]),
    ("file reference with a number",
     HEAD + CELLS + "stimuli:\n  s: {type: StepCurrentSource, target: cells, times: {file: 3}}\n",
     [("NS103", 7, 61)]),
    ("recorded variable listed twice, at the repeat",
     HEAD + CELLS + "recordings:\n  r: {target: cells, variables: [v, spikes, v]}\n",
     [("NS106", 7, 45)]),
    ("recording without variables",
     HEAD + CELLS + "recordings:\n  r: {target: cells, variables: []}\n",
     [("NS106", 7, 33)]),
    ("export: unknown format, absolute path, missing path, not a mapping",
     HEAD + CELLS + "export:\n  - {format: nixx, path: /abs.h5}\n  - {format: nix}\n  - 3\n",
     [("NS104", 7, 14), ("NS501", 7, 26), ("NS102", 8, 5), ("NS103", 9, 5)]),
    ("conn_list of the wrong type",
     HEAD + CELLS + "projections:\n  p:\n    pre: cells\n    post: cells\n"
     "    connector: {type: FromListConnector, conn_list: x}\n",
     [("NS103", 10, 53)]),
    ("synapse with 'typ' for 'type' (other keys are free: the NS102 names the typo)",
     HEAD + CELLS + "projections:\n  p:\n    pre: cells\n    post: cells\n"
     "    connector: {type: AllToAllConnector}\n    synapse: {typ: StaticSynapse}\n",
     [("NS102", 11, 5)]),
    ("STDP timing dependence without a type",
     HEAD + CELLS + "projections:\n  p:\n    pre: cells\n    post: cells\n"
     "    connector: {type: AllToAllConnector}\n"
     "    synapse: {type: STDPMechanism, timing_dependence: {tau_plus: 20}}\n",
     [("NS102", 11, 36)]),
    ("no populations at all",
     HEAD + "populations: {}\n",
     [("NS106", 4, 14)]),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES],
                         ids=[name for name, _, _ in CASES])
def test_invalid_document(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert found(text) == expected


MESSAGES: list[tuple[str, str]] = [
    (HEAD + "populations:\n  cells: {size: 10, cel_type: IF_cond_exp, tau_mm: 3}\n",
     "unknown key 'cel_type' in populations.cells (did you mean 'cell_type'?); "
     "allowed: cell_type, for_each, initial_values, label, name, parameters, size, "
     "structure, when"),
    (HEAD + "populations:\n  cells: {size: 10}\n", "populations.cells needs 'cell_type'"),
    ('netspec: "1"\nname: t\n', "the spec needs 'simulation' and 'populations'"),
    (HEAD + "populaton:\n  cells: {size: 10, cell_type: IF_cond_exp}\n",
     "unknown key 'populaton' in the spec (did you mean 'populations'?)"),
    (HEAD + "populations:\n  cells: {size: [10], cell_type: IF_cond_exp}\n",
     "populations.cells.size must be an integer or an expression, not a list"),
    ('netspec: 1\nname: t\nsimulation: {timestep: 0.1, duration: 10}\n' + CELLS,
     'netspec must be "1", not the number 1; quote it: netspec: "1"'),
    (HEAD + CELLS + "stimuli:\n  kick: {type: DCsource, target: cells, amplitude: 1}\n",
     "unknown value 'DCsource' for stimuli.kick.type (did you mean 'DCSource'?); "
     "allowed: ACSource, DCSource, NoisyCurrentSource, PoissonInput, StepCurrentSource"),
    ('netspec: "1"\nname: My Net\nsimulation: {timestep: 0.1, duration: 10}\n' + CELLS,
     "name 'My Net' is not a slug: use lowercase letters, digits, '_' and '-', "
     "starting with a letter or a digit (did you mean 'my-net'?)"),
    (HEAD + "populations:\n  Cells: {size: 10, cell_type: IF_cond_exp}\n",
     "population name 'Cells' is not a slug"),
    (HEAD + CELLS + "parameters:\n  n-exc: 3\n",
     "parameter name 'n-exc' is not an identifier: use letters, digits and '_', not starting "
     "with a digit (did you mean 'n_exc'?)"),
    (HEAD + CELLS + "views:\n  v: {population: cells}\n",
     "views.v needs one of 'assembly', 'indices', 'mask' or 'slice' ({population, slice}, "
     "{population, indices}, {population, mask} or {assembly})"),
    (HEAD + CELLS + "views:\n  v: {population: cells, slise: [0, 2]}\n",
     "unknown key 'slise' in views.v (did you mean 'slice'?)"),
    (HEAD + CELLS + "views:\n  v: {population: cells, slice: [0, 2], indices: [1]}\n",
     "views.v has both 'slice' and 'indices'"),
    (HEAD + "populations:\n  cells:\n    size: 10\n    cell_type: IF_cond_exp\n"
     "    initial_values: {v: {distrib: uniform, low: 0}}\n",
     "unknown key 'distrib' in populations.cells.initial_values.v (did you mean "
     "'distribution'?)"),
    (HEAD + CELLS + "recordings:\n  r: {target: cells, variables: [v, spikes, v]}\n",
     "recordings.r.variables lists 'v' twice"),
    (HEAD + CELLS + "export:\n  - {format: summary, path: /abs.json}\n",
     "export[0].path '/abs.json' must be a path relative to the output folder"),
    (HEAD + CELLS + "projections:\n  p:\n    pre: cells\n    post: cells\n"
     "    connector: {type: AllToAllConnector}\n    synapse: {typ: StaticSynapse}\n",
     "projections.p.synapse needs 'type' (is 'typ' meant to be 'type'?)"),
    ('netspec: "1"\nname: t\nsimulation: {timestep: 0.1, duration: 10, seed: -1}\n' + CELLS,
     "simulation.seed must be ≥ 1, not -1"),
]


@pytest.mark.parametrize(("text", "message"), MESSAGES)
def test_message(text: str, message: str) -> None:
    messages = [d.message for d in diagnose(text)]
    assert any(message in m for m in messages), messages


def test_diagnostics_carry_the_spec_path() -> None:
    text = HEAD + "populations:\n  cells: {size: 10, cel_type: IF_cond_exp}\n"
    (diagnostic,) = diagnose(text)
    assert diagnostic.path == ("populations", "cells", "cel_type")
    assert diagnostic.file == "t.yaml"
    assert diagnostic.render().startswith("t.yaml:5:21: error[NS101]: unknown key 'cel_type'")


def test_many_problems_are_all_reported_sorted_and_once() -> None:
    text = ('netspec: 2\nname: X\nsimulation: {timestep: 0.1, durration: 10}\n'
            "populations:\n  a: {size: -1, cell_type: X}\n  b: {size: 1}\n"
            "views:\n  v: {population: a, slice: [0, 2], mask: [true]}\n")
    diagnostics = diagnose(text)
    assert [(d.code, d.line, d.column) for d in diagnostics] == [
        ("NS104", 1, 10), ("NS105", 2, 7), ("NS101", 3, 29), ("NS106", 5, 13),
        ("NS102", 6, 3), ("NS100", 8, 37)]
    assert diagnostics == sorted(diagnostics)
    assert len({(d.path, d.code) for d in diagnostics}) == len(diagnostics)


# --- odd input never raises --------------------------------------------------------------

WEIRD = [
    HEAD + "populations: [1, 2]\n",
    HEAD + "populations:\n  cells: [1, 2]\n",
    HEAD + "populations:\n  cells:\n",
    HEAD + CELLS + "views: 3\n",
    HEAD + CELLS + "views: [a, b]\n",
    HEAD + CELLS + "views:\n  v: {assembly: x}\n",
    HEAD + CELLS + "views:\n  v: {assembly: [1, {a: b}]}\n",
    HEAD + CELLS + "views:\n  v: {population: 3, slice: {a: 1}, mask: 2, indices: no}\n",
    HEAD + CELLS + "export: {format: nix}\n",
    HEAD + CELLS + "export: [null, [], {}]\n",
    HEAD + CELLS + "projections:\n  p:\n",
    HEAD + CELLS + "projections:\n  p: {pre: [], post: {}, connector: [], synapse: 3}\n",
    HEAD + CELLS + "stimuli:\n  s: 5\n",
    HEAD + CELLS + "stimuli:\n  s: {type: [DCSource], target: null}\n",
    HEAD + CELLS + "recordings:\n  r: {target: cells, variables: v, indices: {a: 1}}\n",
    HEAD + CELLS + "parameters: [1, 2]\n",
    HEAD + CELLS + "parameters:\n  x: [[1, null]]\n",
    'netspec: "1"\nname: t\nsimulation: []\n' + CELLS,
    'netspec: [1]\nname: {a: 1}\nsimulation: {backends: [], seed: x}\n' + CELLS,
    'netspec: "1"\nname: t\nsimulation: {timestep: 1, duration: 1, backends: {spinnaker: '
    '{machine: [], neurons_per_core: {IF_cond_exp: 0}}}}\n' + CELLS,
    HEAD + "populations:\n  c:\n    size: 1\n    cell_type: X\n"
    "    parameters: {a: [[[1, {b: 2}]]], c: {distribution: [1]}, d: {file: {x: 1}}}\n"
    "    structure: {boundary: 3}\n",
]


@pytest.mark.parametrize("text", WEIRD)
def test_odd_input_gives_diagnostics_not_exceptions(text: str) -> None:
    diagnostics = diagnose(text)
    assert diagnostics
    for d in diagnostics:
        assert d.code in CODES
        assert d.line >= 1 and d.column >= 1
        assert d.message and "\n" not in d.message


_leaves = st.none() | st.booleans() | st.integers(-5, 2**32) | st.floats(allow_nan=False) \
    | st.sampled_from(["", "x", "cells", "${n}", "1 ms", "DCSource", "nix", "/a", "A b"])
_keys = st.sampled_from(["cells", "type", "size", "cell_type", "slice", "mask", "indices",
                         "assembly", "population", "distribution", "file", "target",
                         "variables", "format", "path", "pre", "post", "connector", "X y"])
_json = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_keys, inner, max_size=4), max_leaves=12)
_top = st.fixed_dictionaries({}, optional={
    key: _json for key in ["netspec", "name", "simulation", "populations", "views",
                           "projections", "stimuli", "recordings", "export", "parameters",
                           "wat"]})


@given(_top)
@settings(max_examples=300, deadline=None)
def test_any_data_gives_diagnostics_not_exceptions(data: dict[str, Any]) -> None:
    for d in schema.check(data, SourceMap("t.yaml")):
        assert d.code in CODES
