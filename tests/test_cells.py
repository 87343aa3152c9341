"""Cells kept lazy (netspec/cells.py): the arithmetic on runs agrees with sets of cells,
and never costs anything per cell of a population."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.cells import Run, common, contains, overlap, select, shared, window
from netspec.cells import _intersection as intersection

ranges = st.builds(range, st.integers(0, 60), st.integers(0, 90), st.integers(1, 9))
tuples = st.lists(st.integers(0, 90), max_size=12, unique=True).map(lambda c: tuple(sorted(c)))
runs_of_one = st.one_of(ranges, tuples)
runs = st.lists(st.tuples(st.sampled_from(["a", "b"]), runs_of_one), max_size=4)


def _pairs(a: Sequence[Run], b: Sequence[Run]) -> int:
    return sum(1 for pa, x in a for ca in x for pb, y in b for cb in y if pa == pb and ca == cb)


@settings(max_examples=400, deadline=None)
@given(runs_of_one, runs_of_one)
def test_common_cells_of_two_runs_agree_with_sets(a: Sequence[int], b: Sequence[int]) -> None:
    assert common(a, b) == len(set(a) & set(b))
    if isinstance(a, range) and isinstance(b, range):
        met = intersection(a, b)
        assert list(met) == sorted(set(a) & set(b))


@settings(max_examples=300, deadline=None)
@given(runs, runs)
def test_shared_overlap_and_contains_agree_with_sets(a: list[Run], b: list[Run]) -> None:
    assert shared(a, b) == _pairs(a, b)
    cells_a = {(p, c) for p, x in a for c in x}
    cells_b = {(p, c) for p, x in b for c in x}
    assert overlap(a, b) == bool(cells_a & cells_b)
    # contains is exact here (few cells); beyond MAX_CHECKED it may only say no
    assert contains(a, b) == (cells_b <= cells_a)


@settings(max_examples=300, deadline=None)
@given(runs, st.lists(st.integers(-3, 200), max_size=10))
def test_selecting_positions_picks_those_cells(a: list[Run], positions: list[int]) -> None:
    every = [(p, c) for p, x in a for c in x]
    wanted = {every[i] for i in positions if 0 <= i < len(every)}
    assert {(p, c) for p, x in select(a, positions) for c in x} == wanted


@settings(max_examples=300, deadline=None)
@given(runs, st.integers(0, 120), st.integers(0, 120))
def test_a_window_holds_the_cells_at_those_positions(a: list[Run], start: int,
                                                     stop: int) -> None:
    every = [(p, c) for p, x in a for c in x]
    assert [(p, c) for p, x in window(a, start, stop) for c in x] == every[start:stop]


def test_huge_runs_are_counted_arithmetically() -> None:
    n = 10**12
    odd, every_third = range(1, n, 2), range(0, n, 3)
    assert common(odd, every_third) == len(range(3, n, 6))
    assert intersection(odd, every_third) == range(3, n, 6)
    assert common(range(5, n, 10**6 + 3), range(7, n, 10**6 + 1)) == len(
        intersection(range(5, n, 10**6 + 3), range(7, n, 10**6 + 1)))
    assert common(range(0, n, 4), range(2, n, 4)) == 0
    assert common(range(n), (0, 17, n - 1, n)) == 3
    population: list[Run] = [("cells", range(n))]
    assert shared(population, population) == n
    assert select(population, [n - 1, 0, n]) == [("cells", (n - 1, 0))]
    assert window(population + population, n - 2, n + 1) == [("cells", range(n - 2, n)),
                                                             ("cells", range(0, 1))]
    assert contains(population, [("cells", range(7, n, 7))])
    assert not contains([("cells", range(0, n, 2))], [("cells", range(0, n, 3))])
    # a run spread over two others: checked cell by cell only when small
    halves: list[Run] = [("cells", range(0, n // 2)), ("cells", range(n // 2, n))]
    assert contains(halves, [("cells", range(n // 2 - 10, n // 2 + 10))])
