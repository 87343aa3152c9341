"""Several MPI processes running one network: who this process is, and how they agree.

``mpirun -n N netspec run SPEC`` starts N copies of netspec. NEST (built with MPI)
gives each its share of the neurons, and PyNN's parallel-safe random number generators
make every process draw the same connections and initial values; nothing here divides
the network. This module is the little that netspec adds on top, through mpi4py:

* :func:`world` — this process's rank and the number of processes. mpi4py (which
  initialises MPI) is imported only when an MPI launcher started the process, so a
  plain ``netspec run`` never touches MPI;
* :meth:`World.agree` — run one step on every rank and share its outcome: when any
  rank failed, every rank raises the error of the lowest failing rank, so that all
  ranks stop together and rank 0 alone reports it;
* :meth:`World.bcast`, :meth:`World.gather`, :meth:`World.step` — rank 0's decision
  shared, data gathered to rank 0, and the simulation advanced in lockstep (chunk
  length and stop requests agreed between chunks, because every rank must make the same
  ``Run`` calls);
* :class:`Alone` and :meth:`World.abort` — the last resort when one rank fails where
  the others may be blocked inside NEST's communication: that rank reports its error
  and ``MPI_Abort`` ends every process.

With one process every method is the identity, and no MPI call is made.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from typing import Any, TypeVar

from netspec.errors import BackendUnavailableError, Interrupted, NetspecError

T = TypeVar("T")

#: Seconds a rank that failed waits for the others to come and share its error.
ALONE_AFTER_S = 10.0
#: Environment variables through which MPI launchers tell a process the size of its job
#: (Open MPI, MPICH/Hydra and Intel MPI, MVAPICH).
LAUNCHER_SIZE = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")
#: The same for this process's rank.
LAUNCHER_RANK = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK")


class World:
    """The processes of one run: ``rank`` of this one among ``size``."""

    def __init__(self, rank: int = 0, size: int = 1, comm: Any = None) -> None:
        self.rank = rank
        self.size = size
        self._comm = comm

    @property
    def root(self) -> bool:
        """Whether this is rank 0, the process that writes and reports."""
        return self.rank == 0

    def agree(self, step: Callable[[], T]) -> T:
        """Run ``step`` here and share the outcome with every rank.

        Returns ``step()``'s value when it succeeded on every rank; otherwise every rank
        raises the error of the lowest failing rank (this rank's own exception object
        when that is this rank). Ctrl-C on a rank becomes :class:`Interrupted` everywhere.
        """
        value: Any = None
        failure: BaseException | None = None
        try:
            value = step()
        except BaseException as exc:  # shared below, then raised on every rank
            failure = exc
        if self.size == 1:
            if failure is not None:
                raise failure
            return value  # type: ignore[no-any-return]
        if failure is not None and not self._meet(alone=True):
            raise Alone(failure) from failure
        if failure is None:
            self._meet(alone=False)
        outcomes = self._comm.allgather(None if failure is None else _portable(failure))
        first = next((r for r, outcome in enumerate(outcomes) if outcome is not None), None)
        if first is None:
            return value  # type: ignore[no-any-return]
        if first == self.rank and failure is not None:
            raise failure
        raise outcomes[first]

    def _meet(self, *, alone: bool) -> bool:
        """Wait until every rank has reached this point. A rank that failed waits at most
        :data:`ALONE_AFTER_S` seconds: the others may be blocked in NEST's communication,
        waiting for it, and never come (then it is alone and False is returned)."""
        request = self._comm.Ibarrier()
        if not alone:
            request.Wait()
            return True
        deadline = time.monotonic() + ALONE_AFTER_S
        while time.monotonic() < deadline:
            if request.Test():
                return True
            time.sleep(0.01)
        return False

    def bcast(self, value: T) -> T:
        """Rank 0's ``value``, on every rank."""
        if self.size == 1:
            return value
        shared: T = self._comm.bcast(value, root=0)
        return shared

    def gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order, on rank 0 (an empty list elsewhere)."""
        if self.size == 1:
            return [value]
        gathered: list[T] | None = self._comm.gather(value, root=0)
        return gathered or []

    def step(self, chunk: int, stop: bool) -> tuple[int, bool]:
        """Rank 0's next chunk length, and whether any rank asked to stop."""
        if self.size == 1:
            return chunk, stop
        shared = self._comm.allgather((chunk, stop))
        return int(shared[0][0]), any(bool(s) for _, s in shared)

    def settle(self) -> None:
        """Wait (at most :data:`ALONE_AFTER_S` seconds) until every rank gets here: a rank
        leaving early with an error status would make ``mpirun`` kill rank 0 before it
        has reported the error."""
        if self.size > 1:
            self._meet(alone=True)

    def abort(self, code: int) -> None:
        """End every process of the job with exit status ``code`` (``MPI_Abort``)."""
        if self.size > 1:
            self._comm.Abort(code)


class Alone(NetspecError):
    """``error`` happened on this rank while the other ranks did not come to share it
    (blocked in the simulator's communication, or still busy): this rank must report it
    itself and end the job (:meth:`World.abort`)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        super().__init__(str(error))


#: The world of a process not started by an MPI launcher.
SINGLE = World()
_world: World | None = None


def current() -> World | None:
    """The world if :func:`world` set it up already (None otherwise; never starts MPI)."""
    return _world


def launcher_size() -> int:
    """The number of processes an MPI launcher says this job has (1 when none did)."""
    for name in LAUNCHER_SIZE:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def launcher_rank() -> int:
    """This process's rank as the MPI launcher set it (0 when none did)."""
    for name in LAUNCHER_RANK:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def world() -> World:
    """The processes of this run, set up once per process.

    Outside an MPI launcher (or under ``mpirun -n 1``) this is :data:`SINGLE` and MPI
    is never initialised. Under ``mpirun -n N`` with N > 1 it needs mpi4py, and raises
    :class:`BackendUnavailableError` when mpi4py is missing.
    """
    global _world
    if _world is not None:
        return _world
    if launcher_size() <= 1:
        _world = SINGLE
        return _world
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise BackendUnavailableError(
            f"started by an MPI launcher with {launcher_size()} processes, but mpi4py cannot "
            f"be imported ({exc}); install NEST with MPI and mpi4py with "
            "tools/install-nest-mpi") from exc
    comm = MPI.COMM_WORLD
    _world = World(comm.Get_rank(), comm.Get_size(), comm) if comm.Get_size() > 1 else SINGLE
    return _world


def _portable(exc: BaseException) -> BaseException:
    """``exc`` as it can travel to another rank: itself when it survives pickling, else an
    error of the nearest builtin kind with the same message."""
    if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, Interrupted):
        return Interrupted("interrupted; no output was published")
    try:
        copy: BaseException = pickle.loads(pickle.dumps(exc))
        return copy
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
