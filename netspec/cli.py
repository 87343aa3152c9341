"""The ``netspec`` command: a thin layer that parses flags, calls the API and picks exit codes.

Exit codes (also in the README):

=====  =========================================================================
0      success (every spec valid; the run finished and its outputs are written)
1      a spec is invalid, or the simulator refused an object of the spec
1      ``compare``: the two runs disagree
2      usage error, a spec file that cannot be opened, or a folder that is not a usable
       run folder (``stats``/``plot``/``compare``; a virtual-board run recorded no data)
3      the environment: backend or analysis library not installed, backend not configured
       (no SpiNNaker machine), outputs exist or cannot be written
130    interrupted (Ctrl-C); nothing half-written was published
143    terminated (SIGTERM: ``timeout``, SLURM, ``kill``); nothing half-written was published
70     internal error in netspec (a bug: please report it)
=====  =========================================================================
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from netspec import __version__
from netspec.errors import (
    AnalysisUnavailableError,
    BackendConfigError,
    BackendUnavailableError,
    Interrupted,
    MachineError,
    NetspecError,
    OutputError,
    OutputExistsError,
    RunFolderError,
    SimulationError,
    SpecError,
    SpecFileError,
    UsageError,
)
from netspec.report import FORMATS

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_INTERRUPTED = (
    0, 1, 2, 3, 70, 130)
#: 128 + SIGTERM, as a shell reports a process that SIGTERM ended.
EXIT_TERMINATED = 143

F = TypeVar("F", bound=Callable[..., Any])


def _errors(fn: F) -> F:
    """Turn netspec's exceptions into messages and exit codes; no tracebacks.

    Under ``mpirun`` every rank raises the same (agreed) error and rank 0 alone prints
    it; a rank left alone with its error (:class:`~netspec.parallel.Alone`) prints it
    and ends every rank."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from netspec import parallel
        try:
            return fn(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except parallel.Alone as alone:
            code = _report(alone.error, rank=parallel.launcher_rank())
            parallel.world().abort(code)
            sys.exit(code)
        except (Exception, KeyboardInterrupt) as exc:
            code = _report(exc, quiet=parallel.launcher_rank() != 0)
            _settle()
            sys.exit(code)
    return wrapper  # type: ignore[return-value]


def _settle() -> None:
    """Under ``mpirun``, let rank 0 report before the other ranks leave with an error
    status (``mpirun`` then ends the job, and could end rank 0 before it has printed)."""
    from netspec import parallel
    if parallel.launcher_size() <= 1:
        return
    try:
        parallel.world().settle()
    except NetspecError:  # no mpi4py: nothing to wait with
        pass


def _report(exc: BaseException, *, quiet: bool = False, rank: int | None = None) -> int:
    """Print the message of ``exc`` (unless ``quiet``; prefixed with the MPI ``rank`` when
    given) and return its exit code."""
    where = f"netspec (MPI rank {rank})" if rank is not None else "netspec"
    lines: list[str]
    if isinstance(exc, SpecError):
        lines, code = [d.render() for d in exc.diagnostics], EXIT_INVALID
    elif isinstance(exc, SimulationError):
        lines, code = [exc.diagnostic.render()], EXIT_INVALID
    elif isinstance(exc, SpecFileError | UsageError | RunFolderError):
        lines, code = [f"{where}: error: {exc}"], EXIT_USAGE
    elif isinstance(exc, BackendUnavailableError | BackendConfigError | MachineError
                    | OutputExistsError | OutputError | AnalysisUnavailableError):
        lines, code = [f"{where}: error: {exc}"], EXIT_ENVIRONMENT
    elif isinstance(exc, Interrupted):
        lines = [f"{where}: {exc}"]
        code = EXIT_TERMINATED if exc.signal_number == signal.SIGTERM else EXIT_INTERRUPTED
    elif isinstance(exc, KeyboardInterrupt):
        lines, code = [f"{where}: interrupted; no output was published"], EXIT_INTERRUPTED
    elif isinstance(exc, NetspecError):
        lines, code = [f"{where}: error: {exc}"], EXIT_INVALID
    else:
        lines = [f"{where}: internal error: {type(exc).__name__}: {exc}\n"
                 "This is a bug in netspec; please report it with the spec that caused it."]
        code = EXIT_INTERNAL
    if not quiet:
        for line in lines:
            click.echo(line, err=True)
    return code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="netspec")
