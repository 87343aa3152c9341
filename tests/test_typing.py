"""mypy passes where the optional simulators are not installed: every third-party module
netspec imports that is not a typed core dependency is listed in mypy's
``ignore_missing_imports`` overrides (pyproject.toml)."""

from __future__ import annotations

import ast
import fnmatch
import sys
import tomllib

from tests.conftest import ROOT

#: Core dependencies whose types mypy has (inline or from the test extra's stubs).
TYPED = {"yaml", "jsonschema", "referencing", "click", "numpy"}


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "netspec").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return {m for m in found if m.split(".")[0] not in sys.stdlib_module_names
            and m.split(".")[0] != "netspec" and m.split(".")[0] not in TYPED}


def test_untyped_imports_are_in_mypy_overrides() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = [p for override in config["tool"]["mypy"]["overrides"]
                if override.get("ignore_missing_imports") for p in override["module"]]
    missing = sorted(m for m in _imported_modules()
                     if not any(fnmatch.fnmatch(m, p) or m == p.removesuffix(".*")
                                for p in patterns))
    assert missing == [], f"add to [[tool.mypy.overrides]] module: {missing}"
    assert any(p.startswith("spinn_utilities") for p in patterns)
