"""The ``plot`` format: a figure of the run (PNG, SVG or PDF by the path's suffix), the
one ``netspec plot`` draws from the run's folder: a raster per target whose spikes
were recorded, its recorded analog signals, the population rates; see
:mod:`netspec.analysis.figure`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netspec.analysis import figure
from netspec.analysis.statistics import Window
from netspec.export.recorded import RecordedData


def write(path: Path, data: Sequence[RecordedData], summary: Mapping[str, Any] | None) -> None:
    """Draw ``data`` over the whole run and write the figure to ``path``."""
    fmt = figure.format_of(path.name)
    t_start = min((d.t_start for d in data), default=0.0)
    t_stop = max((d.t_stop for d in data), default=0.0)
    info = summary or {}
    title = f"{info.get('network')} — {info.get('backend')}, seed {info.get('seed')}"
    fig = figure.figure({d.name: d for d in data if d.spike_times is not None},
                        {d.name: d for d in data if d.signals}, Window(t_start, t_stop),
                        title=title)
    path.write_bytes(figure.render(fig, fmt))


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` starts as its format's files start."""
    head = path.read_bytes()[:512]
    fmt = figure.format_of(path.name)
    ok = {"png": head.startswith(b"\x89PNG\r\n\x1a\n"), "pdf": head.startswith(b"%PDF-"),
          "svg": b"<svg" in head or head.lstrip().startswith(b"<?xml")}[fmt]
    if not ok:
        raise ValueError(f"{path} is not a {fmt.upper()} file")
