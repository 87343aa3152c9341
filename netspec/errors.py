"""The exception tree of netspec.

Every error netspec raises derives from :class:`NetspecError`, with the
matching builtin underneath so that callers may catch either. The library
raises; only the command line turns these into messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netspec.diagnostics import Diagnostic


class NetspecError(Exception):
    """Base class of every error netspec raises on purpose."""


class SpecError(NetspecError, ValueError):
    """A spec is invalid; ``diagnostics`` holds every problem found, in file order."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        first = self.diagnostics[0].render() if self.diagnostics else "invalid spec"
        more = len(self.diagnostics) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))

    def __reduce__(self) -> tuple[type[SpecError], tuple[tuple[Diagnostic, ...]]]:
        """Pickled with its diagnostics (it travels between MPI ranks)."""
        return (type(self), (self.diagnostics,))


class SpecFileError(NetspecError, OSError):
    """A spec file (or a file it names) cannot be opened or read."""


class UsageError(NetspecError, ValueError):
    """The call itself is wrong (an unknown backend, a malformed ``--set``)."""


class BackendUnavailableError(NetspecError, ImportError):
    """The simulator a backend needs is not installed; the message says what to install."""


class BackendConfigError(NetspecError, RuntimeError):
    """A backend is installed but not configured (SpiNNaker: no machine); the message
    says how to configure it."""


class MachineError(NetspecError, ConnectionError):
    """The machine a backend runs on could not be reached or failed (a SpiNNaker board, a
    spalloc server, the network to them): an environment problem, not the spec's."""


class OutputExistsError(NetspecError, FileExistsError):
    """An output would overwrite an existing file and ``force`` was not given."""


class OutputError(NetspecError, OSError):
    """Outputs cannot be written (unwritable folder, full disk); nothing was published."""


class NotAnOutputError(NetspecError, ValueError):
    """A file given to :func:`netspec.read` is not a ``nix`` or ``pickle`` output that a run
    (or PyNN's ``write_data``) wrote, or cannot be read."""


class SimulationError(NetspecError, RuntimeError):
    """PyNN or the simulator refused something while building or running the network.

    ``diagnostic`` points at the spec object that caused it.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())

    def __reduce__(self) -> tuple[type[SimulationError], tuple[Diagnostic]]:
        """Pickled with its diagnostic (it travels between MPI ranks)."""
        return (type(self), (self.diagnostic,))


class Interrupted(NetspecError, KeyboardInterrupt):
    """The run was interrupted (Ctrl-C, or SIGTERM from ``timeout`` or a batch scheduler);
    nothing half-written was published. ``signal_number`` is the signal that stopped it
    (``signal.SIGINT`` or ``signal.SIGTERM``)."""

    def __init__(self, message: str = "interrupted; no output was published",
                 signal_number: int = 2) -> None:
        super().__init__(message)
        self.signal_number = signal_number


class AnalysisUnavailableError(NetspecError, ImportError):
    """An analysis library (Elephant, matplotlib) is not installed; the message says what
    to install."""


class RunFolderError(NetspecError, OSError):
    """A run folder cannot be analysed: it is not a netspec run folder, its files are
    missing or damaged, or the run recorded no data (a SpiNNaker virtual board)."""
