"""Shared fixtures: where the specs are, and whether each backend can run here."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
#: The seed spec (the design's Vogels-Abbott spec, with a schema line for editors). Tests
#: read nothing outside the repository.
VA = SPECS / "vogels_abbott_coba.yaml"


def has_module(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it here."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


#: Parameters that make a large example spec quick enough for tests that build or run
#: every spec (its defaults are the reference's scale; its own tests run it as it is).
QUICK: dict[str, dict[str, Any]] = {
    "potjans_diesmann_2014": {"N_scaling": 0.02, "K_scaling": 0.02, "t_sim": "100 ms"},
}


def quick(spec: Path) -> dict[str, Any]:
    """The overrides that make ``spec`` quick (none for most specs)."""
    return dict(QUICK.get(spec.stem, {}))


def quick_args(spec: Path) -> list[str]:
    """``quick(spec)`` as ``--set`` options of the command line."""
    return [arg for name, value in quick(spec).items() for arg in ("--set", f"{name}={value}")]


HAS_NEST = has_module("pyNN") and has_module("nest")
HAS_SPINNAKER = has_module("spynnaker")

needs_nest = pytest.mark.skipif(not HAS_NEST, reason="PyNN and nest-simulator are not installed "
                                                     "(pip install '.[nest]' in the checkout)")


def run_python(code: str, *, cwd: Path | None = None, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter (NEST keeps global state); return stdout."""
    env = {**os.environ, "PYNEST_QUIET": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        raise AssertionError(f"subprocess failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def netspec_cli(*args: str, cwd: Path | None = None,
                timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``netspec`` command line in a subprocess."""
    env = {**os.environ, "PYNEST_QUIET": "1"}
    return subprocess.run([sys.executable, "-m", "netspec", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=env, check=False)
