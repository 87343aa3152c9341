"""Physical quantities: parsing ``"<number> <unit>"`` and converting to PyNN's units.

Built on ``quantities``, the units package that Neo (and so PyNN) already
uses. Unit expressions are parsed here with :mod:`ast` and a whitelist; only
single unit *names* are looked up in the quantities registry, so no user text
reaches an ``eval``.

Conversions happen once, to PyNN's unit for a parameter; PyNN then scales to
each simulator's native units. Results are rounded to 15 significant digits so
that decimal unit factors do not leave float noise (``4 nS`` is exactly
``0.004`` µS, as a hand-written script would say).
"""

from __future__ import annotations

import ast
import math
import re
from functools import lru_cache
from typing import Any, TypeAlias

import quantities as pq
from quantities.registry import unit_registry

from netspec.diagnostics import did_you_mean

Quantity: TypeAlias = pq.Quantity

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"\s*({_NUMBER})\s*([A-Za-zµμΩ_][A-Za-z0-9µμΩ_*/().^\s-]*?)\s*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_POWER = 12

#: Names accepted besides those of the quantities registry.
_ALIASES = {"Ohm": "ohm", "Mohm": "Mohm", "MOhm": "Mohm", "GOhm": "Gohm", "kOhm": "kohm",
            "um2": "um**2", "deg": "deg"}
#: Units the quantities registry lacks, as (a unit it has, factor).
_SCALED = {"nV": ("uV", 1e-3), "Gohm": ("Mohm", 1e3)}
#: The units a spec usually needs, offered as near misses for an unknown unit.
COMMON_UNITS = ("ms", "s", "us", "mV", "uV", "nV", "V", "nA", "pA", "uA", "nF", "pF", "uF",
                "nS", "uS", "mS", "S", "Hz", "kHz", "um", "mm", "cm", "m", "deg", "rad",
                "MOhm", "GOhm", "kOhm", "ohm")


class UnitError(ValueError):
    """A unit cannot be parsed; the message says which part."""


def is_quantity_text(text: str) -> bool:
    """Whether ``text`` looks like ``"<number> <unit>"`` (it may still fail to parse)."""
    return _QUANTITY.match(text) is not None


def parse_quantity(text: str) -> Quantity:
    """``"20 ms"`` → ``20 * pq.ms``. Raises :class:`UnitError` for an unknown unit."""
    match = _QUANTITY.match(text)
    if match is None:
        raise UnitError(f"'{text}' is not a number followed by a unit")
    return float(match.group(1)) * parse_unit(match.group(2))


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Quantity:
    """A unit expression such as ``uF/cm**2`` or ``µm^2`` as a quantities unit."""
    cleaned = text.replace("µ", "u").replace("μ", "u").replace("Ω", "ohm").replace("^", "**")
    cleaned = cleaned.replace("·", "*").strip()
    if len(cleaned) > 100:
        raise UnitError("unit expression too long")
    try:
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError:
        raise UnitError(f"cannot read unit '{text}'") from None
    unit: Quantity = _unit_node(tree.body, text)
    return unit


def _unit_node(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Name):
        return unit_named(node.id)
    if isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool):
        return pq.dimensionless
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            power = _int_power(node.right, text)
            return _unit_node(node.left, text) ** power
        left, right = _unit_node(node.left, text), _unit_node(node.right, text)
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
    raise UnitError(f"cannot read unit '{text}'; write units like ms, mV, nS, uF/cm**2")


def _int_power(node: ast.AST, text: str) -> int:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if (isinstance(node, ast.Constant) and isinstance(node.value, int)
            and not isinstance(node.value, bool) and node.value <= _MAX_POWER):
        return sign * node.value
    raise UnitError(f"unit powers must be small whole numbers in '{text}'")


@lru_cache(maxsize=256)
def unit_named(name: str) -> Any:
    """The quantities unit called ``name`` (``ms``, ``nS``, ``um``…)."""
    given = name
    name = _ALIASES.get(name, name)
    if "*" in name:
        return parse_unit(name)
    if name in _SCALED:
        base, factor = _SCALED[name]
        return factor * unit_named(base)
    if not _NAME.match(name) or name.startswith("_") or name == "dimensionless":
        raise UnitError(_unknown(given))
    try:
        unit = unit_registry[name]
    except (LookupError, SyntaxError, RecursionError):
        raise UnitError(_unknown(given)) from None
    if not isinstance(unit, pq.Quantity):
        raise UnitError(_unknown(given))
    return unit


