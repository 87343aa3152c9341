"""Values in a spec: numbers, ``"<number> <unit>"`` quantities and ``${…}`` expressions.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter
with a whitelist of node types and a fixed table of functions (:data:`FUNCTIONS`);
they are never handed to ``eval``. What an expression may use: numbers,
quantities, quoted text, parameter names, lists ``[a, b]``, indexing of lists and
mappings (``size[pop]``, ``p[post][pre]``), arithmetic (``+ - * / // % **``),
comparisons (``== != < <= > >= in``, ``not in``), ``and``/``or``/``not``, the
conditional ``a if c else b``, comprehensions over a table
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
and each bound is part of the language contract; the interpreter below is the
one place where the language's expression rules live.
"""

from __future__ import annotations

import ast
import functools
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
#: Integer powers with results beyond this many bits are refused.
MAX_INT_BITS = 4096
#: Largest number of digits ``round()`` may round to (either side of the point).
MAX_ROUND_DIGITS = 1000
#: Longest text an expression or an interpolation may produce.
MAX_TEXT_CHARS = 10_000
#: Most items all the comprehensions of one expression may visit.
MAX_ITERATIONS = 100_000
#: Most evaluation steps (syntax nodes evaluated, comprehension items visited) all the
#: expressions sharing one :class:`Budget` may take: a whole spec's, templates unrolled.
MAX_STEPS = 2_000_000

_WHOLE = re.compile(r"\s*\$\{(.*)\}\s*\Z", re.S)
_PART = re.compile(r"\$\{([^{}]*)\}")
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<string>'[^'\\\n]*'|\"[^\"\\\n]*\")"
    r"|(?P<name>[A-Za-zµμΩ_][A-Za-z0-9_µμΩ]*)"
    r"|(?P<op>\*\*|//|==|!=|<=|>=|[-+*/%(),^<>\[\]{}:])|(?P<bad>\S))"
)
_NOT_ALLOWED_CHARACTERS = {".": "'.' (attribute access)", "=": "'=' (assignment, keyword "
                                                               "arguments)",
                           "!": "'!' (write 'not')", "&": "'&' (write 'and')",
                           "|": "'|' (write 'or')", "~": "'~' (write 'not')", ";": "';'",
                           "@": "'@'"}


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


