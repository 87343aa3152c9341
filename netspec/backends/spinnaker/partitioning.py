"""How sPyNNaker splits a population over cores, and what that allows: the box of
cells per core of a population on a grid, and the longest delay sPyNNaker delivers.

The arithmetic is sPyNNaker's (``get_n_bits``, ``MAX_RING_BUFFER_BITS``,
``DelayExtensionVertex.MAX_SLOTS``; constants from the generated capability table),
shared by the capability checks (NS602) and the profile (``neurons_per_core=``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from netspec.backends.spinnaker.capabilities import CELL_TYPES, DELAYS
from netspec.model import Network, Population

#: Cores for applications on the largest SpiNNaker machine, SpiNNaker1M: 1,200 boards of
#: 48 chips, each of 18 cores of which one is the chip's monitor. A network whose neurons
#: alone need more cannot be mapped on any machine.
LARGEST_MACHINE_CORES = 1_200 * 48 * 17


def neurons_per_core_option(network: Network) -> dict[str, Any]:
    """``simulation.backends.spinnaker.neurons_per_core`` (cell type → count) of a spec."""
    value = network.simulation.spinnaker.get("neurons_per_core") or {}
    return dict(value) if isinstance(value, Mapping) else {}


def grid_shape(population: Population) -> tuple[int, ...] | None:
    """The cells per dimension of a population on a ``Grid2D`` or ``Grid3D`` (as PyNN's
    ``calculate_size`` gives them), which sPyNNaker makes a 2-D or 3-D vertex; else None."""
    structure = population.structure
    if structure is None or structure.type not in ("Grid2D", "Grid3D"):
        return None
    n = population.size
    if n < 1:
        return None
    parameters = structure.parameters
    if structure.type == "Grid2D":
        nx = round(math.sqrt(n * float(parameters.get("aspect_ratio", 1.0))))
        return (nx, n // nx) if nx and nx * (n // nx) == n else None
    a = float(parameters.get("aspect_ratioXY", 1.0))
    b = float(parameters.get("aspect_ratioXZ", 1.0))
    nx = round((n * a * b) ** (1 / 3))
    ny, nz = round(nx / a), round(nx / b)
    return (nx, ny, nz) if nx * ny * nz == n else None


def split_grid(shape: tuple[int, ...], limit: int) -> tuple[int, ...]:
    """Neurons per core in each dimension of a grid of ``shape``: sPyNNaker needs one
    number per dimension for a multidimensional population, each dividing that
    dimension (``ApplicationVertex`` refuses others). The box holds as many cells as
    possible up to ``limit``; among equals, the squarest, then the smallest first sides."""
    import itertools

    def divisors(n: int) -> list[int]:
        # at most ``limit`` candidates, whatever the size of the population
        return [d for d in range(1, min(n, limit) + 1) if n % d == 0]

    best: tuple[int, ...] = tuple(1 for _ in shape)
    best_key = (1, -1, tuple(-1 for _ in shape))
    for box in itertools.product(*(divisors(n) for n in shape)):
        cells = math.prod(box)
        if cells > limit:
            continue
        key = (cells, -max(box), tuple(-b for b in box))
        if key > best_key:
            best, best_key = tuple(box), key
    return best


def n_bits(n_values: int) -> int:
    """Bits to tell ``n_values`` values apart (sPyNNaker's ``get_n_bits``)."""
    if n_values <= 1:
        return n_values
    return math.ceil(math.log2(n_values))


def max_delay_steps(neurons_per_core: int, n_synapse_types: int) -> int:
    """The longest delay, in timesteps, that sPyNNaker delivers to a population with
    ``neurons_per_core`` neurons on each core.

    A core's ring buffer holds ``2 ** (RING_BUFFER_BITS - bits(neurons) -
    bits(synapse types))`` timesteps of input, and one delay extension core adds
    ``DELAY_EXTENSION_STAGES`` more of the same
    (``spynnaker.pyNN.extra_algorithms.delay_support_adder``).
    """
    delays = DELAYS
    slots = 2 ** (delays["ring_buffer_bits"] - n_bits(neurons_per_core)
                  - n_bits(n_synapse_types))
    return int(slots * (1 + delays["delay_extension_stages"]))


def neurons_on_a_core(network: Network, population: Population) -> int:
    """How many of ``population``'s neurons sPyNNaker puts on one core at most: the
    configured or default neurons per core, as a grid box for a population on a grid,
    never more than the population."""
    info = CELL_TYPES[population.cell_type]
    configured = neurons_per_core_option(network).get(population.cell_type)
    limit = min(int(configured) if configured else info["max_neurons_per_core"],
                info["max_neurons_per_core"])
    shape = grid_shape(population)
    per_core = math.prod(split_grid(shape, limit)) if shape is not None else limit
    return max(1, min(population.size, per_core))


def last_countable_time(timestep: float) -> float:
    """The last time (ms, whole) that sPyNNaker can write as a 32-bit count of timesteps
    (current sources' ``start`` and ``stop``: ``int(ms * steps_per_ms)`` as ``UINT32``)."""
    return float(math.floor((2 ** 32 - 1) * timestep))
