"""Per-target spike statistics: mean rate, CV of inter-spike intervals, Fano factor, synchrony.

Every statistic is computed over the neurons whose spikes were *recorded*
(``RecordedData.spike_channels``; silent recorded neurons included) and over a
time window ``[start, stop)``, closed at the end of the run so that a spike at
``t_stop`` counts as the summary counts it.

=================  ==================================================  ===================
statistic          definition                                          computed by
=================  ==================================================  ===================
``mean_rate_hz``   spikes / recorded neurons / window (s)              NumPy
``cv_isi``         mean over neurons with >= 3 spikes of               NumPy, checked
                   std(ISI) / mean(ISI) (population std, ddof 0)       against Elephant
``fano_factor``    var / mean of the neurons' spike counts             Elephant
                   (across neurons, ddof 0)                            ``fanofactor``
``synchrony``      spike contrast (Ciba et al. 2018), in [0, 1]        NumPy, checked
                   (``min_bin`` 10 ms, ``bin_shrink_factor`` 0.9)      against Elephant
=================  ==================================================  ===================

Why not Elephant everywhere: the rate is one division, and must equal the
summary's to the last bit. Elephant's ``cv(isi(train))`` and
``spike_contrast`` loop over spike trains in Python (``scipy.stats.variation``
and one ``np.histogram`` per train and bin size): 3.5 s and 7.4 s for the
3200 excitatory neurons of the seed network at n=4000, where the vectorised
versions here take milliseconds. They compute the very same numbers (the
definitions, edge handling and bin sequence are Elephant's); the test suite
checks them against ``elephant.statistics.cv``/``isi`` and
``elephant.spike_train_synchrony.spike_contrast``. Elephant's ``fanofactor``
is cheap and is called as is.

A value that is not defined is ``None``, never NaN: no recorded neuron (rate),
no neuron with three spikes in the window (CV), fewer than two recorded
neurons or no spike at all (Fano factor), fewer than two recorded neurons or
no neuron with two spikes (synchrony, as Elephant refuses those).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from netspec.errors import AnalysisUnavailableError, UsageError
from netspec.export.recorded import RecordedData

#: Neurons need this many spikes in the window to contribute a CV (two ISIs).
CV_MIN_SPIKES = 3
#: Spike-contrast parameters (Elephant's defaults).
SPIKE_CONTRAST_MIN_BIN_MS = 10.0
SPIKE_CONTRAST_SHRINK = 0.9

#: Text for the ``methods`` entry of a statistics document.
METHODS: dict[str, str] = {
    "window": "[from_ms, to_ms), closed at the end of the run",
    "mean_rate_hz": "spikes / recorded neurons / window in s (NumPy)",
    "cv_isi": f"mean over neurons with >= {CV_MIN_SPIKES} spikes of std(ISI)/mean(ISI), "
              "ddof 0 (as elephant.statistics.cv(isi(train)); vectorised NumPy)",
    "fano_factor": "var/mean of spike counts across recorded neurons, ddof 0 "
                   "(elephant.statistics.fanofactor)",
    "synchrony": f"spike contrast, Ciba et al. 2018 (as elephant.spike_train_synchrony."
                 f"spike_contrast, min_bin {SPIKE_CONTRAST_MIN_BIN_MS:g} ms, "
                 f"bin_shrink_factor {SPIKE_CONTRAST_SHRINK:g}; vectorised NumPy)",
}


@dataclass(frozen=True)
class Window:
    """A time window in ms: spikes with ``start <= t < stop`` count, and ``t == stop`` too
    when ``closed`` (the window ends where the run ends)."""

    start: float
    stop: float
    closed: bool = True

    @property
    def seconds(self) -> float:
        """The window's length in s."""
        return (self.stop - self.start) / 1000.0

    def contains(self, times: np.ndarray) -> np.ndarray:
        """A boolean mask of ``times`` that fall in the window."""
        upper = times <= self.stop if self.closed else times < self.stop
        return np.asarray((times >= self.start) & upper)


def window(t_start: float, t_stop: float, start: float | None = None,
           stop: float | None = None) -> Window:
    """The window ``[start, stop)`` within a run of ``[t_start, t_stop]`` ms (``None``: the
    run's own bounds). Raises :class:`~netspec.errors.UsageError` for an empty window or
    one that leaves the run."""
    lo = t_start if start is None else float(start)
    hi = t_stop if stop is None else float(stop)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError("--from and --to must be finite times in ms")
    if lo < t_start - 1e-9 or hi > t_stop + 1e-9 or lo >= t_stop or hi <= t_start:
        raise UsageError(f"the window [{lo:g}, {hi:g}] ms leaves the run "
                         f"([{t_start:g}, {t_stop:g}] ms)")
    if hi <= lo:
        raise UsageError(f"the window [{lo:g}, {hi:g}] ms is empty: --to must be after --from")
    return Window(lo, hi, closed=hi >= t_stop - 1e-9)


