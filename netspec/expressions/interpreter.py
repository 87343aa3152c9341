"""The interpreter of expressions: walks a syntax tree from :mod:`.parse` over a whitelist
of node types, looking names up in the comprehension variables, the quantities of
:mod:`.quantity_text`, the spec's parameters and :data:`~.functions.CONSTANTS`, and calling
only :data:`~.functions.FUNCTIONS`. It counts its steps and the items its comprehensions
visit; it is never handed to ``eval``."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import quantities as pq

from netspec import units
from netspec.expressions.arithmetic import (
    arithmetic,
    comparable,
    equal,
    numpy_errors,
    require_number,
)
from netspec.expressions.errors import ExpressionError
from netspec.expressions.functions import CONSTANTS, FUNCTIONS
from netspec.expressions.limits import MAX_INT_BITS, MAX_ITERATIONS
from netspec.expressions.messages import describe_node, shown, source_text

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


class Interpreter:
    """Evaluates one expression's syntax tree; ``lookup(name)`` gives a parameter's value
    (``KeyError`` for an unknown name), ``literals`` the quantities of the source. ``steps``
    counts the nodes evaluated."""

    def __init__(self, lookup: Callable[[str], Any], literals: Mapping[str, Any]) -> None:
        self.lookup = lookup
        self.literals = literals
        self.local: dict[str, Any] = {}  # the variables of the comprehensions being run
        self.iterations = 0
        self.steps = 0

    def eval(self, node: ast.AST) -> Any:
        """The value of ``node``; raises :class:`ExpressionError` for what the language
        does not allow."""
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
        raise ExpressionError("NS208", f"{describe_node(node)} is not allowed in expressions; "
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
                                               f"not {shown(key)}")
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
                                           f"{shown(items)} (from '{source_text(loop.iter)}')")
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
            require_number(value, "'-'" if isinstance(node.op, ast.USub) else "'+'")
            # unary plus is the value itself (quantities has no ufunc 'positive')
            return -value if isinstance(node.op, ast.USub) else value
        raise ExpressionError("NS208", "'~' is not allowed in expressions (write 'not')")

    def _truth(self, value: Any, where: str, node: ast.AST) -> bool:
        if isinstance(value, bool):
            return value
        raise ExpressionError("NS211", f"{where} needs true or false, not {shown(value)} "
                                       f"(from '{source_text(node)}'); compare it, e.g. "
                                       f"'{source_text(node)} > 0'")

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
            return any(equal(item, key) for key in container)
        if isinstance(container, list):
            return any(equal(item, value) for value in container)
        if isinstance(container, str) and isinstance(item, str):
            return item in container
        raise ExpressionError("NS211", f"'in' needs a list, a mapping or text on its right, "
                                       f"not {shown(container)} (from '{source_text(node)}')")

    def _order(self, op: type, left: Any, right: Any) -> bool:
        symbol, fn = _COMPARE[op]
        if op in (ast.Eq, ast.NotEq):
            same = equal(left, right)
            return same if op is ast.Eq else not same
        if isinstance(left, str) and isinstance(right, str):
            return bool(fn(left, right))
        require_number(left, f"'{symbol}'")
        require_number(right, f"'{symbol}'")
        left, right = comparable(left, right, symbol)
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
        name = source_text(node.value)  # an error from here on: name the table
        if isinstance(table, dict):
            keys = ", ".join(sorted(map(str, table))) or "none"
            raise ExpressionError("NS213", f"'{name}' has no key {shown(key)}; its keys: "
                                           f"{keys}")
        if isinstance(table, list):
            size = len(table)
            if isinstance(key, bool) or not isinstance(key, int):
                raise ExpressionError("NS213", f"'{name}' is a list of {size} items: index it "
                                               f"with a whole number, not {shown(key)}")
            if not size:
                raise ExpressionError("NS213", f"index {key} is out of range: '{name}' is an "
                                               "empty list")
            if not -size <= key < size:
                raise ExpressionError("NS213", f"index {key} is out of range for '{name}', "
                                               f"a list of {size} items (indices 0 to "
                                               f"{size - 1})")
            return table[key]
        raise ExpressionError("NS211", f"'{name}' is {shown(table)}, not a list or a "
                                       "mapping: it cannot be indexed")

    def _binary(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        symbol = _SYMBOL[type(node.op)]
        require_number(left, f"'{symbol}'")
        require_number(right, f"'{symbol}'")
        if isinstance(node.op, ast.Pow):
            return self._power(left, right)
        return arithmetic(_BINARY[type(node.op)], symbol, left, right)

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
            name = node.func.id if isinstance(node.func, ast.Name) else describe_node(node.func)
            raise ExpressionError("NS208", f"'{name}' is not an allowed function; allowed: "
                                           f"{', '.join(sorted(FUNCTIONS))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError("NS208", f"{node.func.id}() takes plain arguments only")
        args = [self.eval(a) for a in node.args]
        try:
            if any(isinstance(arg, pq.Quantity | list | dict) for arg in args):
                with numpy_errors():
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

