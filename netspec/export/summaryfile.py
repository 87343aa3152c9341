"""The ``summary`` format: a small JSON document about a run.

The caller assembles the document (backend, seed, timings, …);
:func:`summarise` gives its per-target part: size, spike count and mean rate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from netspec.export.recorded import RecordedData


def summarise(data: Mapping[str, RecordedData], duration_ms: float) -> dict[str, Any]:
    """Per target: ``size``, ``recorded`` (the cells whose spikes were recorded),
    ``spike_count`` and ``mean_rate_hz`` (count / recorded cells / duration: a recording
    of some cells of a population gives their rate, not one diluted over the others).

    Targets whose spikes were not recorded get ``None`` for the last three.
    """
    out: dict[str, Any] = {}
    for name, d in data.items():
        entry: dict[str, Any] = {"size": int(d.size), "recorded": None, "spike_count": None,
                                 "mean_rate_hz": None}
        if d.spike_times is not None:
            count = int(d.spike_times.size)
            recorded = int(d.spike_channels.size) if d.spike_channels is not None else d.size
            entry["recorded"] = recorded
            entry["spike_count"] = count
            seconds = duration_ms / 1000.0
            entry["mean_rate_hz"] = count / recorded / seconds if recorded and seconds > 0 \
                else 0.0
        out[name] = entry
    return out


def write(path: Path, data: Sequence[RecordedData], summary: Mapping[str, Any] | None) -> None:
    """Write ``summary`` (the caller's document) to ``path`` as JSON; ``data`` is not used."""
    write_json(path, summary or {})


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """JSON with NumPy scalars/arrays converted and NaN/infinity written as null."""
    path.write_text(dumps(document), encoding="utf-8")


def dumps(document: Mapping[str, Any]) -> str:
    """``document`` as indented JSON text (ending in a newline), NumPy values converted,
    NaN and infinity as null."""
    return json.dumps(_jsonable(document), indent=2, allow_nan=False) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def verify(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` holds one JSON object."""
    if not isinstance(json.loads(path.read_text(encoding="utf-8")), dict):
        raise ValueError(f"{path} is not a JSON object")
