"""Atomic publishing of a run's outputs.

:func:`prepare` runs BEFORE the simulation, so that a run that could not save
its results fails in a second, not after an hour:

* the output folder is created if needed and shown to be writable (a file is
  written, fsynced and removed in it);
* no export's final path, nor ``manifest.json``, may exist unless ``force``
  (:class:`~netspec.errors.OutputExistsError` lists them all);
* no output may land outside the output folder through a symbolic link: the real
  path of each output's folder must lie inside the real output folder (checked
  again just before publishing, so a link made meanwhile is refused too);
* a hidden staging folder ``.netspec-staging-<random>`` is made inside it, holding an
  ``.owner`` file (host and process id); staging folders left by runs that were killed
  (their process is gone, or, without an owner file, older than
  :data:`STALE_UNOWNED_SECONDS`) are removed first;
* under ``force``, the files an earlier run wrote there (the ``outputs`` of its
  ``manifest.json``) that this run does not write are noted: :meth:`OutputPlan.publish`
  removes them, so that a folder never mixes two runs.

Writers write into the staging folder (:meth:`OutputPlan.staged`); each file
is verified (:meth:`OutputPlan.verify`); :meth:`OutputPlan.publish` fsyncs
every file and ``os.replace``-s it to its final name (the manifest last), then
removes the staging folder. Nothing is published unless every planned file was
written and verified; if a rename fails, the files already moved are put back
(previous versions included, under ``force``). :meth:`OutputPlan.abort`
removes the staging folder.

The plan is a context manager: leaving its ``with`` block normally publishes
(if :meth:`~OutputPlan.publish` was not called already); leaving it by an
exception or Ctrl-C aborts (Ctrl-C is re-raised as
:class:`~netspec.errors.Interrupted`), so no half-written file is ever left
under a final name.

OS errors (EACCES, ENOSPC, EROFS, …) become :class:`~netspec.errors.OutputError`
naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Protocol

from netspec.checks import MANIFEST, STAGING_PREFIX
from netspec.errors import Interrupted, OutputError, OutputExistsError, UsageError

__all__ = ["MANIFEST", "STAGING_PREFIX", "OutputPlan", "os_message", "prepare",
           "remove_stale_staging", "write_atomic"]

#: The file in a staging folder naming the process that owns it (``host pid``).
OWNER = ".owner"
#: A staging folder without an owner file is taken as abandoned after this many seconds.
STALE_UNOWNED_SECONDS = 60.0
#: A previous manifest larger than this is not read (it is not one netspec wrote).
_MAX_MANIFEST_BYTES = 64 << 20


class ExportLike(Protocol):
    """What staging needs of an export entry: its path, relative to the output folder."""

    @property
    def path(self) -> str: ...


def os_message(exc: OSError) -> str:
    """``strerror`` of an OSError (with its errno name), or its text."""
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} [{errno.errorcode.get(exc.errno, exc.errno)}]"
    return str(exc) or type(exc).__name__


def _relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path.replace("\\", "/"))
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or rel.parts[0].startswith(
            STAGING_PREFIX):
        raise UsageError(f"export path {path!r} must be relative and stay inside the "
                         "output folder")
    return rel


class OutputPlan:
    """The outputs of one run, staged in a hidden folder until :meth:`publish`."""

    def __init__(self, out_dir: Path, staging: Path, paths: Iterable[PurePosixPath],
                 created: list[Path], force: bool,
                 replaced: Iterable[PurePosixPath] = ()) -> None:
        self.out_dir = out_dir
        self.staging = staging
        self.paths: tuple[PurePosixPath, ...] = tuple(paths)  # manifest last
        self.force = force
        #: Files of an earlier run in ``out_dir`` that this run does not write: removed
        #: when this run publishes (``force`` only).
        self.replaced: tuple[PurePosixPath, ...] = tuple(replaced)
        self._created = created  # folders prepare() created, deepest last
        self._verified: set[PurePosixPath] = set()
        self._done = False

    # -- writing ------------------------------------------------------------------------

    def staged(self, path: str) -> Path:
        """Where the writer of ``path`` (as given in the spec) writes; its folder exists."""
        rel = self._planned(path)
        target = self.staging.joinpath(*rel.parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {target.parent}: {os_message(exc)}") from exc
        return target

    def final(self, path: str) -> Path:
        """The final location of ``path``."""
        return self.out_dir.joinpath(*self._planned(path).parts)

    def verify(self, path: str, check: Callable[[Path], None] | None = None) -> None:
        """Check the staged file of ``path`` (non-empty, then ``check``) and mark it ready."""
        rel = self._planned(path)
        staged = self.staging.joinpath(*rel.parts)
        final = self.out_dir.joinpath(*rel.parts)
        try:
            size = staged.stat().st_size
        except OSError as exc:
            raise OutputError(f"{final} was not written: {os_message(exc)}") from exc
        if size == 0:
            raise OutputError(f"{final} was written empty")
        if check is not None:
            try:
                check(staged)
            except OSError as exc:
                raise OutputError(f"{final} cannot be read back: {os_message(exc)}") from exc
            except Exception as exc:
                raise OutputError(f"{final} cannot be read back: {exc}") from exc
        self._verified.add(rel)

    def _planned(self, path: str) -> PurePosixPath:
        rel = _relative(path)
        if rel not in self.paths:
            raise UsageError(f"{path!r} is not one of the planned outputs "
                             f"({', '.join(sorted(map(str, self.paths)))})")
        if self._done:
            raise UsageError("the output plan was already published or aborted")
        return rel

    # -- publishing ---------------------------------------------------------------------

    def publish(self) -> list[Path]:
        """Move every staged file to its final name; return the final paths.

        Raises :class:`OutputError` (and publishes nothing) if a planned file
        was not verified or a file cannot be moved, and
        :class:`OutputExistsError` if, without ``force``, a final path appeared
        since :func:`prepare`.
        """
        if self._done:
            raise UsageError("the output plan was already published or aborted")
        missing = [p for p in self.paths if p not in self._verified]
        if missing:
            raise OutputError("not published, these outputs were not written and verified: "
                              + ", ".join(str(self.out_dir.joinpath(*p.parts)) for p in missing))
        finals = [self.out_dir.joinpath(*p.parts) for p in self.paths]
        _confined(self.out_dir, finals)
        if not self.force:
            existing = [f for f in finals if os.path.lexists(f)]
            if existing:
                raise OutputExistsError(_exists_message(existing))
        for rel in self.paths:
            staged = self.staging.joinpath(*rel.parts)
            _fsync_file(staged)
        backup = self.staging / ".previous"
        moved: list[tuple[Path, Path, Path | None]] = []  # (final, staged, backup of old)
        try:
            for rel, final in zip(self.paths, finals, strict=True):
                staged = self.staging.joinpath(*rel.parts)
                self._make_parent(final)
                old: Path | None = None
                if os.path.lexists(final):
                    old = backup.joinpath(*rel.parts)
                    old.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(final, old)
                try:
                    os.replace(staged, final)
                except OSError:
                    if old is not None:
                        os.replace(old, final)
                    raise
                moved.append((final, staged, old))
            for folder in {f.parent for f in finals}:
                _fsync_dir(folder)
        except OSError as exc:
            self._roll_back(moved)
            raise OutputError(f"cannot publish outputs into {self.out_dir}: "
                              f"{os_message(exc)}; nothing was published") from exc
        self._done = True
        shutil.rmtree(self.staging, ignore_errors=True)
        self._remove_replaced()
        return finals

    def _remove_replaced(self) -> None:
        """Remove the earlier run's files that this run did not write (and the folders
        that held only them); never anything through a symbolic link or outside
        ``out_dir``."""
        for rel in self.replaced:
            if rel in self.paths:
                continue
            place = self.out_dir.joinpath(*rel.parts)
            if any(os.path.islink(self.out_dir.joinpath(*rel.parts[:i]))
                   for i in range(1, len(rel.parts))):
                continue
            with contextlib.suppress(OSError):
                if (os.path.lexists(place) and not place.is_dir()) or place.is_symlink():
                    place.unlink()
                    for parent in list(rel.parents)[:-1]:
                        (self.out_dir / parent).rmdir()  # only succeeds when empty

    def _make_parent(self, final: Path) -> None:
        parent = final.parent
        if not parent.is_dir():
            missing = [p for p in [parent, *parent.parents] if not p.exists()]
            parent.mkdir(parents=True, exist_ok=True)
            self._created.extend(reversed(missing))

    @staticmethod
    def _roll_back(moved: list[tuple[Path, Path, Path | None]]) -> None:
        for final, staged, old in reversed(moved):
            with contextlib.suppress(OSError):
                os.replace(final, staged)
                if old is not None:
                    os.replace(old, final)

    def abort(self) -> None:
        """Remove the staging folder and the folders :func:`prepare` created, if empty."""
        if self._done:
            return
        self._done = True
        shutil.rmtree(self.staging, ignore_errors=True)
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty

    def __enter__(self) -> OutputPlan:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Publish when the block ends normally (unless done already); abort otherwise."""
        if exc is None:
            if not self._done:
                try:
                    self.publish()
                finally:
                    self.abort()  # no-op once published
            return
        self.abort()
        if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, Interrupted):
            raise Interrupted("interrupted; no output was published") from exc


