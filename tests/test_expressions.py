"""The expression evaluator: values, tables, logic, errors and bounds (no spec file)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import quantities as pq

from netspec import units
from netspec.expressions import (
    MAX_TEXT_CHARS,
    ExpressionError,
    evaluate,
    interpolate,
)

TABLES: dict[str, Any] = {
    "pops": ["e", "i"],
    "size": {"e": 800, "i": 200},
    "p": {"e": {"e": 0.1, "i": 0.1}, "i": {"e": 0.2, "i": 0.0}},
    "m": [[0.1, 0.2], [0.3, 0.4]],
    "w": {"e": 0.5 * pq.nA, "i": -2.0 * pq.nA},
    "pre": "i",
    "post": "e",
    "flag": True,
    "n": 10,
}


def lookup(name: str) -> Any:
    return TABLES[name]


def value(source: str) -> Any:
    return evaluate(source, lookup)


def error(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, lookup)
    return caught.value


@pytest.mark.parametrize(("source", "expected"), [
    ("size[pops[0]]", 800),
    ("size['i']", 200),
    ('size["i"] + 1', 201),
    ("p[post][pre]", 0.1),
    ("p[pre][post]", 0.2),
    ("m[1][0]", 0.3),
    ("m[-1][-1]", 0.4),
    ("len(pops)", 2),
    ("len(size)", 2),
    ("len('abc')", 3),
    ("sum(size)", 1000),
    ("sum([1, 2, 3])", 6),
    ("sum(m[0])", pytest.approx(0.3)),
    ("max(size)", 800),
    ("min([3, 1, 2])", 1),
    ("n > 5", True),
    ("1 < n <= 10", True),
    ("1 < n < 10", False),
    ("n == 10 and not flag", False),
    ("n != 10 or flag", True),
    ("pre == 'i'", True),
    ("pre in pops", True),
    ("'x' not in size", True),
    ("'e' in size", True),
    ("1 if n > 5 else 2", 1),
    ("size[pre] if pre in size else 0", 200),
    ("[1, 2][1]", 2),
    ("'excitatory' if w[pre] > 0 nA else 'inhibitory'", "inhibitory"),
    ("w['e'] > 0", True),
    ("w['e'] == 500 pA", True),
    ("w['e'] > 100 pA", True),
    ("p[post][pre] > 0", True),
    ("True and n > 1", True),
])
def test_values(source: str, expected: Any) -> None:
    assert value(source) == expected


def test_short_circuit_and_the_untaken_branch_are_not_evaluated() -> None:
    assert value("pre in size and size[pre] > 100") is True
    assert value("'x' in size and size['x'] > 100") is False
    assert value("0 if 'x' not in size else size['x']") == 0


def test_quantities_in_tables_keep_their_units() -> None:
    total = value("sum(w)")
    assert isinstance(total, pq.Quantity)
    assert units.magnitude_in(total, "nA") == pytest.approx(-1.5)


@pytest.mark.parametrize(("source", "code", "words"), [
    ("size['x']", "NS213", ["'size'", "'x'", "e, i"]),
    ("p[post]['x']", "NS213", ["'p[post]'", "'x'", "e, i"]),
    ("m[2]", "NS213", ["'m'", "index 2", "0 to 1"]),
    ("m['e']", "NS213", ["'m'", "whole number"]),
    ("m[1.0]", "NS213", ["whole number"]),
    ("n[0]", "NS211", ["cannot be indexed"]),
    ("m[0:1]", "NS208", ["slices"]),
    ("n and flag", "NS211", ["true or false"]),
    ("not n", "NS211", ["true or false"]),
    ("1 if n else 2", "NS211", ["true or false"]),
    ("w['e'] > 1", "NS207", ["plain number"]),
    ("w['e'] > 1 mV", "NS207", ["cannot compare"]),
    ("800 % 3 nA", "NS207", ["cannot combine", "'%'"]),  # an AttributeError in quantities
    ("n % w['e']", "NS207", ["cannot combine"]),
    ("pre < 1", "NS211", ["numbers"]),
    ("pops + 1", "NS211", ["numbers"]),
    ("sum(n)", "NS211", ["list"]),
    ("len(n)", "NS211", ["len()"]),
    ("sum(pops)", "NS211", ["numbers"]),
    ("n in n", "NS211", ["'in'"]),
    ("n is 10", "NS208", ["'is'"]),
    ("{**size}", "NS208", ["unpacking"]),
    ("(1, 2)", "NS208", ["tuple"]),
    ("{w['e']: 1}", "NS211", ["key"]),
    ("[x async for x in pops]", "NS208", []),
    ("pops.count", "NS208", ["attribute"]),
    ("lambda: 1", "NS208", ["lambda"]),
    ("None", "NS208", []),
    ("'abc", "NS201", ["quote"]),
    ("unknown_table['e']", "NS202", ["unknown_table"]),
])
def test_errors(source: str, code: str, words: list[str]) -> None:
    found = error(source)
    assert found.code == code, found.message
    for word in words:
        assert word in found.message


def test_an_unknown_name_is_carried_by_the_error() -> None:
    found = error("1 + tau_x * 2")
    assert found.code == "NS202"
    assert found.name == "tau_x"


# --- bounds (issue 14) ------------------------------------------------------------------


def test_round_with_huge_digits_is_refused_at_once() -> None:
    start = time.perf_counter()
    for source in ("round(1, -1000000000)", "round(1, 1000000000)", "round(1.5, -10**9)"):
        found = error(source)
        assert found.code in ("NS209", "NS205"), found.message
    assert time.perf_counter() - start < 1.0
    assert value("round(1234.5678, -2)") == 1200
    assert value("round(1.25, 1)") == 1.2
    assert error("round(1.5, 0.5)").code == "NS212"


def test_log_of_base_one_is_a_located_error_not_a_crash() -> None:
    assert error("log(10, 1)").code == "NS205"
    assert error("log(10, 0)").code == "NS205"
    assert error("log(10, -2)").code == "NS205"
    assert value("log(8, 2)") == pytest.approx(3.0)


def test_text_that_doubles_itself_is_bounded() -> None:
    table: dict[str, str] = {"s0": "x" * 100}

    def grow(name: str) -> str:
        if name not in table:
            level = int(name[1:])
            table[name] = interpolate(f"${{s{level - 1}}}${{s{level - 1}}}", grow)
        return table[name]

    start = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        grow("s40")
    assert caught.value.code == "NS209"
    assert str(MAX_TEXT_CHARS) in caught.value.message
    assert time.perf_counter() - start < 1.0


def test_huge_integers_do_not_crash() -> None:
    assert error("1" * 999).code == "NS205"  # too large for a float: not finite
    assert error("2 ** 100000").code == "NS205"
    assert error("10 ** 400 * 1.0").code == "NS205"
    big = 10 ** 5000

    def huge(name: str) -> Any:
        return big

    with pytest.raises(ExpressionError):
        evaluate("x + 1", huge)
    with pytest.raises(ExpressionError):
        interpolate("n=${x}", huge)


def test_overflow_in_arithmetic_is_reported_where_it_happens() -> None:
    assert error("1e308 * 10 > 1").code == "NS205"
    assert error("exp(1000)").code == "NS205"


def test_a_list_cannot_be_written_into_text() -> None:
    with pytest.raises(ExpressionError) as caught:
        interpolate("pops: ${pops}", lookup)
    assert caught.value.code == "NS211"
    assert interpolate("${pre}_to_${post}", lookup) == "i_to_e"


def test_a_5000_digit_integer_in_an_expression_is_refused() -> None:
    found = error("7" * 5000 + " + 1")
    assert found.code == "NS209"


@pytest.mark.parametrize(("source", "expected"), [
    ("sum(size[pop] for pop in pops)", 1000),
    ("sum(p[post][pre] for pre in pops)", pytest.approx(0.2)),
    ("[size[pop] // 100 for pop in pops]", [8, 2]),
    ("len([1 for a in pops for b in pops if a != b])", 2),
    ("max(size[k] for k in size)", 800),
    ("[k for k in size if size[k] > 500]", ["e"]),
    ("sum(x for x in [])", 0),
    ("{pop: size[pop] * 2 for pop in pops}", {"e": 1600, "i": 400}),
    ("{'a': 1, 'b': [2, 3]}['b'][1]", 3),
    ("{post: {pre: p[post][pre] > 0 for pre in pops} for post in pops}['i']['i']", False),
    ("sum(w[k] for k in pops) < 0 nA", True),
    ("[pre for pre in pops][1] == pre", True),
])
def test_comprehensions(source: str, expected: Any) -> None:
    assert value(source) == expected


def test_comprehension_variables_are_local_and_bounded() -> None:
    # the comprehension's 'pre' hides the parameter only inside it
    assert value("len([pre for pre in pops])") == 2
    assert value("pre") == "i"
    assert error("sum(1 for a in n)").code == "NS211"
    assert error("sum(1 for (a, b) in pops)").code == "NS208"
    assert error("sum(1 for a in pops if n)").code == "NS211"
    big = {"xs": list(range(100))}

    def many(name: str) -> Any:
        return big[name]

    with pytest.raises(ExpressionError) as caught:
        evaluate("sum(1 for a in xs for b in xs for c in xs)", many)
    assert caught.value.code == "NS209"


def test_a_budget_bounds_many_expressions_together() -> None:
    from netspec.expressions import Budget
    budget = Budget(1000)
    evaluate("sum(size[p] for p in pops)", lookup, budget=budget)
    assert 0 < budget.steps < 1000
    with pytest.raises(ExpressionError) as caught:
        for _ in range(1000):
            evaluate("sum(size[p] for p in pops)", lookup, budget=budget)
    assert caught.value.code == "NS209"
    with pytest.raises(ExpressionError):  # and it stays spent
        evaluate("1 + 1", lookup, budget=budget)
