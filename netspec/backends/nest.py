"""The NEST profile: ``pyNN.nest`` with the kernel seeded from ``simulation.seed``."""

from __future__ import annotations

import os
import warnings
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any

from netspec.backends import BackendProfile
from netspec.diagnostics import Diagnostic
from netspec.loader import SourceMap
from netspec.model import Network

#: Connectors that pyNN.nest builds with NEST's own rules when given a NativeRNG.
NATIVE_CONNECTORS = frozenset({"FixedProbabilityConnector"})

#: PyNN standard types that pyNN.nest 0.13 does not implement (checked by tests/test_backends.py).
UNAVAILABLE: dict[str, frozenset[str]] = {
    "synapse": frozenset({"ElectricalSynapse"}),
    "timing_dependence": frozenset({"Vogels2011Rule"}),
}


class NestProfile(BackendProfile):
    """Runs on NEST through ``pyNN.nest``.

    Options (``simulation.backends.nest``): ``threads``, ``verbosity``,
    ``spike_precision``, ``native_connectors``. The kernel RNG gets ``rng_seed=seed``;
    host-side draws
    come from one ``NumpyRNG(seed, parallel_safe=True)``.
    """

    name = "nest"
    pynn_module = "pyNN.nest"
    host_rng = True
    install_hint = "pip install 'netspec[nest]'"
    simulator_distribution = "nest-simulator"

    def native_connectors(self, network: Network) -> frozenset[str]:
        """With ``native_connectors: true``, FixedProbabilityConnector uses NEST's own
        ``pairwise_bernoulli`` rule (a ``NativeRNG``): faster for large networks, but the
        connections then depend on NEST's RNG, not on netspec's host RNG."""
        if network.simulation.nest.get("native_connectors") is True:
            return NATIVE_CONNECTORS
        return frozenset()

    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """Standard types that pyNN.nest does not implement."""
        found = []
        for projection in network.projections.values():
            path = (*projection.origin.path, "synapse")
            synapse = projection.synapse
            if synapse.type in UNAVAILABLE["synapse"]:
                found.append(source.diagnostic((*path, "type"), "NS604",
                                               f"{synapse.type} is not available on NEST "
                                               "(pyNN.nest does not implement it)"))
            rule = synapse.timing_dependence
            if rule is not None and rule.type in UNAVAILABLE["timing_dependence"]:
                found.append(source.diagnostic((*path, "timing_dependence", "type"), "NS604",
                                               f"{rule.type} is not available on NEST "
                                               "(pyNN.nest does not implement it)"))
        return found

    def import_sim(self) -> ModuleType:
        """``pyNN.nest``, without NEST's start-up banner and PyNN's build warnings."""
        os.environ.setdefault("PYNEST_QUIET", "1")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Cannot find nest-config")
            return super().import_sim()

    def initial_values(self, populations: list[Any]) -> Any:
        """Read from NEST, because PyNN redraws random initial values on every get_data."""
        from netspec.export import capture_initial_values
        return capture_initial_values(populations)

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
