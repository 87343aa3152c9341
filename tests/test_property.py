"""Property tests: whatever a spec file holds, validation answers with diagnostics.

Arbitrary text, arbitrary bytes and mutated versions of the example specs (keys
dropped, values replaced by random data, ``${…}`` garbage injected) go through
:func:`netspec.pipeline.check` and through ``netspec validate``: the only exceptions
allowed are netspec's own, the command line exits 0, 1 or 2 and never shows a
traceback.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec import loader
from netspec.cli import main
from netspec.errors import NetspecError, SpecError
from netspec.pipeline import Checked, check
from tests.conftest import SPECS

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BASES = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(SPECS.glob("*.yaml"))]

#: Scalars a spec author might plausibly (or implausibly) write.
WORDS = ["10 ms", "-65 mV", "0.5 nA", "4 nS", "20 Hz", "1 uF/cm**2", "5e-5 S/cm**2", "1e999",
         ".nan", "-.inf", "${n}", "${name}", "${1/0}", "${n_exc * 2}", "${", "}", "$", "${}",
         "${${n}}", "${round(n)}", "${__import__}", "${tau_m / 0 ms}", "${n ** n ** n}",
         "exc", "inh", "cells", "IF_cond_exp", "SpikeSourceArray", "StaticSynapse",
         "FixedProbabilityConnector", "uniform", "spikes", "v", "excitatory", "/abs.h5",
         "../up.h5", "manifest.json", "data/replay_spikes.csv", "", " ", "~", "null", "true"]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-3, 300)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(WORDS))
keys = st.sampled_from(["type", "size", "file", "distribution", "population", "slice",
                        "indices", "mask", "assembly", "target", "variables", "low", "high",
                        "n", "pre", "post", "weight", "delay"]) | st.text(max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=8)
#: ``${…}`` with arbitrary insides drawn from the characters expressions use.
garbage = st.builds(lambda inner: "${" + inner + "}", st.text(
    alphabet="n_excinhtaumsVHzA +-*/%().,0123456789eE{}$[]'\"=<>!&|~roundmaxsqrtlg ",
    max_size=30))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A folder with the specs' data files, so that mutated specs mostly resolve."""
    with tempfile.TemporaryDirectory() as name:
        path = Path(name)
        shutil.copytree(SPECS / "data", path / "data")
        yield path


def checked(spec: Path) -> Checked | None:
    """``check(spec)``; ``None`` when it raised one of netspec's own errors."""
    try:
        return check(spec)
    except NetspecError:
        return None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*prefix, i)
            yield from _paths(item, (*prefix, i))


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """An example spec with one to four random edits."""
    spec = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(spec))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = spec
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["drop", "replace", "garbage", "word", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):  # an unknown or a repeated key
            parent[draw(keys)] = draw(values)
        elif action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "garbage":
            parent[path[-1]] = draw(garbage)
        else:
            parent[path[-1]] = draw(st.sampled_from(WORDS))
    return spec


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text(folder: Path, text: str) -> None:
    spec = folder / "text.yaml"
    spec.write_text(text, encoding="utf-8")
    result = checked(spec)
    assert result is not None and not result.ok  # text this random is never a spec


@SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(folder: Path, data: bytes) -> None:
    spec = folder / "bytes.yaml"
    spec.write_bytes(data)
    result = checked(spec)
    assert result is not None and not result.ok


@SETTINGS
@given(spec=mutated_specs())
def test_mutated_specs(folder: Path, spec: Any) -> None:
    path = folder / "mutated.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = checked(path)
    assert result is not None
    for diagnostic in result.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1 and diagnostic.message


@SETTINGS
@given(spec=mutated_specs(), top=st.sampled_from(["", "---\n", "%YAML 1.2\n---\n"]),
       tail=st.sampled_from(["", "\n...\n", "\n---\nname: x\n", "\n  oops: [\n", "\t\n"]))
def test_mutated_specs_as_text(folder: Path, spec: Any, top: str, tail: str) -> None:
    path = folder / "as_text.yaml"
    text = yaml.safe_dump(spec, sort_keys=False, default_flow_style=None)
    path.write_text(top + text + tail, encoding="utf-8")
    assert checked(path) is not None


TEXTS = [path.read_text(encoding="utf-8") for path in sorted(SPECS.glob("*.yaml"))]


@st.composite
def edited_texts(draw: st.DrawFn) -> str:
    """An example spec's text with a few characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        new = draw(st.sampled_from([":", "-", " ", "\n", "  ", "{", "}", "[", "]", ",", "'",
                                    '"', "#", "&a", "*a", "!", "%", "${", "}", "0", "\t",
                                    "\x00", "é", ""]) | st.text(max_size=3))
        text = text[:at] + new + text[at + cut:]
    return text


@SETTINGS
@given(text=edited_texts())
def test_edited_spec_text(folder: Path, text: str) -> None:
    path = folder / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    result = checked(path)
    assert result is not None
    lines = text.count("\n") + 1
    for diagnostic in result.diagnostics:
        assert 1 <= diagnostic.line <= lines + 1, diagnostic.render()


def _parse_with(composer: type[Any], text: str) -> Any:
    saved = loader._Composer
    loader._Composer = composer
    try:
        data, source = loader.parse_spec_text(text, "spec.yaml")
        return data, source.values, source.keys
    except SpecError as exc:
        return [d.code for d in exc.diagnostics]
    finally:
        loader._Composer = saved


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml")
@SETTINGS
@given(text=edited_texts())
def test_libyaml_and_pyyaml_read_specs_alike(text: str) -> None:
    # Where both accept a text they give the same values at the same positions. (libyaml
    # also accepts a few texts PyYAML refuses, such as a tab after 'key:'.)
    ours = _parse_with(loader._CComposer, text)
    theirs = _parse_with(loader._PyComposer, text)
    if isinstance(ours, tuple) and isinstance(theirs, tuple):
        assert ours == theirs


@SETTINGS
@given(content=st.one_of(st.binary(max_size=200),
                         st.text(max_size=200).map(lambda t: t.encode("utf-8")),
                         mutated_specs().map(lambda s: yaml.safe_dump(s).encode("utf-8"))),
       fmt=st.sampled_from(["text", "json", "github"]))
def test_command_line(folder: Path, content: bytes, fmt: str) -> None:
    path = folder / "cli.yaml"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["validate", "--format", fmt, str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)


def test_unary_plus_on_a_quantity_regression() -> None:
    # found by test_edited_spec_text: `${kick_start- + 150 ms}` crashed inside quantities
    from netspec import units
    from netspec.expressions import evaluate
    parameters = {"kick_start": units.parse_quantity("50 ms")}
    assert float(evaluate("kick_start - + 150 ms", parameters.__getitem__).magnitude) == -100.0
    assert float(evaluate("+kick_start", parameters.__getitem__).magnitude) == 50.0
