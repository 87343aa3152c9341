"""Several MPI processes, without MPI: merging what each rank recorded, agreeing on errors
(with a stand-in communicator) and finding the launcher's rank."""

from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np
import pytest

from netspec import parallel
from netspec.diagnostics import Diagnostic
from netspec.errors import Interrupted, OutputExistsError, SimulationError, SpecError
from netspec.export.gather import merge
from netspec.export.recorded import RecordedData, Signal


def _whole(size: int = 7) -> RecordedData:
    rng = np.random.default_rng(1)
    times = np.sort(rng.uniform(0, 100, 40)).round(1)
    ids = rng.integers(0, size, 40)
    order = np.lexsort((ids, times))
    values = rng.normal(size=(11, 3))
    return RecordedData(
        name="exc", size=size, t_start=0.0, t_stop=100.0,
        spike_times=times[order], spike_ids=ids[order], spike_channels=np.arange(size),
        signals={"v": Signal("v", 0.0, 10.0, values, np.array([1, 2, 5]), "mV")},
        kind="view", label="cells", annotations={"first_id": 3})


def _rank_share(whole: RecordedData, rank: int, size: int) -> RecordedData:
    """What one of ``size`` ranks records: the cells NEST places on it (round robin)."""
    times, ids, channels = whole.spikes()
    mine = lambda index: index % size == rank  # noqa: E731
    keep = mine(ids)
    signal = whole.signals["v"]
    columns = mine(signal.channel_ids)
    return RecordedData(
        name=whole.name, size=whole.size, t_start=whole.t_start, t_stop=whole.t_stop,
        spike_times=times[keep], spike_ids=ids[keep], spike_channels=channels[mine(channels)],
        signals={"v": Signal("v", 0.0, 10.0, signal.values[:, columns],
                             signal.channel_ids[columns], "mV")} if columns.any() else {},
        kind=whole.kind, label=whole.label, annotations=whole.annotations)


@pytest.mark.parametrize("ranks", [1, 2, 3, 8])
def test_merging_the_ranks_gives_what_one_process_records(ranks: int) -> None:
    whole = _whole()
    merged = merge([_rank_share(whole, r, ranks) for r in range(ranks)])
    for got, want in zip(merged.spikes(), whole.spikes(), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(merged.signals["v"].values, whole.signals["v"].values)
    np.testing.assert_array_equal(merged.signals["v"].channel_ids,
                                  whole.signals["v"].channel_ids)
    assert (merged.name, merged.size, merged.kind, merged.label) == ("exc", 7, "view", "cells")
    assert merged.annotations == {"first_id": 3}


def test_a_rank_that_recorded_nothing_is_merged_away() -> None:
    whole = _whole()
    silent = RecordedData(name="exc", size=7, t_start=0.0, t_stop=100.0)
    merged = merge([silent, whole])
    np.testing.assert_array_equal(merged.spikes()[0], whole.spikes()[0])
    assert merge([silent, silent]).spike_times is None


def test_ranks_that_disagree_are_refused() -> None:
    whole = _whole()
    other = RecordedData(name="inh", size=3, t_start=0.0, t_stop=100.0)
    with pytest.raises(OSError, match="different targets"):
        merge([whole, other])
    longer = _rank_share(whole, 1, 2)
    longer.signals["v"] = Signal("v", 0.0, 10.0, np.zeros((12, 1)), np.array([5]), "mV")
    with pytest.raises(OSError, match="different sampling"):
        merge([_rank_share(whole, 0, 2), longer])


def test_one_process_needs_no_mpi(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in parallel.LAUNCHER_SIZE + parallel.LAUNCHER_RANK:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(parallel, "_world", None)
    world = parallel.world()
    assert world is parallel.SINGLE and world.root and world.size == 1
    assert world.agree(lambda: 42) == 42
    assert world.bcast("x") == "x" and world.gather(3) == [3] and world.step(5, False) == (5, False)
    with pytest.raises(ValueError, match="boom"):
        world.agree(lambda: (_ for _ in ()).throw(ValueError("boom")))


def test_the_launcher_names_the_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in parallel.LAUNCHER_SIZE + parallel.LAUNCHER_RANK:
        monkeypatch.delenv(name, raising=False)
    assert (parallel.launcher_size(), parallel.launcher_rank()) == (1, 0)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    assert (parallel.launcher_size(), parallel.launcher_rank()) == (4, 3)
    monkeypatch.delenv("OMPI_COMM_WORLD_SIZE")
    monkeypatch.setenv("PMI_SIZE", "2")
    assert parallel.launcher_size() == 2


def test_netspec_errors_travel_between_ranks() -> None:
    diagnostic = Diagnostic("net.yaml", 3, 5, "NS701", "the simulator refused x")
    for error in (SpecError([diagnostic]), SimulationError(diagnostic),
                  OutputExistsError("outputs exist: a.h5")):
        copy = parallel._portable(error)
        assert type(copy) is type(error) and str(copy) == str(error)
    assert pickle.loads(pickle.dumps(SpecError([diagnostic]))).diagnostics == (diagnostic,)
    assert isinstance(parallel._portable(KeyboardInterrupt()), Interrupted)


class _Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no")


def test_an_error_that_cannot_travel_keeps_its_message() -> None:
    copy = parallel._portable(_Unpicklable("odd"))
    assert isinstance(copy, RuntimeError) and "_Unpicklable: odd" in str(copy)


class _Request:
    def __init__(self, done: bool) -> None:
        self.done = done

    def Test(self) -> bool:
        return self.done

    def Wait(self) -> None:
        return None


class _Comm:
    """Stands for MPI.COMM_WORLD of a rank whose peers answer with ``others``."""

    def __init__(self, rank: int, others: list[Any], peers_come: bool = True) -> None:
        self.rank, self.others, self.peers_come = rank, others, peers_come

    def Ibarrier(self) -> _Request:
        return _Request(self.peers_come)

    def allgather(self, value: Any) -> list[Any]:
        outcomes = list(self.others)
        outcomes.insert(self.rank, value)
        return outcomes


def test_every_rank_raises_the_error_of_the_lowest_failing_rank() -> None:
    refused = OutputExistsError("outputs exist: exc.h5")
    world = parallel.World(1, 2, _Comm(1, [refused]))
    with pytest.raises(OutputExistsError, match=r"exc\.h5"):
        world.agree(lambda: "fine here")
    world = parallel.World(0, 2, _Comm(0, [None]))
    assert world.agree(lambda: "fine") == "fine"
    world = parallel.World(0, 3, _Comm(0, [ValueError("rank 1"), ValueError("rank 2")]))
    with pytest.raises(ValueError, match="rank 1"):
        world.agree(lambda: "fine here")


def test_a_rank_whose_peers_do_not_come_is_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "ALONE_AFTER_S", 0.05)
    world = parallel.World(1, 2, _Comm(1, [None], peers_come=False))
    started = time.monotonic()
    with pytest.raises(parallel.Alone) as caught:
        world.agree(lambda: (_ for _ in ()).throw(ValueError("only here")))
    assert isinstance(caught.value.error, ValueError) and time.monotonic() - started < 5
