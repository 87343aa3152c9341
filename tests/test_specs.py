"""The example specs: every spec in specs/ (the seed Vogels-Abbott spec among them) is valid
through the API and the command line, and together they use the whole language.
Also the contract of ``netspec validate``: exit codes 0/1/2 and its three formats."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import netspec
from netspec.cli import main
from netspec.pipeline import check
from netspec.schema import load_schema
from tests.conftest import ROOT, SPECS, netspec_cli

SPEC_FILES = sorted(SPECS.glob("*.yaml"))
ALL_SPECS = SPEC_FILES
#: sha256 of the design's Vogels-Abbott spec, which specs/vogels_abbott_coba.yaml holds
#: unchanged below its schema line (the seed network must run as it was given).
DESIGN_VA_SHA256 = "e30dc0003b3e59512762f6ccbefd47d09a2b8f3b3a84ec8e188834659e848a2b"
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/netspec.schema.json"
INVALID_CASE = ROOT / "tests" / "invalid" / "mixed_new_user_typos.yaml"


def test_the_examples_are_there() -> None:
    names = {path.name for path in SPEC_FILES}
    assert {"vogels_abbott_coba.yaml", "cuba_dc_views.yaml", "plasticity.yaml",
            "grid_array_input.yaml"} <= names


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_spec_is_valid(path: Path) -> None:
    assert netspec.validate(path) == ()
    checked = check(path)
    assert checked.ok and checked.network is not None
    assert checked.network.populations


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_spec_points_editors_at_the_schema(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == SCHEMA_LINE
    # The schema reference resolves from the spec's folder.
    assert (path.parent / "../schema/netspec.schema.json").resolve().is_file()


@pytest.mark.parametrize("path", [p for p in SPEC_FILES if p.name != "vogels_abbott_coba.yaml"],
                         ids=lambda p: p.name)
def test_spec_has_a_header_comment(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("#") and any(len(line) > 20 for line in lines[1:4])
    assert yaml.safe_load(path.read_text(encoding="utf-8")).get("description")


def test_va_spec_is_the_design_one() -> None:
    ours = (SPECS / "vogels_abbott_coba.yaml").read_bytes()
    first, rest = ours.split(b"\n", 1)
    assert first.decode() == SCHEMA_LINE
    assert hashlib.sha256(rest).hexdigest() == DESIGN_VA_SHA256


def test_tests_read_nothing_outside_the_repository() -> None:
    for folder in ("tests", "benchmarks", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            assert "ROOT.parent" not in text and "REPO.parent" not in text, path
            assert '"shared"' not in text and "../shared" not in text, path


def test_the_specs_use_every_top_level_key() -> None:
    used: set[str] = set()
    backends: set[str] = set()
    for path in SPEC_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        used |= data.keys()
        backends |= data["simulation"].get("backends", {}).keys()
    assert used == set(load_schema()["properties"])
    assert backends == {"nest", "spinnaker"}


def test_the_specs_cover_the_features_they_show() -> None:
    networks = {path.stem: netspec.load(path) for path in SPEC_FILES}
    cuba, plastic, grid = (networks["cuba_dc_views"], networks["plasticity"],
                           networks["grid_array_input"])
    # current sources, views of views, index lists, masks, an assembly
    assert {s.type for s in cuba.stimuli.values()} >= {"DCSource", "StepCurrentSource"}
    views = cuba.views.values()
    assert {getattr(v, "kind", "assembly") for v in views} == {"slice", "indices", "mask",
                                                               "assembly"}
    assert any(getattr(v, "parent", None) in cuba.views for v in views)
    assert any(r.indices and r.sampling_interval for r in cuba.recordings.values())
    assert {e.format for e in cuba.exports} == {"nix", "pickle", "sonata", "summary", "stats",
                                                 "plot"}
    # plasticity
    synapses = {p.synapse.type for p in plastic.projections.values()}
    assert {"STDPMechanism", "TsodyksMarkramSynapse"} <= synapses
    connectors = {p.connector.type for p in plastic.projections.values()}
    assert {"FixedNumberPreConnector", "FromListConnector"} <= connectors
    # spatial structure and spike-time arrays, inline and from a file
    assert any(p.structure and p.structure.type == "Grid2D" for p in grid.populations.values())
    trains = [p.parameters["spike_times"] for p in grid.populations.values()
              if p.cell_type == "SpikeSourceArray"]
    assert any(t.file for t in trains) and any(not t.file and t.per_cell for t in trains)
    assert any(p.connector.type == "DistanceDependentProbabilityConnector"
               for p in grid.projections.values())


def test_set_overrides_a_parameter() -> None:
    path = SPECS / "cuba_dc_views.yaml"
    network = netspec.load(path, overrides={"n": 100, "exc_fraction": 0.5})
    assert network.populations["cells"].size == 100
    assert network.views["exc"].size == 50


# --- the command line --------------------------------------------------------------------


def test_cli_validates_every_spec() -> None:
    done = netspec_cli("validate", *map(str, ALL_SPECS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"{path}: ok" for path in ALL_SPECS]
    assert done.stderr == ""


def test_cli_json_output() -> None:
    done = netspec_cli("validate", "--format", "json", *map(str, SPEC_FILES))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is True
    assert [f["file"] for f in report["files"]] == list(map(str, SPEC_FILES))
    assert all(f["valid"] and f["readable"] and f["diagnostics"] == [] for f in report["files"])


def test_cli_json_output_for_an_invalid_and_a_missing_spec(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(INVALID_CASE),
                                       str(missing)])
    assert result.exit_code == 2  # unreadable wins over invalid
    report = json.loads(result.stdout)
    assert report["valid"] is False
    invalid, unreadable = report["files"]
    assert invalid["readable"] and not invalid["valid"] and len(invalid["diagnostics"]) == 6
    assert set(invalid["diagnostics"][0]) == {"file", "line", "column", "severity", "code",
                                              "message", "path"}
    assert not unreadable["readable"] and unreadable["error"]


def test_cli_github_output() -> None:
    result = CliRunner().invoke(main, ["validate", "--format", "github", str(INVALID_CASE)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    pattern = re.compile(r"::error file=[^,:]+,line=\d+,col=\d+,title=NS\d{3}::[^\r\n]+\Z")
    for line in lines:
        assert pattern.match(line), line
    valid = CliRunner().invoke(main, ["validate", "--format", "github", *map(str, SPEC_FILES)])
    assert valid.exit_code == 0 and valid.stdout.strip() == ""


def test_cli_text_output_of_an_invalid_spec() -> None:
    result = CliRunner().invoke(main, ["validate", str(INVALID_CASE)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert all(line.startswith(f"{INVALID_CASE}:") for line in lines[:-1])
    assert lines[-1] == "6 errors in 1 of 1 spec"


@pytest.mark.parametrize(("args", "code"), [
    (["validate", "specs/plasticity.yaml"], 0),
    (["validate", "specs/plasticity.yaml", "--set", "a_plus=0.02"], 0),
    (["validate", "tests/invalid/ns302_unknown_cell_type.yaml"], 1),
    (["validate", "tests/invalid/ns004_zero_bytes.yaml"], 1),
    (["validate", "tests/invalid/ns001_latin1_byte.yaml"], 1),
    (["validate", "specs/plasticity.yaml", "tests/invalid/ns010_tab_indent.yaml"], 1),
    (["validate", "specs/no_such_spec.yaml"], 2),
    (["validate", "specs"], 2),  # a folder is not a spec file
    (["validate", "specs/plasticity.yaml", "specs/no_such_spec.yaml"], 2),
    (["validate", "specs/plasticity.yaml", "--set", "no_such_parameter=1"], 2),
    (["validate", "specs/plasticity.yaml", "--set", "a_plus"], 2),
    (["validate", "specs/plasticity.yaml", "--format", "xml"], 2),
    (["validate"], 2),
], ids=lambda value: " ".join(value) if isinstance(value, list) else str(value))
def test_cli_exit_codes(args: list[str], code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_cli_exit_codes_in_a_real_process(tmp_path: Path) -> None:
    missing = netspec_cli("validate", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 2
    assert "missing.yaml" in missing.stdout + missing.stderr
    unknown = netspec_cli("validate", str(SPECS / "plasticity.yaml"), "--set", "a_pluss=1")
    assert unknown.returncode == 2
    assert "did you mean 'a_plus'?" in unknown.stderr
    invalid = netspec_cli("validate", str(INVALID_CASE))
    assert invalid.returncode == 1
    assert "Traceback" not in invalid.stdout + invalid.stderr


def test_recording_indices_follow_the_order_of_the_view(tmp_path: Path) -> None:
    # PyNN keeps a view's cells in population order: 'shuffled' is cells 2, 5, 7, so its
    # recording index 0 is cell 2, which 'two' holds (its export has data); index 1 is cell 5.
    spec = tmp_path / "order.yaml"
    spec.write_text(
        'netspec: "1"\nname: order\nsimulation: {timestep: 0.1 ms, duration: 10 ms}\n'
        "populations:\n  cells: {size: 10, cell_type: IF_curr_exp}\n"
        "views:\n  shuffled: {population: cells, indices: [5, 2, 7]}\n"
        "  two: {population: cells, indices: [2]}\n"
        "recordings:\n  some: {target: shuffled, indices: [0], variables: [v]}\n"
        "export:\n  - {format: nix, target: two, path: two.h5}\n", encoding="utf-8")
    assert netspec.validate(spec) == ()
    spec.write_text(spec.read_text(encoding="utf-8").replace("indices: [0]", "indices: [1]"),
                    encoding="utf-8")
    assert [d.code for d in netspec.validate(spec)] == ["NS503"]
