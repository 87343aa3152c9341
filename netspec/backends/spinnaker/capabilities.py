"""What sPyNNaker runs: the generated tables of :mod:`.capabilities_data`, typed.

The tables are plain literals generated from the installed sPyNNaker by
``tools/generate_spinnaker_capabilities.py``; this module gives them types and
derives the few sets the other modules need, so that nothing else reads the
generated module directly. Importing it imports no simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netspec.backends.spinnaker import capabilities_data as caps

SPYNNAKER_VERSION: str = caps.SPYNNAKER_VERSION
CELL_TYPES: Mapping[str, Mapping[str, Any]] = caps.CELL_TYPES
SYNAPSE_TYPES: Mapping[str, tuple[str, ...]] = caps.SYNAPSE_TYPES
TIMING_DEPENDENCES: Mapping[str, tuple[str, ...]] = caps.TIMING_DEPENDENCES
WEIGHT_DEPENDENCES: Mapping[str, tuple[str, ...]] = caps.WEIGHT_DEPENDENCES
CONNECTORS: Mapping[str, Mapping[str, Any]] = caps.CONNECTORS
CURRENT_SOURCES: Mapping[str, tuple[str, ...]] = caps.CURRENT_SOURCES
ON_CHIP_DISTRIBUTIONS: tuple[str, ...] = caps.ON_CHIP_DISTRIBUTIONS
PYNN_DEFAULTS: Mapping[str, Mapping[str, float]] = caps.PYNN_DEFAULTS
DELAYS: Mapping[str, int] = caps.DELAYS
IGNORED: Mapping[str, str] = caps.IGNORED
FIXED_SYNAPSE_PARAMETERS: Mapping[str, Mapping[str, Any]] = caps.FIXED_SYNAPSE_PARAMETERS
DIFFERENCES: Mapping[str, str] = caps.DIFFERENCES
VIEWS_AS_PROJECTION_ENDS: str = caps.VIEWS_AS_PROJECTION_ENDS
ASSEMBLIES: bool = caps.ASSEMBLIES
NOT_RANDOM: Mapping[str, tuple[str, ...]] = caps.NOT_RANDOM

#: Connectors sPyNNaker draws only on the host, which accept a seeded ``rng=``.
HOST_ONLY_RNG_CONNECTORS: frozenset[str] = frozenset(
    name for name, info in CONNECTORS.items()
    if info["takes_rng"] and not info["on_machine"])

