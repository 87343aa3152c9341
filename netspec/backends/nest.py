"""The NEST profile: ``pyNN.nest`` with the kernel seeded from ``simulation.seed``."""

from __future__ import annotations

import logging
import os
import re
import warnings
from contextlib import AbstractContextManager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from netspec.backends import BackendProfile
from netspec.diagnostics import Diagnostic
from netspec.errors import BackendUnavailableError, UsageError
from netspec.loader import SourceMap
from netspec.model import Network, Projection, SpikeTrains, Stimulus

_log = logging.getLogger("netspec")
if TYPE_CHECKING:
    from netspec.estimate import Estimate

#: Connectors NEST has a rule for, built by netspec.backends.nest_native with
#: ``native_connectors: true`` (kept in step with nest_native.RULES by the tests).
NATIVE_CONNECTORS = frozenset({
    "AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
    "FixedNumberPreConnector", "FixedNumberPostConnector", "FixedTotalNumberConnector"})
#: The NEST rule of each native connector (nest_native.connection_rule).
NEST_RULES = {"AllToAllConnector": "all_to_all", "OneToOneConnector": "one_to_one",
              "FixedProbabilityConnector": "pairwise_bernoulli",
              "FixedNumberPreConnector": "fixed_indegree",
              "FixedNumberPostConnector": "fixed_outdegree",
              "FixedTotalNumberConnector": "fixed_total_number"}
#: Distributions NEST draws natively (nest_native.DISTRIBUTIONS).
NATIVE_DISTRIBUTIONS = frozenset({
    "uniform", "uniform_int", "normal", "normal_clipped", "normal_clipped_to_boundary",
    "lognormal", "exponential"})

#: PyNN standard types that pyNN.nest 0.13 does not implement (checked by tests/test_backends.py).
UNAVAILABLE: dict[str, frozenset[str]] = {
    "synapse": frozenset({"ElectricalSynapse"}),
    "timing_dependence": frozenset({"Vogels2011Rule"}),
}

#: Standard types pyNN.nest 0.13 names but cannot build on NEST 3.10, with the reason
#: (checked by tests/test_models_run_nest.py).
BROKEN: dict[str, dict[str, str]] = {
    "cell": {
        "IF_cond_exp_gsfa_grr": "pyNN.nest cannot create it (no NEST name for its "
                                "state variable g_r)",
        "SpikeSourceInhGamma": "NEST 3 has no inh_gamma_generator",
    },
    "connector": {
        "SmallWorldConnector": "PyNN does not implement its connect() on NEST",
    },
    "synapse": {
        "StochasticTsodyksMarkramSynapse": "it needs PyNN's NEST extensions, which are "
                                           "not built for this NEST",
    },
}

#: Initial values pyNN.nest 0.13 cannot set on NEST 3.10: it logs a warning and the cells
#: start from NEST's default instead (checked by tests/test_models_run_nest.py).
FIXED_INITIAL_VALUES: dict[str, frozenset[str]] = {
    "GIF_cond_exp": frozenset({"i_eta", "v_t"}),
    "HH_cond_exp": frozenset({"gsyn_exc", "gsyn_inh"}),
    "IF_curr_alpha": frozenset({"isyn_exc", "isyn_inh"}),
    "IF_curr_delta": frozenset({"v"}),
}

#: Variables pyNN.nest 0.13 cannot record on NEST 3.10 (NEST refuses to connect the
#: multimeter when the simulation starts).
UNRECORDABLE: dict[str, frozenset[str]] = {
    "IF_curr_delta": frozenset({"v"}),
}


def _nest_has_mpi() -> bool | None:
    """Whether the installed NEST was built with MPI, from its ``config.h`` (None when
    that cannot be told without importing NEST)."""
    import importlib.util
    from pathlib import Path
    try:
        spec = importlib.util.find_spec("nest")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        config = Path(folder) / "include" / "nest" / "config.h"
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return "#define HAVE_MPI" in text
    return None


#: What PyNN prints while it builds its NEST extensions on import (a CMake or compiler
#: failure where no C++ toolchain is installed): kept out of the terminal, in the notes.
_EXTENSION_BUILD_WARNINGS = re.compile(
    r"Cannot find nest-config|Cannot create build directory for nest extensions|"
    r"Problem running cmake|Unable to (compile|install) NEST extensions")


