"""Operations on the values of expressions (numbers and ``quantities`` quantities):
arithmetic with units, ``==`` as a spec means it, numbers brought to one unit for
ordering, and the refusal of values that are not numbers. Shared by the interpreter and
the functions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import quantities as pq

from netspec import units
from netspec.expressions.errors import ExpressionError
from netspec.expressions.messages import shown


def require_number(value: Any, where: str) -> None:
    """Raise NS211 unless ``value`` is a number or a single quantity (``where`` names the
    operator or function that needs it)."""
    if isinstance(value, pq.Quantity) and value.shape != ():
        value = list(value)  # an array: refused below, like a list
    if isinstance(value, bool) or not isinstance(value, int | float | pq.Quantity):
        raise ExpressionError("NS211", f"{where} needs numbers, not {shown(value)}")


def unit_of(value: Any) -> str | None:
    """The unit of a quantity as text (``None`` for a plain number)."""
    return value.dimensionality.string if isinstance(value, pq.Quantity) else None


class numpy_errors:
    """Make numpy (inside quantities) raise on division by zero instead of warning."""

    def __enter__(self) -> None:
        import numpy
        self._old = numpy.seterr(divide="raise", over="raise", invalid="raise")

    def __exit__(self, *exc: object) -> None:
        import numpy
        numpy.seterr(**self._old)


def arithmetic(fn: Callable[[Any, Any], Any], symbol: str, left: Any, right: Any) -> Any:
    """``fn(left, right)`` (the operator written ``symbol``), with units, refusing division
    by zero, mixed dimensions and results that are not finite."""
    try:
        if isinstance(left, pq.Quantity) or isinstance(right, pq.Quantity):
            with numpy_errors():
                result = fn(left, right)
        else:  # plain Python numbers raise by themselves
            result = fn(left, right)
    except ZeroDivisionError:
        raise ExpressionError("NS204", "division by zero") from None
    except FloatingPointError:
        raise ExpressionError("NS204", "division by zero or overflow") from None
    except (ValueError, AttributeError):  # quantities: `800 % 3 nA` is an AttributeError
        raise ExpressionError(
            "NS207", f"cannot combine {units.dimension_text(left)} and "
                     f"{units.dimension_text(right)} with '{symbol}'") from None
    except OverflowError:
        raise ExpressionError("NS205", "the result is too large") from None
    result = units.plain(result) if isinstance(result, pq.Quantity) else result
    if isinstance(result, float) and not math.isfinite(result):
        raise ExpressionError("NS205", f"'{symbol}' gives a result that is not a finite "
                                       "number")
    return result


def equal(left: Any, right: Any) -> bool:
    """``==`` as a spec means it: quantities of one dimension compare by value; a quantity
    and a plain number are equal only when both are zero."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    numbers = (int, float, pq.Quantity)
    if isinstance(left, numbers) and isinstance(right, numbers) \
            and not isinstance(left, bool) and not isinstance(right, bool):
        try:
            a, b = comparable(left, right, "==")
        except ExpressionError:
            return False
        return bool(a == b)
    return type(left) is type(right) and bool(left == right)


def comparable(left: Any, right: Any, symbol: str) -> tuple[Any, Any]:
    """Two numbers or quantities as plain numbers in one unit, for comparing them."""
    left, right = units.plain(left), units.plain(right)
    lq, rq = isinstance(left, pq.Quantity), isinstance(right, pq.Quantity)
    if lq and rq:
        try:
            return float(left.magnitude), units.magnitude_in(right, unit_of(left))
        except units.UnitError:
            raise ExpressionError("NS207", f"cannot compare {units.dimension_text(left)} "
                                           f"with {units.dimension_text(right)} ('{symbol}')"
                                  ) from None
    if lq or rq:
        quantity, number = (left, right) if lq else (right, left)
        if number != 0:
            raise ExpressionError("NS207", f"cannot compare a value in "
                                           f"{units.dimension_text(quantity)} with the plain "
                                           f"number {shown(number)} ('{symbol}'); give the "
                                           f"number a unit")
        return (float(left.magnitude), 0) if lq else (0, float(right.magnitude))
    return left, right