class Budget:
    """Evaluation steps left for a group of expressions (a spec's): each expression is
    bounded on its own, and a template repeats them, so their sum is bounded too."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.steps = steps
        self.exhausted = False

    def spend(self, steps: int) -> None:
        """Take ``steps``; raise NS209 once the budget is spent."""
        self.steps -= steps
        if self.steps < 0:
            self.exhausted = True
            raise ExpressionError("NS209", f"the spec's expressions take more than "
                                           f"{MAX_STEPS} evaluation steps; write large "
                                           "tables out or in a data file")


def _plain_number(x: Any, name: str) -> Any:
    x = units.plain(x)
    if isinstance(x, pq.Quantity):
        raise ExpressionError("NS207", f"{name}() needs a plain number, not a value in "
                                       f"{units.dimension_text(x)}; divide by a unit first")
    _require_number(x, f"{name}()")
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
                                       f"{_shown(digits)}")
    if abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionError("NS209", f"round()'s digits must be between "
                                       f"-{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}, "
                                       f"not {_shown(digits)}")
    return round(x, int(digits))


def _sqrt(x: Any) -> Any:
    _require_number(x, "sqrt()")
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
    raise ExpressionError("NS211", f"{name}() needs a list or a mapping, not {_shown(value)}")


def _extreme(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = list(args)
        if len(values) == 1 and isinstance(values[0], list | dict):
            values = _items(values[0], name)
        if not values:
            raise ExpressionError("NS201", f"{name}() needs at least one value")
        for value in values:
            _require_number(value, f"{name}()")
        try:
            return pick(values, key=lambda v: units.magnitude_in(v, _unit_of(values[0]))
                        if isinstance(v, pq.Quantity) else v)
        except (units.UnitError, TypeError):
            raise ExpressionError("NS207", f"{name}() needs values of one dimension") from None
    return apply


def _unit_of(value: Any) -> str | None:
    return value.dimensionality.string if isinstance(value, pq.Quantity) else None


def _to_int(x: Any) -> int:
    x = _plain_number(x, "int")
    return int(x)


def _to_float(x: Any) -> Any:
    _require_number(x, "float()")
    x = units.plain(x)
    return x if isinstance(x, pq.Quantity) else float(x)


def _abs(x: Any) -> Any:
    _require_number(x, "abs()")
    return abs(x)


def _len(x: Any) -> int:
    if isinstance(x, list | dict | str):
        return len(x)
    raise ExpressionError("NS211", f"len() needs a list, a mapping or text, not {_shown(x)}")


def _sum(x: Any) -> Any:
    total: Any = 0
    for i, value in enumerate(_items(x, "sum")):
        _require_number(value, "sum()")
        total = value if i == 0 else _arithmetic(operator.add, "+", total, value)
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

_BINARY: Mapping[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}
_COMPARE: Mapping[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt), ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt), ast.GtE: (">=", operator.ge),
}


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
        raise ExpressionError("NS211", f"{_shown(value)} cannot be written into text; "
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
        raise ExpressionError("NS209", f"the spec's expressions take more than {MAX_STEPS} "
                                       "evaluation steps; write large tables out or in a "
                                       "data file")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError("NS209", f"expression longer than {MAX_EXPRESSION_CHARS} "
                                       "characters")
    text, literals = _rewrite_quantities(source, lookup)
    tree = _parse(text.strip(), source.strip())
    interpreter = _Interpreter(lookup, literals)
    try:
        result = interpreter.eval(tree.body)
    finally:
        if budget is not None and not budget.exhausted:
            budget.spend(interpreter.steps)
    if finite:
        _check_finite(result)
    return result


@functools.lru_cache(maxsize=4096)
def _parse(text: str, source: str) -> ast.Expression:
    """The syntax tree of ``text`` (``source`` with quantities replaced), checked for
    size; cached, as a template evaluates the same expressions for each combination
    (the tree is only read)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError("NS201", f"cannot read expression '{source}': "
                                       f"{exc.msg}") from None
    except (ValueError, MemoryError, RecursionError):  # e.g. an integer of 5000 digits
        raise ExpressionError("NS209", f"expression '{_clip(source)}' is too "
                                       "large to read") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("NS209", f"expression has more than {MAX_NODES} parts")
    return tree


@functools.lru_cache(maxsize=4096)
def _tokens(source: str) -> tuple[tuple[str, str], ...]:
    """The tokens of ``source`` (kind, text), for finding quantities; cached."""
    out = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "bad"
        out.append((kind, match.group(kind)))
    return tuple(out)


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


