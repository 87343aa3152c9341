"""Stage 7 — write what a run recorded: collect → stage → write → verify → publish.

::

    plan = prepare(spec.export, out_dir, force)          # before simulating
    with plan:
        ...build, run...
        data = {name: collect(obj, variables, name, t_stop) for ...}
        context = WriteContext(populations=structure.populations(network, pynn), ...)
        seconds = write_exports(plan, spec.export, data, summary, manifest, context)
        plan.publish()

:data:`WRITERS` maps each format to its writer; writers import Neo and h5py
only when called, so importing ``netspec.export`` imports neither (nor PyNN).
Each writer writes one file holding one or more targets (see the docstrings of
:mod:`~netspec.export.nixfile`, :mod:`~netspec.export.picklefile`,
:mod:`~netspec.export.sonatafile`, :mod:`~netspec.export.summaryfile`,
:mod:`~netspec.export.statsfile`, :mod:`~netspec.export.plotfile`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from netspec.checks import export_files
from netspec.errors import OutputError, UsageError
from netspec.export.recorded import (
    InitialValues,
    RecordedData,
    Signal,
    capture_initial_values,
    collect,
)
from netspec.export.staging import MANIFEST, OutputPlan, os_message
from netspec.export.staging import prepare as _prepare_files
from netspec.export.structure import EdgeSet, PopulationInfo

__all__ = [
    "MANIFEST",
    "VERIFIERS",
    "WRITERS",
    "EdgeSet",
    "Export",
    "InitialValues",
    "OutputPlan",
    "PopulationInfo",
    "RecordedData",
    "Signal",
    "WriteContext",
    "Writer",
    "capture_initial_values",
    "collect",
    "prepare",
    "summarise",
    "write_exports",
]


class Export(Protocol):
    """One entry of a spec's ``export`` list, as the writers read it."""

    @property
    def format(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def variables(self) -> tuple[str, ...] | None: ...
    @property
    def edges(self) -> bool | None: ...


@dataclass(frozen=True)
class WriteContext:
    """What writers may need beside the recorded data: the summary document, the
    network's Populations and (for SONATA edges) its connections, and every file of the
    export being written (staged paths, as :func:`netspec.checks.export_files` names
    them; the first is the export's ``path``)."""

    summary: Mapping[str, Any] | None = None
    populations: tuple[PopulationInfo, ...] = ()
    edges: tuple[EdgeSet, ...] | None = None
    files: tuple[Path, ...] = field(default=())


class Writer(Protocol):
    """Writes ``data`` (the targets of one export) to a new file at ``path`` (and, for a
    format of several files, to ``context.files``)."""

    def __call__(self, path: Path, data: Sequence[RecordedData],
                 context: WriteContext | None) -> None: ...


def _nix(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import nixfile
    nixfile.write(path, data)


def _pickle(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import picklefile
    picklefile.write(path, data)


def _sonata(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import sonatafile
    context = context or WriteContext()
    files = context.files or (path,)
    if len(files) < 3:
        raise UsageError("a sonata export writes its spikes, nodes and node types files: "
                         "give every staged file in context.files")
    sonatafile.write(files, data, context.populations,
                     context.edges if len(files) >= 5 else None)


def _summary(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import summaryfile
    summaryfile.write(path, data, context.summary if context is not None else None)


def _stats(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import statsfile
    statsfile.write(path, data, context.summary if context is not None else None)


def _plot(path: Path, data: Sequence[RecordedData], context: WriteContext | None) -> None:
    from netspec.export import plotfile
    plotfile.write(path, data, context.summary if context is not None else None)


def _verify_plot(path: Path) -> None:
    from netspec.export import plotfile
    plotfile.verify(path)


def _verify_nix(path: Path) -> None:
    from netspec.export import nixfile
    nixfile.verify(path)


def _verify_pickle(path: Path) -> None:
    from netspec.export import picklefile
    picklefile.verify(path)


def _verify_sonata(path: Path) -> None:
    from netspec.export import sonatafile
    sonatafile.verify(path)


def _verify_json(path: Path) -> None:
    from netspec.export import summaryfile
    summaryfile.verify(path)


#: format name → writer.
WRITERS: dict[str, Writer] = {
    "nix": _nix,
    "pickle": _pickle,
    "sonata": _sonata,
    "summary": _summary,
    "stats": _stats,
    "plot": _plot,
}

#: format name → check run on the staged file before it may be published.
VERIFIERS: dict[str, Callable[[Path], None]] = {
    "nix": _verify_nix,
    "pickle": _verify_pickle,
    "sonata": _verify_sonata,
    "summary": _verify_json,
    "stats": _verify_json,
    "plot": _verify_plot,
}

#: Formats that hold no recorded data (written after the data files, with their timings).
_DOCUMENT_FORMATS = frozenset({"summary"})


def summarise(data: Mapping[str, RecordedData], duration_ms: float) -> dict[str, Any]:
    """Per target: size, spike count and mean rate in Hz; see :mod:`netspec.export.summaryfile`."""
    from netspec.export.summaryfile import summarise as _summarise
    return _summarise(data, duration_ms)


def select(export: Export, data: Mapping[str, RecordedData],
           targets: Sequence[str] | None = None) -> list[RecordedData]:
    """The recorded data ``export`` writes: ``targets`` when given (those that recorded
    something), else its target, or every recorded Population."""
    if targets is not None:
        chosen = [data[t] for t in dict.fromkeys(targets) if t in data]
    elif export.target is not None:
        if export.target not in data:
            raise UsageError(
                f"export {export.path!r} names target {export.target!r}, which recorded "
                f"nothing (recorded: {', '.join(sorted(data)) or 'nothing'})")
        chosen = [data[export.target]]
    else:
        chosen = [d for d in data.values() if d.kind == "population"]
    variables = export.variables
    if variables is not None:
        chosen = [d.select(variables) for d in chosen]
    if export.format == "sonata":
        chosen = [d for d in chosen if d.spike_times is not None or export.target is not None]
    return chosen


def prepare(exports: Sequence[Export], out_dir: Path, force: bool) -> OutputPlan:
    """Check that every file of ``exports`` can be written to ``out_dir`` and stage them;
    see :func:`netspec.export.staging.prepare`."""
    return _prepare_files([_File(f) for e in exports for f in export_files(e)], out_dir,
                          force)


@dataclass(frozen=True)
class _File:
    path: str


def write_exports(plan: OutputPlan, exports: Sequence[Export],
                  data: Mapping[str, RecordedData], summary: Mapping[str, Any],
                  manifest: Mapping[str, Any],
                  context: WriteContext | None = None,
                  targets: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """Write every export, then ``manifest.json``, into ``plan``'s staging folder.

    ``context`` gives the writers the network's Populations and connections (SONATA
    nodes and edges). ``targets`` may name, per export path, the targets the export
    writes (the runner's choice, from :mod:`netspec.checks`); otherwise :func:`select`
    chooses. Data files come first; each ``summary`` document is written after them
    with ``write_seconds`` (seconds per data file) added; the manifest gets
    ``write_seconds`` and ``outputs`` (format, bytes and sha256 of every file).
    Each file is verified as it is written. Nothing is published: call
    ``plan.publish()``. Returns the seconds spent writing each file (path →
    seconds, verification included).
    """
    from netspec.export import manifest as manifest_module

    unknown = sorted({e.format for e in exports} - WRITERS.keys())
    if unknown:
        raise UsageError(f"unknown export format(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(sorted(WRITERS))})")
    seconds: dict[str, float] = {}
    ordered = ([e for e in exports if e.format not in _DOCUMENT_FORMATS]
               + [e for e in exports if e.format in _DOCUMENT_FORMATS])
    for export in ordered:
        started = time.perf_counter()
        if export.format in _DOCUMENT_FORMATS:
            chosen: list[RecordedData] = []
            document: Mapping[str, Any] = {**summary, "write_seconds": dict(seconds)}
        else:
            chosen = select(export, data, (targets or {}).get(export.path))
            document = summary
        files = export_files(export)
        with _os_errors(plan, export.path):
            WRITERS[export.format](plan.staged(export.path), chosen, replace(
                context or WriteContext(), summary=document,
                files=tuple(plan.staged(f) for f in files)))
        for file in files:
            plan.verify(file, VERIFIERS.get(export.format))
        seconds[export.path] = time.perf_counter() - started

    started = time.perf_counter()
    with _os_errors(plan, MANIFEST):
        outputs = {
            file: {"format": e.format,
                   "bytes": plan.staged(file).stat().st_size,
                   "sha256": manifest_module.sha256_file(plan.staged(file))}
            for e in exports for file in export_files(e)
        }
        manifest_module.write(plan.staged(MANIFEST),
                              {**manifest, "write_seconds": dict(seconds), "outputs": outputs})
    plan.verify(MANIFEST, VERIFIERS["summary"])
    seconds[MANIFEST] = time.perf_counter() - started
    return seconds


@contextmanager
def _os_errors(plan: OutputPlan, path: str) -> Iterator[None]:
    """Turn an OSError raised while writing ``path`` into an OutputError naming it."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write {plan.final(path)}: {os_message(exc)}; "
                          "nothing was published") from exc
