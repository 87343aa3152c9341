"""``netspec describe``: the Nordlie-Gewaltig-Plesser tables from the resolved spec, as
Markdown, HTML and JSON, and the network drawn as SVG or PNG; on every spec in
``specs/`` and on the seed network's numbers."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import netspec
from netspec.describe import describe, document, tables
from netspec.errors import NetspecError
from netspec.model import TemplateOrigin
from tests.conftest import SPECS, VA, netspec_cli
from tests.test_property import folder, mutated_specs

__all__ = ["folder"]  # the fixture of the property tests, reused here

SPEC_FILES = sorted(SPECS.glob("*.yaml"))
MICROCIRCUIT = Path(__file__).parent / "data" / "microcircuit_unrolled.yaml"


def _table_rows(markdown: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split(" | ")]
            for line in markdown.splitlines() if line.startswith("| ")]


def test_seed_description_names_the_network_in_tables() -> None:
    text = describe(netspec.load(VA), "markdown")
    rows = _table_rows(text)
    cells = {cell for row in rows for cell in row}
    populations = [r for r in rows if r[:3] == ["cells", "IF_cond_exp", "1000"]]
    assert populations, "the populations table lists cells: 1000 IF_cond_exp"
    views = {r[0]: r for r in rows if r[:2] in (["exc", "view"], ["inh", "view"])}
    assert views["exc"][-1] == "800" and views["inh"][-1] == "200"
    rules = [r for r in rows if r and r[0] in ("exc_to_all", "inh_to_all")]
    assert len(rules) == 2 and all("FixedProbability, p=0.01" in r[3] for r in rules)
    assert "98765" in cells
    assert any("IF_cond_exp" in c for c in cells)
    # weights and delays carry their units
    exc = next(r for r in rules if r[0] == "exc_to_all")
    assert "4 nS" in exc and "0.2 ms" in exc and "excitatory" in exc
    inh = next(r for r in rules if r[0] == "inh_to_all")
    assert "51 nS" in inh and "inhibitory" in inh
    assert "| tau_m | 20 ms |" in text


def test_seed_json_gives_expected_synapses() -> None:
    data = json.loads(describe(netspec.load(VA), "json"))
    projections = data["projections"]
    assert projections["exc_to_all"]["expected_synapses"] == pytest.approx(8000)
    assert projections["inh_to_all"]["expected_synapses"] == pytest.approx(2000)
    assert projections["exc_to_all"]["mean_in_degree"] == pytest.approx(8)
    assert projections["exc_to_all"]["mean_out_degree"] == pytest.approx(10)
    assert projections["exc_to_all"]["exact"] is False
    assert projections["exc_to_all"]["synapse"]["weight"] == {"value": 0.004, "unit": "uS"}
    assert projections["inh_to_all"]["sign"] == "inhibitory"
    assert data["populations"]["cells"]["parameters"]["tau_m"]["unit"] == "ms"
    assert data["populations"]["cells"]["initial_values"]["v"]["distribution"] == "uniform"
    assert data["simulation"]["seed"] == 98765
    assert data["simulation"]["backends"]["nest"] == {"threads": 1}


def test_cli_describes_in_every_format(tmp_path: Path) -> None:
    for fmt in ("markdown", "html", "json"):
        done = netspec_cli("describe", str(VA), "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert "98765" in done.stdout
    out = tmp_path / "va.md"
    done = netspec_cli("describe", str(VA), "-o", str(out), "--set", "n=2000")
    assert done.returncode == 0, done.stderr
    assert "| cells | IF_cond_exp | 2000 |" in out.read_text()


@pytest.mark.parametrize("spec", SPEC_FILES, ids=[s.stem for s in SPEC_FILES])
def test_every_spec_is_described(spec: Path) -> None:
    network = netspec.load(spec)
    markdown = describe(network, "markdown")
    for block in re.split(r"\n\n+", markdown):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if lines:  # every row of a table has as many cells as its header
            widths = {len(re.split(r"(?<!\\)\|", line)) for line in lines}
            assert len(widths) == 1, block
    data = json.loads(describe(network, "json"))
    assert set(data["projections"]) == set(network.projections)
    for name, projection in data["projections"].items():
        assert projection["expected_synapses"] is not None, name
    assert set(data["populations"]) == set(network.populations)
    assert set(data["recordings"]) == set(network.recordings)
    html_text = describe(network, "html")
    _WellFormed().feed(html_text)
    assert html_text.count("<table>") == html_text.count("</table>") > 3


class _WellFormed(HTMLParser):
    """Fails on a closing tag that does not close the innermost open one."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
        self.open.pop()


def test_html_escapes_what_the_spec_writes(tmp_path: Path) -> None:
    spec = tmp_path / "x.yaml"
    spec.write_text('netspec: "1"\nname: x\ndescription: "<script>alert(1)</script> | a"\n'
                    "simulation: {timestep: 0.1 ms, duration: 10 ms, seed: 1}\n"
                    "populations: {a: {size: 2, cell_type: IF_curr_exp}}\n")
    network = netspec.load(spec)
    assert "<script>" not in describe(network, "html")
    assert "\\| a" in describe(network, "markdown")


