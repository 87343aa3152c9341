"""netspec: describe a spiking network once in YAML; validate it and run it on NEST or
SpiNNaker through PyNN.

>>> import netspec
>>> network = netspec.load("specs/vogels_abbott_coba.yaml", overrides={"n": 100})
>>> result = netspec.run("specs/vogels_abbott_coba.yaml", out="results/va")  # doctest: +SKIP

Importing netspec, loading and validating never import PyNN, a simulator or Neo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netspec.errors import (
    BackendUnavailableError,
    NetspecError,
    OutputError,
    OutputExistsError,
    SimulationError,
    SpecError,
    SpecFileError,
    UsageError,
)
from netspec.pipeline import check, load

if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError",
    "NetspecError",
    "OutputError",
    "OutputExistsError",
    "SimulationError",
    "SpecError",
    "SpecFileError",
    "UsageError",
    "__version__",
    "check",
    "compile",
    "load",
    "read",
    "run",
    "validate",
]


def validate(path: str | Path, *, backend: str | None = None) -> tuple[Any, ...]:
    """Every diagnostic for the spec at ``path`` (empty when it is valid)."""
    return check(path, backend=backend).diagnostics


def run(path: str | Path, **options: Any) -> Any:
    """Load, build, simulate and export the spec at ``path``; see :func:`netspec.runner.run`."""
    from netspec.runner import run as _run
    return _run(path, **options)


def compile(path: str | Path, **options: Any) -> str:
    """The standalone PyNN script for the spec at ``path``; see :func:`netspec.emit.emit`."""
    from netspec.emit import compile_file
    return compile_file(path, **options)


def read(path: str | Path) -> Any:
    """A Neo Block with one SpikeTrain per neuron from an output file of a run."""
    from netspec.reader import read as _read
    return _read(path)
