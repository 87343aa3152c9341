"""Docs stay in step with the code: diagnostic codes, README commands, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_diagnostics_page_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "generate_diagnostics_doc.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, "run: python tools/generate_diagnostics_doc.py"


def test_readme_quick_start_and_exit_codes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "netspec run specs/vogels_abbott_coba.yaml" in readme
    assert ("pip install -e '.[test]' && tools/install-nest-mpi --python .venv/bin/python "
            "&& .venv/bin/python -m pytest") in readme
    from netspec import cli
    for code in (cli.EXIT_OK, cli.EXIT_INVALID, cli.EXIT_USAGE, cli.EXIT_ENVIRONMENT,
                 cli.EXIT_INTERNAL, cli.EXIT_INTERRUPTED):
        assert f"| {code} |" in readme


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci and "-m pytest" in ci
    assert "tools/install-nest-mpi --python" in ci  # the mpi tests run in CI


def test_readme_and_docs_show_the_seed_description() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "generate_describe_docs.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, "run: python tools/generate_describe_docs.py"
    svg = (ROOT / "docs" / "examples" / "vogels_abbott_coba.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"<svg" in svg[:400]


def test_what_nest_cannot_run_is_documented_as_the_code_has_it() -> None:
    import re

    from netspec.backends import nest

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    table = text.split("<!-- nest-unavailable:start -->")[1].split(
        "<!-- nest-unavailable:end -->")[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in table.strip().splitlines()[2:]]
    named = {(kind, name.strip("`")) for kind, name, _ in rows
             if name.count("`") == 2 and kind != "STDP"}
    expected = {("cell type", n) for n in nest.BROKEN["cell"]}
    expected |= {("connector", n) for n in nest.BROKEN["connector"]}
    expected |= {("synapse type", n) for n in (*nest.BROKEN["synapse"],
                                               *nest.UNAVAILABLE["synapse"])}
    expected |= {("timing dependence", n) for n in nest.UNAVAILABLE["timing_dependence"]}
    assert named == expected
    reasons = {name.strip("`"): why for _, name, why in rows}
    for kind in ("cell", "connector", "synapse"):
        for name, why in nest.BROKEN[kind].items():
            assert reasons[name] == why, name
    by_row = {kind: row for kind, row, _ in rows}
    for cell, variables in nest.FIXED_INITIAL_VALUES.items():
        assert f"`{cell}`" in by_row["initial value"]
        for variable in variables:
            assert re.search(rf"`{variable}`[^;]*`{cell}`", by_row["initial value"]), cell
    for cell, variables in nest.UNRECORDABLE.items():
        for variable in variables:
            assert f"`{variable}` of `{cell}`" in by_row["recorded variable"]


def test_docs_install_from_the_checkout_not_from_pypi() -> None:
    """`pip install 'netspec[…]'` would fetch an unrelated PyPI package of that name."""
    for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"),
                 *(ROOT / "netspec").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py"),
                 *(p for p in (ROOT / "tests").glob("*.py") if p != Path(__file__))]:
        text = path.read_text(encoding="utf-8")
        assert "install 'netspec[" not in text and 'install "netspec[' not in text, path
        assert "install netspec[" not in text, path
        assert "/work/" not in text, path  # no developer's paths


def test_an_unavailable_backend_says_how_to_install_it() -> None:
    from netspec.backends import install_command
    command = install_command("nest")
    assert command.startswith("pip install ") and "[nest]" in command
    assert "'netspec[" not in command