class _QuietPyNN(logging.Filter):
    """PyNN's log lines a user cannot act on: the initial values NEST does not take (a spec
    that sets one is refused by :meth:`NestProfile.check`) and "Several STDP models are
    available…", which pyNN.nest 0.13 logs for every STDP projection although it only has
    one (``stdp_synapse``). They go to :attr:`NestProfile.notes` instead."""

    def __init__(self, notes: list[str]) -> None:
        super().__init__()
        self.notes = notes

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("NEST does not allow setting an initial value"):
            return False
        if record.funcName == "_get_nest_synapse_model" and record.levelno == logging.WARNING:
            note = f"PyNN: {record.getMessage()}"
            if note not in self.notes:
                self.notes.append(note)
            return False
        return True


#: pyNN.nest's GutigWeightDependence takes mu_plus and mu_minus but never passes them on:
#: NEST runs with its defaults, 0.5.
GUTIG_DEFAULTS = {"mu_plus": 0.5, "mu_minus": 0.5}
#: NEST's time resolution (ms): a spike time must lie at least this far after min_delay.
NEST_TIC = 0.001


def _ignored_by_pynn_nest(network: Network, name: str,
                          source: SourceMap) -> list[Diagnostic]:
    """Options of projection ``name`` that pyNN.nest 0.13 accepts and silently ignores, so
    the network NEST builds would differ from the spec."""
    projection = network.projections[name]
    found = []
    connector = projection.connector
    where = (*projection.origin.path, "connector")
    if connector.type == "FixedTotalNumberConnector":
        # PyNN 0.13 draws every connection with replacement and never checks autapses
        if connector.parameters.get("with_replacement") is False:
            found.append(source.diagnostic(
                (*where, "with_replacement"), "NS604",
                "pyNN.nest ignores with_replacement: false for FixedTotalNumberConnector "
                "(PyNN 0.13 draws every connection with replacement, so a pair may be "
                "connected twice); remove it, or list the connections with "
                "FromListConnector"))
        if connector.parameters.get("allow_self_connections", True) is not True and \
                network.may_overlap(projection.pre, projection.post):
            found.append(source.diagnostic(
                (*where, "allow_self_connections"), "NS604",
                "pyNN.nest ignores allow_self_connections for FixedTotalNumberConnector "
                "(PyNN 0.13 never excludes a cell connecting to itself); remove it, or list "
                "the connections with FromListConnector"))
    weights = projection.synapse.weight_dependence
    if weights is not None and weights.type == "GutigWeightDependence":
        for key, default in GUTIG_DEFAULTS.items():
            value = weights.parameters.get(key, default)
            if isinstance(value, float | int) and value != default:
                found.append(source.diagnostic(
                    (*projection.origin.path, "synapse", "weight_dependence", key), "NS604",
                    f"pyNN.nest ignores {key} of GutigWeightDependence (NEST would run with "
                    f"{default}, not {value:g}); only {default} runs on NEST"))
    return found


def _early_spikes(network: Network, source: SourceMap) -> list[Diagnostic]:
    """Spike times NEST cannot emit: pyNN.nest sends a SpikeSourceArray's spikes through
    a connection of min_delay and so asks NEST for each spike min_delay earlier; a spike
    at or before min_delay would be due at or before time 0 (NEST drops it, or refuses
    the time 0)."""
    found = []
    earliest = network.simulation.min_delay + NEST_TIC
    for population in network.populations.values():
        times = population.parameters.get("spike_times")
        if not isinstance(times, SpikeTrains):
            continue
        trains = times.trains
        for i, train in enumerate(trains):
            early = train.data[train.data < earliest - 1e-9]
            if early.size:
                path = (*population.origin.path, "parameters", "spike_times")
                per_cell = times.per_cell and times.file is None
                found.append(source.diagnostic(
                    (*path, i) if per_cell else path, "NS604",
                    f"spike time {early[0]:g} ms{f' (train {i})' if len(trains) > 1 else ''}"
                    f" is too early for NEST: pyNN.nest delivers a SpikeSourceArray's spikes "
                    f"through a connection of min_delay ({network.simulation.min_delay:g} "
                    f"ms), so every spike time must be at least {earliest:g} ms (NEST would "
                    "drop earlier ones)"))
                break
    return found


