"""The analysis entry points on run folders: ``stats``, ``plot`` and ``compare``.

Each reads the folder(s) with :func:`~netspec.analysis.runfolder.read_run` and
hands the recorded data to the module that does the job; the command line and
the Python API (``netspec.stats``, ``netspec.plot``, ``netspec.compare``)
call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netspec.analysis import compare as comparing
from netspec.analysis import figure as figures
from netspec.analysis import statistics
from netspec.analysis.runfolder import Run, read_run
from netspec.errors import OutputExistsError, UsageError


def stats(run_dir: str | Path, *, start: float | None = None,
          stop: float | None = None) -> dict[str, Any]:
    """The statistics document of the run in ``run_dir`` over ``[start, stop)`` ms (see
    :mod:`netspec.analysis.statistics`); JSON-ready, undefined values ``None``."""
    run = read_run(run_dir)
    win = statistics.window(run.t_start, run.t_stop, start, stop)
    found = statistics.run_statistics(run.spikes, win)
    return statistics.document(found, win, run.about, run.unavailable)


def plot(run_dir: str | Path, output: str | Path | None = None, *,
         start: float | None = None, stop: float | None = None,
         force: bool = False) -> Path:
    """Draw the run in ``run_dir`` (see :mod:`netspec.analysis.figure`) and write it to
    ``output`` (default ``<run_dir>/figure.png``; .png, .svg or .pdf) atomically.
    Raises :class:`~netspec.errors.OutputExistsError` if it exists and not ``force``."""
    from netspec.export.staging import write_atomic

    target = Path(output) if output is not None else Path(run_dir) / "figure.png"
    fmt = figures.format_of(str(target))
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists (use --force to overwrite)")
    run = read_run(run_dir)
    win = statistics.window(run.t_start, run.t_stop, start, stop)
    fig = figures.figure(rasters(run), run.signals, win, title=_title(run.about))
    write_atomic(target, figures.render(fig, fmt), force=force)
    return target


def rasters(run: Run) -> dict[str, Any]:
    """The targets a figure of ``run`` draws rasters of: those its exports hold, in export
    order (every rated target when that gives none)."""
    chosen = {n: run.spikes[n] for n in run.exported if n in run.spikes}
    return chosen or dict(run.spikes)


def compare(run_a: str | Path, run_b: str | Path, *, start: float | None = None,
            stop: float | None = None, sigmas: float | None = None,
            rtol: Mapping[str, float] | None = None,
            atol: Mapping[str, float] | None = None) -> tuple[comparing.Comparison,
                                                              dict[str, Any], dict[str, Any]]:
    """Compare the runs in ``run_a`` and ``run_b`` (see :mod:`netspec.analysis.compare`).

    Tolerances: the defaults, then the ``compare`` section of ``run_a``'s spec,
    then ``sigmas``/``rtol``/``atol``. Returns the comparison and what each run
    is (folder, network, backend, seed).
    """
    a, b = read_run(run_a), read_run(run_b)
    lo = max(a.t_start, b.t_start)
    hi = min(a.t_stop, b.t_stop)
    if hi <= lo:
        raise UsageError(f"{run_a} and {run_b} share no time")
    win = statistics.window(lo, hi, start, stop)
    spec = a.manifest.get("resolved", {}).get("compare")
    tolerances = comparing.Tolerances().updated(**comparing.from_spec(spec)).updated(
        sigmas, rtol, atol)
    result = comparing.compare(a.spikes, b.spikes, win, tolerances,
                               only_in_a=a.unavailable, only_in_b=b.unavailable)
    return result, a.about, b.about


def _title(about: Mapping[str, Any]) -> str:
    return (f"{about.get('network')} — {about.get('backend')}, seed {about.get('seed')}")
