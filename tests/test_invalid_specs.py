"""Invalid specs: each file in tests/invalid/ states the diagnostics it must produce.

A case's first line reads ``# expect: NS301@12:10 NS302@8:16`` (code@line:column for
every diagnostic, exactly: a missing or an extra diagnostic fails the test); a binary
case (bad UTF-8, an empty file) has the same list in a sidecar ``<case>.expect``.
``# set: NAME=VALUE`` lines among the first five apply ``--set`` overrides.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from netspec import loader
from netspec.cli import main
from netspec.diagnostics import CODES
from netspec.pipeline import check, parse_overrides
from tests.conftest import netspec_cli

INVALID = Path(__file__).resolve().parent / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
_EXPECTED = re.compile(r"(NS\d{3})@(\d+):(\d+)")
Found = tuple[str, int, int]


def header(path: Path) -> tuple[list[Found], list[str]]:
    """The diagnostics ``path`` must produce, and its ``--set`` overrides."""
    sidecar = path.with_name(path.name + ".expect")
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()[:5]
    if sidecar.is_file():
        expect = sidecar.read_text(encoding="utf-8")
    else:
        assert lines and lines[0].startswith("# expect:"), (
            f"{path.name}: the first line must be '# expect: CODE@LINE:COLUMN …'")
        expect = lines[0]
    expected = [(code, int(line), int(column)) for code, line, column
                in _EXPECTED.findall(expect)]
    sets = [line.removeprefix("# set:").strip() for line in lines if line.startswith("# set:")]
    return expected, sets


def found(path: Path, sets: list[str] | None = None) -> list[Found]:
    checked = check(path, overrides=parse_overrides(sets or []))
    return sorted((d.code, d.line, d.column) for d in checked.diagnostics)


def test_every_case_is_well_formed() -> None:
    """Each case is named after a code it produces (``nsNNN_…``, or ``mixed_…`` for several),
    every sidecar belongs to a case, and every data file is used by one."""
    assert CASES, "no invalid cases found"
    for path in CASES:
        expected, _ = header(path)
        codes = {code for code, _, _ in expected}
        prefix = path.name.split("_", 1)[0]
        if prefix == "mixed":
            assert len(codes) >= 2 or len(expected) >= 2, path.name
        else:
            assert prefix.upper() in codes, f"{path.name} does not produce {prefix.upper()}"
    for sidecar in INVALID.glob("*.expect"):
        assert sidecar.with_suffix("").is_file(), f"{sidecar.name} has no case"
    texts = "".join(p.read_bytes().decode("utf-8", "replace") for p in CASES)
    for data in (INVALID / "data").iterdir():
        assert f"data/{data.name}" in texts, f"{data.name} is used by no case"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_gives_exactly_the_expected_diagnostics(path: Path) -> None:
    expected, sets = header(path)
    assert expected, f"{path.name} expects no diagnostic: it is not an invalid case"
    checked = check(path, overrides=parse_overrides(sets))
    got = sorted((d.code, d.line, d.column) for d in checked.diagnostics)
    shown = "\n".join(d.render() for d in checked.diagnostics)
    assert got == sorted(expected), f"diagnostics of {path.name}:\n{shown}"
    assert not checked.ok
    for diagnostic in checked.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.file == str(path)
        assert diagnostic.severity == "error"
        assert diagnostic.message and "\n" not in diagnostic.message
        assert diagnostic.line >= 1 and diagnostic.column >= 1


def test_every_front_end_code_has_a_case() -> None:
    # NS0xx-NS5xx come from validation; NS6xx need --backend, NS7xx a simulator.
    front_end = {code for code in CODES if code[2] in "012345"}
    covered = {code for path in CASES for code, _, _ in header(path)[0]}
    covered.add("NS003")  # the file-size limit: generated below, not stored
    assert sorted(front_end - covered) == []


def test_a_file_over_the_size_limit(tmp_path: Path) -> None:
    spec = tmp_path / "huge.yaml"
    spec.write_bytes(b"# padding\n" * (loader.MAX_FILE_BYTES // 10 + 1))
    assert found(spec) == [("NS003", 1, 1)]


def test_a_byte_order_mark_is_not_a_problem(tmp_path: Path) -> None:
    spec = tmp_path / "bom.yaml"
    spec.write_bytes(b"\xef\xbb\xbf" + (INVALID / "ns302_unknown_cell_type.yaml").read_bytes())
    assert [code for code, _, _ in found(spec)] == ["NS302"] * 3


def test_the_command_line_reports_the_same_diagnostics() -> None:
    plain = [path for path in CASES if not header(path)[1]]
    done = netspec_cli("validate", "--format", "json", *map(str, plain))
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert [Path(f["file"]) for f in report["files"]] == plain
    for entry, path in zip(report["files"], plain, strict=True):
        got = sorted((d["code"], d["line"], d["column"]) for d in entry["diagnostics"])
        assert got == sorted(header(path)[0]), path.name
        assert entry["valid"] is False and entry["readable"] is True


def test_set_overrides_on_the_command_line() -> None:
    path = INVALID / "ns210_bad_override.yaml"
    expected, sets = header(path)
    args = [arg for item in sets for arg in ("--set", item)]
    result = CliRunner().invoke(main, ["validate", str(path), *args])
    assert result.exit_code == 1, result.output
    for code, line, column in expected:
        assert f"{path}:{line}:{column}: error[{code}]: override " in result.output
    assert "Traceback" not in result.output


def test_a_new_users_mistakes_are_explained() -> None:
    """Each message says what is wrong, where, and what is allowed instead."""
    path = INVALID / "mixed_new_user_typos.yaml"
    messages = {d.code: d.render() for d in check(path).diagnostics}
    assert "quote it" in messages["NS104"]
    assert "unknown parameter 'tau_mem' for IF_cond_exp (did you mean 'tau_m'?)" \
        in messages["NS303"]
    assert "allowed: cm, e_rev_E" in messages["NS303"]
    assert "tau_refrac" in messages["NS207"] and "'5 mV' has unit mV" in messages["NS207"]
    assert "needs a time in ms" in messages["NS207"]
    assert "'nosie' (did you mean 'noise'?); defined: exc, noise" in messages["NS301"]
    assert "(did you mean 'excitatory'?); allowed: excitatory, inhibitory" in messages["NS307"]
    assert "(did you mean 'spikes'?)" in messages["NS306"]
    for rendered in messages.values():
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: error\[NS\d{{3}}\]: ", rendered)
        assert rendered.endswith(")")  # ends with "(at <spec path>)"
