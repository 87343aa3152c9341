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
* **Checks** before sPyNNaker is imported (:mod:`.checks`); **configuration** of the
  run's own ``spynnaker.cfg`` (:mod:`.configuration`); **mapping report** after the
  run (:mod:`.mapping_report`); sPyNNaker's errors located (:mod:`.failures`).
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
from netspec.backends.spinnaker.capabilities import CELL_TYPES, HOST_ONLY_RNG_CONNECTORS
from netspec.backends.spinnaker.configuration import (
    RUN_FOLDER,
    install_config,
    keep_home_clean,
    write_config,
)
from netspec.backends.spinnaker.failures import run_diagnostic
from netspec.backends.spinnaker.machine import (
    MACHINE_KEYS,
    Machine,
    coerce_setting,
    environment_settings,
    read_user_machine,
    resolve_machine,
)
from netspec.backends.spinnaker.partitioning import (
    grid_shape,
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
    chunked_run = False
    install_extra = "spinnaker"
    simulator_distribution = "sPyNNaker"

    def __init__(self, options: dict[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        unknown_keys = sorted(set(self.options) - set(MACHINE_KEYS))
        if unknown_keys:
            raise UsageError(f"unknown SpiNNaker option {unknown_keys[0]!r}"
                             f"{did_you_mean(unknown_keys[0], MACHINE_KEYS)}; "
                             f"allowed: {allowed(MACHINE_KEYS)}")
        self.options = {k: coerce_setting(k, v, k.replace("_", "-"))
                        for k, v in self.options.items()}
        self.environ = environ
        self.machine: Machine | None = None
        self.folder: Path | None = None
        self.config_file: Path | None = None
        self.network: Network | None = None

    # ---------------------------------------------------------------- translation
    def setup_kwargs(self, network: Network) -> dict[str, Any]:
        """``timestep``, ``min_delay`` and ``time_scale_factor``; no ``max_delay``, which
        sPyNNaker ignores (each population's own delay limit applies)."""
        sim = network.simulation
        kwargs: dict[str, Any] = {"timestep": sim.timestep, "min_delay": sim.min_delay}
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

    # --------------------------------------------------------------------- checks
    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """Everything in ``network`` that sPyNNaker cannot run (see the module docstring)."""
        return checks.check(network, source)

    # ---------------------------------------------------------------------- running
    def prepare(self, network: Network, out_dir: Path) -> None:
        """Settle the machine (command line > environment > spec > an existing user
        configuration); :class:`BackendConfigError` says how to configure one when there
        is none. Nothing is written until :meth:`import_sim`."""
        spec_machine = network.simulation.spinnaker.get("machine") or {}
        spec = {k: coerce_setting(k, v, f"simulation.backends.spinnaker.machine.{k}")
                for k, v in spec_machine.items() if k in MACHINE_KEYS}
        machine = resolve_machine(self.options, environment_settings(self.environ), spec)
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
        return sim

    def advance(self, sim: ModuleType, milliseconds: float, *, first: bool) -> None:
        """``sim.run`` (once: :attr:`chunked_run` is false). What sPyNNaker refuses while
        mapping becomes a :class:`SimulationError` at the spec object it names."""
        try:
            sim.run(milliseconds)
        except Exception as exc:  # any sPyNNaker error is about the network
            raise SimulationError(run_diagnostic(self.network, exc)) from exc

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

