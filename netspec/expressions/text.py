"""Expressions inside text: whether a value is one whole ``${…}`` (which keeps its type)
or text with ``${…}`` parts, each replaced by its value written as text (bounded in
length)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import quantities as pq

from netspec import units
from netspec.expressions.errors import ExpressionError
from netspec.expressions.evaluation import evaluate
from netspec.expressions.limits import MAX_INT_BITS, MAX_TEXT_CHARS, Budget
from netspec.expressions.messages import shown

_WHOLE = re.compile(r"\s*\$\{(.*)\}\s*\Z", re.S)
_PART = re.compile(r"\$\{([^{}]*)\}")


def whole_expression(text: str) -> str | None:
    """The inside of ``text`` if it is one whole ``${…}``, else ``None``."""
    match = _WHOLE.match(text)
    if match is None or _PART.search(text[match.end(1):]) or "${" in match.group(1):
        return None
    return match.group(1)


def has_interpolation(text: str) -> bool:
    """Whether ``text`` contains a ``${…}`` to interpolate."""
    return _PART.search(text) is not None


def as_text(value: Any) -> str:
    """A value as interpolation writes it into text (``5.0`` → ``5``, quantities with
    their unit)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ExpressionError("NS209", "a number too large to write as text")
    if isinstance(value, pq.Quantity):
        return units.show(value)
    if isinstance(value, list | dict):
        raise ExpressionError("NS211", f"{shown(value)} cannot be written into text; "
                                       "index it to pick one value")
    return str(value)


def interpolate(text: str, lookup: Callable[[str], Any], *,
                budget: Budget | None = None) -> str:
    """Replace each ``${…}`` in ``text`` with its value as text (at most
    :data:`MAX_TEXT_CHARS` characters in all)."""
    out: list[str] = []
    length = 0
    position = 0
    for match in _PART.finditer(text):
        piece = text[position:match.start()] + as_text(evaluate(match.group(1), lookup,
                                                                budget=budget))
        length += len(piece)
        if length > MAX_TEXT_CHARS:
            raise ExpressionError("NS209", f"the text would be longer than {MAX_TEXT_CHARS} "
                                           "characters")
        out.append(piece)
        position = match.end()
    out.append(text[position:])
    if length + len(text) - position > MAX_TEXT_CHARS:
        raise ExpressionError("NS209", f"the text would be longer than {MAX_TEXT_CHARS} "
                                       "characters")
    return "".join(out)

