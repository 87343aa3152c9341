"""Read a run's output file back as a Neo Block with one SpikeTrain per neuron.

netspec's ``nix`` files hold one multiplexed SpikeTrain per target (see
:mod:`netspec.export.nixfile`); :func:`read` splits each into one SpikeTrain
per recorded neuron, annotated as PyNN annotates them (``source_population``,
``source_index``, ``channel_id``) plus ``target`` and ``target_index``, and in
the target's order. Analog signals are returned as stored. NIX files written
by PyNN (one SpikeTrain per neuron already) and pickles are returned unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo
import numpy as np
import quantities as pq

from netspec.errors import NotAnOutputError
from netspec.export.nixfile import LAYOUT, MULTIPLEXED, _gc_frozen, build_block
from netspec.export.recorded import RecordedData, Signal

_PICKLE_MAGIC = b"\x80"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_FORMATS = "a nix (.h5) or pickle (.pkl) export of a run"


def read(path: str | Path) -> neo.Block:
    """The first Block of the NIX file or pickle at ``path``, one SpikeTrain per neuron.

    Raises :class:`~netspec.errors.NotAnOutputError` for any other file (a SONATA or
    summary export, a file that is not there). A pickle runs code when it is read: read
    only pickles you trust (your own runs').
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise NotAnOutputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if magic[:1] == _PICKLE_MAGIC:
        try:
            block = neo.io.PickleIO(str(path)).read_block()
        except Exception as exc:
            raise NotAnOutputError(f"{path} is not a readable pickle of a Neo Block "
                                   f"({type(exc).__name__}: {exc})") from exc
        if not isinstance(block, neo.Block):
            raise NotAnOutputError(f"{path} holds a {type(block).__name__}, not a Neo Block")
        return block
    if magic != _HDF5_MAGIC:
        raise NotAnOutputError(f"{path} is not {_FORMATS}")
    if not _is_nix(path):
        raise NotAnOutputError(f"{path} is an HDF5 file but not a NIX file; netspec.read "
                               f"reads {_FORMATS} (read SONATA files with a SONATA reader)")
    try:
        with _gc_frozen(), neo.io.NixIO(str(path), mode="ro") as io:
            block = io.read_block()
    except Exception as exc:
        raise NotAnOutputError(f"{path} is a NIX file that Neo cannot read "
                               f"({type(exc).__name__}: {exc})") from exc
    if block is None:
        raise NotAnOutputError(f"{path} holds no Block")
    if block.annotations.get("netspec_layout") == LAYOUT:
        for segment in block.segments:
            _expand(segment)
    return block


def _is_nix(path: Path) -> bool:
    """Whether the HDF5 file at ``path`` is a NIX file (its root says ``format = nix``)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("format")
    except OSError:
        return False
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) == "nix"


def to_block(data: RecordedData) -> neo.Block:
    """One target's recorded data (from a run, in memory) as a Neo Block with one
    SpikeTrain per neuron, as :func:`read` gives it from a file."""
    block = build_block([data])
    for segment in block.segments:
        _expand(segment)
    return block


def _expand(segment: neo.Segment) -> None:
    trains: list[neo.SpikeTrain] = []
    for train in segment.spiketrains:
        if train.annotations.get("netspec_kind") == MULTIPLEXED:
            trains.extend(split(train))
        else:
            trains.append(train)
    segment.spiketrains = trains
    for train in trains:
        train.segment = segment


def split(train: neo.SpikeTrain) -> list[neo.SpikeTrain]:
    """One SpikeTrain per recorded neuron from a multiplexed netspec SpikeTrain."""
    ann = train.annotations
    index = np.asarray(train.array_annotations.get("channel_index", []), dtype=np.int64)
    channels = _vector(ann.get("recorded_channels"), np.int64)
    channel_ids = _vector(ann.get("channel_ids"), np.int64)
    source_index = _vector(ann.get("source_index"), np.int64)
    populations: Any = ann.get("source_population", "")
    per_channel_population = not isinstance(populations, str)
    if per_channel_population:
        populations = [str(p) for p in np.atleast_1d(populations)]
    target = ann.get("netspec_target", train.name)

    order = np.argsort(index, kind="stable")  # by neuron, then (already) by time
    index_sorted = index[order]
    starts = np.searchsorted(index_sorted, channels, side="left")
    stops = np.searchsorted(index_sorted, channels, side="right")
    # One SpikeTrain sorted by neuron, sliced per neuron: a slice skips the unit parsing
    # and checks of SpikeTrain() (10x faster for thousands of neurons).
    by_neuron = neo.SpikeTrain(np.asarray(train.magnitude)[order], units=train.units,
                               t_start=train.t_start, t_stop=train.t_stop)
    out: list[neo.SpikeTrain] = []
    for i, channel in enumerate(channels.tolist()):
        st = by_neuron[starts[i]:stops[i]]
        st.annotations = {
            "source_population": populations[i] if per_channel_population else populations,
            "source_index": int(source_index[i]), "channel_id": int(channel_ids[i]),
            "target": target, "target_index": channel,
        }
        out.append(st)
    return out


def _vector(value: Any, dtype: type) -> np.ndarray:
    if value is None:
        return np.empty(0, dtype=dtype)
    if isinstance(value, pq.Quantity):
        value = value.magnitude
    return np.atleast_1d(np.asarray(value, dtype=dtype))


def read_targets(path: str | Path) -> dict[str, RecordedData]:
    """Every target of a netspec NIX file as :class:`RecordedData`, without splitting spikes.

    Spikes stay multiplexed (times and index within the target, as written);
    ``source_index`` and ``source_population`` are filled for the recorded
    neurons (-1 and ``""`` elsewhere). A target that holds only signals gets
    the size ``max(channel) + 1``; the caller knows the true size. Raises
    ``ValueError`` for a NIX file not in netspec's layout (see
    :mod:`netspec.export.nixfile`).
    """
    path = Path(path)
    with _gc_frozen(), neo.io.NixIO(str(path), mode="ro") as io:
        block = io.read_block()
    if block is None or block.annotations.get("netspec_layout") != LAYOUT:
        raise ValueError(f"{path} is not a NIX file in netspec's layout ({LAYOUT})")
    out: dict[str, RecordedData] = {}
    for segment in block.segments[-1:]:
        for train in segment.spiketrains:
            if train.annotations.get("netspec_kind") != MULTIPLEXED:
                continue
            out[str(train.annotations.get("netspec_target", train.name))] = _from_train(train)
        for signal in segment.analogsignals:
            name = str(signal.annotations.get("netspec_target", ""))
            channels = _vector(signal.array_annotations.get("channel_index"), np.int64)
            if not name or channels.size != signal.shape[1]:
                continue
            data = out.get(name)
            if data is None:
                size = int(channels.max()) + 1 if channels.size else 0
                data = out[name] = RecordedData(name=name, size=size,
                                                t_start=float(signal.t_start.rescale("ms")),
                                                t_stop=float(signal.t_stop.rescale("ms")))
            data.signals[str(signal.name)] = Signal(
                name=str(signal.name), t_start=float(signal.t_start.rescale("ms")),
                sampling_period=float(signal.sampling_period.rescale("ms")),
                values=np.asarray(signal.magnitude, dtype=np.float64), channel_ids=channels,
                units=str(signal.units.dimensionality))
    return out


def _from_train(train: neo.SpikeTrain) -> RecordedData:
    ann = train.annotations
    name = str(ann.get("netspec_target", train.name))
    channels = _vector(ann.get("recorded_channels"), np.int64)
    index = _vector(train.array_annotations.get("channel_index"), np.int64)
    size = int(ann.get("target_size", int(channels.max()) + 1 if channels.size else 0))
    source_index = np.full(size, -1, dtype=np.int64)
    source_index[channels] = _vector(ann.get("source_index"), np.int64)
    labels: Any = ann.get("source_population", "")
    source_population = np.full(size, "", dtype=object)
    source_population[channels] = (labels if isinstance(labels, str)
                                   else [str(x) for x in np.atleast_1d(labels)])
    return RecordedData(
        name=name, size=size, t_start=float(train.t_start.rescale("ms")),
        t_stop=float(train.t_stop.rescale("ms")),
        spike_times=np.asarray(train.rescale("ms").magnitude, dtype=np.float64),
        spike_ids=index, spike_channels=channels, source_index=source_index,
        source_population=source_population.astype(str))


def read_sonata(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes of every SONATA population in ``path``: ``(timestamps in ms, node_ids)``."""
    import h5py

    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with h5py.File(path, "r") as f:
        spikes = f.get("spikes")
        if spikes is None:
            raise ValueError(f"{path} has no /spikes group")
        for name, group in spikes.items():
            times = np.asarray(group["timestamps"][()], dtype=np.float64)
            units = group["timestamps"].attrs.get("units", "ms")
            if isinstance(units, bytes):
                units = units.decode()
            if units == "s":
                times = times * 1000.0
            out[str(name)] = (times, np.asarray(group["node_ids"][()], dtype=np.int64))
    return out
