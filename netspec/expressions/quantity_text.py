"""Quantities written in an expression's source: ``10 ms``, ``1 uF/cm**2`` (a number and
then a unit) become placeholder names bound to the quantity before the text is parsed; a
parameter of the same name wins over a unit, and a number followed by a name that is
neither gives NS206."""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from netspec import units
from netspec.expressions.errors import AlreadyReported, ExpressionError
from netspec.expressions.functions import FUNCTIONS
from netspec.expressions.messages import clip
from netspec.expressions.parse import tokens as read_tokens


def rewrite_quantities(source: str, lookup: Callable[[str], Any]) -> tuple[str, dict[str, Any]]:
    """Turn ``10 ms`` (a number and a unit) into a placeholder name bound to the quantity:
    the rewritten text and the placeholders' quantities."""
    tokens = read_tokens(source)
    out: list[str] = []
    literals: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "name" and value.startswith("__"):
            raise ExpressionError("NS208", f"names starting with '__' are not allowed: '{value}'")
        if kind == "number" and i + 1 < len(tokens) and _unknown_unit(tokens[i + 1], lookup):
            try:  # a number and then a name that is neither a unit nor a parameter
                units.unit_named(tokens[i + 1][1])
            except units.UnitError as exc:
                raise ExpressionError("NS206", f"{exc} after {value} in "
                                               f"'{clip(source.strip())}'") from None
        if kind == "number" and i + 1 < len(tokens) and _is_unit(tokens[i + 1], lookup):
            j = i + 1
            unit_text = tokens[j][1]
            j += 1
            while j < len(tokens):
                if tokens[j][1] in ("**", "^") and j + 1 < len(tokens) \
                        and tokens[j + 1][0] == "number":
                    unit_text += "**" + tokens[j + 1][1]
                    j += 2
                elif tokens[j][1] in ("*", "/") and j + 1 < len(tokens) \
                        and _is_unit(tokens[j + 1], lookup):
                    unit_text += tokens[j][1] + tokens[j + 1][1]
                    j += 2
                else:
                    break
            try:
                quantity = float(value) * units.parse_unit(unit_text)
            except units.UnitError as exc:
                raise ExpressionError("NS206", str(exc)) from None
            except (ValueError, OverflowError):
                raise ExpressionError("NS205", f"{clip(value)} {unit_text} is not a finite "
                                               "quantity") from None
            placeholder = f"__q{len(literals)}"
            literals[placeholder] = quantity
            out.append(placeholder)
            i = j
            continue
        out.append("**" if value == "^" else value)
        i += 1
    return " ".join(out), literals


def _unknown_unit(token: tuple[str, str], lookup: Callable[[str], Any]) -> bool:
    """Whether ``token`` is a name that is no function, parameter or unit."""
    kind, value = token
    if kind != "name" or value in FUNCTIONS or value.startswith("__") \
            or keyword.iskeyword(value):
        return False
    try:
        lookup(value)
    except KeyError:
        return not units.is_unit_name(value)
    except (ExpressionError, AlreadyReported):
        return False
    return False


def _is_unit(token: tuple[str, str], lookup: Callable[[str], Any]) -> bool:
    kind, value = token
    if kind != "name" or value in FUNCTIONS or keyword.iskeyword(value):
        return False
    try:
        lookup(value)
    except (KeyError, ExpressionError):
        return units.is_unit_name(value)
    except AlreadyReported:
        return False
    return False  # a parameter of that name wins over the unit

