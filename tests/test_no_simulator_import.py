"""Validating and describing a spec never import PyNN, a simulator, Neo or their file formats.

Checked in fresh interpreters, since this test process may have imported them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SPECS, VA

HEAVY = ("pyNN", "nest", "pynest", "spynnaker", "spinn_front_end_common", "neo", "h5py",
         "nixio")

_REPORT = f"""
import json, sys
heavy = {HEAVY!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
print(json.dumps(loaded))
"""


def _loaded_after(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code + _REPORT], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_importing_netspec_imports_no_simulator() -> None:
    assert _loaded_after("import netspec") == []


def test_validating_through_the_api_imports_no_simulator() -> None:
    specs = [str(VA), *map(str, sorted(SPECS.glob("*.yaml")))]
    code = (f"import netspec\n"
            f"for spec in {specs!r}:\n"
            f"    assert netspec.validate(spec) == (), spec\n"
            f"    netspec.load(spec)\n")
    assert _loaded_after(code) == []


def test_validating_an_invalid_spec_imports_no_simulator() -> None:
    invalid = ROOT / "tests" / "invalid" / "mixed_new_user_typos.yaml"
    code = f"import netspec\nassert netspec.validate({str(invalid)!r})\n"
    assert _loaded_after(code) == []


def test_the_validate_command_imports_no_simulator() -> None:
    specs = [str(VA), *map(str, sorted(SPECS.glob("*.yaml")))]
    code = (f"import sys\n"
            f"from netspec.cli import main\n"
            f"for fmt in ('text', 'json', 'github'):\n"
            f"    try:\n"
            f"        main(['validate', '--format', fmt, *{specs!r}])\n"
            f"    except SystemExit as exit:\n"
            f"        assert exit.code == 0, exit.code\n")
    assert _loaded_after(code) == []


def test_the_describe_command_imports_no_simulator(tmp_path: Path) -> None:
    """Every format, and the diagram (matplotlib only)."""
    specs = [str(VA), *map(str, sorted(SPECS.glob("*.yaml")))]
    svg = str(tmp_path / "net.svg")
    code = (f"import sys\n"
            f"from netspec.cli import main\n"
            f"for spec in {specs!r}:\n"
            f"    for args in (['--format', 'markdown'], ['--format', 'html'],\n"
            f"                 ['--format', 'json'], ['--diagram', '--force', '-o', {svg!r}]):\n"
            f"        try:\n"
            f"            main(['describe', spec, *args])\n"
            f"        except SystemExit as exit:\n"
            f"            assert exit.code == 0, exit.code\n")
    assert _loaded_after(code) == []


def test_backends_do_not_import_later_stages() -> None:
    """A backend profile is stage 5: it never imports the plan's executors, the runner,
    the writers or the command line (the runner hands it what it needs)."""
    import ast

    later = ("netspec.execute", "netspec.emit", "netspec.runner", "netspec.export",
             "netspec.reader", "netspec.cli")
    for path in (ROOT / "netspec" / "backends").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                assert not name.startswith(later), f"{path.name} imports {name}"