def prepare(exports: Iterable[ExportLike], out_dir: Path, force: bool) -> OutputPlan:
    """Check that the outputs of ``exports`` can be written to ``out_dir``; stage them.

    Raises :class:`OutputExistsError` listing every output (``manifest.json``
    included) that exists when ``force`` is false, :class:`OutputError` when
    the folder cannot be created or written or an output's place is taken by
    a folder, :class:`UsageError` for a duplicate or escaping path.
    """
    rels: list[PurePosixPath] = []
    for export in exports:
        rel = _relative(str(export.path))
        if rel in rels or rel == PurePosixPath(MANIFEST):
            raise UsageError(f"two outputs would be written to {str(rel)!r}")
        rels.append(rel)
    rels.append(PurePosixPath(MANIFEST))

    out_dir = Path(out_dir).absolute()
    if os.path.lexists(out_dir) and not out_dir.is_dir():
        raise OutputError(f"output folder {out_dir} exists and is not a folder")
    finals = [out_dir.joinpath(*r.parts) for r in rels]
    _confined(out_dir, finals)
    existing = [f for f in finals if os.path.lexists(f)]
    blocked = [f for f in existing if f.is_dir() and not f.is_symlink()]
    if blocked:
        raise OutputError("cannot write outputs where folders are: "
                          + ", ".join(map(str, blocked)))
    for f in finals:
        for parent in f.relative_to(out_dir).parents:
            place = out_dir / parent
            if parent != Path(".") and os.path.lexists(place) and not place.is_dir():
                raise OutputError(f"cannot write {f}: {place} is a file, not a folder")
    if existing and not force:
        raise OutputExistsError(_exists_message(existing))

    created = [p for p in [out_dir, *out_dir.parents] if not p.exists()][::-1]
    remove_stale_staging(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(f"cannot write into output folder {out_dir}: "
                          f"{os_message(exc)}") from exc
    replaced = _previous_outputs(out_dir) if force else []
    plan = OutputPlan(out_dir, staging, rels, created, force, replaced)
    owner = staging / OWNER
    try:
        # the owner file doubles as the probe that the folder takes a written, fsynced file
        with open(owner, "w", encoding="utf-8") as handle:
            handle.write(f"{socket.gethostname()} {os.getpid()}\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        plan.abort()
        raise OutputError(f"cannot write into output folder {out_dir}: "
                          f"{os_message(exc)}") from exc
    return plan


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove the staging folders in ``out_dir`` that runs killed before they could clean
    up left behind; return them. A folder is stale when the process named by its owner
    file is gone (on this host), or when it has no owner file and is older than
    :data:`STALE_UNOWNED_SECONDS`. Folders of live runs and of other hosts are kept."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return removed
    host = socket.gethostname()
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        try:
            owner = (folder / OWNER).read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError):
            owner = None
        if owner is None:
            with contextlib.suppress(OSError):
                if time.time() - entry.stat(follow_symlinks=False).st_mtime \
                        < STALE_UNOWNED_SECONDS:
                    continue
        elif len(owner) != 2 or owner[0] != host or not owner[1].isdigit() \
                or _alive(int(owner[1])):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this host)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _previous_outputs(out_dir: Path) -> list[PurePosixPath]:
    """The outputs the manifest of an earlier run in ``out_dir`` lists (empty when there
    is none, or it is not a manifest netspec wrote); paths that would leave ``out_dir``
    are ignored."""
    manifest = out_dir / MANIFEST
    try:
        if manifest.is_symlink() or not manifest.is_file() \
                or manifest.stat().st_size > _MAX_MANIFEST_BYTES:
            return []
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    outputs = document.get("outputs") if isinstance(document, dict) else None
    if not isinstance(outputs, dict):
        return []
    found: list[PurePosixPath] = []
    for path in outputs:
        try:
            found.append(_relative(str(path)))
        except UsageError:
            continue
    return found


