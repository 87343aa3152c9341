"""The ``stats`` format: the statistics of a run as JSON, the document ``netspec stats
--format json`` prints for the run's folder (without its ``run`` entry).

Per population and view: rate, CV of ISIs, Fano factor and synchrony over the
whole run; see :mod:`netspec.analysis.statistics` for the definitions and
which library computes each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netspec.analysis import statistics
from netspec.export.recorded import RecordedData
from netspec.export.summaryfile import write_json


def write(path: Path, data: Sequence[RecordedData], summary: Mapping[str, Any] | None) -> None:
    """Write the statistics of the targets in ``data`` (those whose spikes were recorded)
    to ``path``; ``summary`` gives the network, backend and seed."""
    about = {k: (summary or {}).get(k) for k in ("network", "backend", "seed")}
    t_start = min((d.t_start for d in data), default=0.0)
    t_stop = max((d.t_stop for d in data), default=0.0)
    win = statistics.Window(t_start, t_stop)
    found = statistics.run_statistics({d.name: d for d in data}, win)
    write_json(path, statistics.document(found, win, about))
