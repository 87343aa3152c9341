"""The SpiNNaker profile: ``pyNN.spiNNaker`` (sPyNNaker 7.4) on a board, a spalloc
machine or a virtual board; what it adds to the common translator (:mod:`netspec.plan`).

* **Seeds.** sPyNNaker refuses seeded host RNGs in the connectors and random
  distributions it can generate on the machine, so no ``NumpyRNG`` is handed to
  them; each ``Population`` gets ``seed=`` instead (:func:`population_seed`), which
  sPyNNaker uses for the population's random parameters and for the connections
  generated on its cores. Connectors that sPyNNaker only ever draws on the host
  (``HOST_ONLY_RNG_CONNECTORS``) get ``NumpyRNG(seed)`` as on NEST, so they too give
  the same network on every run.
* **Options** (``simulation.backends.spinnaker``): ``time_scale_factor`` (to
  ``sim.setup``), ``neurons_per_core`` (cell type → most neurons on one core, passed
  as each Population's ``neurons_per_core=``; a box per core on a grid) and
  ``machine`` (:mod:`.machine`).
* **Parameters** as sPyNNaker reads them: per-cell values and step-current arrays as
  lists, PyNN's default where sPyNNaker's differs (:meth:`SpinnakerProfile.model_parameters`);
  a number of boards as ``sim.setup(n_boards_required=…)``.
* **Checks** before sPyNNaker is imported (:mod:`.checks`); **configuration** of the
  run's own ``spynnaker.cfg`` (:mod:`.configuration`); sPyNNaker's log and progress bars
  into the run's log (:mod:`.output`); **mapping report** after the run
  (:mod:`.mapping_report`); sPyNNaker's errors located, or blamed on the machine
  (:mod:`.failures`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from netspec.backends import BackendProfile
from netspec.backends.spinnaker import checks
from netspec.backends.spinnaker.capabilities import (
    CELL_TYPES,
    CURRENT_SOURCES,
    HOST_ONLY_RNG_CONNECTORS,
    PYNN_DEFAULTS,
)
from netspec.backends.spinnaker.configuration import (
    RUN_FOLDER,
    install_config,
    keep_home_clean,
    write_config,
)
from netspec.backends.spinnaker.failures import (
    is_machine_failure,
    machine_error,
    run_diagnostic,
    write_traceback,
)
from netspec.backends.spinnaker.machine import (
    MACHINE_KEYS,
    Machine,
    coerce_setting,
    environment_settings,
    read_user_machine,
    resolve_machine,
)
from netspec.backends.spinnaker.output import LOG_NAME, RunLog
from netspec.backends.spinnaker.partitioning import (
    grid_shape,
    last_countable_time,
    neurons_per_core_option,
    split_grid,
)
from netspec.diagnostics import Diagnostic, allowed, did_you_mean
from netspec.errors import OutputError, SimulationError, UsageError
from netspec.loader import SourceMap
from netspec.model import Network, Population


def population_seed(seed: int, index: int) -> int:
    """The ``seed=`` of the ``index``-th population (spec order): 31 bits of the
    ``index``-th child of ``SeedSequence(seed)``, so populations draw independently."""
    state = np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1)
    return int(state[0]) & 0x7FFF_FFFF



class SpinnakerProfile(BackendProfile):
    """Runs on SpiNNaker through ``pyNN.spiNNaker`` (sPyNNaker 7.4); see the module
    docstring for seeds and options, and :mod:`.machine` for the machine
    (command line > environment > spec; an existing ``~/.spynnaker.cfg`` only when
    none of them names a machine).

    ``options`` are machine settings from the command line (keys of
    :data:`MACHINE_KEYS`); ``environ`` replaces ``os.environ`` (for tests).
    """

    name = "spinnaker"
    pynn_module = "pyNN.spiNNaker"
    host_rng = False
    host_rng_connectors = HOST_ONLY_RNG_CONNECTORS
    spike_times_as_sequence = False
    #: sPyNNaker tells a per-cell value from one value, and checks the arrays of a
    #: ``StepCurrentSource``, with ``isinstance(value, typing.Sequence)``, which a NumPy
    #: array is not (``spike_source_poisson_vertex._normalize_times``,
    #: ``population_machine_neurons._write_current_source_parameters``).
    parameter_arrays_as_lists = True
    chunked_run = False
    install_extra = "spinnaker"
    #: A compiled script uses the user's own sPyNNaker configuration; on a virtual board
    #: it has mapped the network and has no data to write.
    script_after_run = (
        "# a virtual board (in your sPyNNaker configuration) maps the network and runs",
        "# nothing: there is no data to write",
        "from spinn_utilities.config_holder import get_config_bool  # noqa: E402",
        "",
        "if get_config_bool('Machine', 'virtual_board'):",
        "    print('virtual board: the network was mapped; no data was recorded or written')",
        "    sim.end()",
        "    sys.exit(0)",
    )
    simulator_distribution = "sPyNNaker"

    def __init__(self, options: dict[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        self.verbose = bool(self.options.pop("verbose", False))
        unknown_keys = sorted(set(self.options) - set(MACHINE_KEYS))
        if unknown_keys:
            known = (*MACHINE_KEYS, "verbose")
            raise UsageError(f"unknown SpiNNaker option {unknown_keys[0]!r}"
                             f"{did_you_mean(unknown_keys[0], known)}; "
                             f"allowed: {allowed(known)}")
        self.options = {k: coerce_setting(k, v, k.replace("_", "-"))
                        for k, v in self.options.items()}
        self.environ = environ
        self.machine: Machine | None = None
        self.folder: Path | None = None
        self.config_file: Path | None = None
        self.network: Network | None = None
        self.log: RunLog | None = None
        self.objects: Mapping[str, Any] = {}

    # ---------------------------------------------------------------- translation
    def setup_kwargs(self, network: Network) -> dict[str, Any]:
        """``timestep``, ``min_delay`` and ``time_scale_factor``; no ``max_delay``, which
        sPyNNaker ignores (each population's own delay limit applies)."""
        sim = network.simulation
        kwargs: dict[str, Any] = {"timestep": sim.timestep, "min_delay": sim.min_delay}
        machine = self.given_machine(network)
        if machine is not None and "boards" in machine.settings:
            kwargs["n_boards_required"] = int(machine.settings["boards"])
        factor = network.simulation.spinnaker.get("time_scale_factor")
        if factor is not None:
            factor = float(factor)
            kwargs["time_scale_factor"] = int(factor) if factor.is_integer() else factor
        return kwargs

    def population_kwargs(self, network: Network, population: Population,
                          index: int) -> dict[str, Any]:
        """``seed`` (where the cell type takes one) and ``neurons_per_core``."""
        kwargs: dict[str, Any] = {}
        info = CELL_TYPES.get(population.cell_type)
        if info is None:
            return kwargs
        if "seed" in info["population_options"]:
            kwargs["seed"] = population_seed(network.simulation.seed, index)
        per_core = neurons_per_core_option(network).get(population.cell_type)
        shape = grid_shape(population)
        if shape is not None:
            limit = int(per_core) if per_core is not None else info["max_neurons_per_core"]
            kwargs["neurons_per_core"] = split_grid(shape, limit)
        elif per_core is not None:
            kwargs["neurons_per_core"] = int(per_core)
        return kwargs

    def model_parameters(self, network: Network, model: str,
                         parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The spec's parameters, plus PyNN's default of each one the spec leaves out
        where sPyNNaker's default differs (:data:`PYNN_DEFAULTS`: a ``DCSource`` without
        ``stop`` would never switch on); a current source's ``stop`` beyond what
        sPyNNaker can count in timesteps (32 bits) becomes the last time it can count."""
        out = {**{k: v for k, v in PYNN_DEFAULTS.get(model, {}).items()
                  if k not in parameters}, **parameters}
        stop = out.get("stop")
        if model in CURRENT_SOURCES and isinstance(stop, int | float):
            out["stop"] = min(float(stop), last_countable_time(network.simulation.timestep))
        return out

    # --------------------------------------------------------------------- checks
    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """Everything in ``network`` that sPyNNaker cannot run (see the module docstring)."""
        return checks.check(network, source)

    # ---------------------------------------------------------------------- running
    def given_machine(self, network: Network) -> Machine | None:
        """The machine the command line, the environment or the spec names (in that
        order of precedence; see :mod:`.machine`), or None."""
        spec_machine = network.simulation.spinnaker.get("machine") or {}
        spec = {k: coerce_setting(k, v, f"simulation.backends.spinnaker.machine.{k}")
                for k, v in spec_machine.items() if k in MACHINE_KEYS}
        return resolve_machine(self.options, environment_settings(self.environ), spec)

    def prepare(self, network: Network, out_dir: Path) -> None:
        """Settle the machine (command line > environment > spec > an existing user
        configuration); :class:`BackendConfigError` says how to configure one when there
        is none. Nothing is written until :meth:`import_sim`."""
        machine = self.given_machine(network)
        self.folder = Path(out_dir) / RUN_FOLDER
        real_out = os.path.realpath(out_dir)
        if os.path.commonpath([real_out, os.path.realpath(self.folder)]) != real_out:
            raise OutputError(f"{self.folder} leads outside the output folder {out_dir} "
                              "through a symbolic link; remove the link or choose another "
                              "--out")
        self.machine = machine if machine is not None else read_user_machine()
        self.network = network

    def import_sim(self) -> ModuleType:
        """``pyNN.spiNNaker``, set to read this run's ``<out>/spinnaker/spynnaker.cfg``
        (written here) at ``sim.setup``; sPyNNaker's reports go beside it."""
        if self.folder is not None and self.machine is not None:
            self.config_file = write_config(self.folder, self.machine)
            keep_home_clean(self.folder)
        sim = super().import_sim()
        if self.config_file is not None:
            install_config(self.config_file)
        if self.folder is not None:
            self.log = RunLog(self.folder / LOG_NAME, verbose=self.verbose)
            self.log.start()
        return sim

    def built(self, objects: Mapping[str, Any]) -> None:
        """Keep the run's PyNN objects, to tell which one an error of sPyNNaker concerns."""
        self.objects = objects

    def advance(self, sim: ModuleType, milliseconds: float, *, first: bool) -> None:
        """``sim.run`` (once: :attr:`chunked_run` is false). The full traceback of what
        sPyNNaker raises goes to the run's log; a machine that cannot be reached is a
        :class:`MachineError`, anything else a :class:`SimulationError` at the spec
        object it concerns, with sPyNNaker's message."""
        try:
            sim.run(milliseconds)
        except Exception as exc:  # any sPyNNaker error: located below
            log = self.log.path if self.log is not None else None
            if log is not None:
                write_traceback(log, exc)
            if is_machine_failure(exc) and not (self.machine and self.machine.virtual):
                machine = self.machine.describe() if self.machine else "unknown"
                raise machine_error(exc, machine, log) from exc
            raise SimulationError(run_diagnostic(self.network, exc, self.objects,
                                                 log)) from exc

    @property
    def records_data(self) -> bool:
        """False on a virtual board, which maps the network but runs nothing."""
        return not (self.machine is not None and self.machine.virtual)

    def mapping_report(self, sim: ModuleType) -> dict[str, Any]:
        """The machine, the chips and cores the network used, and each population's share."""
        try:
            from netspec.backends.spinnaker.mapping_report import mapping_report
            return mapping_report(self.network, self.machine)
        except Exception as exc:
            return {"error": f"could not read sPyNNaker's mapping: {type(exc).__name__}: {exc}"}

