"""netspec: describe a spiking network once in YAML; validate it and run it on NEST or
SpiNNaker through PyNN.

>>> import netspec
>>> network = netspec.load("specs/vogels_abbott_coba.yaml", overrides={"n": 100})
>>> result = netspec.run("specs/vogels_abbott_coba.yaml", out="results/va")  # doctest: +SKIP

Importing netspec, loading and validating never import PyNN, a simulator or Neo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netspec.errors import (
    AnalysisUnavailableError,
    BackendConfigError,
    BackendUnavailableError,
    Interrupted,
    MachineError,
    NetspecError,
    NotAnOutputError,
    OutputError,
    OutputExistsError,
    RunFolderError,
    SimulationError,
    SpecError,
    SpecFileError,
    UsageError,
)
from netspec.pipeline import check, load

if TYPE_CHECKING:
    from pathlib import Path

    import neo

    from netspec.diagnostics import Diagnostic
    from netspec.runner import RunResult

__version__ = "0.1.0"

__all__ = [
    "AnalysisUnavailableError",
    "BackendConfigError",
    "BackendUnavailableError",
    "Interrupted",
    "MachineError",
    "NetspecError",
    "NotAnOutputError",
    "OutputError",
    "OutputExistsError",
    "RunFolderError",
    "SimulationError",
    "SpecError",
    "SpecFileError",
    "UsageError",
    "__version__",
    "check",
    "compare",
    "compile",
    "load",
    "plot",
    "read",
    "run",
    "stats",
    "validate",
]


def validate(path: str | Path, *, backend: str = "nest",
             overrides: Mapping[str, Any] | None = None) -> tuple[Diagnostic, ...]:
    """Every diagnostic for the spec at ``path`` (empty when it is valid).

    ``backend`` (default ``"nest"``, the backend :func:`run` uses) adds what that
    backend cannot run, so a spec that validates runs; ``"spinnaker"`` or ``"all"``
    for the others. ``overrides`` replaces parameters, as ``--set`` does. Never
    imports PyNN or a simulator.
    """
    return check(path, overrides=overrides, backend=backend).diagnostics


def run(path: str | Path, *, backend: str = "nest", out: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None, duration: str | float | None = None,
        force: bool = False, progress: Callable[[float, float], None] | None = None,
        virtual_board: bool | None = None, board_address: str | None = None,
        board_version: int | str | None = None, spalloc_server: str | None = None,
        boards: int | None = None, spalloc_machine: str | None = None,
        command: Sequence[str] | None = None) -> RunResult:
    """Load, build, simulate and export the spec at ``path``; return a :class:`RunResult`
    (``.summary``, ``.files``, ``.block(name)``).

    backend
        ``"nest"`` (default) or ``"spinnaker"``.
    out
        The output folder (default ``results/<name>``).
    overrides
        Parameter name → value, replacing the spec's ``parameters`` (what ``--set`` does).
    duration
        Simulate this long instead of ``simulation.duration``: a quantity (``"200 ms"``)
        or milliseconds.
    force
        Replace the outputs of an earlier run in ``out``: files it wrote (listed in its
        manifest) that this run does not write are removed.
    progress
        Called as ``progress(done_ms, total_ms)`` while simulating.
    virtual_board, board_address, board_version, spalloc_server, boards, spalloc_machine
        SpiNNaker's machine (see docs/spinnaker.md); a virtual board maps the network
        but records no data; ``boards`` asks spalloc for that many boards (or makes a
        virtual machine of them), ``spalloc_machine`` names the spalloc machine.
    command
        What the manifest records as the command (default ``sys.argv``).

    Raises :class:`SpecError` for an invalid spec, :class:`OutputExistsError` /
    :class:`OutputError` before simulating when outputs cannot be written,
    :class:`BackendUnavailableError` / :class:`BackendConfigError`,
    :class:`MachineError` when a SpiNNaker machine cannot be reached,
    :class:`SimulationError` pointing at what the simulator refused, and
    :class:`Interrupted` on Ctrl-C or SIGTERM (nothing is published).
    """
    from netspec.runner import run as _run
    options = {k: v for k, v in (("virtual_board", virtual_board),
                                 ("board_address", board_address),
                                 ("board_version", None if board_version is None
                                  else str(board_version)),
                                 ("spalloc_server", spalloc_server),
                                 ("boards", boards),
                                 ("spalloc_machine", spalloc_machine)) if v is not None}
    return _run(path, backend=backend, out=out, overrides=overrides, duration=duration,
                force=force, progress=progress, backend_options=options, command=command)


def compile(path: str | Path, *, backend: str = "nest",
            overrides: Mapping[str, Any] | None = None,
            duration: str | float | None = None) -> str:
    """The standalone PyNN script for the spec at ``path``: the same plan :func:`run`
    executes, writing its outputs with PyNN's own writers.

    ``backend``, ``overrides`` and ``duration`` as for :func:`run`. Raises
    :class:`SpecError` for an invalid spec.
    """
    from netspec.emit import compile_file
    return compile_file(path, backend=backend, overrides=overrides, duration=duration)


def read(path: str | Path) -> neo.Block:
    """A Neo Block with one SpikeTrain per neuron from a ``nix`` or ``pickle`` output of a
    run. Raises :class:`NotAnOutputError` when ``path`` is not such a file."""
    from netspec.reader import read as _read
    return _read(path)


def stats(run_dir: str | Path, **options: Any) -> dict[str, Any]:
    """Rate, CV of ISIs, Fano factor and synchrony per population and view of a run
    folder; see :func:`netspec.analysis.api.stats`."""
    from netspec.analysis.api import stats as _stats
    return _stats(run_dir, **options)


def plot(run_dir: str | Path, output: str | Path | None = None, **options: Any) -> Path:
    """Draw a run folder (rasters, traces, rates) to a PNG/SVG/PDF file; see
    :func:`netspec.analysis.api.plot`."""
    from netspec.analysis.api import plot as _plot
    return _plot(run_dir, output, **options)


def compare(run_a: str | Path, run_b: str | Path, **options: Any) -> Any:
    """Whether two run folders agree within sampling noise (``.agree``, ``.checks``); see
    :func:`netspec.analysis.api.compare`."""
    from netspec.analysis.api import compare as _compare
    return _compare(run_a, run_b, **options)[0]
