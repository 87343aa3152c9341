"""Values of the resolved network shown with their units: as text for the tables and as
JSON-ready data.

Every value is in PyNN's unit for its parameter (the resolver converted it once); the
text form writes that unit out (``20 ms``, ``4 nS``), distributions as distributions
(``uniform(low=-60 mV, high=-50 mV)``), long arrays and spike trains as a summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec.model import ArrayValue, RandomValue, SpikeTrains

#: How PyNN's unit strings are written for a reader.
_UNIT_TEXT = {"uS": "µS", "um": "µm", "uF": "µF", "uA": "µA", "uV": "µV"}
#: Units whose values below 1 are written in the unit a thousand times smaller.
_SMALLER = {"uS": "nS", "nA": "pA"}
#: Arrays up to this many values are shown in full.
MAX_LISTED = 8


def unit_text(unit: str | None) -> str:
    """``'uS'`` → ``'µS'``; ``None`` → ``''``."""
    if not unit:
        return ""
    return _UNIT_TEXT.get(unit, unit)


def number(x: float | int) -> str:
    """A number as a methods section writes it: no trailing zeros, 6 significant digits."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".6g")


def with_unit(x: float | int, unit: str | None) -> str:
    """``20.0, 'ms'`` → ``'20 ms'``; conductances below 1 µS are written in nS and
    currents below 1 nA in pA, as methods sections write them."""
    smaller = _SMALLER.get(unit or "")
    if smaller and not isinstance(x, bool) and abs(float(x)) < 1 and (
            float(x) != 0 or unit == "uS"):
        return f"{number(round(float(x) * 1000, 9))} {smaller}"
    text = unit_text(unit)
    return f"{number(x)} {text}" if text else number(x)


def parameter_unit(info: catalogue.ParamInfo | None, weight_unit: str | None) -> str | None:
    """The unit of a model parameter (a weight's is the postsynaptic cell type's)."""
    if info is None:
        return None
    if info.unit == catalogue.WEIGHT_UNIT:
        return weight_unit
    return info.unit


def text(value: Any, unit: str | None) -> str:
    """A value of the model as text with its unit."""
    if isinstance(value, RandomValue):
        args = ", ".join(f"{k}={_maybe_unit(k, v, value.distribution, unit)}"
                         for k, v in value.parameters.items())
        return f"{value.distribution}({args})"
    if isinstance(value, SpikeTrains):
        return _spike_trains_text(value)
    if isinstance(value, ArrayValue):
        return _array_text(value, unit)
    if isinstance(value, bool | str):
        return str(value).lower() if isinstance(value, bool) else value
    if isinstance(value, np.number):
        return with_unit(value.item(), unit)
    if isinstance(value, int | float):
        return with_unit(value, unit)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(text(v, unit) for v in value) + "]"
    return str(value)


def data(value: Any, unit: str | None) -> Any:
    """A value of the model as JSON-ready data: ``{"value": 20.0, "unit": "ms"}``,
    ``{"distribution": "uniform", "parameters": {...}, "unit": "mV"}``, …"""
    if isinstance(value, RandomValue):
        return {"distribution": value.distribution,
                "parameters": {k: _plain(v) for k, v in value.parameters.items()},
                "unit": unit}
    if isinstance(value, SpikeTrains):
        times = [t.data for t in value.trains]
        every = np.concatenate(times) if times else np.zeros(0)
        out: dict[str, Any] = {"spike_trains": len(value.trains), "per_cell": value.per_cell,
                               "spikes": int(every.size), "unit": "ms"}
        if every.size:
            out["first"], out["last"] = float(every.min()), float(every.max())
        if value.file:
            out["file"] = value.file
        return out
    if isinstance(value, ArrayValue):
        array = np.asarray(value.data)
        out = {"shape": list(array.shape), "unit": unit}
        if array.size <= MAX_LISTED:
            out["values"] = array.tolist()
        elif array.size and np.issubdtype(array.dtype, np.number):
            out.update(min=float(array.min()), max=float(array.max()),
                       mean=float(array.mean()))
        if value.file:
            out["file"] = value.file
        return out
    return {"value": _plain(value), "unit": unit}


def plain(value: Any) -> Any:
    """A unitless value as JSON-ready data: the number or text itself, or the
    :func:`data` form of a distribution or array."""
    shown = data(value, None)
    return shown["value"] if set(shown) == {"value", "unit"} else shown


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


#: Parameters of a distribution that carry the value's unit (the others are counts,
#: probabilities or shapes).
_UNIT_ARGS = {"uniform": {"low", "high"}, "normal": {"mu", "sigma"},
              "normal_clipped": {"mu", "sigma", "low", "high"},
              "normal_clipped_to_boundary": {"mu", "sigma", "low", "high"},
              "exponential": {"beta"}, "gamma": {"theta"}, "uniform_int": {"low", "high"},
              "vonmises": {"mu"}}


def _maybe_unit(name: str, value: float, distribution: str, unit: str | None) -> str:
    return with_unit(value, unit) if name in _UNIT_ARGS.get(distribution, ()) \
        else number(value)


def _spike_trains_text(value: SpikeTrains) -> str:
    times = [t.data for t in value.trains]
    every = np.concatenate(times) if times else np.zeros(0)
    where = f" from {value.file.rsplit('/', 1)[-1]}" if value.file else ""
    if not value.per_cell:
        listed = ", ".join(number(t) for t in every[:MAX_LISTED])
        more = ", …" if every.size > MAX_LISTED else ""
        return f"every cell fires at [{listed}{more}] ms{where}"
    span = (f", {number(float(every.min()))}–{number(float(every.max()))} ms"
            if every.size else "")
    return f"{len(times)} trains, {every.size} spikes{span}{where}"


def _array_text(value: ArrayValue, unit: str | None) -> str:
    array = np.asarray(value.data)
    where = f" from {value.file.rsplit('/', 1)[-1]}" if value.file else ""
    if array.size <= MAX_LISTED and array.ndim <= 1:
        smaller = _SMALLER.get(unit or "")
        numeric = np.issubdtype(array.dtype, np.number) and array.size
        if smaller and numeric and float(np.abs(array).max()) < 1:
            return "[" + ", ".join(number(round(float(v) * 1000, 9)) for v in array.tolist()) \
                + f"] {smaller}{where}"
        return "[" + ", ".join(with_unit(v, None) for v in array.tolist()) + "]" \
            + (f" {unit_text(unit)}" if unit else "") + where
    if array.size and np.issubdtype(array.dtype, np.number) and array.ndim == 1:
        return (f"{array.size} values, {with_unit(float(array.min()), unit)} to "
                f"{with_unit(float(array.max()), unit)}{where}")
    return f"{'×'.join(str(s) for s in array.shape)} array{where}"