def parse_time(text: str, option: str) -> float:
    """A time given on the command line, ``"200"`` (ms) or ``"0.2 s"``, in ms."""
    from netspec import units

    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            value = units.magnitude_in(units.parse_quantity(text), "ms")
        except ValueError as exc:
            raise UsageError(f"{option} {text!r}: give a time in ms or with a unit "
                             f"('250', '0.25 s') ({exc})") from None
    if not math.isfinite(value):
        raise UsageError(f"{option} {text!r}: not a finite time")
    return value


@dataclass(frozen=True)
class Neurons:
    """The spikes of the recorded neurons of one target within a window, neuron by neuron.

    ``times`` are sorted by neuron, then by time; ``neuron`` is the position of
    each spike's neuron among the recorded ones; ``counts[k]`` is neuron k's
    spike count.
    """

    times: np.ndarray
    neuron: np.ndarray
    counts: np.ndarray

    @property
    def recorded(self) -> int:
        """Number of recorded neurons."""
        return int(self.counts.size)

    def trains(self) -> list[np.ndarray]:
        """One array of spike times per recorded neuron."""
        return np.split(self.times, np.cumsum(self.counts)[:-1]) if self.counts.size else []


def neurons(data: RecordedData, win: Window) -> Neurons:
    """The recorded neurons of ``data`` and their spikes in ``win``."""
    times, ids, channels = data.spikes()
    keep = win.contains(times)
    position = np.full(max(data.size, int(ids.max()) + 1 if ids.size else 0, 1), -1,
                       dtype=np.int64)
    position[channels] = np.arange(channels.size)
    neuron = position[ids[keep]]
    t = times[keep]
    if np.any(neuron < 0):  # a spike of a neuron not listed as recorded: count it anyway
        raise ValueError(f"{data.name}: spikes of neurons that were not recorded")
    order = np.lexsort((t, neuron))
    neuron, t = neuron[order], t[order]
    counts = np.bincount(neuron, minlength=channels.size).astype(np.int64)
    return Neurons(times=t, neuron=neuron, counts=counts)


def cv_per_neuron(cells: Neurons) -> np.ndarray:
    """``std(ISI)/mean(ISI)`` (ddof 0) of every neuron with at least :data:`CV_MIN_SPIKES`
    spikes, in neuron order: Elephant's ``cv(isi(train))``, vectorised."""
    if cells.times.size < 2:
        return np.empty(0)
    same = cells.neuron[1:] == cells.neuron[:-1]
    isi = np.diff(cells.times)[same]
    owner = cells.neuron[1:][same]
    n = np.bincount(owner, minlength=cells.recorded)
    mean = np.bincount(owner, weights=isi, minlength=cells.recorded) / np.maximum(n, 1)
    var = np.bincount(owner, weights=(isi - mean[owner]) ** 2,
                      minlength=cells.recorded) / np.maximum(n, 1)
    use = n >= CV_MIN_SPIKES - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(var[use]) / mean[use]
    return np.asarray(cv[np.isfinite(cv)])


