"""Recorded data of one target from several MPI processes, merged into one.

Under ``mpirun -n N`` each process records only the neurons NEST placed on it: its
:class:`~netspec.export.recorded.RecordedData` has the spikes and signal columns of
its local cells, while the description of the target (size, ids, labels) is the same
everywhere. :func:`merge` puts the pieces (gathered to rank 0) back into what one
process would have recorded: spikes sorted by time then neuron, signal columns in
channel order, the recorded channels united.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netspec.errors import OutputError
from netspec.export.recorded import RecordedData, Signal


def merge(parts: Sequence[RecordedData]) -> RecordedData:
    """One target's data from every process (in rank order) as one :class:`RecordedData`."""
    if not parts:
        raise ValueError("nothing to merge")
    first = parts[0]
    if len(parts) == 1:
        return first
    for part in parts[1:]:
        if (part.name, part.size) != (first.name, first.size):
            raise OutputError(f"the processes recorded different targets ({first.name!r} of "
                              f"{first.size} cells, {part.name!r} of {part.size})")
    merged = RecordedData(
        name=first.name, size=first.size, t_start=first.t_start, t_stop=first.t_stop,
        kind=first.kind, label=first.label, description=first.description,
        annotations=dict(first.annotations), cell_ids=first.cell_ids,
        source_index=first.source_index, source_population=first.source_population,
    )
    spiking = [p for p in parts if p.spike_times is not None]
    if spiking:
        times = np.concatenate([p.spikes()[0] for p in spiking])
        ids = np.concatenate([p.spikes()[1] for p in spiking])
        order = np.lexsort((ids, times))
        merged.spike_times = np.ascontiguousarray(times[order], dtype=np.float64)
        merged.spike_ids = np.ascontiguousarray(ids[order], dtype=np.int64)
        merged.spike_channels = np.unique(np.concatenate([p.spikes()[2] for p in spiking]))
    for name in dict.fromkeys(n for p in parts for n in p.signals):
        merged.signals[name] = _merge_signal(
            first.name, [p.signals[name] for p in parts if name in p.signals])
    return merged


def _merge_signal(target: str, pieces: list[Signal]) -> Signal:
    """Columns of one variable from several processes, in channel order."""
    head = pieces[0]
    if len(pieces) == 1:
        return head
    for piece in pieces[1:]:
        if (piece.t_start, piece.sampling_period, piece.values.shape[0], piece.units) != (
                head.t_start, head.sampling_period, head.values.shape[0], head.units):
            raise OutputError(f"the processes recorded {head.name!r} of {target!r} with "
                              "different sampling or duration")
    channels = np.concatenate([p.channel_ids for p in pieces])
    values = np.hstack([p.values for p in pieces])
    order = np.argsort(channels, kind="stable")
    return Signal(name=head.name, t_start=head.t_start, sampling_period=head.sampling_period,
                  values=np.ascontiguousarray(values[:, order]),
                  channel_ids=channels[order].astype(np.int64), units=head.units)
