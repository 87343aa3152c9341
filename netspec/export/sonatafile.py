"""The ``sonata`` format: spikes as a SONATA spike file (HDF5).

Layout, per target (the SONATA "population" is the target's name)::

    /spikes/<name>              attributes: sorting = "by_time"
    /spikes/<name>/timestamps   float64, ms (attribute units = "ms")
    /spikes/<name>/node_ids     uint64, index of the neuron within the target

Analog signals are not part of SONATA's spike format and are not written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from netspec.export.recorded import RecordedData


def write(path: Path, data: Sequence[RecordedData],
          summary: Mapping[str, Any] | None = None) -> None:
    """Write the spikes of every target in ``data`` to a new SONATA file at ``path``."""
    with h5py.File(path, "w") as f:
        spikes = f.create_group("spikes")
        for d in data:
            times = d.spike_times if d.spike_times is not None else np.empty(0)
            ids = d.spike_ids if d.spike_ids is not None else np.empty(0, dtype=np.int64)
            group = spikes.create_group(d.name)
            group.attrs["sorting"] = "by_time"
            ts = group.create_dataset("timestamps", data=np.asarray(times, dtype=np.float64))
            ts.attrs["units"] = "ms"
            group.create_dataset("node_ids", data=np.asarray(ids, dtype=np.uint64))


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` is an HDF5 file with a ``/spikes`` group."""
    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise ValueError(f"{path} has no /spikes group")