def main() -> None:
    """Describe a spiking network once in YAML; validate it and run it on NEST or SpiNNaker."""


_set_option = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                           help="Override a parameter of the spec (repeatable).")
_duration_option = click.option("--duration", default=None, metavar="TIME",
                                help="Simulate this long instead of simulation.duration "
                                     "(a quantity: 200ms, '1.5 s').")
_threads_option = click.option(
    "--threads", type=click.IntRange(min=1), default=None, metavar="N",
    help="NEST: threads per process (overrides simulation.backends.nest.threads).")


def _threads(backend: str, threads: int | None) -> dict[str, Any]:
    """The backend option for ``--threads``; a usage error on a backend without threads."""
    if threads is None:
        return {}
    if backend != "nest":
        raise UsageError(f"--threads applies to the nest backend, not to {backend}")
    return {"threads": threads}


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="How to report diagnostics.")
@click.option("--backend", type=click.Choice(["nest", "spinnaker", "all"]), default="nest",
              show_default=True,
              help="Also report what this backend cannot run (all: every backend); "
                   "the default is the backend `run` uses, so a valid spec runs.")
@_set_option
@click.option("--estimate", is_flag=True,
              help="Also print what each valid spec will cost on NEST: synapses per "
                   "projection, memory, connections per virtual process; report what will "
                   "not fit.")
@_threads_option
@_errors
def validate(specs: tuple[Path, ...], fmt: str, backend: str,
             sets: tuple[str, ...], estimate: bool, threads: int | None) -> None:
    """Check SPECS; report every problem as file:line:column (exit 0 valid, 1 invalid,
    2 unreadable or usage error). Never imports PyNN or a simulator."""
    from netspec.pipeline import check, parse_overrides
    from netspec.report import render

    overrides = parse_overrides(sets)
    if (estimate or threads is not None) and backend not in ("nest", "all"):
        raise UsageError(f"--estimate and --threads are about NEST, not {backend}")
    nest = _nest_profile(threads) if estimate else None
    results: list[tuple[str, Any]] = []
    estimates: list[tuple[str, Any]] = []
    unreadable = invalid = False
    for spec in specs:
        try:
            checked = check(spec, overrides=overrides, backend=backend)
        except SpecFileError as exc:
            results.append((str(spec), str(exc).split(": ", 1)[-1]))
            unreadable = True
            continue
        diagnostics = checked.diagnostics
        if nest is not None and checked.ok and checked.network is not None:
            cost = nest.estimate(checked.network)
            estimates.append((str(spec), cost))
            from netspec.estimate import problems
            diagnostics = tuple(sorted({*diagnostics, *problems(checked.network, cost)}))
            invalid |= any(d.severity == "error" for d in diagnostics)
        results.append((str(spec), diagnostics))
        invalid |= not checked.ok
    output = render(results, fmt)
    if estimates:
        output = _with_estimates(output, estimates, fmt)
    if output:
        click.echo(output)
    sys.exit(EXIT_USAGE if unreadable else EXIT_INVALID if invalid else EXIT_OK)


def _nest_profile(threads: int | None) -> Any:
    from netspec.backends import profile
    return profile("nest", _threads("nest", threads))


