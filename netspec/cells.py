"""The cells of populations, views and assemblies, kept lazy.

A population's cells are ``range(size)``; a slice of it (or of a slice) is a ``range``
too, and an index list or a mask gives a tuple no longer than what the spec wrote.
Every question validation asks about cells — which cells a recording's ``indices``
pick, whether two targets overlap, how many cells a projection's ``pre`` and ``post``
share — is answered from these runs arithmetically (two ranges intersect where two
arithmetic progressions meet, found with the extended Euclidean algorithm), so its
cost never grows with a population's size: a spec may declare 10^12 cells and still
validate as fast, and in as little memory, as a small one; what such a network costs to
build is the pre-flight estimate's question (:mod:`netspec.estimate`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

import numpy as np

from netspec.model import Assembly, Network, View

#: The cells of one population a population, view or assembly member holds, in PyNN's
#: order: ``(population, indices)``; ``indices`` is a ``range`` or a short tuple.
Run = tuple[str, Sequence[int]]

#: Most cells :func:`contains` checks one by one (8 bytes each).
MAX_CHECKED = 1_000_000


def cell_runs(network: Network, name: str) -> list[Run]:
    """The cells of a population, view or assembly in PyNN's order, as runs of
    (population, indices), one per population or view (an assembly's members in order)."""
    target = network.target(name)
    if isinstance(target, Assembly):
        return [run for member in target.members for run in cell_runs(network, member)]
    if isinstance(target, View):
        return [(target.population, target.indices)]
    return [(target.name, range(target.size))]


def select(runs: Sequence[Run], positions: Sequence[int]) -> list[Run]:
    """The cells at ``positions`` of the cells ``runs`` hold in order (positions outside
    are ignored), still as runs: one per run that holds any of them."""
    ends = list(accumulate(len(cells) for _, cells in runs))
    chosen: dict[int, list[int]] = {}
    for position in positions:
        if 0 <= position < (ends[-1] if ends else 0):
            run = bisect_right(ends, position)
            offset = ends[run - 1] if run else 0
            chosen.setdefault(run, []).append(runs[run][1][position - offset])
    return [(runs[run][0], tuple(cells)) for run, cells in sorted(chosen.items())]


def window(runs: Sequence[Run], start: int, stop: int) -> list[Run]:
    """The cells at positions ``start`` to ``stop`` (excluded) of the cells ``runs`` hold
    in order, still as runs (a slice of a range is a range)."""
    chosen: list[Run] = []
    offset = 0
    for population, cells in runs:
        low, high = max(start - offset, 0), min(stop - offset, len(cells))
        if low < high:
            chosen.append((population, cells[low:high]))
        offset += len(cells)
        if offset >= stop:
            break
    return chosen


def common(a: Sequence[int], b: Sequence[int]) -> int:
    """How many cells two runs of one population share (each run holds a cell once)."""
    if isinstance(a, range) and isinstance(b, range):
        return len(_intersection(a, b))
    if isinstance(b, range):
        a, b = b, a
    if isinstance(a, range):
        if not len(b):
            return 0
        return int(np.count_nonzero(_members(np.asarray(b, dtype=np.int64), _ascending(a))))
    return int(np.intersect1d(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64),
                              assume_unique=True).size)


def shared(a: Sequence[Run], b: Sequence[Run]) -> int:
    """Pairs of one cell of ``a`` and one of ``b`` that are the same cell (a cell that an
    assembly holds twice counts twice)."""
    return sum(common(x, y) for pa, x in a for pb, y in b if pa == pb)


def overlap(a: Sequence[Run], b: Sequence[Run]) -> bool:
    """Whether ``a`` and ``b`` hold a cell in common."""
    return any(common(x, y) for pa, x in a for pb, y in b if pa == pb)


def contains(outer: Sequence[Run], inner: Sequence[Run]) -> bool:
    """Whether every cell of ``inner`` is a cell of ``outer``. A run of ``inner`` inside
    one run of ``outer`` is found arithmetically; one spread over several runs of the
    same population (only an assembly of views can give that) is checked cell by cell
    when it holds at most :data:`MAX_CHECKED` cells, and taken as not contained beyond
    (the cautious answer)."""
    for population, cells in inner:
        mine = [run for name, run in outer if name == population]
        if not len(cells) or any(common(cells, run) == len(cells) for run in mine):
            continue
        if len(mine) < 2 or len(cells) > MAX_CHECKED:
            return False
        values = np.asarray(cells, dtype=np.int64)
        found = np.zeros(len(values), dtype=bool)
        for run in mine:
            found |= _members(values, run)
        if not found.all():
            return False
    return True


def _members(values: np.ndarray, run: Sequence[int]) -> np.ndarray:
    """Which of ``values`` are cells of ``run`` (one boolean each)."""
    if isinstance(run, range) and run.step > 0:
        if not len(run):
            return np.zeros(len(values), dtype=bool)
        inside: np.ndarray = ((values >= run.start) & (values < run.stop)
                              & ((values - run.start) % run.step == 0))
        return inside
    return np.isin(values, np.asarray(run, dtype=np.int64))


def _intersection(a: range, b: range) -> range:
    """The cells two ranges with positive steps share, as a range (the progressions
    ``a.start + i·a.step`` and ``b.start + j·b.step`` meet every lcm of the steps from
    the first common value, which the extended Euclidean algorithm finds)."""
    if not len(a) or not len(b):
        return range(0)
    if a.step < 0 or b.step < 0:  # views never have one; kept general and correct
        return _intersection(_ascending(a), _ascending(b))
    g, p, _ = _gcd(a.step, b.step)
    difference = b.start - a.start
    if difference % g:
        return range(0)
    lcm = a.step // g * b.step
    # a.start + a.step·k ≡ b.start (mod b.step)  ⇔  (a.step/g)·k ≡ difference/g (mod b.step/g)
    k = (difference // g * p) % (b.step // g)
    first = a.start + a.step * k  # the smallest common value ≥ a.start (may be < b.start)
    low = max(a.start, b.start)
    if first < low:
        first += -(-(low - first) // lcm) * lcm
    high = min(a[-1], b[-1])
    return range(first, high + 1, lcm) if first <= high else range(0)


def _ascending(r: range) -> range:
    return r if r.step > 0 else r[::-1]


def _gcd(a: int, b: int) -> tuple[int, int, int]:
    """``(g, x, y)`` with ``g = gcd(a, b) = a·x + b·y`` (extended Euclid)."""
    x0, x1, y0, y1 = 1, 0, 0, 1
    while b:
        q, a, b = a // b, b, a % b
        x0, x1 = x1, x0 - q * x1
        y0, y1 = y1, y0 - q * y1
    return a, x0, y0
