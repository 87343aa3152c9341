"""Stage 1 — read a spec file: bytes → checked text → YAML nodes → plain data + source map.

One loader serves every command. It applies YAML 1.2 core-schema rules
(``1e-3`` is a float, ``yes``/``no``/``on`` are strings, ``010`` is ten, no
sexagesimal numbers, no ``<<`` merges) and refuses what a spec never needs:
tags, duplicate keys, alias bombs, several documents, a top level that is not a
mapping, non-UTF-8 bytes, control characters, deep nesting and huge files.

Positions come from ``yaml.compose`` node marks, so every later stage can point
into the user's file. Events come from libyaml's parser when PyYAML was built
with it (several times faster), else from PyYAML's own; both give the same
values at the same positions.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from netspec.diagnostics import Diagnostic, SpecPath, describe_value
from netspec.errors import SpecError, SpecFileError

#: A position in the YAML text: PyYAML's ``Mark`` or libyaml's (both have line, column).
Mark = Any

#: Largest spec file read, in bytes. Long arrays belong in a .npy/.csv file.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 48
#: Most alias uses (``*name``) in one file.
MAX_ALIASES = 64
#: Most values in one file, aliases expanded (guards against alias bombs and against
#: specs so long that reading them takes minutes): counted while the YAML is composed,
#: so that reading stops early. Long arrays belong in a .npy or .csv file.
MAX_NODES = 100_000
#: Largest magnitude of an integer written in a spec (or given to ``--set``): what a
#: 64-bit simulator integer holds. Larger whole numbers are refused, not rounded.
MAX_INTEGER = 2**63 - 1

#: What YAML counts as a line break (``\r`` alone included): marks count lines by these.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")

_INT_DEC = re.compile(r"[-+]?[0-9]+\Z")
_INT_OCT = re.compile(r"0o[0-7]+\Z")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULL = re.compile(r"(~|null|Null|NULL|)\Z")
_YAML_TAG = "tag:yaml.org,2002:"
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}



@dataclass(frozen=True)
class SourceMap:
    """Where each value (and each mapping key) of a spec stands in its file."""

    file: str
    values: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: SpecPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of ``path``, or of its nearest located ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(tuple(path[:end]))
            if found is not None:
                return found
        return (1, 1)

    def diagnostic(
        self, path: SpecPath, code: str, message: str, *, key: bool = False,
        severity: str = "error",
    ) -> Diagnostic:
        """A :class:`Diagnostic` located at ``path`` in this file."""
        line, column = self.locate(path, key=key)
        return Diagnostic(self.file, line, column, code, message, tuple(path),
                          severity)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoadedSpec:
    """A spec as read from disk: its data, where each value stands, and its folder."""

    path: Path
    text: str
    data: dict[str, Any]
    source: SourceMap

    @property
    def folder(self) -> Path:
        """The folder relative to which the spec's external files are found."""
        return self.path.parent