def _unknown(name: str) -> str:
    same = [unit for unit in COMMON_UNITS if unit.lower() == name.lower()]
    if same:  # case matters in units: mS is not ms
        hint = " or ".join(f"'{unit}'" for unit in same)
        return f"unknown unit '{name}' (did you mean {hint}?)"
    return f"unknown unit '{name}'{did_you_mean(name, COMMON_UNITS)}"


def is_unit_name(name: str) -> bool:
    """Whether ``name`` is a known unit name."""
    try:
        unit_named(name)
    except UnitError:
        return False
    return True


def same_dimension(a: Any, b: Any) -> bool:
    """Whether two quantities (or units) have the same physical dimension."""
    return _base(a)[1] == _base(b)[1]


_BASES: dict[str, tuple[float, str]] = {}


def _base(value: Any) -> tuple[float, str]:
    """The factor from the unit of quantity ``value`` to SI base units, and those units.

    ``Quantity.simplified`` looks every unit up again (with an ``eval`` each time);
    a spec uses few distinct units, so each is simplified once and remembered.
    """
    key = str(value.dimensionality.string)
    found = _BASES.get(key)
    if found is None:
        simplified = pq.Quantity(1.0, value.dimensionality).simplified
        found = (float(simplified.magnitude), str(simplified.dimensionality.string))
        if len(_BASES) < 4096:
            _BASES[key] = found
    return found


#: The units :func:`show` writes a quantity in: the first one of its dimension
#: (PyNN's units first).
_SHOWN_IN = ("ms", "mV", "nA", "nF", "uS", "Hz", "deg", "um", "um**2", "uF/cm**2", "S/cm**2",
             "MOhm", "mV/ms", "1/ms")


def show(value: Any) -> str:
    """A quantity as text in the most familiar unit: ``0.2 nF``, not ``20000 um**2*uF/cm**2``."""
    base = _base(value)[1]
    for unit in _SHOWN_IN:
        if _base(parse_unit(unit))[1] == base:
            return f"{magnitude_in(value, unit):g} {unit}"
    simplified = value.simplified
    return f"{tidy(float(simplified.magnitude)):g} {dimension_text(simplified)}"


def dimension_text(value: Any) -> str:
    """The unit a quantity is written in, for messages (``ms``, ``uF/cm**2``)."""
    if not isinstance(value, pq.Quantity):
        return "no unit"
    text = value.dimensionality.string
    return "no unit" if text == "dimensionless" else str(text)


def magnitude_in(value: Any, unit: str | None) -> float:
    """The plain number of ``value`` in ``unit`` (``None``: dimensionless).

    Raises :class:`UnitError` when the dimensions differ.
    """
    if not isinstance(value, pq.Quantity):
        if unit is None:
            return float(value)
        raise UnitError(f"expected a value in {unit}")  # plain numbers are taken as-is by callers
    target = pq.dimensionless if unit is None else parse_unit(unit)
    given, wanted = _base(value), _base(target)
    if given[1] != wanted[1]:
        raise UnitError(
            f"has unit {dimension_text(value)}, which cannot be converted to "
            f"{unit or 'a plain number'}")
    magnitude = float(value.magnitude) * (given[0] / float(target.magnitude)) / wanted[0]
    return tidy(magnitude)


def is_multiple(value: float, step: float) -> bool:
    """Whether ``value`` is a whole multiple of ``step`` (to a part in a million).

    Always true for a ``step`` that is not positive: that step is reported by itself.
    """
    if not step > 0:
        return True
    ratio = value / step
    if not math.isfinite(ratio):
        return False
    return abs(ratio - round(ratio)) < 1e-6


def tidy(x: float) -> float:
    """Round away float noise left by unit factors (15 significant digits)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.15g}")


def plain(value: Any) -> Any:
    """A dimensionless quantity as a plain float; anything else unchanged."""
    if isinstance(value, pq.Quantity) and value.shape == ():
        factor, base = _base(value)
        if base == "dimensionless":
            return tidy(float(value.magnitude) * factor)
    return value
