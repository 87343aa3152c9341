"""Spike inputs netspec adds to PyNN's vocabulary: ``PoissonInput``.

``stimuli: {bg: {type: PoissonInput, target: exc, rate: 8 Hz, weight: 0.1 nA}}`` gives
every cell of the target its own, independent Poisson spike train of ``rate``, arriving
through a static synapse of ``weight`` and ``delay`` on ``receptor_type`` — what NEST
users build with one ``poisson_generator`` connected to a population (NEST draws an
independent train for every target). PyNN has no such object: its ``SpikeSourcePoisson``
population puts a parrot neuron behind every generator, so every background spike is
routed through the network, which costs several times the simulation time and memory
for a model like the cortical microcircuit. Weights are in PyNN's units for the target's
cell type (µS conductance-based, nA current-based, mV voltage-jump synapses), like a
projection's.

This module holds the parameter table the resolver checks a spec against; the NEST
implementation is :class:`netspec.backends.nest_native.PoissonInput`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from netspec.pynn_catalogue import WEIGHT_UNIT, ParamInfo

POISSON_INPUT: Final = "PoissonInput"

#: Parameters of PoissonInput (receptor_type, a name, is checked apart).
PARAMETERS: Final[Mapping[str, ParamInfo]] = MappingProxyType({
    "rate": ParamInfo("rate", None, "Hz", "float"),
    "weight": ParamInfo("weight", None, WEIGHT_UNIT, "float"),
    "delay": ParamInfo("delay", None, "ms", "float"),
    "start": ParamInfo("start", 0.0, "ms", "float"),
    "stop": ParamInfo("stop", None, "ms", "float"),
})
#: Parameters a PoissonInput must give.
REQUIRED: Final = ("rate", "weight")
