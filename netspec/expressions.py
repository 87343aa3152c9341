"""Values in a spec: numbers, ``"<number> <unit>"`` quantities and ``${…}`` expressions.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter
with a whitelist of node types and a fixed table of functions (:data:`FUNCTIONS`);
they are never handed to ``eval``. There is no attribute access, subscripting,
comparison, lambda, or call outside that table, and sizes are bounded
(text length, node count, integer powers).

Inside ``${…}`` a number followed by a unit is a quantity (``${v_rest + 5 mV}``,
``${1 uF/cm**2 * area}``); units flow through the arithmetic.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import quantities as pq

from netspec import units

#: Longest expression text.
MAX_EXPRESSION_CHARS = 1000
#: Most syntax nodes in one expression.
MAX_NODES = 300
#: Integer powers with results beyond this many bits are computed in floating point.
MAX_INT_BITS = 4096

_WHOLE = re.compile(r"\s*\$\{(.*)\}\s*\Z", re.S)
_PART = re.compile(r"\$\{([^{}]*)\}")
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-zµμΩ_][A-Za-z0-9_µμΩ]*)"
    r"|(?P<op>\*\*|//|[-+*/%(),^])|(?P<bad>\S))"
)


class ExpressionError(ValueError):
    """An expression cannot be evaluated. ``code`` is the diagnostic code; ``name`` is
    the unknown name for an NS202 error (``None`` otherwise)."""

    def __init__(self, code: str, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name


class AlreadyReported(Exception):
    """A name refers to a parameter whose own error was reported already."""


def _unit_only(fn: Callable[[float], float], name: str) -> Callable[..., Any]:
    def apply(x: Any) -> Any:
        x = units.plain(x)
        if isinstance(x, pq.Quantity):
            raise ExpressionError("NS207", f"{name}() needs a plain number, not a value in "
                                           f"{units.dimension_text(x)}; divide by a unit first")
        return fn(x)
    return apply


def _round(x: Any, digits: Any = None) -> Any:
    x = units.plain(x)
    if isinstance(x, pq.Quantity):
        raise ExpressionError("NS207", "round() needs a plain number, not a value in "
                                       f"{units.dimension_text(x)}; divide by a unit first")
    if digits is None:
        return round(x)
    return round(x, int(digits))


def _sqrt(x: Any) -> Any:
    if isinstance(x, pq.Quantity):
        return x ** 0.5
    if x < 0:
        raise ExpressionError("NS205", f"sqrt() of a negative number ({x})")
    return math.sqrt(x)


def _log(x: Any, base: Any = None) -> Any:
    x = units.plain(x)
    if isinstance(x, pq.Quantity):
        raise ExpressionError("NS207", "log() needs a plain number")
    if x <= 0:
        raise ExpressionError("NS205", f"log() of a number that is not positive ({x})")
    return math.log(x) if base is None else math.log(x, units.plain(base))


def _extreme(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        if not args:
            raise ExpressionError("NS201", f"{name}() needs at least one value")
        try:
            return pick(args, key=lambda v: units.magnitude_in(v, _unit_of(args[0]))
                        if isinstance(v, pq.Quantity) else v)
        except (units.UnitError, TypeError):
            raise ExpressionError("NS207", f"{name}() needs values of one dimension") from None
    return apply


def _unit_of(value: Any) -> str | None:
    return value.dimensionality.string if isinstance(value, pq.Quantity) else None


def _to_int(x: Any) -> int:
    x = units.plain(x)
    if isinstance(x, pq.Quantity):
        raise ExpressionError("NS207", "int() needs a plain number; divide by a unit first")
    return int(x)


def _to_float(x: Any) -> Any:
    x = units.plain(x)
    return x if isinstance(x, pq.Quantity) else float(x)


#: The only functions an expression may call.
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "round": _round,
    "int": _to_int,
    "float": _to_float,
    "min": _extreme(min, "min"),
    "max": _extreme(max, "max"),
    "abs": abs,
    "sqrt": _sqrt,
    "exp": _unit_only(math.exp, "exp"),
    "log": _log,
    "log10": _unit_only(lambda x: _log(x, 10), "log10"),
    "ceil": _unit_only(math.ceil, "ceil"),
    "floor": _unit_only(math.floor, "floor"),
}

_BINARY: Mapping[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}


def whole_expression(text: str) -> str | None:
    """The inside of ``text`` if it is one whole ``${…}``, else ``None``."""
    match = _WHOLE.match(text)
    if match is None or _PART.search(text[match.end(1):]) or "${" in match.group(1):
        return None
    return match.group(1)


def has_interpolation(text: str) -> bool:
    """Whether ``text`` contains a ``${…}`` to interpolate."""
    return _PART.search(text) is not None


def interpolate(text: str, lookup: Callable[[str], Any]) -> str:
    """Replace each ``${…}`` in ``text`` with its value as text."""
    def one(match: re.Match[str]) -> str:
        value = evaluate(match.group(1), lookup)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, pq.Quantity):
            return units.show(value)
        return str(value)
    return _PART.sub(one, text)


def evaluate(source: str, lookup: Callable[[str], Any]) -> Any:
    """Evaluate the expression ``source``; ``lookup(name)`` gives a parameter's value.

    Returns an ``int``, ``float``, ``bool``, ``str`` or a ``quantities.Quantity``.
    Raises :class:`ExpressionError` (or :class:`AlreadyReported` from ``lookup``).
    """
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError("NS209", f"expression longer than {MAX_EXPRESSION_CHARS} "
                                       "characters")
    text, literals = _rewrite_quantities(source, lookup)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError("NS201", f"cannot read expression '{source.strip()}': "
                                       f"{exc.msg}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("NS209", f"expression has more than {MAX_NODES} parts")
    result = _Interpreter(lookup, literals).eval(tree.body)
    _check_finite(result)
    return result


def _check_finite(value: Any) -> None:
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


def _rewrite_quantities(source: str, lookup: Callable[[str], Any]) -> tuple[str, dict[str, Any]]:
    """Turn ``10 ms`` (a number and a unit) into a placeholder name bound to the quantity."""
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "bad"
        tokens.append((kind, match.group(kind)))
    if any(kind == "bad" for kind, _ in tokens):
        bad = next(value for kind, value in tokens if kind == "bad")
        raise ExpressionError("NS201" if bad not in "[].=<>!&|~" else "NS208",
                              f"'{bad}' is not allowed in expressions "
                              f"(in '{source.strip()}')")
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
                                               f"'{source.strip()}'") from None
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
    if kind != "name" or value in FUNCTIONS:
        return False
    try:
        lookup(value)
    except (KeyError, ExpressionError):
        return units.is_unit_name(value)
    except AlreadyReported:
        return False
    return False  # a parameter of that name wins over the unit


class _Interpreter:
    def __init__(self, lookup: Callable[[str], Any], literals: Mapping[str, Any]) -> None:
        self.lookup = lookup
        self.literals = literals

    def eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError("NS208", f"{node.value!r} is not allowed in expressions")
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.literals:
                return self.literals[node.id]
            if node.id in FUNCTIONS:
                raise ExpressionError("NS201", f"'{node.id}' is a function; call it: "
                                               f"{node.id}(…)")
            try:
                return self.lookup(node.id)
            except KeyError:
                raise ExpressionError("NS202", f"unknown name '{node.id}'",
                                      name=node.id) from None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.eval(node.operand)
            self._numeric(value, "-" if isinstance(node.op, ast.USub) else "+")
            # unary plus is the value itself (quantities has no ufunc 'positive')
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise ExpressionError("NS208", f"{_describe(node)} is not allowed in expressions; "
                                       "use numbers, parameters, + - * / // % ** and "
                                       f"the functions {', '.join(sorted(FUNCTIONS))}")

    def _numeric(self, value: Any, symbol: str) -> None:
        if isinstance(value, pq.Quantity) and value.shape != ():
            value = list(value)  # an array: refused below, like a list
        if isinstance(value, bool) or not isinstance(value, int | float | pq.Quantity):
            shown = "a list" if isinstance(value, list | tuple) else repr(value)
            raise ExpressionError("NS211", f"'{symbol}' needs numbers, not {shown}")

    def _binary(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        symbol = _SYMBOL[type(node.op)]
        self._numeric(left, symbol)
        self._numeric(right, symbol)
        if isinstance(node.op, ast.Pow):
            return self._power(left, right)
        try:
            with _numpy_errors():
                result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ExpressionError("NS204", "division by zero") from None
        except FloatingPointError:
            raise ExpressionError("NS204", "division by zero or overflow") from None
        except ValueError:
            raise ExpressionError(
                "NS207", f"cannot combine {units.dimension_text(left)} and "
                         f"{units.dimension_text(right)} with '{symbol}'") from None
        except OverflowError:
            raise ExpressionError("NS205", "the result is too large") from None
        return units.plain(result) if isinstance(result, pq.Quantity) else result

    def _power(self, base: Any, exponent: Any) -> Any:
        exponent = units.plain(exponent)
        if isinstance(exponent, pq.Quantity):
            raise ExpressionError("NS207", "an exponent must be a plain number")
        if isinstance(base, pq.Quantity):
            if not float(exponent).is_integer() or abs(exponent) > 12:
                raise ExpressionError("NS207", "a quantity may only be raised to a small "
                                               "whole power")
            return base ** int(exponent)
        try:
            if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
                if base not in (0, 1, -1) and base.bit_length() * exponent > MAX_INT_BITS:
                    raise ExpressionError("NS205", "the result is too large")
                return base ** exponent
            result = float(base) ** float(exponent)
        except ZeroDivisionError:
            raise ExpressionError("NS204", "division by zero (0 to a negative power)") from None
        except OverflowError:
            raise ExpressionError("NS205", "the result is too large") from None
        if isinstance(result, complex):
            raise ExpressionError("NS205", "the result is not a real number")
        return result

    def _call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
            raise ExpressionError("NS208", f"'{name}' is not an allowed function; allowed: "
                                           f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError("NS208", f"{node.func.id}() takes plain arguments only")
        args = [self.eval(a) for a in node.args]
        for arg in args:
            self._numeric(arg, node.func.id + "()")
        try:
            with _numpy_errors():
                return FUNCTIONS[node.func.id](*args)
        except ExpressionError:
            raise
        except TypeError:
            raise ExpressionError("NS201", f"wrong number of arguments to "
                                           f"{node.func.id}()") from None
        except (OverflowError, ValueError, FloatingPointError):
            raise ExpressionError("NS205", f"{node.func.id}() gives no finite result "
                                           "here") from None


class _numpy_errors:
    """Make numpy (inside quantities) raise on division by zero instead of warning."""

    def __enter__(self) -> None:
        import numpy
        self._old = numpy.seterr(divide="raise", over="raise", invalid="raise")

    def __exit__(self, *exc: object) -> None:
        import numpy
        numpy.seterr(**self._old)


def _describe(node: ast.AST) -> str:
    names = {ast.Attribute: "attribute access", ast.Subscript: "indexing",
             ast.Compare: "comparison", ast.Lambda: "lambda", ast.IfExp: "if-else",
             ast.BoolOp: "and/or", ast.List: "a list", ast.Tuple: "a tuple",
             ast.Dict: "a mapping", ast.Starred: "unpacking"}
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    return type(node).__name__