def _with_estimates(report: str, estimates: list[tuple[str, Any]], fmt: str) -> str:
    """The report with the estimate of each valid spec: a table each before the
    diagnostics (text, github), or an ``estimate`` member of each file (json)."""
    if fmt == "json":
        import json
        data = json.loads(report)
        costs = dict(estimates)
        for entry in data["files"]:
            if entry["file"] in costs:
                entry["estimate"] = costs[entry["file"]].as_dict()
        return json.dumps(data, indent=2)
    from netspec.estimate import table
    tables = [f"{spec}: estimate on NEST\n{table(cost)}\n" for spec, cost in estimates]
    return "\n".join([*tables, report])


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--backend", default="nest", show_default=True, help="nest or spinnaker.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder [default: results/<name>].")
@_set_option
@_duration_option
@click.option("--force", is_flag=True,
              help="Replace an earlier run in the output folder (its files that this run "
                   "does not write are removed).")
@click.option("--virtual-board", is_flag=True, default=None,
              help="SpiNNaker: map onto a virtual board (no hardware; records no data).")
@click.option("--board-address", default=None, help="SpiNNaker: IP address of a board.")
@click.option("--board-version", type=click.Choice(["3", "5"]), default=None,
              help="SpiNNaker: version of that board (5: 48 chips, 3: 4 chips).")
@click.option("--spalloc-server", default=None, help="SpiNNaker: spalloc server URL.")
@click.option("--boards", type=click.IntRange(min=1), default=None,
              help="SpiNNaker: how many boards to allocate through spalloc (or of a "
                   "virtual machine) [default: as many as the network needs].")
@click.option("--spalloc-machine", default=None,
              help="SpiNNaker: the machine of the spalloc server to allocate boards on.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar [default: when stderr is a terminal].")
@click.option("--verbose", is_flag=True,
              help="Show the simulator's own messages (SpiNNaker: sPyNNaker's log and "
                   "progress bars, otherwise only in <out>/spinnaker/spinnaker.log).")
@_threads_option
@_errors
def run(spec: Path, backend: str, out: Path | None, sets: tuple[str, ...],
        duration: str | None, force: bool,
        virtual_board: bool | None, board_address: str | None, board_version: str | None,
        spalloc_server: str | None, boards: int | None, spalloc_machine: str | None,
        progress: bool | None, verbose: bool, threads: int | None) -> None:
    """Run SPEC on a backend and write its exports; prints a summary table."""
    import warnings

    from netspec.pipeline import parse_overrides
    from netspec.report import summary_table
    from netspec.runner import run as run_spec
    # PyNN 0.13 calls NEST APIs that NEST 3.10 marks deprecated; users cannot act on that.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"nest(\.|$)")
    options = {k: v for k, v in (("virtual_board", virtual_board),
                                 ("board_address", board_address),
                                 ("board_version", board_version),
                                 ("spalloc_server", spalloc_server),
                                 ("boards", boards),
                                 ("spalloc_machine", spalloc_machine)) if v is not None}
    if verbose and backend == "spinnaker":
        options["verbose"] = True
    options.update(_threads(backend, threads))
    from netspec.parallel import launcher_rank
    root = launcher_rank() == 0  # under mpirun, rank 0 alone reports
    show = sys.stderr.isatty() if progress is None else progress
    bar = _ProgressBar() if show and root else None
    with _terminal_logging(verbose, bar):
        try:
            result = run_spec(spec, backend=backend, out=out, overrides=parse_overrides(sets),
                              duration=duration, force=force, progress=bar,
                              backend_options=options,
                              command=["netspec", *sys.argv[1:]])
        finally:
            if bar is not None:
                bar.close()
    if not root:
        return
    click.echo(summary_table(result.summary))
    if not result.summary.get("recorded_data", True):
        click.echo("note: a virtual board records no data; no data files were written")
    click.echo(f"outputs in {result.out_dir}/: "
               + ", ".join(str(f.relative_to(result.out_dir)) for f in result.files))


