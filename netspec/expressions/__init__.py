"""Values in a spec: numbers, ``"<number> <unit>"`` quantities and ``${…}`` expressions.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter
with a whitelist of node types and a fixed table of functions
(:data:`~netspec.expressions.functions.FUNCTIONS`); they are never handed to ``eval``.
What an expression may use: numbers, quantities, quoted text, parameter names, lists
``[a, b]``, indexing of lists and mappings (``size[pop]``, ``p[post][pre]``), arithmetic
(``+ - * / // % **``), comparisons (``== != < <= > >= in``, ``not in``),
``and``/``or``/``not``, the conditional ``a if c else b``, comprehensions over a table
(``sum(p[post][pre] * rate[pre] for pre in pops)``), mappings (``{'e': 1}``,
``{pre: … for pre in pops}``, in a value that is one whole ``${…}``) and calls of
the functions in the table. There is no attribute access, slicing, assignment,
lambda or call outside that table, and sizes are bounded (expression length,
node count, integer powers, rounding digits, text length, items visited by
comprehensions).

Inside ``${…}`` a number followed by a unit is a quantity (``${v_rest + 5 mV}``,
``${1 uF/cm**2 * area}``); units flow through the arithmetic.

Why not simpleeval or asteval: both evaluate a subset of Python over plain
Python objects. asteval is a whole Python interpreter (loops, function
definitions, imports of whitelisted modules): far more surface than a spec
needs. simpleeval is close in size, but its bounds (``MAX_POWER``, string
length) are global knobs, it knows nothing of units written as ``10 ms``, and
its error messages are Python's. Here every refusal has a stable diagnostic code
and names what is allowed, an unknown table key names the table and its keys,
and each bound is part of the language contract; this package is the one place
where the language's expression rules live.

What lives where (each module imports only those above it):

- :mod:`.errors`: :class:`ExpressionError` (with its diagnostic code) and
  :class:`AlreadyReported`.
- :mod:`.limits`: the bounds (``MAX_*``) and :class:`Budget`, the evaluation steps
  left for a whole spec.
- :mod:`.messages`: how messages show values and expression parts.
- :mod:`.arithmetic`: operations on values: arithmetic with units, ``==``,
  numbers brought to one unit for ordering, values required to be numbers.
- :mod:`.functions`: the functions an expression may call and its constants.
- :mod:`.parse`: tokens (refused characters) and the size-checked syntax tree.
- :mod:`.quantity_text`: ``10 ms`` in the source rewritten to a bound quantity.
- :mod:`.interpreter`: the tree walker, the language's rules for each node.
- :mod:`.evaluation`: :func:`evaluate`, one expression from source to a finite value.
- :mod:`.text`: ``${…}`` in text (:func:`whole_expression`,
  :func:`has_interpolation`, :func:`interpolate`).

This module re-exports what the rest of netspec uses.
"""

from __future__ import annotations

from netspec.expressions.errors import AlreadyReported, ExpressionError
from netspec.expressions.evaluation import evaluate
from netspec.expressions.limits import MAX_INT_BITS, MAX_TEXT_CHARS, Budget
from netspec.expressions.text import has_interpolation, interpolate, whole_expression

__all__ = [
    "MAX_INT_BITS",
    "MAX_TEXT_CHARS",
    "AlreadyReported",
    "Budget",
    "ExpressionError",
    "evaluate",
    "has_interpolation",
    "interpolate",
    "whole_expression",
]