def spike_contrast(trains: list[np.ndarray], t_start: float, t_stop: float,
                   min_bin: float = SPIKE_CONTRAST_MIN_BIN_MS,
                   bin_shrink_factor: float = SPIKE_CONTRAST_SHRINK) -> float | None:
    """Spike-contrast synchrony (Ciba et al. 2018) of ``trains`` (times in ms), exactly as
    ``elephant.spike_train_synchrony.spike_contrast`` computes it, but one ``bincount``
    per bin size over all spikes instead of one histogram per train. ``None`` where
    Elephant raises (fewer than two trains, no train with two spikes)."""
    if len(trains) < 2:
        return None
    trains = [t[(t >= t_start) & (t <= t_stop)] for t in trains]
    diffs = [np.diff(t).min() for t in trains if len(t) > 1]
    if not diffs:
        return None
    isi_min = float(min(diffs))
    n_trains = len(trains)
    total = sum(len(t) for t in trains)
    times = np.concatenate(trains)
    owner = np.repeat(np.arange(n_trains), [len(t) for t in trains])
    bin_max = (t_stop - t_start) / 2
    bin_min = max(isi_min / 2, min_bin)
    lo, hi = t_start - isi_min, t_stop + isi_min
    best = -math.inf
    bin_size = bin_max
    while bin_size >= bin_min:
        step = bin_size / 2
        edges = np.arange(lo, hi + step, step)
        n_half = edges.size - 1
        # np.histogram's bins: [e_i, e_i+1), the last one closed
        half = np.searchsorted(edges, times, side="right") - 1
        half[times == edges[-1]] = n_half - 1
        inside = (half >= 0) & (half < n_half)
        half_counts = np.bincount(half[inside], minlength=n_half)
        theta = half_counts[:-1] + half_counts[1:]
        # a train is active in bin k (half-bins k and k+1) if it spikes in either half
        keys = owner[inside] * n_half + half[inside]
        if keys.size > 1 and np.any(keys[1:] < keys[:-1]):
            keys = np.sort(keys)  # trains not sorted in time
        occupied = keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys
        where = occupied % n_half
        # trains active in bin k (half-bins k and k+1): those in k, plus those in k+1,
        # less those in both
        per_half = np.bincount(where, minlength=n_half)
        both = (occupied[1:] == occupied[:-1] + 1) & (where[:-1] != n_half - 1)
        in_both = np.bincount(where[:-1][both], minlength=n_half)
        n_active = per_half[:-1] + per_half[1:] - in_both[:-1]
        active = (np.sum(n_active * theta) / np.sum(theta) - 1) / (n_trains - 1)
        contrast = np.sum(np.abs(np.diff(theta))) / (2 * total)
        best = max(best, float(contrast * active))
        bin_size *= bin_shrink_factor
    return best if math.isfinite(best) else None


@dataclass(frozen=True)
class TargetStatistics:
    """The statistics of one target in one window; ``None`` where undefined."""

    name: str
    kind: str
    size: int
    recorded: int
    spike_count: int
    mean_rate_hz: float | None
    cv_isi: float | None
    cv_neurons: int
    fano_factor: float | None
    synchrony: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, ``name`` left out (it is the key)."""
        out = asdict(self)
        del out["name"]
        return out


def target_statistics(data: RecordedData, win: Window, *,
                      synchrony: bool = True) -> TargetStatistics:
    """The statistics of ``data`` (a target whose spikes were recorded) in ``win``."""
    cells = neurons(data, win)
    recorded = cells.recorded
    count = int(cells.counts.sum())
    rate = count / recorded / win.seconds if recorded and win.seconds > 0 else None
    cvs = cv_per_neuron(cells)
    cv = float(np.mean(cvs)) if cvs.size else None
    fano: float | None = None
    trains = cells.trains()
    if recorded >= 2 and count > 0:
        fano = _finite(_elephant_fanofactor(trains))
    sync = spike_contrast(trains, win.start, win.stop) if synchrony else None
    return TargetStatistics(
        name=data.name, kind=data.kind, size=int(data.size), recorded=recorded,
        spike_count=count, mean_rate_hz=rate, cv_isi=cv, cv_neurons=int(cvs.size),
        fano_factor=fano, synchrony=_finite(sync))


def run_statistics(data: Mapping[str, RecordedData], win: Window,
                   names: Iterable[str] | None = None) -> dict[str, TargetStatistics]:
    """:func:`target_statistics` of every target (``names``: these, in this order) whose
    spikes were recorded."""
    chosen = list(data) if names is None else list(names)
    return {name: target_statistics(data[name], win) for name in chosen
            if data[name].spike_times is not None}


def document(stats: Mapping[str, TargetStatistics], win: Window,
             about: Mapping[str, Any], unavailable: Mapping[str, str] | None = None
             ) -> dict[str, Any]:
    """The statistics document (``netspec stats --format json`` and the ``stats`` export):
    ``about`` (network, backend, seed, …), the window, ``populations`` (per target),
    ``unavailable`` (target → why) and the ``methods``."""
    return {
        **about,
        "window_ms": [win.start, win.stop],
        "populations": {name: s.as_dict() for name, s in stats.items()},
        "unavailable": dict(unavailable or {}),
        "methods": dict(METHODS),
    }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _elephant_fanofactor(trains: list[np.ndarray]) -> float:
    try:
        from elephant.statistics import fanofactor
    except ImportError as exc:
        from netspec.backends import install_command
        raise AnalysisUnavailableError(
            "the Fano factor is computed by Elephant, which is not installed: "
            f"{install_command('analysis')}") from exc
    return float(fanofactor(trains))