def test_fixed_total_microcircuit_gives_its_exact_count() -> None:
    """The unrolled microcircuit at 2 %: 64 FixedTotalNumber projections and Poisson
    background; the description gives the exact sum of the n's."""
    import yaml
    raw = yaml.safe_load(MICROCIRCUIT.read_text())
    wanted = sum(p["connector"]["n"] for p in raw["projections"].values()
                 if p["connector"]["type"] == "FixedTotalNumberConnector")
    data = json.loads(describe(netspec.load(MICROCIRCUIT), "json"))
    recurrent = {n: p for n, p in data["projections"].items() if not n.startswith("bg")}
    assert sum(p["expected_synapses"] for p in recurrent.values()) == wanted
    assert all(p["exact"] for p in recurrent.values())


def test_a_template_is_one_matrix_not_many_rows() -> None:
    """Projections generated by one two-variable template appear as an 8×8 matrix
    (rows: targets, columns: sources), not as 64 rows."""
    network = netspec.load(MICROCIRCUIT)
    projections = {}
    index = 0
    for name, projection in network.projections.items():
        if name.startswith("bg_"):
            projections[name] = projection
            continue
        origin = TemplateOrigin(("projections", "recurrent"),
                                (("pre", projection.pre), ("post", projection.post)), index)
        index += 1
        projections[name] = dataclasses.replace(projection, template=origin)
    network = dataclasses.replace(network, projections=projections)
    sections = {s.title: s for s in tables(network)}
    connectivity = sections["C. Connectivity"].tables
    main = connectivity[0]
    assert not any(row[0] in network.projections and not row[0].startswith("bg_")
                   for row in main.rows)
    assert any(row[0].startswith("recurrent (template, ") for row in main.rows)
    counts = next(t for t in connectivity[1:] if "Synapses" in t.caption)
    pops = [p for p in network.populations if p != "bg"]
    assert counts.columns[1:] == tuple(pops) and [r[0] for r in counts.rows] == pops
    assert "rows: post, columns: pre" in counts.caption
    markdown = describe(network, "markdown")
    assert markdown.count("| l23e |") >= 1
    data = document(network)
    assert data["templates"]["projections.recurrent"]["for_each"] == ["pre", "post"]
    assert data["projections"]["l4e_to_l23e"]["template"]["for_each"] == {
        "pre": "l4e", "post": "l23e"}


def test_diagram_is_svg_deterministic_and_png(tmp_path: Path) -> None:
    svg = tmp_path / "va.svg"
    done = netspec_cli("describe", str(VA), "--diagram", "-o", str(svg))
    assert done.returncode == 0, done.stderr
    first = svg.read_bytes()
    assert first.startswith(b"<?xml") and b"<svg" in first[:400]
    done = netspec_cli("describe", str(VA), "--diagram", "-o", str(svg))
    assert done.returncode == 3 and "--force" in done.stderr, "no overwrite without --force"
    done = netspec_cli("describe", str(VA), "--diagram", "-o", str(svg), "--force")
    assert done.returncode == 0, done.stderr
    assert svg.read_bytes() == first, "the same spec draws the same bytes"
    png = tmp_path / "va.png"
    done = netspec_cli("describe", str(MICROCIRCUIT), "--diagram", "-o", str(png))
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagram_needs_a_picture_file(tmp_path: Path) -> None:
    done = netspec_cli("describe", str(VA), "--diagram")
    assert done.returncode == 2 and "-o FILE.svg" in done.stderr
    done = netspec_cli("describe", str(VA), "--diagram", "-o", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "*.svg or *.png" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_diagram_without_matplotlib_says_how_to_install(tmp_path: Path) -> None:
    code = ("import sys\nsys.modules['matplotlib'] = None\n"
            "from netspec.cli import main\n"
            f"main(['describe', {str(VA)!r}, '--diagram', '-o', {str(tmp_path / 'x.svg')!r}])\n")
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 3, done.stderr
    assert "pip install '.[diagram]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_spec_and_bad_options_exit_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('netspec: "1"\nname: bad\nsimulation: {timestep: 0.1 ms, duration: 1 ms}\n'
                   "populations: {a: {size: 2, cell_type: IF_curr_xp}}\n")
    done = netspec_cli("describe", str(bad))
    assert done.returncode == 1 and "bad.yaml:4:" in done.stderr and "NS302" in done.stderr
    done = netspec_cli("describe", str(VA), "--set", "nope=1")
    assert done.returncode == 2 and "no parameter 'nope'" in done.stderr
    done = netspec_cli("describe", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2
    for result in (done,):
        assert "Traceback" not in result.stderr


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(spec=mutated_specs())
def test_every_valid_mutated_spec_is_described(folder: Path, spec: Any) -> None:
    """Whatever validates, describe answers in every format (or with netspec's own
    errors): never an internal error."""
    import yaml
    path = folder / "mutated.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        result = netspec.check(path)
    except NetspecError:
        return
    if not result.ok or result.network is None:
        return
    for fmt in ("markdown", "html", "json"):
        assert describe(result.network, fmt)
