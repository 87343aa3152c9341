"""The ``pickle`` format: a pickled Neo Block, as PyNN's ``write_data('x.pkl')`` writes it.

The Block is built the way PyNN 0.13's recorder builds it — Block named after
the PyNN label with PyNN's metadata as annotations, one Segment
``segment000``, spike trains as a ``SpikeTrainList.from_spike_time_array``
(per neuron: annotations ``source_population``, ``source_index``,
``channel_id``, in PyNN's order: by simulator id within a Population or view,
member by member in an Assembly), analog signals with
``channel_ids`` and the ``channel_index`` array annotation — and written with
``neo.io.PickleIO``, so ``neo.io.PickleIO(path).read_block()`` gives what
``get_data()`` gives.

A ``SpikeTrainList`` made from arrays stays multiplexed until someone iterates
it, and pickles as two arrays: no SpikeTrain object is ever built here.

Several targets in one file are merged as PyNN merges an Assembly's Blocks:
one Segment holding all spike trains and all signals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import neo
import numpy as np
import quantities as pq
from neo.core.spiketrainlist import SpikeTrainList

from netspec.export.recorded import RecordedData


def write(path: Path, data: Sequence[RecordedData],
          summary: Mapping[str, Any] | None = None) -> None:
    """Pickle the PyNN-style Block of ``data`` to ``path``."""
    neo.io.PickleIO(str(path)).write_block(build_block(data))


def build_block(data: Sequence[RecordedData]) -> neo.Block:
    """The Block PyNN's recorder would return for ``data`` (one or more targets)."""
    now = datetime.now()
    single = len(data) == 1
    first = data[0] if data else None
    description = first.description if first is not None else ""
    segment = neo.Segment(name="segment000", description=description, rec_datetime=now)
    block = neo.Block(
        name=first.label if single and first is not None else "+".join(d.name for d in data),
        description=description, rec_datetime=now,
    )
    if first is not None:
        block.annotate(**first.annotations)

    spiking = [d for d in data if d.spike_times is not None]
    if spiking:
        segment.spiketrains = _spiketrains(spiking)
        segment.spiketrains.segment = segment
    for d in data:
        for signal in d.signals.values():
            ch = signal.channel_ids
            analog = neo.AnalogSignal(
                signal.values, units=signal.units, t_start=signal.t_start * pq.ms,
                sampling_period=signal.sampling_period * pq.ms, name=signal.name,
                channel_ids=d.cell_ids[ch], source_population=_label(d, ch),
                array_annotations={"channel_index": d.source_index[ch]},
            )
            analog.segment = segment
            segment.analogsignals.append(analog)
    segment.block = block
    block.segments.append(segment)
    return block


def _spiketrains(data: Sequence[RecordedData]) -> SpikeTrainList:
    """One multiplexed SpikeTrainList over every target, channels in PyNN's order: target
    by target, each in its own order (an Assembly member by member, as
    ``Assembly.get_data`` merges its members' Blocks; within a Population or view, by
    simulator id)."""
    spikes = [(d, *d.spikes()) for d in data]
    times = np.concatenate([t for _, t, _, _ in spikes])
    senders = np.concatenate([d.cell_ids[i] for d, _, i, _ in spikes])
    channel_ids = np.concatenate([d.cell_ids[np.sort(ch)] for d, _, _, ch in spikes])
    source_index = np.concatenate([d.source_index[np.sort(ch)] for d, _, _, ch in spikes])
    labels = np.concatenate([d.source_population[np.sort(ch)] for d, _, _, ch in spikes])
    unique = np.unique(labels)
    population: Any = str(unique[0]) if unique.size == 1 else [str(x) for x in labels]
    t_start = min(d.t_start for d in data)
    t_stop = max(d.t_stop for d in data)
    return SpikeTrainList.from_spike_time_array(
        times * pq.ms, senders, channel_ids, t_stop=t_stop * pq.ms, units="ms",
        t_start=t_start * pq.ms, source_population=population, source_index=source_index,
    )


def _label(d: RecordedData, channels: np.ndarray) -> str:
    labels = np.unique(d.source_population[channels])
    return str(labels[0]) if labels.size == 1 else d.label


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` looks like a complete pickle (without unpickling)."""
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(-1, 2)
        tail = f.read(1)
    if head[:1] != b"\x80" or tail != b".":
        raise ValueError(f"{path} is not a complete pickle")
