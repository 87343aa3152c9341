"""Stage 7 — run: build the plan on a backend, simulate in chunks, collect, export.

Outputs are checked before the simulation starts (folder writable, nothing
overwritten without ``force``) and published only when every file is complete
(see :mod:`netspec.export.staging`). The library reports progress through a
callback and never prints.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netspec import __version__, parallel
from netspec.backends import BackendProfile
from netspec.backends import profile as get_profile
from netspec.checks import (
    MANIFEST,
    export_files,
    export_targets,
    plot_targets,
    rated_targets,
    recorded_variables,
    stats_targets,
)
from netspec.errors import (
    BackendUnavailableError,
    Interrupted,
    NetspecError,
    SpecError,
    UsageError,
)
from netspec.model import Export, Network, Population, as_data
from netspec.pipeline import load
from netspec.plan import Plan, build_plan

#: Wall-clock seconds one chunk of simulation aims at (progress bar, Ctrl-C).
CHUNK_SECONDS = 0.25
#: Simulated milliseconds of the first chunk; later chunks adapt to CHUNK_SECONDS.
FIRST_CHUNK_MS = 10.0

Progress = Callable[[float, float], None]


@dataclass
class RunResult:
    """What a run produced. ``data`` maps each recorded target to its recorded data."""

    network: Network
    backend: str
    out_dir: Path
    files: list[Path]
    summary: dict[str, Any]
    data: Mapping[str, Any] = field(default_factory=dict)

    def block(self, name: str) -> Any:
        """The recorded data of target ``name`` as a Neo Block, one SpikeTrain per neuron."""
        from netspec.reader import to_block
        return to_block(self.data[name])


def run(path: str | Path, *, backend: str = "nest", out: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None, duration: str | float | None = None,
        force: bool = False, progress: Progress | None = None,
        backend_options: Mapping[str, Any] | None = None,
        command: Sequence[str] | None = None) -> RunResult:
    """Load the spec at ``path``, run it on ``backend`` and write its exports under ``out``
    (default ``results/<name>``); ``duration`` replaces ``simulation.duration``.

    Raises :class:`~netspec.errors.SpecError` for an invalid spec,
    :class:`~netspec.errors.OutputExistsError` / :class:`~netspec.errors.OutputError`
    before simulating when outputs cannot be written,
    :class:`~netspec.errors.BackendUnavailableError`,
    :class:`~netspec.errors.SimulationError` pointing at the spec object PyNN refused,
    and :class:`~netspec.errors.Interrupted` on Ctrl-C (nothing published).
    """
    profile = get_profile(backend, dict(backend_options or {}))
    network = load(path, overrides=overrides, backend=backend, duration=duration)
    out_dir = Path(out) if out is not None else Path("results") / network.name
    plan = build_plan(network, profile)
    return execute_run(plan, profile, out_dir, force=force, progress=progress,
                       command=list(command) if command is not None else list(sys.argv))


def execute_run(plan: Plan, profile: BackendProfile, out_dir: Path, *, force: bool,
                progress: Progress | None, command: list[str]) -> RunResult:
    """Run an already built ``plan``; see :func:`run`."""
    network = plan.network
    world = parallel.world()
    if world.size > 1 and not profile.parallel:
        raise UsageError(f"the {profile.name} backend runs in one process, not on "
                         f"{world.size} MPI processes; start netspec without mpirun")
    profile.check_processes(world.size)
    refused = profile.preflight(network, world.size)  # before importing the simulator
    if refused:
        raise SpecError(refused)
    profile.prepare(network, out_dir)  # before staging: decides records_data (virtual board)
    exports = network.exports if profile.records_data else tuple(
        e for e in network.exports if e.format == "summary")
    with _terminable():
        return _execute(plan, profile, out_dir, exports, world, force=force,
                        progress=progress, command=command)


def _execute(plan: Plan, profile: BackendProfile, out_dir: Path, exports: Sequence[Export],
             world: parallel.World, *, force: bool, progress: Progress | None,
             command: list[str]) -> RunResult:
    from netspec import export
    from netspec.execute import build, failed_run, objects

    network = plan.network
    # rank 0 alone checks and stages the outputs; every rank learns the outcome
    outputs = world.agree(lambda: export.prepare(exports, out_dir, force=force)
                          if world.root else None)
    staged = world.bcast(outputs)  # lets a rank left alone with an error remove the staging
    try:
        with outputs if outputs is not None else nullcontext():
            sim = world.agree(profile.import_sim)
            world.agree(lambda: _check_spread(profile, sim, world.size))
            started = time.perf_counter()
            env = world.agree(lambda: build(plan, sim))
            built = time.perf_counter()
            pynn = objects(plan, env)
            profile.built(pynn)
            initial = world.agree(lambda: export.capture_initial_values(
                [pynn[name] for name in network.populations])) \
                if profile.records_data and profile.captures_initial_values else None

            def simulate() -> None:
                try:
                    _simulate(profile, sim, network, progress, world)
                except (KeyboardInterrupt, NetspecError):
                    raise
                except Exception as exc:
                    raise failed_run(network.simulation.origin, network.file, exc) from exc

            with _interruptible(world):
                world.agree(simulate)
            simulated = time.perf_counter()
            summary = _summary(network, profile, sim, built - started, simulated - built)
            summary["projections"] = _connections(world, {
                name: profile.connection_count(pynn[name]) for name in network.projections})
            data: dict[str, Any] = {}
            if profile.records_data:
                local = world.agree(lambda: {
                    name: export.collect(pynn[name], sorted(variables), name=name,
                                         t_stop=network.simulation.duration,
                                         initial_values=initial)
                    for name, variables in _targets(network).items()})
                data = world.agree(lambda: _gathered(world, local))
            # every rank: reading connections back is collective under MPI
            context = world.agree(lambda: _write_context(network, exports, pynn)) \
                if profile.records_data else None
            files: list[Path] = []

            def write() -> None:
                if outputs is None:
                    return
                if profile.records_data:
                    summary["populations"] = export.summarise(
                        {n: data[n] for n in rated_targets(network)},
                        network.simulation.duration)
                export.write_exports(outputs, exports, data, summary,
                                     _manifest(network, profile, command,
                                               summary.get("parallel", {})), context,
                                     targets={e.path: _export_targets(network, e)
                                              for e in exports})
                with _signals_held():
                    outputs.publish()
                files.extend(out_dir / file for e in exports for file in export_files(e))
                files.append(out_dir / MANIFEST)

            world.agree(write)
            summary["times_s"]["write"] = time.perf_counter() - simulated
            sim.end()
    except parallel.Alone:
        if staged is not None and not world.root:
            staged.abort()  # rank 0 may be blocked and never get to do it
        raise
    except Interrupted:
        raise
    except KeyboardInterrupt as exc:
        raise Interrupted("interrupted; no output was published") from exc
    return RunResult(network, profile.name, out_dir, files, summary, data)


def _connections(world: parallel.World,
                 local: dict[str, int | None]) -> dict[str, dict[str, int | None]]:
    """Each projection's connections, summed over the MPI processes (each counts its
    own); None where the backend cannot count them."""
    counts = world.agree(lambda: world.bcast(world.gather(local)))
    return {name: {"connections": None if any(c[name] is None for c in counts)
                   else sum(int(c[name] or 0) for c in counts)} for name in local}


def _check_spread(profile: BackendProfile, sim: Any, size: int) -> None:
    """The simulator must see the MPI processes netspec was started on."""
    seen = profile.parallelism(sim).get("processes", 1)
    if size > 1 and seen != size:
        raise BackendUnavailableError(
            f"netspec was started on {size} MPI processes, but {profile.name} sees {seen}: "
            "the simulator and mpi4py use different MPI libraries; reinstall both with "
            "tools/install-nest-mpi")


def _gathered(world: parallel.World, local: dict[str, Any]) -> dict[str, Any]:
    """Every target's data from every rank, merged on rank 0 (empty elsewhere)."""
    if world.size == 1:
        return local
    from netspec.export.gather import merge
    parts = world.gather(local)
    return {name: merge([part[name] for part in parts]) for name in local} if parts else {}


