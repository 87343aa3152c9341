"""Docs stay in step with the code: diagnostic codes, README commands, exit codes."""

from __future__ import annotations

import subprocess
import sys

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


def test_readme_and_docs_show_the_seed_description() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "generate_describe_docs.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, "run: python tools/generate_describe_docs.py"
    svg = (ROOT / "docs" / "examples" / "vogels_abbott_coba.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"<svg" in svg[:400]
