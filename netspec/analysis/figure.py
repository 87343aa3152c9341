"""The figure of a run, in the manner of ``pyNN.utility.plotting``: one spike raster per
target, the recorded analog traces (membrane potential, conductances) and the
population rates, stacked on one time axis.

Drawn with matplotlib's object-oriented API on an Agg canvas: no pyplot, no
display, no change to the caller's matplotlib backend, so it works on a
headless machine and inside a notebook alike. Each raster is ONE line of
marks (one mark per spike; ``rasterized`` so that an SVG of a large network
stays small); traces show at most :data:`MAX_TRACES` channels per variable;
the rate panel is a histogram in :data:`RATE_BIN_MS` bins (spikes per recorded
neuron per second).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from netspec.analysis.statistics import Window
from netspec.errors import AnalysisUnavailableError, UsageError
from netspec.export.recorded import RecordedData

#: Channels drawn per analog variable.
MAX_TRACES = 5
#: Bin of the population-rate histogram, ms.
RATE_BIN_MS = 5.0
#: File formats ``render`` writes, by suffix.
FORMATS = ("png", "svg", "pdf")
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def format_of(path: str) -> str:
    """The file format of ``path`` from its suffix; :class:`UsageError` for another one."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the figure's format from {path!r}: give a file "
                         f"name ending in {', '.join('.' + f for f in FORMATS)}")
    return suffix


def figure(rasters: Mapping[str, RecordedData], signals: Mapping[str, RecordedData],
           win: Window, title: str = "") -> Any:
    """A matplotlib ``Figure``: a raster per entry of ``rasters`` (targets whose spikes
    were recorded), a panel per analog variable of ``signals``, and the population
    rates, over ``win``. Raises :class:`UsageError` when there is nothing to draw."""
    Figure = _figure_class()
    variables = [(name, var) for name, d in signals.items() for var in d.signals]
    spiking = {n: d for n, d in rasters.items() if d.spike_times is not None}
    rows = len(spiking) + len(variables) + (1 if spiking else 0)
    if rows == 0:
        raise UsageError("nothing to plot: the run recorded neither spikes nor signals")
    heights = [3.0] * len(spiking) + [1.6] * len(variables) + ([1.6] if spiking else [])
    fig = Figure(figsize=(9.0, 1.0 + sum(heights)), layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, height_ratios=heights)[:, 0]
    row = 0
    for k, (name, data) in enumerate(spiking.items()):
        _raster(axes[row], name, data, win, _COLOURS[k % len(_COLOURS)])
        row += 1
    for name, var in variables:
        _traces(axes[row], name, signals[name], var, win)
        row += 1
    if spiking:
        _rates(axes[row], spiking, win)
    axes[-1].set_xlabel("time (ms)")
    axes[-1].set_xlim(win.start, win.stop)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def render(fig: Any, fmt: str) -> bytes:
    """The bytes of ``fig`` as ``fmt`` (png, svg or pdf)."""
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def raster_marks(fig: Any) -> dict[str, int]:
    """Number of marks in each raster of a figure made by :func:`figure` (target → marks)."""
    out: dict[str, int] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = str(line.get_gid() or "")
            if label.startswith("raster:"):
                out[label.removeprefix("raster:")] = len(line.get_xdata())
    return out


def _window_spikes(data: RecordedData, win: Window) -> tuple[np.ndarray, np.ndarray]:
    times, ids, _ = data.spikes()
    keep = win.contains(times)
    return times[keep], ids[keep]


def _raster(ax: Any, name: str, data: RecordedData, win: Window, colour: str) -> None:
    times, ids = _window_spikes(data, win)
    size = max(int(data.size), 1)
    marker = 2.0 if size <= 200 else 1.0 if size <= 2000 else 0.5
    (line,) = ax.plot(times, ids, linestyle="none", marker="|" if size <= 200 else ".",
                      markersize=marker, color=colour, rasterized=True)
    line.set_gid(f"raster:{name}")
    ax.set_ylim(-0.5, size - 0.5)
    ax.set_ylabel(f"{name}\nneuron")
    ax.text(0.995, 0.98, f"{times.size} spikes", transform=ax.transAxes, ha="right",
            va="top", fontsize=7, color="0.2",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8,
                  "linewidth": 0})


def _traces(ax: Any, name: str, data: RecordedData, var: str, win: Window) -> None:
    signal = data.signals[var]
    n = signal.values.shape[0]
    t = signal.t_start + signal.sampling_period * np.arange(n)
    keep = (t >= win.start) & (t <= win.stop)
    for j in range(min(MAX_TRACES, signal.values.shape[1])):
        ax.plot(t[keep], signal.values[keep, j], linewidth=0.7,
                label=f"#{int(signal.channel_ids[j])}")
    ax.set_ylabel(f"{name}.{var}\n({signal.units})")
    if signal.values.shape[1] > 1:
        ax.legend(fontsize=6, loc="upper right", ncols=min(MAX_TRACES, signal.values.shape[1]))


def _rates(ax: Any, spiking: Mapping[str, RecordedData], win: Window) -> None:
    edges = np.arange(win.start, win.stop + RATE_BIN_MS / 2, RATE_BIN_MS)
    if edges.size < 2:
        edges = np.array([win.start, win.stop])
    for k, (name, data) in enumerate(spiking.items()):
        times, _ = _window_spikes(data, win)
        recorded = max(int(data.spike_channels.size if data.spike_channels is not None else 0),
                       1)
        counts, _ = np.histogram(times, bins=edges)
        rate = counts / recorded / (np.diff(edges) / 1000.0)
        ax.stairs(rate, edges, color=_COLOURS[k % len(_COLOURS)], label=name, linewidth=0.8)
    ax.set_ylabel("rate\n(Hz)")
    ax.legend(fontsize=6, loc="upper right", ncols=min(len(spiking), 4))


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        from netspec.backends import install_command
        raise AnalysisUnavailableError("figures are drawn with matplotlib, which is not "
                                       f"installed: {install_command('analysis')}") from exc
    return Figure
