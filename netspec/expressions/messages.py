"""How error messages show what an expression holds: values (short), expression parts as
the user (nearly) wrote them, and the names of constructs the language does not have."""

from __future__ import annotations

import ast
import re
from typing import Any

import quantities as pq

from netspec import units


def shown(value: Any) -> str:
    """A value as a message shows it (short)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(clip(value))
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"a mapping (keys: {clip(', '.join(map(str, value)))})"
    if isinstance(value, pq.Quantity):
        return units.show(value) if value.shape == () else "an array"
    if isinstance(value, int) and value.bit_length() > 64:
        return "a very large number"
    return clip(repr(value))


def clip(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def source_text(node: ast.AST) -> str:
    """An expression part as the user (nearly) wrote it (a quantity's placeholder shown
    as ``…``)."""
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - bounded by MAX_NODES
        return "…"
    return clip(re.sub(r"__q\d+", "…", text))


def describe_node(node: ast.AST) -> str:
    """What a message calls a syntax node the language does not allow."""
    names = {ast.Attribute: "attribute access", ast.Slice: "slicing",
             ast.Lambda: "lambda", ast.Tuple: "a tuple", ast.Dict: "a mapping",
             ast.Set: "a set", ast.Starred: "unpacking", ast.ListComp: "a comprehension",
             ast.GeneratorExp: "a comprehension", ast.DictComp: "a comprehension",
             ast.SetComp: "a comprehension", ast.NamedExpr: "':='",
             ast.JoinedStr: "an f-string", ast.Await: "await"}
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    return type(node).__name__
