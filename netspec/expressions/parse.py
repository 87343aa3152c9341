"""Reading expression text: its tokens (characters the language does not have refused,
for finding quantities) and its syntax tree (read by :mod:`ast`, bounded in size). Both
are cached, as a template evaluates the same expressions for each combination."""

from __future__ import annotations

import ast
import functools
import re

from netspec.expressions.errors import ExpressionError
from netspec.expressions.limits import MAX_NODES
from netspec.expressions.messages import clip

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


def tokens(source: str) -> tuple[tuple[str, str], ...]:
    """The tokens of ``source`` as (kind, text): ``number``, ``string``, ``name`` or
    ``op``. A character the language does not have is refused (NS208 with what to write
    instead, NS201 otherwise)."""
    found = _tokens(source)
    if any(kind == "bad" for kind, _ in found):
        bad = next(value for kind, value in found if kind == "bad")
        if bad in _NOT_ALLOWED_CHARACTERS:
            raise ExpressionError("NS208", f"{_NOT_ALLOWED_CHARACTERS[bad]} is not allowed in "
                                           f"expressions (in '{clip(source.strip())}')")
        if bad in "'\"":
            raise ExpressionError("NS201", f"a quote ({bad}) is not closed in "
                                           f"'{clip(source.strip())}'")
        raise ExpressionError("NS201", f"'{bad}' is not allowed in expressions "
                                       f"(in '{clip(source.strip())}')")
    return found


@functools.lru_cache(maxsize=4096)
def _tokens(source: str) -> tuple[tuple[str, str], ...]:
    """The tokens of ``source`` (kind, text), for finding quantities; cached."""
    out = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "bad"
        out.append((kind, match.group(kind)))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def parse(text: str, source: str) -> ast.Expression:
    """The syntax tree of ``text`` (``source`` with quantities replaced), checked for
    size; cached, as a template evaluates the same expressions for each combination
    (the tree is only read)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError("NS201", f"cannot read expression '{source}': "
                                       f"{exc.msg}") from None
    except (ValueError, MemoryError, RecursionError):  # e.g. an integer of 5000 digits
        raise ExpressionError("NS209", f"expression '{clip(source)}' is too "
                                       "large to read") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("NS209", f"expression has more than {MAX_NODES} parts")
    return tree
