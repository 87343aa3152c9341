"""Parameters and values: expressions, numbers in PyNN's units, text, random
distributions, arrays, spike trains and the data files they may come from."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np
import quantities as pq

from netspec import datafiles, units
from netspec import pynn_catalogue as catalogue
from netspec.diagnostics import UNIT_NAMES, SpecPath, describe_value, did_you_mean, unknown
from netspec.expressions import (
    MAX_INT_BITS,
    AlreadyReported,
    ExpressionError,
    evaluate,
    has_interpolation,
    interpolate,
    whole_expression,
)
from netspec.model import ArrayValue, RandomValue, SpikeTrains
from netspec.resolve.context import Context, Invalid

_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*\Z")
_INVALID = object()
_I = TypeVar("_I")


class Values(Context):
    """Parameters and every kind of value a spec writes."""

    def lookup(self, name: str) -> Any:
        """The value of ``name`` in an expression: a loop variable of the entry being
        resolved, a parameter (resolved on first use) or the spec's ``name``."""
        if name in self.bindings:
            return self.bindings[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.raw_parameters:
            if name == "name":
                return self.spec_name
            raise KeyError(name)
        if name in self.failed:
            raise AlreadyReported(name)
        if name in self.stack:
            cycle = [*self.stack[self.stack.index(name):], name]
            self.failed.update(cycle)
            self.report(("parameters", cycle[0]), "NS203",
                        "parameters refer to each other in a cycle: " + " → ".join(cycle))
            raise AlreadyReported(name)
        self.stack.append(name)
        reported = len(self.diagnostics)
        try:
            with self.bound({}):  # a parameter never sees a template's loop variables
                value = self.generic(self.raw_parameters[name], ("parameters", name))
        except Invalid:
            self.failed.add(name)
            if name in self.overrides:
                self.blame_override(name, reported)
            raise AlreadyReported(name) from None
        finally:
            self.stack.pop()
        self.parameters[name] = value
        return value

    def blame_override(self, name: str, since: int) -> None:
        """Re-word what was reported about parameter ``name`` since diagnostic ``since``:
        its value came from an override (``--set``, or ``overrides=`` of the API), not from
        the line the position points at; the message names neither, so it reads right from
        both."""
        own = ("parameters", name)
        for i in range(since, len(self.diagnostics)):
            found = self.diagnostics[i]
            if found.path[:2] == own:
                self.diagnostics[i] = replace(
                    found, code="NS210",
                    message=f"override {name}={_set_text(self.overrides[name])}: "
                            f"{found.message}")

    def resolve_parameters(self) -> dict[str, Any]:
        for name in self.raw_parameters:
            if self.skipped(("parameters", name)):
                self.failed.add(name)
                continue
            try:
                self.lookup(name)
            except AlreadyReported:
                pass
        return {k: _shown(self.parameters[k]) for k in self.raw_parameters if k in self.parameters}

    def expression(self, source: str, path: SpecPath, *, finite: bool = True) -> Any:
        """The value of the expression ``source`` (finite unless ``finite`` is false)."""
        try:
            return evaluate(source, self.lookup, finite=finite, budget=self.budget)
        except AlreadyReported:
            raise Invalid from None
        except ExpressionError as exc:
            self.expression_error(exc, path)
            raise Invalid from None

    def expression_error(self, exc: ExpressionError, path: SpecPath) -> None:
        """Report ``exc`` at ``path``: an unknown name with the names there are; a spent
        evaluation budget only once for the whole spec."""
        if self.budget.exhausted:
            if self.budget_reported:
                return
            self.budget_reported = True
        message = exc.message
        if exc.code == "NS202" and exc.name is not None:
            known = [*self.raw_parameters, *self.bindings, "name"]
            loops = f"; loop variables: {', '.join(self.bindings)}" if self.bindings else ""
            message = (f"unknown parameter '{exc.name}' in expression"
                       f"{did_you_mean(exc.name, known)}; defined: "
                       f"{', '.join(sorted(self.raw_parameters)) or 'none'}{loops}")
        self.report(path, exc.code, message)

    def generic(self, raw: Any, path: SpecPath) -> Any:
        """A value with no expected unit yet: number, bool, text, Quantity, or a list or
        mapping of these (a table)."""
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float):
            if isinstance(raw, float) and not math.isfinite(raw):
                self.report(path, "NS205", f"{raw} is not a finite number")
                raise Invalid
            if isinstance(raw, int) and raw.bit_length() > MAX_INT_BITS:
                self.report(path, "NS209", f"a whole number of {raw.bit_length()} bits is "
                                           f"too large (at most {MAX_INT_BITS})")
                raise Invalid
            return raw
        if isinstance(raw, str):
            inner = whole_expression(raw)
            if inner is not None:
                return self.expression(inner, path)
            if _NUMBER_TEXT.match(raw):  # before quantities: '1e-3' is a number, not 1 e-3
                number = float(raw)
                if not math.isfinite(number):
                    self.report(path, "NS205", f"'{raw}' is not a finite number")
                    raise Invalid
                return number
            if units.is_quantity_text(raw):
                try:
                    return units.parse_quantity(raw)
                except units.UnitError as exc:
                    self.report(path, "NS206", f"{exc} in '{raw}'; write units like "
                                               "ms, mV, nS, nA, nF, Hz, um")
                    raise Invalid from None
            return self.interpolated(raw, path)
        if isinstance(raw, list):
            out, bad = [], False
            for i, item in enumerate(raw):
                try:
                    out.append(self.generic(item, (*path, i)))
                except Invalid:
                    bad = True
            if bad:
                raise Invalid
            return out
        if isinstance(raw, dict):  # a table: every value resolved, keys as written
            table, bad = {}, False
            for key, item in raw.items():
                try:
                    table[key] = self.generic(item, (*path, key))
                except Invalid:
                    bad = True
            if bad:
                raise Invalid
            return table
        if raw is None:
            self.report(path, "NS211", "a value is missing here")
            raise Invalid
        return raw

    def number(self, raw: Any, path: SpecPath, unit: str | None, what: str, *,
               integer: bool = False, value: Any = _INVALID) -> float | int:
        """A single number in ``unit`` (PyNN's unit for ``what``)."""
        if value is _INVALID:
            value = self.generic(raw, path)
        if isinstance(value, pq.Quantity):
            try:
                value = units.magnitude_in(value, unit)
            except units.UnitError:
                given = f"'{raw}' " if isinstance(raw, str) else ""
                needs = (f"{UNIT_NAMES.get(unit, 'a quantity')} in {unit}" if unit
                         else "a plain number")
                self.report(path, "NS207",
                            f"{what}: {given}has unit {units.dimension_text(value)}, but "
                            f"{what.split(' ')[0]} needs {needs}")
                raise Invalid from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = describe_value(value)
            self.report(path, "NS211" if not integer else "NS212",
                        f"{what} must be {'a whole number' if integer else 'a number'}"
                        f"{' in ' + unit if unit and not integer else ''}, not {shown}")
            raise Invalid
        if isinstance(value, int) and value.bit_length() > 1023:  # past float: isfinite raises
            self.report(path, "NS209", f"{what} is too large ({value.bit_length()}-bit "
                                       "integer)")
            raise Invalid
        if not math.isfinite(value):
            self.report(path, "NS205", f"{what} is not a finite number")
            raise Invalid
        if integer:
            if not isinstance(value, int):
                self.report(path, "NS212", f"{what} must be a whole number, not {value!r}"
                                           + (" (use round() or // in the expression)"
                                              if isinstance(raw, str) else ""))
                raise Invalid
            return value
        return float(value)

    def boolean(self, raw: Any, path: SpecPath, what: str) -> bool:
        value = self.generic(raw, path)
        if not isinstance(value, bool):
            self.report(path, "NS211",
                        f"{what} must be true or false, not {describe_value(value)}")
            raise Invalid
        return value

    def text(self, raw: Any, path: SpecPath, what: str) -> str:
        if not isinstance(raw, str):
            self.report(path, "NS211", f"{what} must be text, not {describe_value(raw)}")
            raise Invalid
        return self.interpolated(raw, path)

    def interpolated(self, raw: str, path: SpecPath) -> str:
        """``raw`` with each ``${…}`` replaced by its value as text."""
        if not has_interpolation(raw):
            return raw
        try:
            return interpolate(raw, self.lookup, budget=self.budget)
        except AlreadyReported:
            raise Invalid from None
        except ExpressionError as exc:
            self.expression_error(exc, path)
            raise Invalid from None

    def reference(self, raw: Any, path: SpecPath) -> Any:
        """A name written in the spec (of a population, a cell type, …), with any
        ``${…}`` in it interpolated (a template's ``pre: "${pre}"``)."""
        if isinstance(raw, str) and has_interpolation(raw):
            return self.interpolated(raw, path)
        return raw

    def typed(self, raw: dict[str, Any], path: SpecPath, find: Callable[[str], _I | None],
              names: Callable[[], Iterable[str]], code: str, what: str,
              key: str = "type") -> tuple[str, _I]:
        """The catalogue entry named by ``raw[key]`` (``type:``, ``distribution:``)."""
        name = self.reference(raw.get(key), (*path, key))
        info = find(name) if isinstance(name, str) else None
        if info is None or not isinstance(name, str):
            self.report((*path, key), code, unknown(what, str(name), names()))
            raise Invalid
        return name, info

    def arguments(self, raw: dict[str, Any], path: SpecPath, allowed: Mapping[str, Any],
                  owner: str, convert: Callable[[str, Any], Any], *, skip: Iterable[str],
                  kind: str = "argument", code: str = "NS303",
                  missing_code: str = "NS314") -> dict[str, Any]:
        """Every key of ``raw`` but ``skip``, converted; unknown and missing required keys
        (``allowed[k].required``) reported. Raises ``Invalid`` after reporting them all."""
        out: dict[str, Any] = {}
        bad = False
        skipped = set(skip)
        for key, item in raw.items():
            if key in skipped:
                continue
            if key not in allowed:
                self.report((*path, key), code, unknown(kind, key, allowed, owner), key=True)
                bad = True
                continue
            try:
                out[key] = convert(key, item)
            except Invalid:
                bad = True
        missing = [k for k, a in allowed.items()
                   if getattr(a, "required", False) and k not in raw]
        if missing:
            self.report(path, missing_code, f"{owner} needs {', '.join(sorted(missing))}")
            bad = True
        if bad:
            raise Invalid
        return out

    def random(self, raw: dict[str, Any], path: SpecPath, unit: str | None,
               what: str) -> RandomValue:
        name, info = self.typed(raw, path, catalogue.distribution, catalogue.distributions,
                                "NS308", "random distribution", key="distribution")

        def convert(key: str, item: Any) -> float:
            dimensionless = key in ("n", "k", "p", "shape", "alpha", "beta", "kappa")
            value: Any = _INVALID
            if key in ("low", "high"):  # may be open, as normal_clipped(high=np.inf)
                inner = whole_expression(item) if isinstance(item, str) else None
                if inner is not None:
                    value = self.expression(inner, (*path, key), finite=False)
                magnitude = value if inner is not None else item
                if isinstance(value, pq.Quantity) and value.shape == ():
                    magnitude = float(value.magnitude)
                if isinstance(magnitude, float) and math.isinf(magnitude):
                    return magnitude
            return self.number(item, (*path, key), None if dimensionless else unit,
                               f"{what} ({key})", value=value)

        params = self.arguments(raw, path, info.args, f"distribution '{name}'", convert,
                                skip=("distribution",), kind="parameter", code="NS308",
                                missing_code="NS308")
        for low, high in (("low", "high"), ("mu", "sigma")):
            if low == "low" and low in params and high in params and params[low] > params[high]:
                self.report(path, "NS316", f"{what}: low ({params[low]}) is above high "
                                           f"({params[high]})")
                raise Invalid
        return RandomValue(name, params)

    def read_file(self, raw: Any, path: SpecPath, *, ragged: bool = False,
                  empty: bool = True) -> tuple[str, list[np.ndarray]]:
        """The real path and the rows of a .npy / .csv / .txt file named relative to the
        spec, read as untrusted input (see :mod:`netspec.datafiles`); a file without any
        number is refused unless ``empty``."""
        name = self.text(raw, path, "file")
        try:
            file, rows = datafiles.read_rows(self.loaded.folder, name, ragged=ragged)
        except datafiles.DataFileError as exc:
            self.report(path, "NS313", str(exc))
            raise Invalid from None
        if not empty and not rows:
            self.report(path, "NS313", f"'{name}' holds no numbers; a value is needed here")
            raise Invalid
        return str(file), rows

    def array(self, raw: Any, path: SpecPath, unit: str | None, what: str) -> ArrayValue:
        if isinstance(raw, dict) and "file" in raw:
            file, rows = self.read_file(raw["file"], (*path, "file"), empty=False)
            data = np.concatenate(rows) if len(rows) > 1 else rows[0]
            return ArrayValue(data, file)
        value = self.generic(raw, path)
        if not isinstance(value, list):
            value = [value]
        numbers = []
        bad = False
        for i, item in enumerate(value):
            try:
                numbers.append(self.number(None, (*path, i), unit, what, value=item))
            except Invalid:
                bad = True
        if bad:
            raise Invalid
        return ArrayValue(np.asarray(numbers, dtype=float))

    def spike_times(self, raw: Any, path: SpecPath, size: int) -> SpikeTrains:
        file = None
        if isinstance(raw, dict) and "file" in raw:
            file, rows = self.read_file(raw["file"], (*path, "file"), ragged=True,
                                        empty=False)
            trains = [ArrayValue(r, file) for r in rows]
            per_cell = len(rows) > 1
        else:
            value = raw if isinstance(raw, list) else [raw]
            per_cell = bool(value) and all(isinstance(v, list) for v in value)
            if per_cell:
                trains = [self.array(v, (*path, i), "ms", "spike_times")
                          for i, v in enumerate(value)]
            else:
                trains = [self.array(value, path, "ms", "spike_times")]
        if per_cell and size >= 0 and len(trains) != size:
            self.report(path, "NS316", f"spike_times has {len(trains)} trains for a population "
                                       f"of {size} cells; give one per cell, or one flat list "
                                       "for every cell")
            raise Invalid
        for i, train in enumerate(trains):
            times = train.data
            where = (*path, i) if per_cell and file is None else path
            if times.size and (times.min() < 0 or np.any(np.diff(times) <= 0)):
                self.report(where, "NS312", "spike times must be non-negative and strictly "
                                            "increasing" + (f" (train {i})" if per_cell else ""))
                raise Invalid
        return SpikeTrains(tuple(trains), per_cell, file)

    def model_value(self, raw: Any, path: SpecPath, info: catalogue.ParamInfo, what: str,
                    *, weight_unit: str | None = None, size: int | None = None) -> Any:
        unit = info.unit
        if unit == "weight":
            unit = weight_unit
        if info.kind == "spike_times":
            return self.spike_times(raw, path, -1 if size is None else size)
        if info.kind == "array":
            return self.array(raw, path, unit, what)
        if isinstance(raw, dict):
            if "distribution" in raw:
                return self.random(raw, path, unit, what)
            if "file" in raw and size is not None:
                array = self.array(raw, path, unit, what)
                return self.per_cell(array, path, size, what)
            self.report(path, "NS211", f"{what} must be a value, a random distribution "
                                       "({distribution: …}) or a list")
            raise Invalid
        if info.kind == "bool":
            return self.boolean(raw, path, what)
        if info.kind == "str":
            return self.text(raw, path, what)
        value = self.generic(raw, path)
        if isinstance(value, list) and size is not None:
            array = self.array(raw, path, unit, what)
            return self.per_cell(array, path, size, what)
        return self.number(raw, path, unit, what, integer=info.kind == "int", value=value)

    def per_cell(self, array: ArrayValue, path: SpecPath, size: int, what: str) -> ArrayValue:
        if size >= 0 and array.data.shape != (size,):
            self.report(path, "NS316", f"{what} has {array.data.size} values for "
                                       f"{size} cells; give one value or one per cell")
            raise Invalid
        return array

    def parameters_of(self, raw: Any, path: SpecPath, model: catalogue.ModelInfo,
                      table: Mapping[str, catalogue.ParamInfo], kind: str, *,
                      weight_unit: str | None = None, size: int | None = None,
                      exclude: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(raw, dict):
            return {}
        return self.arguments(
            raw, path, table, model.name,
            lambda key, item: self.model_value(item, (*path, key), table[key],
                                               f"{key} of {model.name}",
                                               weight_unit=weight_unit, size=size),
            skip=exclude, kind=kind)

    def argument(self, raw: Any, path: SpecPath, arg: catalogue.ArgInfo, what: str, *,
                 spatial: bool = False) -> Any:
        """A constructor argument of a connector or structure."""
        if arg.kind == "bool":
            return self.boolean(raw, path, what)
        if arg.kind in ("str", "expression"):
            return self.text(raw, path, what)
        if isinstance(raw, dict) and "distribution" in raw:
            return self.random(raw, path, None, what)
        value = self.generic(raw, path)
        if arg.kind in ("list", "any"):  # else a number is needed: number() says so
            if isinstance(value, list):
                return tuple(self.number(None, (*path, i), "um" if spatial else None, what,
                                         value=v)
                             if not isinstance(v, str | bool) else v
                             for i, v in enumerate(value))
            if isinstance(value, str | bool):
                return value
        if arg.kind == "int":
            return self.number(raw, path, None, what, integer=True, value=value)
        return self.number(raw, path, "um" if spatial and isinstance(value, pq.Quantity)
                           and units.same_dimension(value, pq.um) else None, what, value=value)


def _set_text(value: Any) -> str:
    """An override as it was (most likely) typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _shown(value: Any) -> Any:
    """A parameter value as plain data for the manifest (quantities as text)."""
    if isinstance(value, pq.Quantity):
        return units.show(value)
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value
