"""Stage 3 — resolve: schema-valid data → :class:`netspec.model.Network`.

Evaluates parameters and expressions, converts every quantity to PyNN's unit
for its parameter (from the generated PyNN catalogue), checks names against
that catalogue and references against the spec, reads external array files,
and reports every problem as a located :class:`Diagnostic`. Objects that
already failed the schema are skipped, so each problem is reported once.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np
import quantities as pq

from netspec import pynn_catalogue as catalogue
from netspec import units
from netspec.diagnostics import UNIT_NAMES, Diagnostic, SpecPath, did_you_mean, unknown
from netspec.expressions import (
    AlreadyReported,
    ExpressionError,
    evaluate,
    has_interpolation,
    interpolate,
    whole_expression,
)
from netspec.loader import LoadedSpec
from netspec.model import (
    ArrayValue,
    Assembly,
    Component,
    Export,
    Network,
    Origin,
    Population,
    Projection,
    RandomValue,
    Recording,
    Simulation,
    SpikeTrains,
    Stimulus,
    Synapse,
    View,
)

#: PyNN's default max_delay (ms), used when the spec gives none.
DEFAULT_MAX_DELAY = 10.0
#: Largest population size accepted.
MAX_SIZE = 10_000_000
#: Connectors whose arguments are Python objects, which a spec cannot write.
NOT_EXPRESSIBLE = {
    "CSAConnector": "its cset is a CSA connection-set object",
    "IndexBasedProbabilityConnector": "its index_expression is an IndexBasedExpression object",
    "DisplacementDependentProbabilityConnector": "its disp_function is a Python function",
}

_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*\Z")
_UNKNOWN_NAME = re.compile(r"unknown name '([^']*)'")
_INVALID = object()
_T = TypeVar("_T")
_I = TypeVar("_I")


class _Bad(Exception):
    pass


def resolve(loaded: LoadedSpec, *, overrides: Mapping[str, Any] | None = None,
            skip: Iterable[SpecPath] = ()) -> tuple[Network, list[Diagnostic]]:
    """Build the network of ``loaded``; returns it with every diagnostic found.

    ``skip`` lists spec paths the schema stage already reported; objects
    containing them are left out of the network (and of further checks).
    """
    resolver = _Resolver(loaded, dict(overrides or {}), set(skip))
    network = resolver.network()
    return network, resolver.diagnostics


class _Resolver:
    def __init__(self, loaded: LoadedSpec, overrides: dict[str, Any],
                 skip: set[SpecPath]) -> None:
        self.loaded = loaded
        self.data = loaded.data
        self.source = loaded.source
        self.skip = skip
        self.diagnostics: list[Diagnostic] = []
        raw = self.data.get("parameters")
        self.raw_parameters: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        self.raw_parameters.update(overrides)
        self.overrides = overrides
        self.parameters: dict[str, Any] = {}
        self.failed: set[str] = set()
        self.stack: list[str] = []
        name = self.data.get("name")
        self.spec_name = name if isinstance(name, str) else "network"
        # filled as sections resolve
        self.populations: dict[str, Population] = {}
        self.views: dict[str, View | Assembly] = {}
        self.declared: dict[str, str] = {}  # name → section, including skipped objects
        self.cyclic: set[str] = set()  # views in a reported cycle
        self.timestep = 0.1

    # ------------------------------------------------------------------ helpers
    def report(self, path: SpecPath, code: str, message: str, *, key: bool = False) -> None:
        self.diagnostics.append(self.source.diagnostic(path, code, message, key=key))

    def skipped(self, path: SpecPath) -> bool:
        n = len(path)
        return any(bad[:n] == path or path[:len(bad)] == bad for bad in self.skip)

    def origin(self, path: SpecPath) -> Origin:
        line, column = self.source.locate(path)
        return Origin(self.source.file, line, column, path)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) and (name,) not in self.skip else {}

    # --------------------------------------------------------------- parameters
    def lookup(self, name: str) -> Any:
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
            value = self.generic(self.raw_parameters[name], ("parameters", name))
        except _Bad:
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
        its value came from ``--set``, not from the line the position points at."""
        own = ("parameters", name)
        for i in range(since, len(self.diagnostics)):
            found = self.diagnostics[i]
            if found.path[:2] == own:
                self.diagnostics[i] = replace(
                    found, code="NS210",
                    message=f"--set {name}={_set_text(self.overrides[name])}: {found.message}")

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

    # ------------------------------------------------------------------ values
    def expression(self, source: str, path: SpecPath) -> Any:
        try:
            return evaluate(source, self.lookup)
        except AlreadyReported:
            raise _Bad from None
        except ExpressionError as exc:
            message = exc.message
            if exc.code == "NS202":
                match = _UNKNOWN_NAME.search(message)
                if match:
                    known = [*self.raw_parameters, "name"]
                    message = (f"unknown parameter '{match.group(1)}' in expression"
                               f"{did_you_mean(match.group(1), known)}; defined: "
                               f"{', '.join(sorted(self.raw_parameters)) or 'none'}")
            self.report(path, exc.code, message)
            raise _Bad from None

    def generic(self, raw: Any, path: SpecPath) -> Any:
        """A value with no expected unit yet: number, bool, text, Quantity or list."""
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float):
            if isinstance(raw, float) and not math.isfinite(raw):
                self.report(path, "NS205", f"{raw} is not a finite number")
                raise _Bad
            return raw
        if isinstance(raw, str):
            inner = whole_expression(raw)
            if inner is not None:
                return self.expression(inner, path)
            if _NUMBER_TEXT.match(raw):  # before quantities: '1e-3' is a number, not 1 e-3
                number = float(raw)
                if not math.isfinite(number):
                    self.report(path, "NS205", f"'{raw}' is not a finite number")
                    raise _Bad
                return number
            if units.is_quantity_text(raw):
                try:
                    return units.parse_quantity(raw)
                except units.UnitError as exc:
                    self.report(path, "NS206", f"{exc} in '{raw}'; write units like "
                                               "ms, mV, nS, nA, nF, Hz, um")
                    raise _Bad from None
            return self.interpolated(raw, path)
        if isinstance(raw, list):
            out, bad = [], False
            for i, item in enumerate(raw):
                try:
                    out.append(self.generic(item, (*path, i)))
                except _Bad:
                    bad = True
            if bad:
                raise _Bad
            return out
        if raw is None:
            self.report(path, "NS211", "a value is missing here")
            raise _Bad
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
                raise _Bad from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = _kind(value)
            self.report(path, "NS211" if not integer else "NS212",
                        f"{what} must be {'a whole number' if integer else 'a number'}"
                        f"{' in ' + unit if unit and not integer else ''}, not {shown}")
            raise _Bad
        if not math.isfinite(value):
            self.report(path, "NS205", f"{what} is not a finite number")
            raise _Bad
        if integer:
            if not isinstance(value, int):
                self.report(path, "NS212", f"{what} must be a whole number, not {value!r}"
                                           + (" (use round() or // in the expression)"
                                              if isinstance(raw, str) else ""))
                raise _Bad
            return value
        return float(value)

    def boolean(self, raw: Any, path: SpecPath, what: str) -> bool:
        value = self.generic(raw, path)
        if not isinstance(value, bool):
            self.report(path, "NS211", f"{what} must be true or false, not {_kind(value)}")
            raise _Bad
        return value

    def text(self, raw: Any, path: SpecPath, what: str) -> str:
        if not isinstance(raw, str):
            self.report(path, "NS211", f"{what} must be text, not {_kind(raw)}")
            raise _Bad
        return self.interpolated(raw, path)

    def interpolated(self, raw: str, path: SpecPath) -> str:
        """``raw`` with each ``${…}`` replaced by its value as text."""
        if not has_interpolation(raw):
            return raw
        try:
            return interpolate(raw, self.lookup)
        except AlreadyReported:
            raise _Bad from None
        except ExpressionError as exc:
            self.report(path, exc.code, exc.message)
            raise _Bad from None

    def typed(self, raw: dict[str, Any], path: SpecPath, find: Callable[[str], _I | None],
              names: Callable[[], Iterable[str]], code: str, what: str,
              key: str = "type") -> tuple[str, _I]:
        """The catalogue entry named by ``raw[key]`` (``type:``, ``distribution:``)."""
        name = raw.get(key)
        info = find(name) if isinstance(name, str) else None
        if info is None or not isinstance(name, str):
            self.report((*path, key), code, unknown(what, str(name), names()))
            raise _Bad
        return name, info

    def arguments(self, raw: dict[str, Any], path: SpecPath, allowed: Mapping[str, Any],
                  owner: str, convert: Callable[[str, Any], Any], *, skip: Iterable[str],
                  kind: str = "argument", code: str = "NS303",
                  missing_code: str = "NS314") -> dict[str, Any]:
        """Every key of ``raw`` but ``skip``, converted; unknown and missing required keys
        (``allowed[k].required``) reported. Raises ``_Bad`` after reporting them all."""
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
            except _Bad:
                bad = True
        missing = [k for k, a in allowed.items()
                   if getattr(a, "required", False) and k not in raw]
        if missing:
            self.report(path, missing_code, f"{owner} needs {', '.join(sorted(missing))}")
            bad = True
        if bad:
            raise _Bad
        return out

    def random(self, raw: dict[str, Any], path: SpecPath, unit: str | None,
               what: str) -> RandomValue:
        name, info = self.typed(raw, path, catalogue.distribution, catalogue.distributions,
                                "NS308", "random distribution", key="distribution")

        def convert(key: str, item: Any) -> float:
            dimensionless = key in ("n", "k", "p", "shape", "alpha", "beta", "kappa")
            return self.number(item, (*path, key), None if dimensionless else unit,
                               f"{what} ({key})")

        params = self.arguments(raw, path, info.args, f"distribution '{name}'", convert,
                                skip=("distribution",), kind="parameter", code="NS308",
                                missing_code="NS308")
        for low, high in (("low", "high"), ("mu", "sigma")):
            if low == "low" and low in params and high in params and params[low] > params[high]:
                self.report(path, "NS316", f"{what}: low ({params[low]}) is above high "
                                           f"({params[high]})")
                raise _Bad
        return RandomValue(name, params)

    def read_file(self, raw: Any, path: SpecPath, *, ragged: bool = False) -> list[np.ndarray]:
        """Rows of a .npy / .csv / .txt file named relative to the spec."""
        name = self.text(raw, path, "file")
        file = (self.loaded.folder / name).resolve()
        try:
            if file.suffix == ".npy":
                array = np.load(file, allow_pickle=False)
                if array.ndim == 0:
                    array = array.reshape(1)
                rows = [array] if array.ndim == 1 else list(array)
            elif file.suffix in (".csv", ".txt", ".dat"):
                with file.open(newline="", encoding="utf-8") as fh:
                    text_rows = [r for r in csv.reader(
                        (line for line in fh if line.strip() and not line.startswith("#")),
                        delimiter="," if file.suffix == ".csv" else " ",
                        skipinitialspace=True)]
                rows = [np.array([float(x) for x in r if x != ""], dtype=float)
                        for r in text_rows]
                if not ragged and len({len(r) for r in rows}) > 1:
                    raise ValueError("rows have different lengths")
            else:
                self.report(path, "NS313", f"cannot read '{name}': use a .npy, .csv or .txt "
                                           "file")
                raise _Bad
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.report(path, "NS313", f"cannot read '{name}' (looked in {file.parent}): "
                                       f"{reason}")
            raise _Bad from None
        for row in rows:
            if row.dtype.kind not in "iuf" or not np.all(np.isfinite(row)):
                self.report(path, "NS313", f"'{name}' must hold finite numbers only")
                raise _Bad
        return [np.asarray(r, dtype=float) for r in rows]

    def array(self, raw: Any, path: SpecPath, unit: str | None, what: str) -> ArrayValue:
        if isinstance(raw, dict) and "file" in raw:
            rows = self.read_file(raw["file"], (*path, "file"))
            data = np.concatenate(rows) if len(rows) > 1 else rows[0]
            return ArrayValue(data, str((self.loaded.folder / str(raw["file"])).resolve()))
        value = self.generic(raw, path)
        if not isinstance(value, list):
            value = [value]
        numbers = []
        bad = False
        for i, item in enumerate(value):
            try:
                numbers.append(self.number(None, (*path, i), unit, what, value=item))
            except _Bad:
                bad = True
        if bad:
            raise _Bad
        return ArrayValue(np.asarray(numbers, dtype=float))

    def spike_times(self, raw: Any, path: SpecPath, size: int) -> SpikeTrains:
        file = None
        if isinstance(raw, dict) and "file" in raw:
            rows = self.read_file(raw["file"], (*path, "file"), ragged=True)
            file = str((self.loaded.folder / str(raw["file"])).resolve())
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
            raise _Bad
        for i, train in enumerate(trains):
            times = train.data
            where = (*path, i) if per_cell and file is None else path
            if times.size and (times.min() < 0 or np.any(np.diff(times) <= 0)):
                self.report(where, "NS312", "spike times must be non-negative and strictly "
                                            "increasing" + (f" (train {i})" if per_cell else ""))
                raise _Bad
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
            raise _Bad
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
            raise _Bad
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

    # ------------------------------------------------------------- simulation
    def simulation(self) -> Simulation:
        raw = self.data.get("simulation")
        raw = raw if isinstance(raw, dict) else {}
        path: SpecPath = ("simulation",)
        values: dict[str, float] = {}
        for key, default in (("timestep", 0.1), ("duration", 1000.0), ("min_delay", None),
                             ("max_delay", None)):
            if key not in raw or self.skipped((*path, key)):
                if default is not None:
                    values[key] = default
                continue
            try:
                values[key] = self.number(raw[key], (*path, key), "ms", key)
            except _Bad:
                if default is not None:
                    values[key] = default
        timestep = values["timestep"]
        self.timestep = timestep
        if timestep <= 0:
            self.report((*path, "timestep"), "NS404", "timestep must be positive")
        if values["duration"] <= 0:
            self.report((*path, "duration"), "NS404", "duration must be positive")
        elif timestep > 0 and not units.is_multiple(values["duration"], timestep):
            self.report((*path, "duration"), "NS403",
                        f"duration ({values['duration']} ms) is not a multiple of the timestep "
                        f"({timestep} ms)")
        min_delay = values.get("min_delay", timestep)
        max_delay = values.get("max_delay", max(DEFAULT_MAX_DELAY, min_delay))
        if "min_delay" in values and timestep > 0:
            if min_delay < timestep - 1e-12:
                self.report((*path, "min_delay"), "NS404",
                            f"min_delay ({min_delay} ms) is shorter than the timestep "
                            f"({timestep} ms)")
            elif not units.is_multiple(min_delay, timestep):
                self.report((*path, "min_delay"), "NS403",
                            f"min_delay ({min_delay} ms) is not a multiple of the timestep "
                            f"({timestep} ms)")
        if "max_delay" in values:
            if max_delay < min_delay:
                self.report((*path, "max_delay"), "NS404",
                            f"max_delay ({max_delay} ms) is below min_delay ({min_delay} ms)")
            elif timestep > 0 and not units.is_multiple(max_delay, timestep):
                self.report((*path, "max_delay"), "NS403",
                            f"max_delay ({max_delay} ms) is not a multiple of the timestep "
                            f"({timestep} ms)")
        seed_given = "seed" in raw
        seed = secrets.randbelow(2**31 - 1) + 1
        if seed_given and not self.skipped((*path, "seed")):
            try:
                seed = int(self.number(raw["seed"], (*path, "seed"), None, "seed", integer=True))
                if not 0 <= seed < 2**31:
                    self.report((*path, "seed"), "NS106", "seed must be in [0, 2**31)")
            except _Bad:
                pass
        backends: dict[str, Any] = raw["backends"] if isinstance(raw.get("backends"),
                                                                 dict) else {}
        nest = self.backend_options(backends.get("nest"), (*path, "backends", "nest"))
        spinnaker = self.backend_options(backends.get("spinnaker"),
                                         (*path, "backends", "spinnaker"))
        return Simulation(timestep, values["duration"], min_delay, max_delay, seed,
                          seed_given, nest, spinnaker,
                          self.origin(path) if "simulation" in self.data else None)

    def backend_options(self, raw: Any, path: SpecPath) -> dict[str, Any]:
        if not isinstance(raw, dict) or self.skipped(path):
            return {}
        out: dict[str, Any] = {}
        for key, item in raw.items():
            try:
                if isinstance(item, dict):
                    out[key] = {k: self.generic(v, (*path, key, k)) for k, v in item.items()}
                else:
                    value = self.generic(item, (*path, key))
                    out[key] = units.plain(value) if isinstance(value, pq.Quantity) else value
            except _Bad:
                pass
        return out

    # ------------------------------------------------------------ populations
    def declare(self) -> None:
        for section in ("populations", "views", "projections"):
            raw = self.data.get(section)
            if not isinstance(raw, dict):
                continue
            for name in raw:
                if name in self.declared:
                    self.report((section, name), "NS309",
                                f"'{name}' is already the name of a "
                                f"{self.declared[name].rstrip('s')}; populations, views and "
                                "projections share one namespace", key=True)
                else:
                    self.declared[name] = section

    def population(self, name: str, raw: dict[str, Any]) -> Population:
        path: SpecPath = ("populations", name)
        bad = False
        size: int | None = None
        try:
            size = int(self.number(raw.get("size"), (*path, "size"), None, "size",
                                   integer=True))
            if size < 1 or size > MAX_SIZE:
                self.report((*path, "size"), "NS106",
                            f"size must be between 1 and {MAX_SIZE}, not {size}")
                bad, size = True, None
        except _Bad:
            bad = True
        cell_type = raw.get("cell_type")
        model = catalogue.cell_type(cell_type) if isinstance(cell_type, str) else None
        if model is None:
            self.report((*path, "cell_type"), "NS302",
                        unknown("cell type", str(cell_type), catalogue.cell_types()))
            raise _Bad
        try:
            parameters = self.parameters_of(raw.get("parameters"), (*path, "parameters"), model,
                                             model.parameters, "parameter",
                                             size=-1 if size is None else size)
        except _Bad:
            bad, parameters = True, {}
        try:
            initial = self.parameters_of(raw.get("initial_values"), (*path, "initial_values"),
                                         model, model.initial_values, "state variable",
                                         size=-1 if size is None else size)
        except _Bad:
            bad, initial = True, {}
        structure = None
        if isinstance(raw.get("structure"), dict):
            try:
                structure = self.structure(raw["structure"], (*path, "structure"))
            except _Bad:
                bad = True
        if bad:
            if size is not None:
                # Keep it (invalid: the spec is refused anyway) so that what refers to it
                # is still checked, and every problem is reported at once.
                self.populations[name] = Population(name, size, model.name, parameters,
                                                    initial, structure, name, self.origin(path))
            raise _Bad
        label = self.text(raw.get("label", name), (*path, "label"), "label")
        assert size is not None
        return Population(name, size, model.name, parameters, initial, structure, label,
                          self.origin(path))

    def structure(self, raw: dict[str, Any], path: SpecPath) -> Component:
        kind, info = self.typed(raw, path, catalogue.structure, catalogue.structures,
                                "NS315", "structure")

        def convert(key: str, item: Any) -> Any:
            if isinstance(item, dict) and "type" in item:
                return self.structure(item, (*path, key))
            return self.argument(item, (*path, key), info.args[key], f"{key} of {kind}",
                                 spatial=True)

        return Component(kind, self.arguments(raw, path, info.args, kind, convert,
                                              skip=("type",)))

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

    # ------------------------------------------------------------------ views
    def view(self, name: str, raw: dict[str, Any], pending: dict[str, dict[str, Any]],
             visiting: list[str]) -> View | Assembly:
        if name in self.views:
            return self.views[name]
        path: SpecPath = ("views", name)
        if name in self.cyclic:
            raise _Bad  # reported once, for the whole cycle
        if name in visiting:
            cycle = [*visiting[visiting.index(name):], name]
            self.cyclic.update(cycle)
            self.report(path, "NS318", "views refer to each other in a cycle: "
                                       + " → ".join(cycle))
            raise _Bad
        visiting.append(name)
        try:
            label = self.text(raw.get("label", name), (*path, "label"), "label")
            if "assembly" in raw:
                members = raw.get("assembly") or []
                size = 0
                for i, member in enumerate(members):
                    size += self.target_size(member, (*path, "assembly", i), pending, visiting,
                                             allow_assembly=True)
                result: View | Assembly = Assembly(name, tuple(members), size, label,
                                                   self.origin(path))
            else:
                parent = raw.get("population")
                parent_size = self.target_size(parent, (*path, "population"), pending, visiting)
                parent_indices = self.indices_of(str(parent))
                kind, selector, chosen = self.selection(raw, path, parent_size)
                population = self.root_name(str(parent))
                result = View(name, str(parent), population, kind, selector,
                              tuple(parent_indices[i] for i in chosen), label,
                              self.origin(path))
        finally:
            visiting.pop()
        if result.size == 0:
            self.report(path, "NS311", f"view '{name}' selects no cells; PyNN needs at least one")
            raise _Bad
        self.views[name] = result
        return result

    def root_name(self, name: str) -> str:
        if name in self.populations:
            return name
        view = self.views[name]
        assert isinstance(view, View)
        return view.population

    def indices_of(self, name: str) -> list[int]:
        if name in self.populations:
            return list(range(self.populations[name].size))
        view = self.views[name]
        assert isinstance(view, View)
        return list(view.indices)

    def target_size(self, name: Any, path: SpecPath, pending: dict[str, dict[str, Any]],
                    visiting: list[str], *, allow_assembly: bool = False) -> int:
        if not isinstance(name, str):
            self.report(path, "NS211", f"expected the name of a population or view, "
                                       f"not {name!r}")
            raise _Bad
        if name in self.populations:
            return self.populations[name].size
        if name in pending:
            target = self.view(name, pending[name], pending, visiting)
            if isinstance(target, Assembly) and not allow_assembly:
                self.report(path, "NS301", f"'{name}' is an assembly; a view needs a "
                                           "population or a view")
                raise _Bad
            return target.size
        self.unknown_reference(name, path, ("populations", "views"))
        raise _Bad

    def unknown_reference(self, name: str, path: SpecPath, sections: tuple[str, ...]) -> None:
        if name in self.declared and self.declared[name] in sections:
            return  # defined, but invalid: reported at its definition
        choices = [n for n, s in self.declared.items() if s in sections]
        kinds = " or ".join(s.rstrip("s") for s in sections)
        self.report(path, "NS301", f"unknown {kinds} '{name}'{did_you_mean(name, choices)}; "
                                   f"defined: {', '.join(sorted(choices)) or 'none'}")

    def selection(self, raw: dict[str, Any], path: SpecPath,
                  size: int) -> tuple[str, tuple[Any, ...], list[int]]:
        if "slice" in raw:
            items = raw["slice"]
            numbers = [self.number(v, (*path, "slice", i), None, "slice bound", integer=True)
                       for i, v in enumerate(items)]
            start, stop = int(numbers[0]), int(numbers[1])
            step = int(numbers[2]) if len(numbers) > 2 else 1
            if step <= 0:
                self.report((*path, "slice", 2), "NS311", "slice step must be positive")
                raise _Bad
            if not 0 <= start <= stop <= size:
                self.report((*path, "slice"), "NS311",
                            f"slice [{start}, {stop}] is outside the {size} cells of "
                            f"'{raw.get('population')}' (need 0 ≤ start ≤ stop ≤ {size})")
                raise _Bad
            return "slice", (start, stop, step), list(range(start, stop, step))
        if "indices" in raw:
            chosen = [int(self.number(v, (*path, "indices", i), None, "index", integer=True))
                      for i, v in enumerate(raw["indices"])]
            for i, index in enumerate(chosen):
                if not 0 <= index < size:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} is outside the {size} cells of "
                                f"'{raw.get('population')}' (0 to {size - 1})")
                    raise _Bad
            if len(set(chosen)) != len(chosen):
                self.report((*path, "indices"), "NS311", "indices repeat a cell")
                raise _Bad
            # PyNN keeps a view's cells in population order: an index list is sorted
            return "indices", tuple(chosen), sorted(chosen)
        mask = raw.get("mask", [])
        if len(mask) != size or not all(isinstance(m, bool) for m in mask):
            self.report((*path, "mask"), "NS311",
                        f"mask must hold {size} true/false values, one per cell of "
                        f"'{raw.get('population')}' (has {len(mask)})")
            raise _Bad
        return "mask", tuple(mask), [i for i, m in enumerate(mask) if m]

    # ------------------------------------------------------------ references
    def target_name(self, raw: Any, path: SpecPath, *, assembly: bool = True) -> str:
        """A reference to a population, view (or assembly) that resolved."""
        if not isinstance(raw, str):
            self.report(path, "NS211", f"expected a name, not {raw!r}")
            raise _Bad
        if raw in self.populations or (raw in self.views and
                                       (assembly or isinstance(self.views[raw], View))):
            return raw
        if raw in self.views:
            self.report(path, "NS301", f"'{raw}' is an assembly; a population or view is "
                                       "needed here")
            raise _Bad
        self.unknown_reference(raw, path, ("populations", "views"))
        raise _Bad

    def cell_models(self, target: str) -> list[catalogue.ModelInfo]:
        return [m for m in (catalogue.cell_type(c) for c in self.cell_types_of(target)) if m]

    def cell_types_of(self, target: str) -> list[str]:
        if target in self.populations:
            return [self.populations[target].cell_type]
        view = self.views[target]
        if isinstance(view, View):
            return [self.populations[view.population].cell_type]
        out: list[str] = []
        for member in view.members:
            for kind in self.cell_types_of(member):
                if kind not in out:
                    out.append(kind)
        return out

    def size(self, target: str) -> int:
        if target in self.populations:
            return self.populations[target].size
        return self.views[target].size

    # ------------------------------------------------------------ projections
    def projection(self, name: str, raw: dict[str, Any]) -> Projection:
        path: SpecPath = ("projections", name)
        bad = False
        pre = post = ""
        try:
            pre = self.target_name(raw.get("pre"), (*path, "pre"))
        except _Bad:
            bad = True
        try:
            post = self.target_name(raw.get("post"), (*path, "post"))
        except _Bad:
            raise _Bad from None  # the receptor type and weights depend on it
        post_models = self.cell_models(post)
        receptor = raw.get("receptor_type", "excitatory")
        receptor = self.text(receptor, (*path, "receptor_type"), "receptor_type")
        for model in post_models:
            if model.spike_source:
                self.report((*path, "post"), "NS316",
                            f"'{post}' holds {model.name} cells, which cannot receive "
                            "connections")
                raise _Bad
            if receptor not in model.receptor_types:
                self.report((*path, "receptor_type"), "NS307",
                            unknown("receptor type", receptor, model.receptor_types, model.name))
                bad = True
        kinds = {m.weight_unit for m in post_models}
        weight_unit = next(iter(kinds)) if len(kinds) == 1 else None
        if len(kinds) > 1:
            self.report((*path, "post"), "NS316",
                        f"'{post}' mixes cell types whose weights have different units "
                        f"({', '.join(sorted(str(k) for k in kinds))}); use one projection each")
            bad = True
        connector = Component("", {})
        if pre:  # a connector's arguments may depend on the size of pre
            try:
                connector = self.connector(raw.get("connector", {}), (*path, "connector"), pre,
                                           post)
            except _Bad:
                bad = True
        try:
            synapse = self.synapse(raw.get("synapse", {"type": "StaticSynapse"}),
                                   (*path, "synapse"), weight_unit or "uS")
        except _Bad:
            bad, synapse = True, Synapse("", {})
        if bad:
            raise _Bad
        label = self.text(raw.get("label", name), (*path, "label"), "label")
        return Projection(name, pre, post, connector, synapse, receptor, label,
                          self.origin(path))

    def connector(self, raw: dict[str, Any], path: SpecPath, pre: str, post: str) -> Component:
        kind, info = self.typed(raw, path, catalogue.connector, catalogue.connectors,
                                "NS304", "connector")
        if kind in NOT_EXPRESSIBLE:
            self.report((*path, "type"), "NS304",
                        f"{kind} cannot be written in a spec: {NOT_EXPRESSIBLE[kind]}; "
                        "list the connections with FromListConnector or FromFileConnector, "
                        "or give a boolean matrix to ArrayConnector")
            raise _Bad

        def convert(key: str, item: Any) -> Any:
            where = (*path, key)
            if key == "conn_list":
                return self.conn_list(item, where, pre, post, raw.get("column_names"))
            if kind == "ArrayConnector" and key == "array":
                return self.connection_matrix(item, where, pre, post)
            if kind == "CloneConnector" and key == "reference_projection":
                return self.reference_projection(item, where, pre, post)
            if key == "file":
                name = self.text(item, where, "file")
                file = (self.loaded.folder / name).resolve()
                if not file.is_file():
                    self.report(where, "NS313", f"cannot read '{name}' (looked in "
                                                f"{file.parent}): no such file")
                    raise _Bad
                return str(file)
            if key == "column_names":
                if not isinstance(item, list) or not all(isinstance(c, str) for c in item):
                    self.report(where, "NS211", "column_names must be a list of parameter "
                                                "names")
                    raise _Bad
                return tuple(item)
            value = self.argument(item, where, info.args[key], f"{key} of {kind}")
            if key == "p_connect" and isinstance(value, float) and not 0.0 <= value <= 1.0:
                self.report(where, "NS310", f"p_connect must be a probability in [0, 1], not "
                                            f"{value}")
                raise _Bad
            if key == "n" and isinstance(value, int) and value < 0:
                self.report(where, "NS106", "n must not be negative")
                raise _Bad
            return value

        return Component(kind, self.arguments(raw, path, info.args, kind, convert,
                                              skip=("type",)))

    def connection_matrix(self, raw: Any, path: SpecPath, pre: str, post: str) -> ArrayValue:
        """ArrayConnector's ``array``: one row per cell of ``pre``, one true/false (or 1/0)
        per cell of ``post``; or ``{file: …}`` with the same rows."""
        shape = (self.size(pre), self.size(post))
        file: str | None = None
        if isinstance(raw, dict) and "file" in raw:
            rows = self.read_file(raw["file"], (*path, "file"))
            file = str((self.loaded.folder / str(raw["file"])).resolve())
            data = np.vstack(rows) if rows else np.zeros((0, shape[1]))
        elif isinstance(raw, list) and all(isinstance(r, list) for r in raw):
            if len({len(r) for r in raw}) > 1:
                self.report(path, "NS316", "array rows have different lengths")
                raise _Bad
            if not all(isinstance(v, bool) or v in (0, 1) for r in raw for v in r):
                self.report(path, "NS211", "array must hold true/false (or 1/0) values")
                raise _Bad
            data = np.asarray(raw, dtype=float).reshape(len(raw), -1)
        else:
            self.report(path, "NS211", "array must be a list of rows, one per cell of "
                                       f"'{pre}', each with one true/false per cell of "
                                       f"'{post}'; or {{file: …}}")
            raise _Bad
        if data.shape != shape:
            self.report(path, "NS316", f"array is {data.shape[0]}×"
                                       f"{data.shape[1] if data.ndim > 1 else 0}, but "
                                       f"'{pre}' × '{post}' is {shape[0]}×{shape[1]}")
            raise _Bad
        if not np.all((data == 0) | (data == 1)):
            self.report(path, "NS211", "array must hold true/false (or 1/0) values")
            raise _Bad
        return ArrayValue(data.astype(bool), file)

    def reference_projection(self, raw: Any, path: SpecPath, pre: str, post: str) -> str:
        """CloneConnector's ``reference_projection``: an earlier projection between the same
        ``pre`` and ``post``."""
        name = self.text(raw, path, "reference_projection")
        projections = list(self.section("projections"))
        here = path[1] if len(path) > 1 else None
        if name not in projections:
            self.unknown_reference(name, path, ("projections",))
            raise _Bad
        if here in projections and projections.index(name) >= projections.index(here):
            self.report(path, "NS301", f"reference_projection '{name}' must be defined before "
                                       f"projection '{here}'")
            raise _Bad
        other = self.section("projections")[name]
        if isinstance(other, dict) and (other.get("pre"), other.get("post")) != (pre, post):
            self.report(path, "NS316", f"reference_projection '{name}' connects "
                                       f"'{other.get('pre')}' to '{other.get('post')}'; "
                                       f"CloneConnector needs the same pre ('{pre}') and post "
                                       f"('{post}')")
            raise _Bad
        return name

    def conn_list(self, raw: Any, path: SpecPath, pre: str, post: str,
                  columns: Any) -> ArrayValue:
        if isinstance(raw, dict) and "file" in raw:
            rows = self.read_file(raw["file"], (*path, "file"))
            file: str | None = str((self.loaded.folder / str(raw["file"])).resolve())
            data = np.vstack(rows) if rows else np.zeros((0, 2))
        else:
            file = None
            if not isinstance(raw, list) or not all(isinstance(r, list) for r in raw):
                self.report(path, "NS211", "conn_list must be a list of [pre, post, …] rows")
                raise _Bad
            rows_out = []
            for i, row in enumerate(raw):
                rows_out.append([self.number(v, (*path, i, j), None, "conn_list entry")
                                 for j, v in enumerate(row)])
            widths = {len(r) for r in rows_out}
            if len(widths) > 1:
                self.report(path, "NS316", "conn_list rows have different lengths")
                raise _Bad
            data = np.asarray(rows_out, dtype=float).reshape(len(rows_out), -1 if rows_out
                                                             else 2)
        width = 2 + (len(columns) if isinstance(columns, list) else 0)
        if data.size and data.shape[1] != width:
            names = ", ".join(["pre", "post", *(str(c) for c in columns or [])])
            hint = "" if columns else ("; name the extra columns with column_names, "
                                       "e.g. [weight, delay]")
            self.report(path, "NS316", f"conn_list rows have {data.shape[1]} values, but rows "
                                       f"here are [{names}] ({width} values){hint}")
            raise _Bad
        for column, target in ((0, pre), (1, post)):
            if data.size:
                column_values = data[:, column]
                if np.any(column_values != np.round(column_values)) or \
                        column_values.min() < 0 or column_values.max() >= self.size(target):
                    row = int(np.argmax((column_values < 0)
                                        | (column_values >= self.size(target))
                                        | (column_values != np.round(column_values))))
                    self.report((*path, row, column) if file is None else path, "NS311",
                                f"conn_list row {row}: {'pre' if column == 0 else 'post'} index "
                                f"{column_values[row]:g} is not a cell of '{target}' "
                                f"(0 to {self.size(target) - 1})")
                    raise _Bad
        return ArrayValue(data, file)

    def synapse(self, raw: Any, path: SpecPath, weight_unit: str) -> Synapse:
        if not isinstance(raw, dict):
            raise _Bad
        kind = raw.get("type")
        model = catalogue.synapse_type(kind) if isinstance(kind, str) else None
        if model is None:
            self.report((*path, "type"), "NS305",
                        unknown("synapse type", str(kind), catalogue.synapse_types()))
            raise _Bad
        rules = ("timing_dependence", "weight_dependence", "voltage_dependence")
        bad = False
        try:
            params = self.parameters_of(raw, path, model, model.parameters, "parameter",
                                        weight_unit=weight_unit, exclude=("type", *rules))
        except _Bad:
            bad, params = True, {}
        found: dict[str, Component | None] = {"timing_dependence": None,
                                              "weight_dependence": None}
        if model.name == "STDPMechanism":
            for rule, finder, names in (
                    ("timing_dependence", catalogue.timing_dependence,
                     catalogue.timing_dependences),
                    ("weight_dependence", catalogue.weight_dependence,
                     catalogue.weight_dependences)):
                item = raw.get(rule)
                if not isinstance(item, dict):
                    self.report(path, "NS314", f"STDPMechanism needs {rule}")
                    bad = True
                    continue
                rule_type = item.get("type")
                rule_model = finder(rule_type) if isinstance(rule_type, str) else None
                if rule_model is None:
                    self.report((*path, rule, "type"), "NS305",
                                unknown(rule.replace("_", " "), str(item.get("type")), names()))
                    bad = True
                    continue
                try:
                    found[rule] = Component(rule_model.name, self.parameters_of(
                        item, (*path, rule), rule_model, rule_model.parameters, "parameter",
                        weight_unit=weight_unit, exclude=("type",)))
                except _Bad:
                    bad = True
        else:
            for rule in rules:
                if rule in raw:
                    self.report((*path, rule), "NS303", f"{rule} belongs to STDPMechanism, "
                                                        f"not {model.name}", key=True)
                    bad = True
        if bad:
            raise _Bad
        return Synapse(model.name, params, found["timing_dependence"],
                       found["weight_dependence"])

    # ---------------------------------------------------------------- stimuli
    def stimulus(self, name: str, raw: dict[str, Any]) -> Stimulus:
        path: SpecPath = ("stimuli", name)
        kind = raw.get("type")
        model = catalogue.current_source(kind) if isinstance(kind, str) else None
        if model is None:
            self.report((*path, "type"), "NS315",
                        unknown("current source", str(kind), catalogue.current_sources()))
            raise _Bad
        target = self.target_name(raw.get("target"), (*path, "target"))
        for cell in self.cell_models(target):
            if cell.spike_source:
                self.report((*path, "target"), "NS317",
                            f"'{target}' holds {cell.name} cells; current can only be injected "
                            "into neurons")
                raise _Bad
        params = self.parameters_of(raw, path, model, model.parameters, "parameter",
                                    exclude=("type", "target"))
        default_dt = model.parameters["dt"].default if "dt" in model.parameters else None
        dt = params.get("dt", default_dt)
        if isinstance(dt, float) and (dt <= 0 or not units.is_multiple(dt, self.timestep)):
            given = "dt" in params
            self.report((*path, "dt") if given else path, "NS403",
                        f"dt ({dt:g} ms{'' if given else ', the default'}) must be a positive "
                        f"multiple of the timestep ({self.timestep:g} ms)")
            raise _Bad
        times, amplitudes = params.get("times"), params.get("amplitudes")
        if model.name == "StepCurrentSource":
            for key, value in (("times", times), ("amplitudes", amplitudes)):
                if not isinstance(value, ArrayValue) or not value.data.size:
                    self.report((*path, key) if key in params else path, "NS314",
                                f"StepCurrentSource needs at least one value in {key} (PyNN "
                                "cannot build a step source without steps)")
                    raise _Bad
        if isinstance(times, ArrayValue) and isinstance(amplitudes, ArrayValue):
            if times.data.shape != amplitudes.data.shape:
                self.report(path, "NS316", f"{kind} needs as many amplitudes "
                                           f"({amplitudes.data.size}) as times "
                                           f"({times.data.size})")
                raise _Bad
            if times.data.size and (times.data.min() < 0 or np.any(np.diff(times.data) <= 0)):
                self.report((*path, "times"), "NS312", "times must be non-negative and "
                                                      "strictly increasing")
                raise _Bad
        return Stimulus(name, model.name, params, target, self.origin(path))

    # ------------------------------------------------------------- recordings
    def recording(self, name: str, raw: dict[str, Any]) -> Recording:
        path: SpecPath = ("recordings", name)
        target = self.target_name(raw.get("target"), (*path, "target"))
        size = self.size(target)
        variables = tuple(raw.get("variables") or ())
        bad = False
        for model in self.cell_models(target):
            for i, variable in enumerate(variables):
                if variable not in model.recordables:
                    self.report((*path, "variables", i), "NS306",
                                unknown("variable", variable, model.recordables, model.name))
                    bad = True
        indices = None
        if "indices" in raw:
            indices = tuple(int(self.number(v, (*path, "indices", i), None, "index",
                                            integer=True))
                            for i, v in enumerate(raw["indices"]))
            for i, index in enumerate(indices):
                if not 0 <= index < size:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} is outside the {size} cells of '{target}'")
                    bad = True
        interval = None
        if "sampling_interval" in raw:
            interval = self.number(raw["sampling_interval"], (*path, "sampling_interval"),
                                   "ms", "sampling_interval")
            if interval <= 0 or not units.is_multiple(interval, self.timestep):
                self.report((*path, "sampling_interval"), "NS403",
                            f"sampling_interval ({interval} ms) must be a positive multiple of "
                            f"the timestep ({self.timestep} ms)")
                bad = True
        if bad:
            raise _Bad
        return Recording(name, target, indices, variables, interval, self.origin(path))

    # ----------------------------------------------------------------- export
    def export(self, index: int, raw: dict[str, Any]) -> Export:
        path: SpecPath = ("export", index)
        fmt = str(raw.get("format"))
        target = None
        if "target" in raw:
            target = self.target_name(raw["target"], (*path, "target"))
        variables = tuple(raw["variables"]) if isinstance(raw.get("variables"), list) else None
        out = self.text(raw.get("path"), (*path, "path"), "path")
        return Export(fmt, out, target, variables, self.origin(path))

    # ---------------------------------------------------------------- network
    def build_section(self, section: str,
                      build: Callable[[str, dict[str, Any]], _T]) -> dict[str, _T]:
        """Every valid object of ``section``, in spec order (invalid ones are reported)."""
        built: dict[str, _T] = {}
        for name, raw in self.section(section).items():
            if isinstance(raw, dict) and not self.skipped((section, name)):
                try:
                    built[name] = build(name, raw)
                except _Bad:
                    pass
        return built

    def network(self) -> Network:
        params = self.resolve_parameters()
        simulation = self.simulation()
        self.declare()
        for name, raw in self.section("populations").items():
            if isinstance(raw, dict) and not self.skipped(("populations", name)):
                try:
                    self.populations[name] = self.population(name, raw)
                except _Bad:
                    pass
        pending = {n: r for n, r in self.section("views").items()
                   if isinstance(r, dict) and not self.skipped(("views", n))}
        for name, raw in pending.items():
            if name in self.populations:
                continue  # reported as a name clash
            try:
                self.view(name, raw, pending, [])
            except _Bad:
                pass
        projections = self.build_section("projections", self.projection)
        stimuli = self.build_section("stimuli", self.stimulus)
        recordings = self.build_section("recordings", self.recording)
        exports: list[Export] = []
        raw_exports = self.data.get("export")
        if isinstance(raw_exports, list) and ("export",) not in self.skip:
            for i, raw in enumerate(raw_exports):
                if isinstance(raw, dict) and not self.skipped(("export", i)):
                    try:
                        exports.append(self.export(i, raw))
                    except _Bad:
                        pass
        description = self.data.get("description")
        return Network(
            name=self.spec_name,
            description=description if isinstance(description, str) else "",
            parameters=params,
            simulation=simulation,
            populations=self.populations,
            views=self.views,
            projections=projections,
            stimuli=stimuli,
            recordings=recordings,
            exports=tuple(exports),
            file=self.source.file,
            spec_text=self.loaded.text,
            spec_sha256=hashlib.sha256(self.loaded.text.encode("utf-8")).hexdigest(),
            overrides=self.overrides,
        )


def _kind(value: Any) -> str:
    """A value as a message shows it: YAML's spelling, lists and mappings by kind."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, pq.Quantity):
        return f"a quantity in {units.dimension_text(value)}"
    return repr(value)


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
    return value