@main.command(name="compile")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the script here instead of printing it.")
@click.option("--backend", default="nest", show_default=True)
@_set_option
@_duration_option
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@_threads_option
@_errors
def compile_(spec: Path, output: Path | None, backend: str, sets: tuple[str, ...],
             duration: str | None, force: bool, threads: int | None) -> None:
    """Print (or write) a standalone PyNN script that does what `netspec run` does.
    An existing -o file is replaced only with --force; the spec itself never is."""
    from netspec.emit import compile_file
    from netspec.pipeline import parse_overrides

    script = compile_file(spec, backend=backend, overrides=parse_overrides(sets),
                          duration=duration, backend_options=_threads(backend, threads))
    if output is None:
        click.echo(script, nl=False)
    else:
        from netspec.export.staging import write_atomic
        write_atomic(output, script.encode("utf-8"), force=force, protect=[spec])


_window_options = [
    click.option("--from", "start", default=None, metavar="T",
                 help="Start of the window, ms or with a unit ('0.2 s') [default: 0]."),
    click.option("--to", "stop", default=None, metavar="T",
                 help="End of the window [default: the end of the run]."),
]


def _window(fn: F) -> F:
    for option in reversed(_window_options):
        fn = option(fn)
    return fn


def _times(start: str | None, stop: str | None) -> tuple[float | None, float | None]:
    from netspec.analysis.statistics import parse_time
    return (None if start is None else parse_time(start, "--from"),
            None if stop is None else parse_time(stop, "--to"))


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_window
@_errors
def stats(run_dir: Path, fmt: str, start: str | None, stop: str | None) -> None:
    """Per population and view of the run in RUN_DIR: mean rate, CV of ISIs, Fano factor
    and spike-contrast synchrony, from the run's own exports (undefined: null / —)."""
    from netspec.analysis.api import stats as run_stats
    from netspec.analysis.text import stats_table
    from netspec.export.summaryfile import dumps

    begin, end = _times(start, stop)
    document = run_stats(run_dir, start=begin, stop=end)
    click.echo(dumps(document) if fmt == "json" else stats_table(document), nl=fmt != "json")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Figure file, .png, .svg or .pdf [default: RUN_DIR/figure.png].")
@_window
@click.option("--force", is_flag=True, help="Overwrite an existing figure.")
@_errors
def plot(run_dir: Path, output: Path | None, start: str | None, stop: str | None,
         force: bool) -> None:
    """Draw the run in RUN_DIR: spike rasters, recorded traces, population rates."""
    from netspec.analysis.api import plot as run_plot

    begin, end = _times(start, stop)
    written = run_plot(run_dir, output, start=begin, stop=end, force=force)
    click.echo(f"figure written to {written}")


@main.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_window
@click.option("--sigmas", type=float, default=None,
              help="Standard errors of the difference allowed [default: 3, or the spec's].")
@click.option("--rtol", multiple=True, metavar="[STAT=]X",
              help="Relative floor, for every statistic or one (rate, cv, count); repeatable.")
@click.option("--atol", multiple=True, metavar="[STAT=]X",
              help="Absolute floor (rate in Hz), for every statistic or one; repeatable.")
@_errors
def compare(run_a: Path, run_b: Path, fmt: str, start: str | None, stop: str | None,
            sigmas: float | None, rtol: tuple[str, ...], atol: tuple[str, ...]) -> None:
    """Do the runs in RUN_A and RUN_B agree? Rate, CV of ISIs and spike count per
    population and view, within sampling noise (exit 0) or not (exit 1)."""
    from netspec.analysis.api import compare as compare_runs
    from netspec.analysis.compare import parse_tolerance
    from netspec.analysis.text import comparison_document, comparison_text
    from netspec.export.summaryfile import dumps

    if sigmas is not None and not (sigmas >= 0 and sigmas != float("inf")):
        raise UsageError("--sigmas must be a finite number >= 0")
    begin, end = _times(start, stop)
    result, a, b = compare_runs(run_a, run_b, start=begin, stop=end, sigmas=sigmas,
                                rtol=parse_tolerance(rtol, "--rtol"),
                                atol=parse_tolerance(atol, "--atol"))
    if fmt == "json":
        click.echo(dumps(comparison_document(result, a, b)), nl=False)
    else:
        click.echo(comparison_text(result, str(run_a), str(run_b)))
    sys.exit(EXIT_OK if result.agree else EXIT_INVALID)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]),
              default="markdown", show_default=True, help="How to write the description.")
