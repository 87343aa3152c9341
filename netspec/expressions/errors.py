"""The errors of expressions: :class:`ExpressionError` (with its diagnostic code) and
:class:`AlreadyReported` (a name whose parameter failed on its own)."""

from __future__ import annotations


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
