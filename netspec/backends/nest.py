"""The NEST profile: ``pyNN.nest`` with the kernel seeded from ``simulation.seed``."""

from __future__ import annotations

import os
import warnings
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any

from netspec.backends import BackendProfile
from netspec.model import Network


class NestProfile(BackendProfile):
    """Runs on NEST through ``pyNN.nest``.

    Options (``simulation.backends.nest``): ``threads``, ``verbosity``,
    ``spike_precision``. The kernel RNG gets ``rng_seed=seed``; host-side draws
    come from one ``NumpyRNG(seed, parallel_safe=True)``.
    """

    name = "nest"
    pynn_module = "pyNN.nest"
    host_rng = True
    install_hint = "pip install 'netspec[nest]'"
    simulator_distribution = "nest-simulator"

    def import_sim(self) -> ModuleType:
        """``pyNN.nest``, without NEST's start-up banner and PyNN's build warnings."""
        os.environ.setdefault("PYNEST_QUIET", "1")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Cannot find nest-config")
            return super().import_sim()

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
        kwargs["threads"] = int(options.get("threads", 1))
        kwargs["rng_seed"] = network.simulation.seed
        for key in ("spike_precision", "verbosity"):
            if key in options:
                kwargs[key] = options[key]
        return kwargs
