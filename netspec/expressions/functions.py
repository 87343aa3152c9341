"""The functions an expression may call (:data:`FUNCTIONS`) and the constants it knows
(:data:`CONSTANTS`), with their checks: units refused where a plain number is needed,
bounded rounding, domain errors as NS205."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import quantities as pq

from netspec import units
from netspec.expressions.arithmetic import arithmetic, require_number, unit_of
from netspec.expressions.errors import ExpressionError
from netspec.expressions.limits import MAX_ROUND_DIGITS
from netspec.expressions.messages import shown


def _plain_number(x: Any, name: str) -> Any:
    x = units.plain(x)
    if isinstance(x, pq.Quantity):
        raise ExpressionError("NS207", f"{name}() needs a plain number, not a value in "
                                       f"{units.dimension_text(x)}; divide by a unit first")
    require_number(x, f"{name}()")
    return x


def _unit_only(fn: Callable[[float], Any], name: str) -> Callable[..., Any]:
    def apply(x: Any) -> Any:
        return fn(_plain_number(x, name))
    return apply


def _round(x: Any, digits: Any = None) -> Any:
    x = _plain_number(x, "round")
    if digits is None:
        return round(x)
    digits = units.plain(digits)
    if isinstance(digits, bool) or not isinstance(digits, int | float) \
            or not float(digits).is_integer():
        raise ExpressionError("NS212", f"round()'s digits must be a whole number, not "
                                       f"{shown(digits)}")
    if abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionError("NS209", f"round()'s digits must be between "
                                       f"-{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}, "
                                       f"not {shown(digits)}")
    return round(x, int(digits))


def _sqrt(x: Any) -> Any:
    require_number(x, "sqrt()")
    if isinstance(x, pq.Quantity):
        if float(x.magnitude) < 0:
            raise ExpressionError("NS205", f"sqrt() of a negative value ({units.show(x)})")
        return x ** 0.5
    if x < 0:
        raise ExpressionError("NS205", f"sqrt() of a negative number ({x})")
    return math.sqrt(x)


def _log(x: Any, base: Any = None) -> Any:
    x = _plain_number(x, "log")
    if x <= 0:
        raise ExpressionError("NS205", f"log() of a number that is not positive ({x})")
    if base is None:
        return math.log(x)
    base = _plain_number(base, "log")
    if base <= 0 or base == 1:
        raise ExpressionError("NS205", f"log()'s base must be positive and not 1, not {base}")
    return math.log(x, base)


def _items(value: Any, name: str) -> list[Any]:
    """The values of a list, or of a mapping, for the functions that take one."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    if isinstance(value, pq.Quantity) and value.shape != ():
        return list(value)
    raise ExpressionError("NS211", f"{name}() needs a list or a mapping, not {shown(value)}")


def _extreme(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = list(args)
        if len(values) == 1 and isinstance(values[0], list | dict):
            values = _items(values[0], name)
        if not values:
            raise ExpressionError("NS201", f"{name}() needs at least one value")
        for value in values:
            require_number(value, f"{name}()")
        try:
            return pick(values, key=lambda v: units.magnitude_in(v, unit_of(values[0]))
                        if isinstance(v, pq.Quantity) else v)
        except (units.UnitError, TypeError):
            raise ExpressionError("NS207", f"{name}() needs values of one dimension") from None
    return apply


def _to_int(x: Any) -> int:
    x = _plain_number(x, "int")
    return int(x)


def _to_float(x: Any) -> Any:
    require_number(x, "float()")
    x = units.plain(x)
    return x if isinstance(x, pq.Quantity) else float(x)


def _abs(x: Any) -> Any:
    require_number(x, "abs()")
    return abs(x)


def _len(x: Any) -> int:
    if isinstance(x, list | dict | str):
        return len(x)
    raise ExpressionError("NS211", f"len() needs a list, a mapping or text, not {shown(x)}")


def _sum(x: Any) -> Any:
    total: Any = 0
    for i, value in enumerate(_items(x, "sum")):
        require_number(value, "sum()")
        total = value if i == 0 else arithmetic(operator.add, "+", total, value)
    return total


#: The only functions an expression may call.
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "round": _round,
    "int": _to_int,
    "float": _to_float,
    "min": _extreme(min, "min"),
    "max": _extreme(max, "max"),
    "abs": _abs,
    "sqrt": _sqrt,
    "exp": _unit_only(math.exp, "exp"),
    "log": _log,
    "log10": _unit_only(lambda x: _log(x, 10), "log10"),
    "ceil": _unit_only(math.ceil, "ceil"),
    "floor": _unit_only(math.floor, "floor"),
    "len": _len,
    "sum": _sum,
}

#: Names an expression knows without a parameter of that name: ``inf`` (only an open
#: bound of a random distribution may be infinite).
CONSTANTS: Mapping[str, float] = {"inf": math.inf}
