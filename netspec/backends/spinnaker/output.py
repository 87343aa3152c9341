"""sPyNNaker's own output during a run: into the run's log file, not the terminal.

sPyNNaker logs at INFO through Python's :mod:`logging` and draws about forty
progress bars on ``sys.stderr`` (``spinn_utilities.progress_bar.ProgressBar``) for
one mapping. For a run, :class:`RunLog` sends both to
``<out>/spinnaker/spinnaker.log``: a file handler on the root logger (sPyNNaker's
packages at INFO), and each progress bar drawn into that file instead of stderr.
At exit, sPyNNaker's summary of its warnings goes there too. Each bar's title
(``Placing Vertices``, ``Routing``, …) is logged at INFO on the
logger ``netspec.progress``, so that whoever shows netspec's progress (the command
line) can show the mapping stages. Warnings still propagate to the handlers the
caller installed; with ``verbose`` the bars are left on stderr.

The library prints nothing itself: what reaches a terminal is decided by the
handlers of the program that runs it (``netspec run``: warnings, and with
``--verbose`` everything).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
from pathlib import Path
from typing import IO, Any, ClassVar

#: The log file of a run, in the run's SpiNNaker folder.
LOG_NAME = "spinnaker.log"
#: The logger netspec reports mapping stages on (one record per sPyNNaker stage).
PROGRESS_LOGGER = "netspec.progress"
#: The packages whose INFO records belong in the run's log.
SPINNAKER_LOGGERS = ("spinn_utilities", "spinn_machine", "spinnman", "pacman",
                     "spalloc_client", "spinn_front_end_common", "spynnaker", "pyNN")


class RunLog:
    """The log of one run: :meth:`start` before sPyNNaker is set up, :meth:`stop` when
    the run is over (a new run stops the previous one's log)."""

    current: ClassVar[RunLog | None] = None
    exit_hook: ClassVar[bool] = False

    def __init__(self, path: Path, verbose: bool = False) -> None:
        self.path = path
        self.verbose = verbose
        self.stream: IO[str] | None = None
        self.handler: logging.Handler | None = None
        self.levels: dict[str, int] = {}
        self.original_init: Any = None

    def start(self) -> None:
        """Open the log, route sPyNNaker's logging and progress bars into it."""
        if RunLog.current is not None:
            RunLog.current.stop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.INFO)
        self.handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(self.handler)
        for name in (*SPINNAKER_LOGGERS, PROGRESS_LOGGER):
            logger = logging.getLogger(name)
            self.levels[name] = logger.level
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        self._capture_progress_bars()
        if not RunLog.exit_hook:
            # registered after sPyNNaker's own exit handlers, so it runs before them
            atexit.register(_quiet_exit)
            RunLog.exit_hook = True
        RunLog.current = self

    def stop(self) -> None:
        """Undo :meth:`start` and close the file."""
        if self.original_init is not None:
            from spinn_utilities.progress_bar import ProgressBar
            ProgressBar.__init__ = self.original_init  # type: ignore[method-assign]
            self.original_init = None
        if self.handler is not None:
            logging.getLogger().removeHandler(self.handler)
            self.handler = None
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
        self.levels = {}
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        if RunLog.current is self:
            RunLog.current = None

    def _capture_progress_bars(self) -> None:
        try:
            from spinn_utilities.progress_bar import ProgressBar
        except ImportError:  # pragma: no cover - sPyNNaker is imported before
            return
        original = ProgressBar.__init__
        original = getattr(original, "__wrapped__", original)
        stages = logging.getLogger(PROGRESS_LOGGER)
        log = self

        def __init__(bar: Any, *args: Any, **kwargs: Any) -> None:
            description = (args[1] if len(args) > 1
                           else kwargs.get("string_describing_what_being_progressed", ""))
            stages.info("%s", description)
            if log.verbose or log.stream is None:
                original(bar, *args, **kwargs)
                return
            with contextlib.redirect_stderr(log.stream):
                original(bar, *args, **kwargs)

        __init__.__wrapped__ = original  # type: ignore[attr-defined]
        self.original_init = original
        ProgressBar.__init__ = __init__  # type: ignore[method-assign,assignment]


def _quiet_exit() -> None:
    """At exit, sPyNNaker repeats its warnings on stderr and may draw more bars: send them
    to the log of the last run too (unless that run was verbose)."""
    log = RunLog.current
    if log is not None and log.stream is not None and not log.verbose:
        sys.stderr = log.stream