def _simulate(profile: BackendProfile, sim: Any, network: Network,
              progress: Progress | None, world: parallel.World = parallel.SINGLE) -> None:
    """Advance in chunks of about :data:`CHUNK_SECONDS` of wall-clock time, so that the
    progress bar moves and Ctrl-C is honoured within about a second.

    On several MPI ranks every rank must make the same ``Run`` calls: rank 0's chunk
    length is used everywhere, and a stop requested on any rank (Ctrl-C, SIGTERM) stops
    every rank after the same chunk."""
    duration, dt = network.simulation.duration, network.simulation.timestep
    total = round(duration / dt)
    # chunks are whole min_delay slices: NEST with several threads gives other spikes when a
    # run stops inside a slice (measured), and chunk lengths follow the wall clock
    piece = max(1, round(network.simulation.min_delay / dt))
    chunk = _slices(max(1, min(total // 100, round(FIRST_CHUNK_MS / dt))), piece) \
        if profile.chunked_run else total  # SpiNNaker: each sim.run is a whole cycle
    done = 0
    if progress is not None:
        progress(0.0, duration)
    while done < total:
        steps = min(chunk, total - done)
        started = time.perf_counter()
        if done == 0:
            profile.advance(sim, round(steps * dt, 9), first=True)
            done += steps
        else:
            with profile.running(sim):
                while done < total:
                    steps = min(chunk, total - done)
                    started = time.perf_counter()
                    profile.advance(sim, round(steps * dt, 9), first=False)
                    done += steps
                    chunk = _slices(_lockstep(world, _next_chunk(
                        steps, time.perf_counter() - started, total)), piece)
                    if progress is not None:
                        progress(done * dt, duration)
            break
        chunk = _slices(_lockstep(world, _next_chunk(steps, time.perf_counter() - started,
                                                     total)), piece)
        if progress is not None:
            progress(done * dt, duration)


def _lockstep(world: parallel.World, chunk: int) -> int:
    """Rank 0's next chunk length; :class:`Interrupted` on every rank when any rank was
    asked to stop."""
    if world.size == 1:
        return chunk
    chunk, stop = world.step(chunk, _STOP.is_set())
    if stop:
        raise Interrupted("interrupted; no output was published")
    return chunk


#: Set by SIGINT/SIGTERM while several MPI ranks simulate; read between chunks.
_STOP = threading.Event()


@contextmanager
def _interruptible(world: parallel.World = parallel.SINGLE) -> Iterator[None]:
    """Let Ctrl-C raise KeyboardInterrupt between chunks.

    NEST installs its own SIGINT handler when imported, which swallows Ctrl-C;
    Python's handler is put back for the simulation (main thread only). On several
    MPI ranks (where ``mpirun`` turns Ctrl-C into SIGTERM for every rank) SIGINT and
    SIGTERM only ask to stop: the ranks agree after the chunk (:func:`_lockstep`), as
    one rank leaving NEST's communication alone would block the others.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if world.size == 1:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
        return
    _STOP.clear()
    handlers = {sig: signal.signal(sig, lambda *_: _STOP.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@contextmanager
def _terminable() -> Iterator[None]:
    """Make SIGTERM (what ``timeout``, SLURM and other schedulers send) stop the run as
    Ctrl-C does: :class:`Interrupted` is raised, staged outputs are removed and nothing is
    published. Main thread only; the previous handler is put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise Interrupted("terminated (SIGTERM); no output was published", signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the outputs are renamed into place, so that a folder
    never holds half of a run's files: a signal that arrives meanwhile is noted, and stops
    the run right after, saying that the outputs were published. (Blocking the signals
    would not do: a process-wide signal goes to another thread, NEST's or BLAS's.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def note(signum: int, frame: Any) -> None:
        arrived.append(signum)

    previous = {number: signal.signal(number, note)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if arrived:
        what = "terminated (SIGTERM)" if arrived[0] == signal.SIGTERM else "interrupted"
        raise Interrupted(f"{what} after the outputs were published", arrived[0])


def _slices(chunk: int, piece: int) -> int:
    """``chunk`` steps rounded down to whole slices of ``piece`` steps (at least one)."""
    return max(piece, chunk // piece * piece)


def _next_chunk(steps: int, seconds: float, total: int) -> int:
    if seconds <= 0:
        return min(total, steps * 2)
    return max(1, min(total, steps * 2, int(steps * CHUNK_SECONDS / seconds)))


def _write_context(network: Network, exports: Sequence[Export],
                   pynn: Mapping[str, Any]) -> Any:
    """What the writers need of the built network: the Populations for SONATA's nodes
    files, and the connections when a SONATA export asks for edges."""
    from netspec.export import WriteContext, structure
    if not any(e.format == "sonata" for e in exports):
        return None
    edges = structure.connections(network, pynn) if any(e.edges for e in exports) else None
    return WriteContext(populations=structure.populations(network, pynn), edges=edges)


def _export_targets(network: Network, export: Export) -> list[str]:
    """The targets whose recorded data ``export`` is given."""
    if export.format == "stats":
        return stats_targets(network, export)
    if export.format == "plot":
        return plot_targets(network, export)
    return [] if export.format == "summary" else export_targets(network, export)


def _targets(network: Network) -> dict[str, set[str]]:
    """Every target to collect, with the variables to collect from it."""
    wanted: dict[str, set[str]] = {}
    for export in network.exports:
        for target in _export_targets(network, export):
            recorded = recorded_variables(network, target)
            chosen = set(export.variables) & recorded if export.variables else recorded
            if chosen:
                wanted.setdefault(target, set()).update(chosen)
    for name in rated_targets(network):
        wanted.setdefault(name, set()).add("spikes")
    return wanted


def _summary(network: Network, profile: BackendProfile, sim: Any, build_s: float,
             simulate_s: float) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "network": network.name,
        "backend": profile.name,
        "seed": network.simulation.seed,
        "seed_from_spec": network.simulation.seed_given,
        "timestep_ms": network.simulation.timestep,
        "duration_ms": network.simulation.duration,
        "neurons": sum(p.size for p in network.populations.values()
                       if not _is_source(p)),
        "populations": {},
        "times_s": {"build": build_s, "simulate": simulate_s},
        "recorded_data": profile.records_data,
    }
    parallelism = profile.parallelism(sim)
    if parallelism:
        summary["parallel"] = parallelism
    mapping = profile.mapping_report(sim)
    if mapping:
        summary["mapping"] = mapping
    return summary


def _is_source(population: Population) -> bool:
    from netspec import pynn_catalogue
    model = pynn_catalogue.cell_type(population.cell_type)
    return bool(model and model.spike_source)


def _manifest(network: Network, profile: BackendProfile, command: list[str],
              parallelism: Mapping[str, int]) -> dict[str, Any]:
    from netspec.export.manifest import versions
    return {
        "netspec": __version__,
        "spec": {"file": network.file, "sha256": network.spec_sha256, "text": network.spec_text,
                 "overrides": dict(network.overrides)},
        "resolved": as_data(network),
        "backend": profile.name,
        "recorded_data": profile.records_data,
        **({"projections": paths} if (paths := profile.projection_paths(network)) else {}),
        "versions": versions(profile.name),
        "command": command,
        "parallel": dict(parallelism),
        "manifest": MANIFEST,
        "notes": profile.notes,
    }