class NestProfile(BackendProfile):
    """Runs on NEST through ``pyNN.nest``.

    Options (``simulation.backends.nest``): ``threads``, ``verbosity``,
    ``spike_precision``, ``native_connectors``. The kernel RNG gets ``rng_seed=seed``;
    host-side draws
    come from one ``NumpyRNG(seed, parallel_safe=True)``.
    """

    name = "nest"
    pynn_module = "pyNN.nest"
    parallel = True
    host_rng = True
    #: PyNN redraws random initial values on every get_data: the runner reads them from NEST.
    captures_initial_values = True
    install_extra = "nest"
    simulator_distribution = "nest-simulator"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._notes: list[str] = []
        unknown = sorted(set(self.options) - {"threads"})
        if unknown:
            raise UsageError(f"unknown NEST option {unknown[0]!r}; allowed: threads")
        threads = self.options.get("threads")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                    or threads < 1):
            raise UsageError(f"--threads takes a whole number of at least 1, not {threads!r}")

    def threads(self, network: Network) -> int:
        """NEST's threads per process: ``--threads`` (the ``threads`` option) over the spec's
        ``simulation.backends.nest.threads`` (default 1)."""
        given = self.options.get("threads")
        return int(given) if given is not None else int(network.simulation.nest.get("threads", 1))

    def estimate(self, network: Network, processes: int = 1) -> Estimate:
        """What ``network`` will cost on NEST with this profile's threads and ``processes``
        MPI processes."""
        from netspec.estimate import estimate
        return estimate(network, threads=self.threads(network), processes=processes,
                        native=self.native_connectors(network))

    def preflight(self, network: Network, processes: int = 1) -> list[Diagnostic]:
        """Refuse, before NEST is imported, a network that will not fit in memory or puts
        more connections on one virtual process than NEST can hold."""
        from netspec.estimate import problems
        return problems(network, self.estimate(network, processes))

    def native_connectors(self, network: Network) -> frozenset[str]:
        """With ``native_connectors: true``, every connector NEST has a rule for
        (:data:`NATIVE_CONNECTORS`) is built by that rule with NEST's RNG and
        distributions (:mod:`netspec.backends.nest_native`): close to plain PyNEST in time
        and memory, but the connections then come from NEST's RNG, not netspec's host
        RNG."""
        if network.simulation.nest.get("native_connectors") is True:
            return NATIVE_CONNECTORS
        return frozenset()

    def projection_helper(self, network: Network, projection: Projection) -> str | None:
        """Projections with native connectors are built by NEST's own rules
        (:mod:`netspec.backends.nest_native`), every other one by netspec's exact fast
        path (:mod:`netspec.backends.nest_exact`: PyNN's own network in array calls)."""
        if projection.connector.type in self.native_connectors(network):
            return "netspec.backends.nest_native"
        return "netspec.backends.nest_exact"

    def projection_paths(self, network: Network) -> dict[str, str]:
        """``exact`` (PyNN's network from the host NumpyRNG, connected in array calls) or
        ``native: <NEST rule>`` (NEST's rule and kernel RNG) for each projection."""
        native = self.native_connectors(network)
        return {name: f"native: {NEST_RULES[p.connector.type]}" if p.connector.type in native
                else "exact" for name, p in network.projections.items()}

    def stimulus_helper(self, network: Network, stimulus: Stimulus) -> str | None:
        """``PoissonInput`` (:mod:`netspec.spike_inputs`) is NEST's ``poisson_generator``
        connected straight to the cells (:mod:`netspec.backends.nest_native`)."""
        from netspec.spike_inputs import POISSON_INPUT
        return "netspec.backends.nest_native" if stimulus.type == POISSON_INPUT else None

    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """Standard types that pyNN.nest does not implement or cannot build, initial values
        it cannot set and variables it cannot record."""
        found = []
        for population in network.populations.values():
            path = population.origin.path
            reason = BROKEN["cell"].get(population.cell_type)
            if reason is not None:
                found.append(source.diagnostic((*path, "cell_type"), "NS604",
                                               f"{population.cell_type} is not available on "
                                               f"NEST: {reason}"))
            for variable in population.initial_values:
                if variable in FIXED_INITIAL_VALUES.get(population.cell_type, ()):
                    found.append(source.diagnostic(
                        (*path, "initial_values", variable), "NS604",
                        f"NEST cannot set the initial value of {variable} of "
                        f"{population.cell_type} (pyNN.nest would ignore it); remove it",
                        key=True))
        for recording in network.recordings.values():
            for kind in network.cell_types_of(recording.target):
                for i, variable in enumerate(recording.variables):
                    if variable in UNRECORDABLE.get(kind, ()):
                        found.append(source.diagnostic(
                            (*recording.origin.path, "variables", i), "NS604",
                            f"NEST cannot record {variable} of {kind} (pyNN.nest has no NEST "
                            "name for it)"))
        for projection in network.projections.values():
            reason = BROKEN["connector"].get(projection.connector.type)
            if reason is not None:
                found.append(source.diagnostic(
                    (*projection.origin.path, "connector", "type"), "NS604",
                    f"{projection.connector.type} is not available on NEST: {reason}"))
            path = (*projection.origin.path, "synapse")
            synapse = projection.synapse
            if synapse.type in UNAVAILABLE["synapse"]:
                found.append(source.diagnostic((*path, "type"), "NS604",
                                               f"{synapse.type} is not available on NEST "
                                               "(pyNN.nest does not implement it)"))
            elif synapse.type in BROKEN["synapse"]:
                found.append(source.diagnostic((*path, "type"), "NS604",
                                               f"{synapse.type} is not available on NEST: "
                                               f"{BROKEN['synapse'][synapse.type]}"))
            if projection.connector.type in self.native_connectors(network):
                found += _native_problems(projection, source)
            fraction = synapse.parameters.get("dendritic_delay_fraction")
            if synapse.type == "STDPMechanism" and isinstance(fraction, float | int) \
                    and fraction != 1:
                found.append(source.diagnostic(
                    (*path, "dendritic_delay_fraction"), "NS604",
                    f"NEST models STDP delays as wholly dendritic: dendritic_delay_fraction "
                    f"must be 1 on NEST, not {fraction:g} (pyNN.nest refuses it)"))
            rule = synapse.timing_dependence
            if rule is not None and rule.type in UNAVAILABLE["timing_dependence"]:
                found.append(source.diagnostic((*path, "timing_dependence", "type"), "NS604",
                                               f"{rule.type} is not available on NEST "
                                               "(pyNN.nest does not implement it)"))
            found += _ignored_by_pynn_nest(network, projection.name, source)
        found += _early_spikes(network, source)
        return found

    #: PyNN's one logger gets one filter per process.
    _filter: _QuietPyNN | None = None

    def import_sim(self) -> ModuleType:
        """``pyNN.nest``, without NEST's start-up banner or PyNN's extension-build output
        (17 lines of CMake errors on a machine without a C++ compiler), which go to
        :attr:`notes` (and the ``netspec`` logger); every other warning is shown."""
        os.environ.setdefault("PYNEST_QUIET", "1")
        pynn_logger = logging.getLogger("PyNN")
        if NestProfile._filter is None or NestProfile._filter not in pynn_logger.filters:
            NestProfile._filter = _QuietPyNN([])
            pynn_logger.addFilter(NestProfile._filter)
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                return super().import_sim()
        finally:
            self._sort_warnings(caught)  # outside: re-shown warnings are not caught again

    def _sort_warnings(self, caught: list[warnings.WarningMessage]) -> None:
        for warning in caught:
            text = str(warning.message)
            found = _EXTENSION_BUILD_WARNINGS.search(text)
            if found:
                note = (f"PyNN could not build its NEST extensions ({found.group(0)}); only "
                        "StochasticTsodyksMarkramSynapse needs them")
                if note not in self._notes:
                    self._notes.append(note)
                _log.info("%s:\n%s", note, text)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                       warning.lineno, source=warning.source)

    @property
    def notes(self) -> list[str]:
        """What PyNN said that netspec kept out of the terminal (for the manifest)."""
        shared = NestProfile._filter.notes if NestProfile._filter is not None else []
        return [*self._notes, *shared]

    def connection_count(self, projection: Any) -> int | None:
        """NEST's connections of ``projection`` on this MPI process (the runner sums the
        processes'): counted while netspec's exact and native paths connect; otherwise
        PyNN's cached ``nest_connections`` (which ``get()`` reuses; ``size()`` would ask
        NEST for every connection of the post cell model instead: 5x slower, and it
        counts every projection sharing that model onto those cells)."""
        known = getattr(projection, "connection_count", -1)  # netspec's build paths count
        if known >= 0:  # as they connect: nothing is read back from NEST
            return int(known)
        return len(projection.nest_connections)

    def check_processes(self, size: int) -> None:
        """Under ``mpirun -n N``, NEST must be built with MPI: NEST without MPI exits the
        process when it is imported under an MPI launcher. Read from NEST's installed
        ``config.h``, without importing NEST."""
        if size == 1:
            return
        have_mpi = _nest_has_mpi()
        if have_mpi is False:
            raise BackendUnavailableError(
                f"netspec was started on {size} MPI processes, but this NEST was built "
                "without MPI (as the nest-simulator wheel on PyPI is); install NEST with MPI "
                "with tools/install-nest-mpi, or run without mpirun")

    def parallelism(self, sim: ModuleType) -> dict[str, int]:
        """NEST's MPI processes, threads per process and virtual processes."""
        import nest
        processes, threads, total = nest.GetKernelStatus(
            ["num_processes", "local_num_threads", "total_num_virtual_procs"])
        return {"processes": int(processes), "threads": int(threads),
                "virtual_processes": int(total)}


    def running(self, sim: ModuleType) -> AbstractContextManager[Any]:
        """NEST's ``RunManager``: later chunks skip Simulate's per-call Prepare/Cleanup."""
        import nest
        manager: AbstractContextManager[Any] = nest.RunManager()
        return manager

    def advance(self, sim: ModuleType, milliseconds: float, *, first: bool) -> None:
        """The first chunk through PyNN (``sim.run``), the rest with ``nest.Run``.

        ``Run`` in chunks inside one ``RunManager`` is what ``Simulate`` does in one
        piece; spikes are the same as from a single ``sim.run(duration)``.
        """
        if first:
            sim.run(milliseconds)
        else:
            import nest
            nest.Run(milliseconds)

    def setup_kwargs(self, network: Network) -> dict[str, Any]:
        """``sim.setup`` arguments: timing, threads, ``rng_seed`` and NEST's own options."""
        kwargs = super().setup_kwargs(network)
        options = network.simulation.nest
        kwargs["threads"] = self.threads(network)
        kwargs["rng_seed"] = network.simulation.seed
        for key in ("spike_precision", "verbosity"):
            if key in options:
                kwargs[key] = options[key]
        return kwargs


def _native_problems(projection: Projection, source: SourceMap) -> list[Diagnostic]:
    """What NEST's native rules cannot build: distributions NEST does not draw, a random
    number of connections, one value per connection."""
    from netspec.model import ArrayValue, RandomValue
    found = []
    path = projection.origin.path
    for name, value in projection.synapse.parameters.items():
        where = (*path, "synapse", name)
        if isinstance(value, RandomValue) and value.distribution not in NATIVE_DISTRIBUTIONS:
            found.append(source.diagnostic(
                where, "NS604", f"NEST cannot draw the {value.distribution} distribution with "
                f"its native rules (native_connectors: true); it draws: "
                f"{', '.join(sorted(NATIVE_DISTRIBUTIONS))}"))
        elif isinstance(value, ArrayValue):
            found.append(source.diagnostic(
                where, "NS604", f"NEST's native rules take one fixed or random {name} for "
                "the whole projection, not one value per connection"))
    n = projection.connector.parameters.get("n")
    if isinstance(n, RandomValue):
        found.append(source.diagnostic(
            (*path, "connector", "n"), "NS604", "NEST's native rules take a fixed number of "
            "connections, not a random one (native_connectors: true)"))
    return found