def _confined(out_dir: Path, finals: Iterable[Path]) -> None:
    """Refuse (:class:`OutputError`) any output whose folder is, through a symbolic link
    on the way, outside the real output folder (the final name itself may be a link:
    publishing replaces the link, never what it points to)."""
    real_out = os.path.realpath(out_dir)
    escaping = []
    for final in finals:
        real_parent = os.path.realpath(final.parent)
        if os.path.commonpath([real_out, real_parent]) != real_out:
            escaping.append(f"{final} (its folder is {real_parent})")
    if escaping:
        raise OutputError("outputs would be written outside the output folder "
                          f"{out_dir} through a symbolic link: {', '.join(escaping)}; "
                          "remove the link or choose another --out")


def _exists_message(existing: list[Path]) -> str:
    return ("outputs exist (use --force to overwrite): "
            + ", ".join(str(p) for p in existing))


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot open staged file {path}: {os_message(exc)}") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        raise OutputError(f"cannot flush {path} to disk: {os_message(exc)}") from exc
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform/filesystem can fsync a folder
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, content: bytes, *, force: bool = False,
                 protect: Iterable[Path] = ()) -> None:
    """Write ``content`` to ``path`` so that ``path`` is either the old file or the whole
    new one (a temporary file beside it, fsynced, then renamed).

    An existing ``path`` is replaced only with ``force`` (keeping its permission bits);
    a new file gets the usual mode (``0o666`` less the umask). Raises
    :class:`OutputExistsError` for an existing file without ``force``,
    :class:`OutputError` when ``path`` is a folder, one of ``protect`` (the spec being
    compiled: never replaced, even with ``force``) or cannot be written.
    """
    path = Path(path)
    if any(_same_file(path, kept) for kept in protect):
        raise OutputError(f"{path} is the spec itself; choose another output file")
    if os.path.isdir(path):
        raise OutputError(f"{path} is a folder; name the file to write")
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {os_message(exc)}") from exc
    if (mode is not None or os.path.lexists(path)) and not force:
        raise OutputExistsError(f"{path} exists (use --force to overwrite it)")
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {os_message(exc)}") from exc
