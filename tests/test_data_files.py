"""What docs/language.md says about data files and structures holds: the CSV/text format
(delimiters, no header, comments, blank lines, an empty spike train) and the unit of
structure lengths (µm)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import netspec
from netspec.pipeline import check

HEAD = """\
netspec: "1"
name: files
simulation: {timestep: 0.1 ms, duration: 10 ms}
"""


def _spec(tmp_path: Path, body: str) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(HEAD + body, encoding="utf-8")
    return spec


def test_csv_comments_blank_lines_and_an_empty_train(tmp_path: Path) -> None:
    (tmp_path / "times.csv").write_text(
        "# spike times, one train per line\n"
        "1.0, 2.5,3\n"
        "\n"
        ",\n"
        "# the third cell\n"
        "4\n", encoding="utf-8")
    spec = _spec(tmp_path, """\
populations:
  input: {size: 3, cell_type: SpikeSourceArray, parameters: {spike_times: {file: times.csv}}}
""")
    trains = netspec.load(spec).populations["input"].parameters["spike_times"]
    assert [t.data.tolist() for t in trains.trains] == [[1.0, 2.5, 3.0], [], [4.0]]


def test_text_files_are_space_separated(tmp_path: Path) -> None:
    (tmp_path / "times.txt").write_text("1  2 3\n# note\n4 5\n", encoding="utf-8")
    spec = _spec(tmp_path, """\
populations:
  input: {size: 2, cell_type: SpikeSourceArray, parameters: {spike_times: {file: times.txt}}}
""")
    trains = netspec.load(spec).populations["input"].parameters["spike_times"]
    assert [t.data.tolist() for t in trains.trains] == [[1, 2, 3], [4, 5]]


@pytest.mark.parametrize("content", ["time\n1,2\n", "1, 2 # late comment\n"])
def test_headers_and_inline_comments_are_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "times.csv").write_text(content, encoding="utf-8")
    spec = _spec(tmp_path, """\
populations:
  input: {size: 1, cell_type: SpikeSourceArray, parameters: {spike_times: {file: times.csv}}}
""")
    assert [d.code for d in check(spec).diagnostics] == ["NS313"]


@pytest.mark.parametrize(("written", "micrometres"), [("10", 10.0), ("10 um", 10.0),
                                                     ("0.1 mm", 100.0), ("2 cm", 20000.0)])
def test_structure_lengths_are_micrometres(tmp_path: Path, written: str,
                                           micrometres: float) -> None:
    spec = _spec(tmp_path, f"""\
populations:
  cells: {{size: 4, cell_type: IF_cond_exp,
          structure: {{type: Grid2D, dx: {written}, dy: {written}, x0: {written},
                      aspect_ratio: 2}}}}
""")
    structure = netspec.load(spec).populations["cells"].structure
    assert structure is not None
    assert structure.parameters["dx"] == pytest.approx(micrometres)
    assert structure.parameters["x0"] == pytest.approx(micrometres)
    assert structure.parameters["aspect_ratio"] == 2


def test_a_structure_length_in_another_dimension_is_refused(tmp_path: Path) -> None:
    spec = _spec(tmp_path, """\
populations:
  cells: {size: 4, cell_type: IF_cond_exp, structure: {type: Line, dx: 10 ms}}
""")
    assert [d.code for d in check(spec).diagnostics] == ["NS207"]


def test_random_structure_boundary_and_origin(tmp_path: Path) -> None:
    spec = _spec(tmp_path, """\
populations:
  cells: {size: 4, cell_type: IF_cond_exp,
          structure: {type: RandomStructure, boundary: {type: Sphere, radius: 0.1 mm},
                      origin: [1 um, 0, 0]}}
""")
    structure = netspec.load(spec).populations["cells"].structure
    assert structure is not None
    assert structure.parameters["boundary"].parameters["radius"] == pytest.approx(100.0)
    assert np.allclose(structure.parameters["origin"], [1.0, 0.0, 0.0])
