"""The ``nix`` format: a Neo NixIO file in a layout that is fast to write and to read.

PyNN's ``write_data`` stores one Neo SpikeTrain per neuron; in NIX each costs
a MultiTag, a DataArray, a metadata Section and one property per annotation
(4 HDF5 groups, 8 datasets, 46 attributes), so writing 800 neurons takes ~13 s.
netspec writes the same data as ONE multiplexed SpikeTrain per target, which
any Neo reader still opens (``neo.io.NixIO(path, 'ro').read_block()``).

Layout (one Block, one Segment ``segment000``)::

    Block  name        = the target's PyNN label (one target) or the target names joined by '+'
           annotations = PyNN's Block metadata (size, first_id, label, simulator, dt, ...)
                         + netspec_layout = "multiplexed-1", netspec_targets = [names]
    └─ Segment
       ├─ SpikeTrain, one per target, name = target name (absent if spikes were not recorded)
       │     times        every spike of the target, in ms, sorted by time then neuron
       │     t_start, t_stop
       │     array_annotations:
       │       channel_index      int64 per spike: index of the neuron within the target
       │     annotations:
       │       netspec_kind = "multiplexed_spikes", netspec_target = name, target_size
       │       recorded_channels  int64: indices (within the target) of the neurons whose
       │                          spikes were recorded, silent ones included
       │       channel_ids        their simulator ids (PyNN's ``channel_id``)
       │       source_index       their index within their Population (PyNN's ``source_index``)
       │       source_population  the Population label (or one label per recorded neuron)
       └─ AnalogSignal, one per (target, variable), name = the variable (``v``, ``gsyn_exc``)
             [samples × channels] in PyNN units, t_start, sampling_period
             array_annotations:  channel_index (index within the target), source_index
             annotations:        channel_ids (simulator ids), source_population,
                                 netspec_target = name

:func:`netspec.reader.read` turns the multiplexed SpikeTrains back into one
SpikeTrain per neuron, annotated as PyNN annotates them.

Neo converts every array annotation to a Python list item by item before NIX
stores it (1 s per million spikes); :class:`_FastNixIO` hands 1-D numeric
NumPy arrays to nixio whole instead, which stores the very same property.
nixio's ``File.close`` runs a full ``gc.collect()``; the objects that already
exist are frozen (``gc.freeze``) while a file is written so that it only scans
the new ones.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import neo
import numpy as np
import quantities as pq

from netspec.export.guarded import guarded, nixio_through
from netspec.export.recorded import RecordedData

LAYOUT = "multiplexed-1"
MULTIPLEXED = "multiplexed_spikes"


def write(path: Path, data: Sequence[RecordedData],
          summary: Mapping[str, Any] | None = None) -> None:
    """Write ``data`` (one or more targets) to a new NIX file at ``path``."""
    block = build_block(data)
    # through a guard: a full disk raises OSError after HDF5 closed the file cleanly
    with guarded(path) as guard, nixio_through(guard), _gc_frozen(), \
            _fast_nixio_class()(str(path), mode="ow") as io:
        io.write_block(block)


@contextmanager
def _gc_frozen() -> Iterator[None]:  # also used by netspec.reader
    """Keep the objects that exist now out of the ``gc.collect()`` nixio runs on close.

    In a process holding a simulated network that full collection is most of the
    cost of writing a small file (60 ms of 150 ms at n=1000); objects made while
    writing are still collected.
    """
    if gc.get_freeze_count():  # someone else froze: leave their state alone
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build_block(data: Sequence[RecordedData]) -> neo.Block:
    """The Neo Block of netspec's NIX layout (see the module docstring)."""
    now = datetime.now()
    first = data[0] if data else None
    block = neo.Block(
        name=first.label if first is not None and len(data) == 1 else
        "+".join(d.name for d in data),
        description=first.description if first is not None and len(data) == 1 else "",
        rec_datetime=now,
    )
    if first is not None and len(data) == 1:
        block.annotate(**_plain(first.annotations))
    block.annotate(netspec_layout=LAYOUT, netspec_targets=[d.name for d in data])
    segment = neo.Segment(name="segment000", rec_datetime=now,
                          description=first.description if first is not None else "")
    for d in data:
        if d.spike_times is not None:
            segment.spiketrains.append(_spiketrain(d))
        for signal in d.signals.values():
            ch = signal.channel_ids
            segment.analogsignals.append(neo.AnalogSignal(
                signal.values, units=signal.units, t_start=signal.t_start * pq.ms,
                sampling_period=signal.sampling_period * pq.ms, name=signal.name,
                channel_ids=d.cell_ids[ch], source_population=_population_label(d, ch),
                netspec_target=d.name,
                array_annotations={"channel_index": ch, "source_index": d.source_index[ch]},
            ))
    block.segments.append(segment)
    block.check_relationships()
    segment.block = block
    return block


def _spiketrain(d: RecordedData) -> neo.SpikeTrain:
    times, ids, channels = d.spikes()
    return neo.SpikeTrain(
        times, units="ms", t_start=d.t_start * pq.ms, t_stop=d.t_stop * pq.ms,
        name=d.name, netspec_kind=MULTIPLEXED, netspec_target=d.name, target_size=d.size,
        recorded_channels=channels, channel_ids=d.cell_ids[channels],
        source_index=d.source_index[channels],
        source_population=_population_label(d, channels),
        array_annotations={"channel_index": ids},
    )


def _population_label(d: RecordedData, channels: np.ndarray) -> Any:
    labels = d.source_population[channels]
    unique = np.unique(labels)
    if unique.size <= 1:
        return str(unique[0]) if unique.size else d.label
    return [str(x) for x in labels]


def _plain(annotations: Mapping[str, Any]) -> dict[str, Any]:
    """Annotations NIX can store: scalars and strings (PyNN's metadata is made of them)."""
    out: dict[str, Any] = {}
    for key, value in annotations.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, str | int | float | bool):
            out[key] = value
    return out


@cache
def _fast_nixio_class() -> type:
    """``neo.io.NixIO`` that stores 1-D numeric arrays as NIX properties in one write."""
    import nixio
    from neo.io import NixIO

    class _FastNixIO(NixIO):  # type: ignore[misc]  # neo ships no type hints
        def _write_property(self, section: Any, name: str, v: Any) -> Any:
            if (type(v) is np.ndarray and v.ndim == 1 and v.size > 0
                    and v.dtype.kind in "iuf"):
                values = v.astype(np.float64 if v.dtype.kind == "f" else np.int64)
                dtype = nixio.DataType.Double if v.dtype.kind == "f" else nixio.DataType.Int64
                try:
                    # Created at its final size: Section.create_property makes an (8,) dataset
                    # and grows it, leaving 8-element HDF5 chunks (2.6 s per million values).
                    group = section._h5group.open_group("properties", True)
                    prop = nixio.property.Property.create_new(
                        section.file, section, group, name, dtype, values.shape)
                except AttributeError:  # pragma: no cover - nixio internals changed
                    prop = section.create_property(name, dtype)
                prop.values = values
                return prop
            return super()._write_property(section, name, v)

    return _FastNixIO


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` is a NIX file holding at least one Block."""
    import nixio

    f = nixio.File.open(str(path), nixio.FileMode.ReadOnly)
    try:
        if len(f.blocks) == 0:
            raise ValueError(f"{path} holds no Block")
    finally:
        f.close()
