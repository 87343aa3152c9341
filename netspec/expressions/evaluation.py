"""One expression from source to value (:func:`evaluate`): its length checked, its
quantities rewritten (:mod:`.quantity_text`), parsed (:mod:`.parse`), interpreted
(:mod:`.interpreter`), its steps charged to the spec's :class:`~.limits.Budget`, and its
result checked finite."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import quantities as pq

from netspec.expressions.errors import ExpressionError
from netspec.expressions.interpreter import Interpreter
from netspec.expressions.limits import (
    MAX_EXPRESSION_CHARS,
    MAX_TEXT_CHARS,
    Budget,
    steps_exceeded,
)
from netspec.expressions.parse import parse
from netspec.expressions.quantity_text import rewrite_quantities


def evaluate(source: str, lookup: Callable[[str], Any], *, finite: bool = True,
             budget: Budget | None = None) -> Any:
    """Evaluate the expression ``source``; ``lookup(name)`` gives a parameter's value.

    Returns an ``int``, ``float``, ``bool``, ``str``, a ``quantities.Quantity``, or a
    list or mapping of these (a parameter that is a table, a list literal). The
    result must be finite unless ``finite`` is false (an open bound of a random
    distribution, written with the constant ``inf``).
    ``budget`` (if given) is charged with the steps taken.
    Raises :class:`ExpressionError` (or :class:`AlreadyReported` from ``lookup``).
    """
    if budget is not None and budget.exhausted:
        raise steps_exceeded()
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError("NS209", f"expression longer than {MAX_EXPRESSION_CHARS} "
                                       "characters")
    text, literals = rewrite_quantities(source, lookup)
    tree = parse(text.strip(), source.strip())
    interpreter = Interpreter(lookup, literals)
    try:
        result = interpreter.eval(tree.body)
    finally:
        if budget is not None and not budget.exhausted:
            budget.spend(interpreter.steps)
    if finite:
        _check_finite(result)
    return result


def _check_finite(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _check_finite(item)
        return
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
        return
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise ExpressionError("NS209", f"the text is longer than {MAX_TEXT_CHARS} characters")
    number = value.magnitude if isinstance(value, pq.Quantity) else value
    if isinstance(number, float | int) and not isinstance(number, bool):
        try:
            finite = math.isfinite(float(number))
        except OverflowError:
            finite = False
        if not finite:
            raise ExpressionError("NS205", "the result is not a finite number")
    elif hasattr(number, "shape") and not all(math.isfinite(float(x)) for x in number.flat):
        raise ExpressionError("NS205", "the result is not a finite number")