def _rewrite_quantities(source: str, lookup: Callable[[str], Any]) -> tuple[str, dict[str, Any]]:
    """Turn ``10 ms`` (a number and a unit) into a placeholder name bound to the quantity."""
    tokens = _tokens(source)
    if any(kind == "bad" for kind, _ in tokens):
        bad = next(value for kind, value in tokens if kind == "bad")
        if bad in _NOT_ALLOWED_CHARACTERS:
            raise ExpressionError("NS208", f"{_NOT_ALLOWED_CHARACTERS[bad]} is not allowed in "
                                           f"expressions (in '{_clip(source.strip())}')")
        if bad in "'\"":
            raise ExpressionError("NS201", f"a quote ({bad}) is not closed in "
                                           f"'{_clip(source.strip())}'")
        raise ExpressionError("NS201", f"'{bad}' is not allowed in expressions "
                                       f"(in '{_clip(source.strip())}')")
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
                                               f"'{_clip(source.strip())}'") from None
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
                raise ExpressionError("NS205", f"{_clip(value)} {unit_text} is not a finite "
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


def _require_number(value: Any, where: str) -> None:
    if isinstance(value, pq.Quantity) and value.shape != ():
        value = list(value)  # an array: refused below, like a list
    if isinstance(value, bool) or not isinstance(value, int | float | pq.Quantity):
        raise ExpressionError("NS211", f"{where} needs numbers, not {_shown(value)}")


def _arithmetic(fn: Callable[[Any, Any], Any], symbol: str, left: Any, right: Any) -> Any:
    try:
        if isinstance(left, pq.Quantity) or isinstance(right, pq.Quantity):
            with _numpy_errors():
                result = fn(left, right)
        else:  # plain Python numbers raise by themselves
            result = fn(left, right)
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
    result = units.plain(result) if isinstance(result, pq.Quantity) else result
    if isinstance(result, float) and not math.isfinite(result):
        raise ExpressionError("NS205", f"'{symbol}' gives a result that is not a finite "
                                       "number")
    return result


class _Interpreter:
    def __init__(self, lookup: Callable[[str], Any], literals: Mapping[str, Any]) -> None:
        self.lookup = lookup
        self.literals = literals
        self.local: dict[str, Any] = {}  # the variables of the comprehensions being run
        self.iterations = 0
        self.steps = 0

    def eval(self, node: ast.AST) -> Any:
        self.steps += 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int | float | str):
                return node.value
            raise ExpressionError("NS208", f"{node.value!r} is not allowed in expressions")
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node)
        if isinstance(node, ast.BoolOp):
            return self._boolean(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            test = self._truth(self.eval(node.test), "the condition of 'if … else'",
                               node.test)
            return self.eval(node.body if test else node.orelse)
        if isinstance(node, ast.Subscript):
            return self._index(node)
        if isinstance(node, ast.List):
            return [self.eval(item) for item in node.elts]
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            element = node.elt
            return self._comprehension(lambda: self.eval(element), node.generators)
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise ExpressionError("NS208", "'**' unpacking is not allowed in a mapping")
            return self._table([(self.eval(k), self.eval(v))
                                for k, v in zip(node.keys, node.values, strict=True)
                                if k is not None])
        if isinstance(node, ast.DictComp):
            key, item = node.key, node.value
            return self._table(self._comprehension(lambda: (self.eval(key), self.eval(item)),
                                                   node.generators))
        if isinstance(node, ast.Call):
            return self._call(node)
        raise ExpressionError("NS208", f"{_describe(node)} is not allowed in expressions; "
                                       "use numbers, text, parameters, + - * / // % **, "
                                       "comparisons, and/or/not, 'a if c else b', indexing "
                                       f"and the functions {', '.join(sorted(FUNCTIONS))}")

    def _name(self, name: str) -> Any:
        if name in self.local:
            return self.local[name]
        if name in self.literals:
            return self.literals[name]
        if name in FUNCTIONS:
            raise ExpressionError("NS201", f"'{name}' is a function; call it: {name}(…)")
        try:
            return self.lookup(name)
        except KeyError:
            if name in CONSTANTS:
                return CONSTANTS[name]
            raise ExpressionError("NS202", f"unknown name '{name}'", name=name) from None

    def _table(self, pairs: list[Any]) -> dict[Any, Any]:
        """A mapping written in the expression (``{'e': 1, 'i': 2}``, a comprehension);
        keys are text or numbers."""
        table: dict[Any, Any] = {}
        for key, item in pairs:
            if isinstance(key, pq.Quantity | list | dict):
                raise ExpressionError("NS211", f"a mapping's key must be text or a number, "
                                               f"not {_shown(key)}")
            table[key] = item
        return table

    def _comprehension(self, element: Callable[[], Any],
                       loops: list[ast.comprehension]) -> list[Any]:
        """``[x * 2 for x in xs if x > 0]`` (also ``sum(… for …)``): over a list's items
        or a mapping's keys, several ``for`` nesting left to right, as in Python."""
        out: list[Any] = []
        saved = dict(self.local)
        try:
            self._loop(element, loops, out)
        finally:
            self.local = saved
        return out

    def _loop(self, element: Callable[[], Any], loops: list[ast.comprehension],
              out: list[Any]) -> None:
        if not loops:
            out.append(element())
            return
        loop, rest = loops[0], loops[1:]
        if not isinstance(loop.target, ast.Name) or loop.is_async:
            raise ExpressionError("NS208", "a comprehension takes one plain name per 'for' "
                                           "('for pre in pops')")
        name = loop.target.id
        if name.startswith("__") or name in FUNCTIONS:
            raise ExpressionError("NS208", f"'{name}' cannot be a comprehension variable")
        items = self.eval(loop.iter)
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, list):
            raise ExpressionError("NS211", f"'for {name} in …' needs a list or a mapping, not "
                                           f"{_shown(items)} (from '{_source(loop.iter)}')")
        for item in items:
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise ExpressionError("NS209", f"the comprehensions of this expression visit "
                                               f"more than {MAX_ITERATIONS} items")
            self.local[name] = item
            if all(self._truth(self.eval(test), "'if' in a comprehension", test)
                   for test in loop.ifs):
                self._loop(element, rest, out)

    def _unary(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not self._truth(value, "'not'", node.operand)
        if isinstance(node.op, ast.USub | ast.UAdd):
            _require_number(value, "'-'" if isinstance(node.op, ast.USub) else "'+'")
            # unary plus is the value itself (quantities has no ufunc 'positive')
            return -value if isinstance(node.op, ast.USub) else value
        raise ExpressionError("NS208", "'~' is not allowed in expressions (write 'not')")

    def _truth(self, value: Any, where: str, node: ast.AST) -> bool:
        if isinstance(value, bool):
            return value
        raise ExpressionError("NS211", f"{where} needs true or false, not {_shown(value)} "
                                       f"(from '{_source(node)}'); compare it, e.g. "
                                       f"'{_source(node)} > 0'")

    def _boolean(self, node: ast.BoolOp) -> bool:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for operand in node.values:
            truth = self._truth(self.eval(operand), f"'{word}'", operand)
            if truth is (word == "or"):
                return truth  # short circuit, as in Python
        return word == "and"

    def _compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            if isinstance(op, ast.In | ast.NotIn):
                found = self._contains(right, left, right_node)
                result = found if isinstance(op, ast.In) else not found
            elif type(op) in _COMPARE:
                result = self._order(type(op), left, right)
            else:
                raise ExpressionError("NS208", "'is' is not allowed in expressions; "
                                               "use == or !=")
            if not result:
                return False
            left = right
        return True

    def _contains(self, container: Any, item: Any, node: ast.AST) -> bool:
        if isinstance(container, dict):
            return any(_equal(item, key) for key in container)
        if isinstance(container, list):
            return any(_equal(item, value) for value in container)
        if isinstance(container, str) and isinstance(item, str):
            return item in container
        raise ExpressionError("NS211", f"'in' needs a list, a mapping or text on its right, "
                                       f"not {_shown(container)} (from '{_source(node)}')")

    def _order(self, op: type, left: Any, right: Any) -> bool:
        symbol, fn = _COMPARE[op]
        if op in (ast.Eq, ast.NotEq):
            same = _equal(left, right)
            return same if op is ast.Eq else not same
        if isinstance(left, str) and isinstance(right, str):
            return bool(fn(left, right))
        _require_number(left, f"'{symbol}'")
        _require_number(right, f"'{symbol}'")
        left, right = _comparable(left, right, symbol)
        return bool(fn(left, right))

    def _index(self, node: ast.Subscript) -> Any:
        table = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            raise ExpressionError("NS208", "slices are not allowed in expressions; index one "
                                           "item at a time")
        key = self.eval(node.slice)
        if isinstance(table, dict) and isinstance(key, str | int | float | bool) \
                and key in table:
            return table[key]
        if isinstance(table, list) and isinstance(key, int) and not isinstance(key, bool) \
                and -len(table) <= key < len(table):
            return table[key]
        name = _source(node.value)  # an error from here on: name the table
        if isinstance(table, dict):
            keys = ", ".join(sorted(map(str, table))) or "none"
            raise ExpressionError("NS213", f"'{name}' has no key {_shown(key)}; its keys: "
                                           f"{keys}")
        if isinstance(table, list):
            size = len(table)
            if isinstance(key, bool) or not isinstance(key, int):
                raise ExpressionError("NS213", f"'{name}' is a list of {size} items: index it "
                                               f"with a whole number, not {_shown(key)}")
            if not size:
                raise ExpressionError("NS213", f"index {key} is out of range: '{name}' is an "
                                               "empty list")
            if not -size <= key < size:
                raise ExpressionError("NS213", f"index {key} is out of range for '{name}', "
                                               f"a list of {size} items (indices 0 to "
                                               f"{size - 1})")
            return table[key]
        raise ExpressionError("NS211", f"'{name}' is {_shown(table)}, not a list or a "
                                       "mapping: it cannot be indexed")

    def _binary(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        symbol = _SYMBOL[type(node.op)]
        _require_number(left, f"'{symbol}'")
        _require_number(right, f"'{symbol}'")
        if isinstance(node.op, ast.Pow):
            return self._power(left, right)
        return _arithmetic(_BINARY[type(node.op)], symbol, left, right)

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
        if not math.isfinite(result):
            raise ExpressionError("NS205", "the result is too large")
        return result

    def _call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
            raise ExpressionError("NS208", f"'{name}' is not an allowed function; allowed: "
                                           f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError("NS208", f"{node.func.id}() takes plain arguments only")
        args = [self.eval(a) for a in node.args]
        try:
            if any(isinstance(arg, pq.Quantity | list | dict) for arg in args):
                with _numpy_errors():
                    return FUNCTIONS[node.func.id](*args)
            return FUNCTIONS[node.func.id](*args)
        except ExpressionError:
            raise
        except TypeError:
            raise ExpressionError("NS201", f"wrong number of arguments to "
                                           f"{node.func.id}()") from None
        except ZeroDivisionError:
            raise ExpressionError("NS204", f"division by zero in {node.func.id}()") from None
        except (OverflowError, ValueError, FloatingPointError):
            raise ExpressionError("NS205", f"{node.func.id}() gives no finite result "
                                           "here") from None


def _equal(left: Any, right: Any) -> bool:
    """``==`` as a spec means it: quantities of one dimension compare by value; a quantity
    and a plain number are equal only when both are zero."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    numbers = (int, float, pq.Quantity)
    if isinstance(left, numbers) and isinstance(right, numbers) \
            and not isinstance(left, bool) and not isinstance(right, bool):
        try:
            a, b = _comparable(left, right, "==")
        except ExpressionError:
            return False
        return bool(a == b)
    return type(left) is type(right) and bool(left == right)


def _comparable(left: Any, right: Any, symbol: str) -> tuple[Any, Any]:
    """Two numbers or quantities as plain numbers in one unit, for comparing them."""
    left, right = units.plain(left), units.plain(right)
    lq, rq = isinstance(left, pq.Quantity), isinstance(right, pq.Quantity)
    if lq and rq:
        try:
            return float(left.magnitude), units.magnitude_in(right, _unit_of(left))
        except units.UnitError:
            raise ExpressionError("NS207", f"cannot compare {units.dimension_text(left)} "
                                           f"with {units.dimension_text(right)} ('{symbol}')"
                                  ) from None
    if lq or rq:
        quantity, number = (left, right) if lq else (right, left)
        if number != 0:
            raise ExpressionError("NS207", f"cannot compare a value in "
                                           f"{units.dimension_text(quantity)} with the plain "
                                           f"number {_shown(number)} ('{symbol}'); give the "
                                           f"number a unit")
        return (float(left.magnitude), 0) if lq else (0, float(right.magnitude))
    return left, right


def _shown(value: Any) -> str:
    """A value as a message shows it (short)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(_clip(value))
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"a mapping (keys: {_clip(', '.join(map(str, value)))})"
    if isinstance(value, pq.Quantity):
        return units.show(value) if value.shape == () else "an array"
    if isinstance(value, int) and value.bit_length() > 64:
        return "a very large number"
    return _clip(repr(value))


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _source(node: ast.AST) -> str:
    """An expression part as the user (nearly) wrote it."""
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - bounded by MAX_NODES
        return "…"
    return _clip(re.sub(r"__q\d+", "…", text))


class _numpy_errors:
    """Make numpy (inside quantities) raise on division by zero instead of warning."""

    def __enter__(self) -> None:
        import numpy
        self._old = numpy.seterr(divide="raise", over="raise", invalid="raise")

    def __exit__(self, *exc: object) -> None:
        import numpy
        numpy.seterr(**self._old)


def _describe(node: ast.AST) -> str:
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
