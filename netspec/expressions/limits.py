"""The bounds of the expression language (part of its contract) and :class:`Budget`, the
evaluation steps left for all the expressions of one spec."""

from __future__ import annotations

from netspec.expressions.errors import ExpressionError

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


def steps_exceeded() -> ExpressionError:
    """The NS209 error of a spent :class:`Budget`."""
    return ExpressionError("NS209", f"the spec's expressions take more than {MAX_STEPS} "
                                    "evaluation steps; write large tables out or in a "
                                    "data file")


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
            raise steps_exceeded()
