"""The expression evaluator: values, errors and bounds (no spec file needed)."""

from __future__ import annotations

from typing import Any

import pytest

from netspec.expressions import ExpressionError, evaluate


def lookup_in(table: dict[str, Any]) -> Any:
    def lookup(name: str) -> Any:
        return table[name]
    return lookup


def test_an_unknown_name_is_carried_by_the_error() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate("1 + tau_x * 2", lookup_in({"tau": 1.0}))
    assert caught.value.code == "NS202"
    assert caught.value.name == "tau_x"