@click.option("--diagram", is_flag=True,
              help="Draw the network instead (needs -o FILE.svg or FILE.png; "
                   "pip install '.[diagram]' in the netspec checkout).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file instead of printing.")
@_set_option
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@_errors
def describe(spec: Path, fmt: str, diagram: bool, output: Path | None,
             sets: tuple[str, ...], force: bool) -> None:
    """Describe SPEC with the Nordlie-Gewaltig-Plesser (2009) tables (populations,
    connectivity with expected synapse counts, models, input, measurements), or draw it.
    Never imports PyNN or a simulator."""
    from netspec.pipeline import load, parse_overrides

    overrides = parse_overrides(sets)
    if diagram:
        from netspec.describe.diagram import diagram_format, draw
        if output is None:
            raise UsageError("--diagram needs -o FILE.svg or -o FILE.png")
        picture = diagram_format(output)
        network = load(spec, overrides=overrides)
        _write_file(output, draw(network, picture), force, spec)
        return
    from netspec.describe import describe as describe_network
    text = describe_network(load(spec, overrides=overrides), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_file(output, text.encode("utf-8"), force, spec)


def _write_file(path: Path, data: bytes, force: bool, spec: Path) -> None:
    """``-o``: an existing file is replaced only with ``--force``, the spec never."""
    from netspec.export.staging import write_atomic
    write_atomic(path, data, force=force, protect=[spec])


@main.command()
@_errors
def schema() -> None:
    """Print the JSON Schema of the spec language."""
    from netspec.schema import schema_text
    click.echo(schema_text(), nl=False)


class _ProgressBar:
    """A tqdm bar over simulated milliseconds; its label shows the backend's stage
    (SpiNNaker: the mapping stage sPyNNaker is in)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, done: float, total: float) -> None:
        if self.bar is None:
            from tqdm import tqdm
            self.bar = tqdm(total=round(total), unit="ms", desc="simulating", leave=False,
                            dynamic_ncols=True, file=sys.stderr)
        self.bar.update(round(done) - self.bar.n)

    def stage(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(f"mapping: {text}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Stages(logging.Handler):
    """Shows the stages the library reports on ``netspec.progress`` in the progress bar."""

    def __init__(self, bar: _ProgressBar) -> None:
        super().__init__(logging.INFO)
        self.progress = bar

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.stage(record.getMessage())


class _Plain(logging.Formatter):
    """One line per record: tracebacks that libraries log belong in their log files."""

    def format(self, record: logging.LogRecord) -> str:
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                       "stack_info": None})
        return super().format(plain)


class _Terminal(logging.StreamHandler):  # type: ignore[type-arg]
    """Log records for the terminal: warnings (everything with ``--verbose``), in
    netspec's own format; libraries that restyle every root handler (sPyNNaker does,
    at setup) cannot change it."""

    def __init__(self, verbose: bool) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.INFO if verbose else logging.WARNING)
        super().setFormatter(_Plain(
            "%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s"))
        self.verbose = verbose

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """Keep netspec's format."""

    def addFilter(self, filter: Any) -> None:
        """Keep netspec's level."""

    def filter(self, record: logging.LogRecord) -> Any:
        # the stages belong in the progress bar; with --verbose, on their own lines
        return self.verbose or not record.name.startswith("netspec.progress")


@contextmanager
def _terminal_logging(verbose: bool, bar: _ProgressBar | None) -> Iterator[None]:
    """Route log records of the run to the terminal for its duration."""
    root = logging.getLogger()
    terminal = _Terminal(verbose)
    stages = _Stages(bar) if bar is not None else None
    root.addHandler(terminal)
    if stages is not None:
        logging.getLogger("netspec.progress").addHandler(stages)
    try:
        yield
    finally:
        root.removeHandler(terminal)
        if stages is not None:
            logging.getLogger("netspec.progress").removeHandler(stages)
