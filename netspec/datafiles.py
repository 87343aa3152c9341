"""Read the external data files a spec names (``{file: times.npy}``), as untrusted input.

A spec and the files it names may come from anyone (a pull request, a shared
folder), so a data file is read only when:

* its name is relative and, every symbolic link followed, it lies inside the
  spec's folder (no absolute paths, no ``..`` out, no link out);
* it is a regular file (a FIFO would block validation forever, a device would
  never end), no larger than :data:`MAX_NPY_BYTES` (``.npy``) or
  :data:`MAX_TEXT_BYTES` (``.csv``/``.txt``/``.dat``);
* a ``.npy`` file's header is well formed, its dtype numeric (never pickled
  objects), at most two-dimensional, and its shape matches the file's size: the
  header is checked before any array is allocated;
* a text file holds numbers only, in fields no longer than :data:`MAX_FIELD_CHARS`.

Problems are raised as :class:`DataFileError`, whose message names the file and
the place (line, column) but never quotes the file's content: a diagnostic may end
up in a public CI log or a pull-request annotation.

This module is a lower stage than the resolver that calls it; it imports neither
PyNN nor a simulator.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePath

import numpy as np

#: Largest ``.npy`` file read, in bytes.
MAX_NPY_BYTES = 1024 * 1024 * 1024
#: Largest ``.csv``/``.txt``/``.dat`` file read, in bytes (parsed text costs ten times
#: its size in memory; long arrays belong in a .npy file).
MAX_TEXT_BYTES = 64 * 1024 * 1024
#: Most numbers a data file may hold (read as float64: 400 MB); a ``.npy`` header's claim
#: is checked before anything is read.
MAX_VALUES = 50_000_000
#: Longest field of a text file, in characters.
MAX_FIELD_CHARS = 64
#: Largest ``.npy`` header, in bytes (numpy writes 128 or a few hundred).
MAX_NPY_HEADER = 64 * 1024
#: The suffixes read, with what they hold.
SUFFIXES = {".npy": "a NumPy array", ".csv": "comma-separated numbers",
            ".txt": "space-separated numbers", ".dat": "space-separated numbers"}


class DataFileError(ValueError):
    """A data file that cannot be used; the message never quotes its content."""


def locate(folder: Path, name: str) -> Path:
    """The real path of data file ``name`` (as written in the spec) in ``folder``.

    Raises :class:`DataFileError` unless it is relative and lies, links
    followed, inside ``folder``.
    """
    if not name or "\x00" in name:
        raise DataFileError("the file name is empty or holds a NUL character")
    given = PurePath(name.replace("\\", "/"))
    if given.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1
                                                              and name[1] == ":"):
        raise DataFileError(f"'{name}' is an absolute path; name data files relative to "
                            "the spec's folder")
    base = Path(os.path.realpath(folder))
    real = Path(os.path.realpath(base / given))
    if real != base and base not in real.parents:
        raise DataFileError(f"'{name}' lies outside the spec's folder {base} (through '..' "
                            "or a symbolic link); data files must be inside it")
    return real


def check_file(folder: Path, name: str, *, suffixes: tuple[str, ...] | None = None) -> Path:
    """The real path of ``name`` after :func:`locate`, shown to be a regular file
    within the size limit (for files a simulator reads later, such as
    FromFileConnector's)."""
    path = locate(folder, name)
    fd = _open(path, name)
    try:
        _regular(fd, path, name)
    finally:
        os.close(fd)
    if suffixes is not None and path.suffix not in suffixes:
        raise DataFileError(f"cannot read '{name}': use a {', '.join(suffixes)} file")
    return path


def read_rows(folder: Path, name: str, *,
              ragged: bool = False) -> tuple[Path, list[np.ndarray]]:
    """The real path of data file ``name`` (relative to ``folder``) and its rows as
    float arrays.

    A ``.npy`` file gives one row (1-D) or one per row of its 2-D array; a text
    file one per non-empty line that does not start with ``#``. Rows must have one
    length unless ``ragged``. Raises :class:`DataFileError`.
    """
    path = locate(folder, name)
    if path.suffix not in SUFFIXES:
        raise DataFileError(f"cannot read '{name}': use a .npy, .csv, .txt or .dat file")
    fd = _open(path, name)
    try:
        size = _regular(fd, path, name)
        with os.fdopen(os.dup(fd), "rb") as fh:
            if path.suffix == ".npy":
                rows = _npy_rows(fh, size, name)
            else:
                rows = _text_rows(fh, size, name, "," if path.suffix == ".csv" else " ")
    finally:
        os.close(fd)
    if not ragged and len({len(r) for r in rows}) > 1:
        raise DataFileError(f"'{name}': rows have different lengths")
    for i, row in enumerate(rows):
        if not np.all(np.isfinite(row)):
            raise DataFileError(f"'{name}' must hold finite numbers only (row {i + 1} does "
                                "not)")
    return path, rows


def _open(path: Path, name: str) -> int:
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataFileError(f"cannot read '{name}' (looked in {path.parent}): "
                            f"{reason}") from None


def _regular(fd: int, path: Path, name: str) -> int:
    """The size of the open file ``fd``, refused unless it is a regular file under the
    limit for its kind."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else
                "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise DataFileError(f"'{name}' is {kind}; a data file must be a regular file")
    limit = MAX_NPY_BYTES if path.suffix == ".npy" else MAX_TEXT_BYTES
    if info.st_size > limit:
        raise DataFileError(f"'{name}' is {info.st_size / 2**20:.0f} MiB, more than the "
                            f"{limit // 2**20} MiB a {path.suffix} data file may hold")
    return info.st_size


def _npy_rows(fh: io.BufferedReader, size: int, name: str) -> list[np.ndarray]:
    """Rows of a .npy file, its header checked against the file's size first."""
    magic = fh.read(8)
    if magic[:4] == b"PK\x03\x04":
        raise DataFileError(f"'{name}' is a .npz archive (several arrays), not a .npy "
                            "file; save one array with numpy.save")
    if magic[:6] != b"\x93NUMPY" or len(magic) < 8:
        raise DataFileError(f"'{name}' is not a .npy file (no NumPy header)")
    major = magic[6]
    if major not in (1, 2, 3):
        raise DataFileError(f"'{name}': unsupported .npy format version {major}")
    length_bytes = fh.read(2 if major == 1 else 4)
    if len(length_bytes) != (2 if major == 1 else 4):
        raise DataFileError(f"'{name}': the .npy header is cut short")
    header_length = int.from_bytes(length_bytes, "little")
    if header_length > MAX_NPY_HEADER:
        raise DataFileError(f"'{name}': the .npy header is too long")
    raw_header = fh.read(header_length)
    if len(raw_header) != header_length:
        raise DataFileError(f"'{name}': the .npy header is cut short")
    dtype, shape, fortran = _npy_header(raw_header, major, name)
    count = 1
    for n in shape:
        count *= n
    if count > MAX_VALUES:
        raise DataFileError(f"'{name}' holds {count} numbers, more than the {MAX_VALUES} a "
                            "data file may hold")
    offset = 8 + len(length_bytes) + header_length
    if count * dtype.itemsize != size - offset:
        raise DataFileError(f"'{name}': its header announces shape {shape} "
                            f"({count * dtype.itemsize} bytes of data), but the file holds "
                            f"{size - offset} bytes after the header")
    data = np.frombuffer(fh.read(count * dtype.itemsize), dtype=dtype, count=count)
    array = data.reshape(shape, order="F" if fortran else "C")
    if array.ndim == 0:
        array = array.reshape(1)
    rows = [array] if array.ndim == 1 else list(array)
    return [np.asarray(r, dtype=float) for r in rows]


def _npy_header(raw: bytes, major: int, name: str) -> tuple[np.dtype, tuple[int, ...], bool]:
    """dtype, shape and order of a .npy header, checked: a numeric dtype, at most 2-D."""
    bad = DataFileError(f"'{name}': the .npy header is not a valid NumPy header")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
        header = ast.literal_eval(text)  # a dict literal by the format's definition
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise bad
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or not isinstance(fortran, bool) or not isinstance(
            shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise bad
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        raise bad from None
    if dtype.kind not in "biuf" or dtype.hasobject or dtype.fields is not None:
        raise DataFileError(f"'{name}' must hold numbers (its dtype is {dtype.kind!r}: "
                            "objects, text or records are not read)")
    if len(shape) > 2:
        raise DataFileError(f"'{name}' is a {len(shape)}-D array; data files hold one "
                            "row (1-D) or rows (2-D)")
    return dtype, shape, fortran


def _text_rows(fh: io.BufferedReader, size: int, name: str,
               delimiter: str) -> list[np.ndarray]:
    """Rows of numbers of a text file; every problem is located, none quotes the text."""
    try:
        text = fh.read(size + 1).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"'{name}' is not UTF-8 text (byte {exc.start + 1})") from None
    rows: list[np.ndarray] = []
    for number, line in _lines(text):
        fields = [f for f in (x.strip() for x in _split(line, delimiter)) if f != ""]
        try:
            if fields and max(map(len, fields)) > MAX_FIELD_CHARS:
                raise ValueError
            rows.append(np.array(fields, dtype=float))
        except ValueError:
            column = next((i for i, f in enumerate(fields, start=1)
                           if len(f) > MAX_FIELD_CHARS or not _is_number(f)), 0)
            if not column:  # numbers Python reads and NumPy does not ('1_000')
                rows.append(np.array([float(f) for f in fields], dtype=float))
                continue
            why = (f"a field longer than {MAX_FIELD_CHARS} characters"
                   if len(fields[column - 1]) > MAX_FIELD_CHARS else "not a number")
            raise DataFileError(f"'{name}' line {number}, column {column}: {why}") from None
    return rows


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def _split(line: str, delimiter: str) -> list[str]:
    """Fields of one line: commas (quotes allowed, as the csv module reads them) or
    runs of spaces and tabs."""
    if delimiter == " ":
        return line.split()
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return line.split(delimiter)
