"""HDF5 files written so that a failing disk never leaves HDF5 half-closed.

When HDF5 (through h5py or nixio) meets a failed write (``ENOSPC`` on a full disk,
``EFBIG`` past a file-size limit, ``EIO``), its metadata cache is left inconsistent:
closing the file fails again, the destructors of NixIO and h5py print tracebacks,
and the interpreter may crash at exit (segmentation fault). So netspec's HDF5
writers write through :class:`GuardedFile`, a file object handed to h5py's
``fileobj`` driver: the first failed write is remembered, and from then on writes
go to memory instead of the disk, so that HDF5 never sees an error, finishes and
closes the file normally. Only then does :func:`guarded` raise the remembered
``OSError`` (which the export stage reports as one clear message; the staged file
is thrown away with the rest of the run's staging folder, nothing is published).

Writes kept in memory after a failure are capped at :data:`MAX_KEPT_BYTES`; past
that, written bytes are dropped (HDF5 re-reads its metadata, which is small, not
the raw data it wrote). Before any failure, I/O goes straight to the file
descriptor with ``pwrite``/``pread``: as fast as HDF5's own ``sec2`` driver.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Most bytes kept in memory after a failed write, for HDF5 to read back.
MAX_KEPT_BYTES = 64 * 1024 * 1024


class GuardedFile(io.RawIOBase):
    """A read-write file for h5py's ``fileobj`` driver that never raises on write."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._pos = 0
        self._length = os.fstat(fd).st_size
        self._kept: list[tuple[int, bytes]] = []
        self._kept_bytes = 0
        self.error: OSError | None = None

    # -- the io interface h5py uses -------------------------------------------------
    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        size = max(0, min(len(view), self._length - self._pos))
        data = os.pread(self._fd, size, self._pos) if size else b""
        view[:len(data)] = data
        view[len(data):size] = bytes(size - len(data))  # written to memory, or dropped
        for offset, kept in self._kept:  # later writes win, as on a disk
            start, end = max(offset, self._pos), min(offset + len(kept), self._pos + size)
            if start < end:
                view[start - self._pos:end - self._pos] = kept[start - offset:end - offset]
        self._pos += size
        return size

    def write(self, buffer: Any) -> int:
        data = bytes(buffer)
        done = 0
        if self.error is None:
            try:
                while done < len(data):
                    done += os.pwrite(self._fd, data[done:], self._pos + done)
            except OSError as exc:
                self.error = exc
        if done < len(data) and self._kept_bytes < MAX_KEPT_BYTES:
            self._kept.append((self._pos + done, data[done:]))
            self._kept_bytes += len(data) - done
        self._pos += len(data)
        self._length = max(self._length, self._pos)
        return len(data)

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if self.error is None:
            try:
                os.ftruncate(self._fd, size)
            except OSError as exc:
                self.error = exc
        self._length = size
        return size

    def flush(self) -> None:
        """Nothing to do: writes are unbuffered (netspec fsyncs before publishing)."""


@contextmanager
def guarded(path: Path) -> Iterator[GuardedFile]:
    """A new, empty file at ``path`` opened as a :class:`GuardedFile`; on leaving the
    block (after the caller closed its HDF5 file), the file descriptor is closed and the
    first write error met, if any, is raised as the ``OSError`` it was."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
    guard = GuardedFile(fd)
    try:
        yield guard
    except Exception as exc:
        if guard.error is not None:  # the disk failed first: that is the cause
            raise guard.error from exc
        raise
    finally:
        os.close(fd)
    if guard.error is not None:
        raise guard.error


@contextmanager
def nixio_through(guard: GuardedFile) -> Iterator[None]:
    """Make nixio create its next files through ``guard`` (h5py's ``fileobj`` driver).

    nixio opens files itself (``h5py.h5f.create(path, fapl=make_fapl())``); for the
    duration of the block its ``make_fapl`` adds the driver. Writers run one at a time.
    """
    import h5py
    import nixio.file as nixio_file

    original = nixio_file.make_fapl

    def make_fapl() -> Any:
        fapl = original()
        fapl.set_fileobj_driver(h5py.h5fd.fileobj_driver, guard)
        return fapl

    nixio_file.make_fapl = make_fapl
    try:
        yield
    finally:
        nixio_file.make_fapl = original