class _Limits:
    """PyYAML's composer with YAML 1.2 core resolution and limits on what it builds;
    mixed into the parser of libyaml where present, else into PyYAML's own."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}  # resolution is ours: see _scalar

    def _start(self) -> None:
        self.depth = 0
        self.aliases = 0
        self.nodes = 0
        self.problems: list[tuple[Mark, str, str]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        parser: Any = self  # the parser is the other base class
        event = parser.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Stop(event.start_mark, "NS013",
                            f"more than {MAX_ALIASES} aliases; write the values out")
        else:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise _Stop(event.start_mark, "NS003",
                            f"the spec holds more than {MAX_NODES:,} values; keep long arrays "
                            "in a .npy or .csv file named from the spec ({file: …})")
            tag = getattr(event, "tag", None)
            if tag not in (None, "!"):
                shown = "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag
                self.problems.append((event.start_mark, "NS012",
                                      f"YAML tag '{shown}' is not allowed in a spec; "
                                      "remove it (values are typed by the spec language)"))
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(event.start_mark, "NS016", f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _PyComposer(_Limits, yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start()


_Composer: type[Any] = _PyComposer
if yaml.__with_libyaml__:  # the same events from C: reading a spec is ten times faster
    from yaml._yaml import CParser

    class _CComposer(_Limits, yaml.composer.Composer, yaml.resolver.BaseResolver, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.BaseResolver.__init__(self)
            self._start()
            self.lines = _LINE_BREAK.split(stream)  # YAML's line breaks, as its marks count

        def compose_scalar_node(self, anchor: Any) -> Any:
            node = super().compose_scalar_node(anchor)
            if node.value == "" and not node.style:
                # libyaml places an empty value ({a: }) at the next token; PyYAML, like a
                # reader, just after its ':'.
                mark = node.start_mark
                row, before = mark.line, ""
                if row < len(self.lines):
                    before = self.lines[row][:mark.column].rstrip(" \t")
                while not before and row > 0:  # the value's ':' ends an earlier line
                    row -= 1
                    before = self.lines[row].rstrip(" \t") if row < len(self.lines) else ""
                if before.endswith(":") and (row, len(before)) < (mark.line, mark.column):
                    node.start_mark = yaml.Mark(mark.name, mark.index, row, len(before),
                                                None, None)  # type: ignore[arg-type]
            return node

    _Composer = _CComposer


class ScalarError(ValueError):
    """A plain scalar that looks like a number but cannot be one (an integer too large)."""


class _Stop(Exception):
    def __init__(self, mark: Mark | None, code: str, message: str) -> None:
        self.mark, self.code, self.message = mark, code, message


def read_spec_text(path: Path) -> tuple[str, list[Diagnostic]]:
    """Read ``path`` as UTF-8 text; byte-level problems come back as diagnostics.

    Raises :class:`SpecFileError` when the file cannot be opened at all.
    """
    name = str(path)
    try:
        raw = _read_bounded(path, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecFileError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        return "", [Diagnostic(name, 1, 1, "NS003",
                               f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                               "keep long arrays in a .npy or .csv file named from the spec")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "", [Diagnostic(name, 1, 1, "NS001", "the file is UTF-16 (it starts with "
                                                        "a UTF-16 byte-order mark); save it as "
                                                        "UTF-8")]
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return "", [Diagnostic(name, line, column, "NS001",
                               f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                               "save it as UTF-8")]
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return "", [Diagnostic(name, line, column, "NS002",
                               f"control character U+{ord(bad.group()):04X} is not allowed")]
    return text, []


def _read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``, without waiting on a FIFO nobody writes to.

    The file is opened without blocking (opening a FIFO for reading would otherwise wait
    for a writer forever), then read normally: a regular file as usual, a pipe that a
    writer holds (``netspec validate <(generate-spec)``) until the writer closes it, and
    a FIFO without a writer reads as empty.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_NOCTTY", 0))
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_spec_text(text: str, file: str) -> tuple[dict[str, Any], SourceMap]:
    """Parse spec ``text`` (named ``file`` in messages) into data and its source map.

    Raises :class:`SpecError` with every problem found.
    """
    source = SourceMap(file)
    bad = _CONTROL.search(text)  # read_spec_text refuses these first; YAML refuses them too
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise SpecError([Diagnostic(file, line, column, "NS002",
                                    f"control character U+{ord(bad.group()):04X} is not "
                                    "allowed")])
    composer = _Composer(text)
    try:
        try:
            composer.get_event()  # StreamStart
            if composer.check_event(yaml.StreamEndEvent):
                raise _Stop(None, "NS004", "the file is empty; a spec needs at least "
                                           "'netspec', 'name', 'simulation' and 'populations'")
            root = composer.compose_document()
            if not composer.check_event(yaml.StreamEndEvent):
                mark = composer.peek_event().start_mark
                raise _Stop(mark, "NS014", "a spec file holds one YAML document; "
                                           "remove the second '---' and what follows")
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            context = f" ({exc.context})" if exc.context else ""
            opened = exc.context_mark
            if exc.context and opened is not None and mark is not None \
                    and opened.line != mark.line:
                context = (f" ({exc.context} that starts at line {opened.line + 1}, "
                           f"column {opened.column + 1})")
            hint = "; indent with spaces, not tabs" if _tab_near(text, mark) else ""
            raise _Stop(mark, "NS010", f"YAML syntax error: {problem}{context}{hint}") from None
        except yaml.YAMLError as exc:
            raise _Stop(None, "NS010", f"YAML error: {exc}") from None
        finally:
            composer.dispose()
    except _Stop as stop:
        line, column = _position(stop.mark)
        raise SpecError([*_problems(composer, file),
                         Diagnostic(file, line, column, stop.code, stop.message)]) from None
    builder = _Builder(source)
    problems = _problems(composer, file)
    try:
        _check_expansion(root)
        data = builder.build(root, ())
    except _Stop as stop:
        line, column = _position(stop.mark)
        raise SpecError([*problems, Diagnostic(file, line, column, stop.code,
                                               stop.message)]) from None
    problems.extend(builder.problems)
    if not isinstance(data, dict):
        line, column = _position(root.start_mark)
        problems.append(Diagnostic(file, line, column, "NS015",
                                   "the top level of a spec must be a mapping, not "
                                   f"{describe_value(data)}"))
    if problems:
        raise SpecError(sorted(problems))
    assert isinstance(data, dict)
    return data, source


def load_yaml(path: str | Path) -> LoadedSpec:
    """Read and parse the spec at ``path``.

    Raises :class:`SpecFileError` if it cannot be read and :class:`SpecError`
    if it is not a well-formed spec document.
    """
    path = Path(path)
    text, problems = read_spec_text(path)
    if problems:
        raise SpecError(problems)
    data, source = parse_spec_text(text, str(path))
    return LoadedSpec(path, text, data, source)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse, before building anything, a document whose aliases expand it past
    :data:`MAX_NODES` values; the position is that of the largest value too large."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(value) for _, value in node.value)
        else:
            total = 1
        sizes[id(node)] = total  # an alias is the same node object: counted once here
        return total

    if size(root) <= MAX_NODES:
        return
    node = root
    while True:
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [value for _, value in node.value] if isinstance(node, yaml.MappingNode)
                    else [])
        bigger = next((child for child in children if sizes[id(child)] > MAX_NODES), None)
        if bigger is None:
            break
        node = bigger
    raise _Stop(node.start_mark, "NS013",
                f"this value expands to {sizes[id(node)]:,} values through aliases, more than "
                f"the {MAX_NODES:,} a spec may hold (an alias bomb?)")


def _tab_near(text: str, mark: Mark | None) -> bool:
    """Whether the line of ``mark`` is indented with a tab (YAML forbids it)."""
    if mark is None:
        return False
    lines = text.split("\n")
    line = lines[mark.line] if mark.line < len(lines) else ""
    return "\t" in line[:len(line) - len(line.lstrip(" \t"))]


def _position(mark: Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _problems(composer: _Limits, file: str) -> list[Diagnostic]:
    return [Diagnostic(file, *_position(mark), code, message)
            for mark, code, message in composer.problems]


class _Builder:
    """Turns composed nodes into plain Python data, recording each value's position."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.count = 0
        self.problems: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: SpecPath) -> Any:
        # Iterative bookkeeping is unnecessary: depth is bounded by MAX_DEPTH in the composer.
        self.count += 1
        if self.count > MAX_NODES:
            raise _Stop(node.start_mark, "NS013",
                        f"the spec expands to more than {MAX_NODES} values (alias bomb?)")
        self.source.values.setdefault(path, _position(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            try:
                return _scalar(node)
            except ScalarError as exc:
                line, column = _position(node.start_mark)
                self.problems.append(Diagnostic(self.source.file, line, column, "NS209",
                                                str(exc), path))
                return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return dict(self._pairs(node, path))
        raise _Stop(node.start_mark, "NS010", "unsupported YAML node")  # pragma: no cover

    def _pairs(self, node: yaml.MappingNode, path: SpecPath) -> Iterator[tuple[str, Any]]:
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            try:
                key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            except ScalarError:
                key = None  # a huge integer as a key: not a name
            if not isinstance(key, str):
                line, column = _position(key_node.start_mark)
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "…"
                shown = shown if len(shown) <= 40 else shown[:30] + "…"
                self.problems.append(Diagnostic(
                    self.source.file, line, column, "NS017",
                    f"mapping key {shown!r} is not a name; write keys as text", path))
                continue
            if key in seen:
                line, column = _position(key_node.start_mark)
                first = seen[key].start_mark.line + 1
                where = f"lines {first} and {line}" if first != line else f"both on line {line}"
                self.problems.append(Diagnostic(
                    self.source.file, line, column, "NS011",
                    f"key '{key}' appears twice in this mapping ({where}); keep one",
                    (*path, key)))
                continue
            seen[key] = key_node
            self.source.keys[(*path, key)] = _position(key_node.start_mark)
            yield key, self.build(value_node, (*path, key))


def _scalar(node: yaml.ScalarNode) -> Any:
    """YAML 1.2 core schema: only plain scalars are resolved; quoted ones stay text."""
    if node.style:  # quoted or block scalars are always text
        return node.value
    return plain_scalar(node.value)


#: Most digits an integer within :data:`MAX_INTEGER` can need, by base (sign excluded);
#: longer digit strings are refused before Python converts them (which costs time and
#: raises past 4300 digits).
_MAX_DIGITS = {10: 19, 8: 21, 16: 16}


def _integer(digits: str, base: int, text: str) -> int:
    """``digits`` (with an optional sign) in ``base``, refused beyond :data:`MAX_INTEGER`."""
    unsigned = digits.lstrip("+-").lstrip("0")
    value = int(digits, base) if len(unsigned) <= _MAX_DIGITS[base] else None
    if value is None or abs(value) > MAX_INTEGER:
        shown = text if len(text) <= 24 else f"{text[:12]}…{text[-4:]} ({len(text)} characters)"
        raise ScalarError(f"the integer {shown} is too large: whole numbers in a spec must lie "
                          f"within ±{MAX_INTEGER} (2**63 - 1); write a float such as 1e20 "
                          "if you mean a large number")
    return value


def plain_scalar(value: str) -> Any:
    """A plain (unquoted) scalar by the YAML 1.2 core schema, as ``--set`` values are read.

    Raises :class:`ScalarError` for an integer beyond :data:`MAX_INTEGER`.
    """
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT_DEC.match(value):
        return _integer(value, 10, value)
    if _INT_OCT.match(value):
        return _integer(value[2:], 8, value)
    if _INT_HEX.match(value):
        return _integer(value[2:], 16, value)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value
