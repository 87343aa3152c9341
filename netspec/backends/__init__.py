"""Backend profiles: which PyNN module to drive, and what each backend adds.

A profile only adds setup defaults, per-population options and capability
checks; the translator (:mod:`netspec.plan`) is the same for every backend.
Profiles are found by name in :data:`BACKENDS` and imported lazily, so naming
one never imports a simulator.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import Any

from netspec.diagnostics import Diagnostic, did_you_mean
from netspec.errors import BackendUnavailableError, UsageError
from netspec.loader import SourceMap
from netspec.model import Network, Population, Projection, Stimulus

#: Backend name → "module:class" of its profile.
BACKENDS: dict[str, str] = {
    "nest": "netspec.backends.nest:NestProfile",
    "spinnaker": "netspec.backends.spinnaker.profile:SpinnakerProfile",
}


class BackendProfile:
    """The defaults every profile starts from; subclasses override what differs."""

    name = "base"
    pynn_module = "pyNN.mock"
    #: Whether the backend takes host-side RNGs (NumpyRNG) in connectors and distributions.
    host_rng = True
    #: Connectors given the host RNG even when ``host_rng`` is false (with the random
    #: weights and delays of their projections): those the backend only draws on the host.
    host_rng_connectors: frozenset[str] = frozenset()
    #: Whether spike trains are passed as ``pyNN.parameters.Sequence`` (PyNN's way) rather
    #: than as plain arrays (sPyNNaker refuses Sequence).
    spike_times_as_sequence = True
    #: Whether array-valued parameters of cells and current sources (per-cell values, step
    #: times and amplitudes) are passed as lists rather than NumPy arrays.
    parameter_arrays_as_lists = False
    #: Python lines a compiled script runs right after ``sim.run``.
    script_after_run: tuple[str, ...] = ()
    #: Whether ``run`` may advance the simulation in chunks (for a progress bar); false
    #: where every ``sim.run`` call is a whole load-run-extract cycle (SpiNNaker).
    chunked_run = True
    #: Whether ``mpirun -n N`` may run the network on N processes (the simulator splits
    #: it between them).
    parallel = False
    #: The extra of netspec's ``pyproject.toml`` that installs this backend.
    install_extra = "nest"
    #: Distribution name of the simulator, for the manifest.
    simulator_distribution = ""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    def setup_kwargs(self, network: Network) -> dict[str, Any]:
        """Keyword arguments of ``sim.setup``."""
        sim = network.simulation
        return {"timestep": sim.timestep, "min_delay": sim.min_delay,
                "max_delay": sim.max_delay}

    def native_connectors(self, network: Network) -> frozenset[str]:
        """Connectors to build with the simulator's own RNG and connection rules."""
        return frozenset()

    def projection_helper(self, network: Network, projection: Projection) -> str | None:
        """The netspec module whose ``Projection`` builds ``projection`` in place of the PyNN
        module's (same arguments), or None for PyNN's own."""
        return None

    def projection_paths(self, network: Network) -> dict[str, str]:
        """How each projection is built, for the manifest (NEST: exact or native)."""
        return {}

    def stimulus_helper(self, network: Network, stimulus: Stimulus) -> str | None:
        """The netspec module that provides ``stimulus.type`` where the PyNN module does
        not (NEST: ``PoissonInput``), or None for the PyNN module's own class."""
        return None

    def population_kwargs(self, network: Network, population: Population,
                          index: int) -> dict[str, Any]:
        """Extra keyword arguments of ``sim.Population`` for ``population``."""
        return {}

    def model_parameters(self, network: Network, model: str,
                         parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments of PyNN's class ``model`` (a cell type or current source)
        for the spec's ``parameters``: the same, unless the backend's defaults or ranges
        differ from PyNN's."""
        return dict(parameters)

    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """What this backend cannot run, as located diagnostics."""
        return []

    def preflight(self, network: Network, processes: int = 1) -> list[Diagnostic]:
        """Why ``network`` cannot run on this backend as configured (on ``processes`` MPI
        processes), found before the simulator is imported (NEST: memory and connections
        per virtual process)."""
        return []

    def prepare(self, network: Network, out_dir: Path) -> None:
        """Settle the backend's settings for ``network`` before outputs are staged (so that
        :attr:`records_data` is known); write nothing yet. Files the simulator needs are
        written by :meth:`import_sim`."""

    def import_sim(self) -> ModuleType:
        """The PyNN module of this backend; a clear error if it is not installed."""
        try:
            return importlib.import_module(self.pynn_module)
        except ImportError as exc:
            raise BackendUnavailableError(
                f"the {self.name} backend needs {self.pynn_module}, which cannot be imported "
                f"({exc}); install it with: {install_command(self.install_extra)}") from exc

    def running(self, sim: ModuleType) -> AbstractContextManager[Any]:
        """A context held while the simulation advances chunk by chunk after the first."""
        return nullcontext()

    def advance(self, sim: ModuleType, milliseconds: float, *, first: bool) -> None:
        """Advance the simulation by ``milliseconds``. The first chunk always goes through
        PyNN's ``run`` (which connects recorders and does its own bookkeeping)."""
        sim.run(milliseconds)

    def built(self, objects: Mapping[str, Any]) -> None:
        """Called once the network is built, with its PyNN objects by spec name."""

    #: Whether the runner reads the initial values of recorded variables from the
    #: simulator after ``record()`` and before the first run (the t=0 sample of recorded
    #: signals), because PyNN would redraw random ones.
    captures_initial_values = False

    @property
    def notes(self) -> list[str]:
        """What the simulator or PyNN said that netspec kept out of the terminal (written
        to the manifest)."""
        return []

    def connection_count(self, projection: Any) -> int | None:
        """How many connections the PyNN ``projection`` built (for the summary); ``None``
        where that is not known without reading them back (a SpiNNaker machine holds them,
        and a virtual board has none)."""
        return None

    def check_processes(self, size: int) -> None:
        """Raise :class:`BackendUnavailableError`, before anything is staged or imported,
        when the simulator cannot run on the ``size`` MPI processes netspec was started
        on."""
        if size > 1:
            raise BackendUnavailableError(f"the {self.name} backend cannot run on {size} MPI "
                                          "processes")

    def parallelism(self, sim: ModuleType) -> dict[str, int]:
        """How the simulation was spread: processes, threads and virtual processes (empty
        where the backend has no such notion)."""
        return {}

    def mapping_report(self, sim: ModuleType) -> dict[str, Any]:
        """What the backend used to run the network (SpiNNaker: chips and cores)."""
        return {}

    @property
    def records_data(self) -> bool:
        """Whether a run produces recorded data (a virtual board does not)."""
        return True


def profile(name: str, options: dict[str, Any] | None = None) -> BackendProfile:
    """The profile of backend ``name``; :class:`UsageError` for an unknown name."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend '{name}'{did_you_mean(name, BACKENDS)}; "
                         f"available: {', '.join(sorted(BACKENDS))}")
    module_name, _, class_name = BACKENDS[name].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    instance: BackendProfile = cls(options)
    return instance


def install_command(extra: str) -> str:
    """The command that installs netspec's ``extra`` (``nest``, ``spinnaker``) from its
    checkout; never by the name netspec from PyPI, where it is another project's."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return f"pip install '{root}[{extra}]'"
    return f"pip install '<netspec checkout>[{extra}]'"


def names() -> tuple[str, ...]:
    """Every backend name."""
    return tuple(sorted(BACKENDS))
