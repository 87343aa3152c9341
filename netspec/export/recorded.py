"""What was recorded, as plain arrays: the hand-over from the run stage to the writers.

:func:`collect` turns one PyNN Population, PopulationView or Assembly into a
:class:`RecordedData` — spikes as two multiplexed arrays (times, neuron index
within the target), analog signals as 2-D arrays — without building one Neo
SpikeTrain per neuron.

On NEST it reads the recording devices the PyNN recorder owns:

* spikes: ``recorder._get_spiketimes(ids)``, which in PyNN 0.13 returns the
  spike recorder's ``(senders, times)`` arrays (PyNN's own ``get_data`` feeds
  them to ``SpikeTrainList.from_spike_time_array``); the NEST node ids are then
  mapped to indices within the target with one ``searchsorted``;
* analog signals: the multimeter's ``events`` dictionary, sorted once by
  (sender, time) and reshaped to [samples × channels], where PyNN loops over
  every sample in Python.

Either way the numbers are PyNN's: spikes after the current time are dropped,
values are scaled to PyNN units by the cell type's ``scale_factors``, and the
sample at ``t_start`` (which NEST does not record) is the cell's initial value.
Only the current segment is read; when PyNN holds data from an earlier segment
(``reset()``) or a recording was cleared, or the backend is not NEST,
:func:`collect` falls back to ``get_data()`` and converts its Block.

PyNN takes the ``t_start`` sample of ``v`` from ``initial_values``, which for a
``RandomDistribution`` draws *new* numbers at every ``get_data()`` call. Call
:func:`capture_initial_values` after ``record()`` and before ``run()`` to keep
the values the cells really started from; without it that sample is the
evaluated initial value when it is deterministic and NaN when it was random.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netspec.errors import OutputError

#: Initial values captured before a run: variable → {NEST node id → value in PyNN units}.
InitialValues = dict[str, dict[int, float]]


@dataclass(frozen=True)
class Signal:
    """One recorded analog variable of one target, sampled on a regular grid."""

    name: str
    t_start: float  # ms
    sampling_period: float  # ms
    values: np.ndarray  # [samples, channels], PyNN units
    channel_ids: np.ndarray  # index, within the target, of each channel (column)
    units: str


@dataclass
class RecordedData:
    """The recorded data of one export target, in PyNN units (ms, mV, nA, µS).

    ``spike_times``/``spike_ids`` are the multiplexed spikes (sorted by time,
    then by neuron), ``spike_ids`` being 0-based indices within the target;
    ``spike_channels`` lists the neurons whose spikes were recorded (a neuron
    recorded but silent is in it, one not recorded is not). All three are None
    when spikes were not recorded. The fields after ``signals`` carry what a
    PyNN-style Block needs (labels, NEST ids, indices in the parent Population).
    """

    name: str
    size: int
    t_start: float
    t_stop: float
    spike_times: np.ndarray | None = None
    spike_ids: np.ndarray | None = None
    signals: dict[str, Signal] = field(default_factory=dict)
    spike_channels: np.ndarray | None = None
    kind: str = "population"  # "population", "view" or "assembly"
    label: str = ""  # the label PyNN gives the Block of this target (default: name)
    description: str = ""
    annotations: dict[str, Any] = field(default_factory=dict)  # PyNN's Block metadata
    # per neuron of the target (default: 0..size-1 and the label)
    cell_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    source_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    source_population: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=str))

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.name
        if (self.spike_times is None) != (self.spike_ids is None):
            raise ValueError(f"{self.name}: spike_times and spike_ids go together")
        if self.spike_times is not None and self.spike_channels is None:
            self.spike_channels = np.arange(self.size)  # default: every neuron was recorded
        if self.cell_ids.size != self.size:
            self.cell_ids = np.arange(self.size, dtype=np.int64)
        if self.source_index.size != self.size:
            self.source_index = np.arange(self.size, dtype=np.int64)
        if self.source_population.size != self.size:
            self.source_population = np.full(self.size, self.label)

    def spikes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(spike_times, spike_ids, spike_channels)``; ValueError if spikes were not recorded."""
        if self.spike_times is None or self.spike_ids is None or self.spike_channels is None:
            raise ValueError(f"spikes of {self.name!r} were not recorded")
        return self.spike_times, self.spike_ids, self.spike_channels

    def select(self, variables: Iterable[str] | None) -> RecordedData:
        """A shallow copy restricted to ``variables`` (None: everything recorded)."""
        if variables is None:
            return self
        wanted = set(variables)
        keep_spikes = "spikes" in wanted
        return RecordedData(
            name=self.name, size=self.size, t_start=self.t_start, t_stop=self.t_stop,
            spike_times=self.spike_times if keep_spikes else None,
            spike_ids=self.spike_ids if keep_spikes else None,
            spike_channels=self.spike_channels if keep_spikes else None,
            signals={k: s for k, s in self.signals.items() if k in wanted},
            kind=self.kind, label=self.label, description=self.description,
            annotations=self.annotations, cell_ids=self.cell_ids,
            source_index=self.source_index, source_population=self.source_population,
        )


def collect(target: Any, variables: Sequence[str] | str | None, name: str, t_stop: float,
            initial_values: InitialValues | None = None) -> RecordedData:
    """Read what ``target`` (a PyNN Population, PopulationView or Assembly) recorded.

    ``variables`` restricts the variables read (``None`` or ``"all"``: all that
    were recorded); a variable that was not recorded is left out, as PyNN's
    ``get_data`` does. ``name`` is the target's name in the spec; ``t_stop`` the
    end of the run in ms (spikes after it are dropped). ``initial_values`` comes
    from :func:`capture_initial_values`.
    """
    wanted: set[str] | None
    if variables is None or variables == "all":
        wanted = None
    elif isinstance(variables, str):
        wanted = {variables}
    else:
        wanted = {str(v) for v in variables}
    members = list(target.populations) if hasattr(target, "populations") else [target]
    parts = [_collect_member(m, wanted, t_stop, initial_values) for m in members]
    kind = ("assembly" if hasattr(target, "populations")
            else "view" if hasattr(target, "parent") else "population")
    if kind == "assembly":
        label, description = str(target.label), str(target.describe())
    else:
        label, description = parts[0].label, parts[0].description
    return _merge(parts, name=name, kind=kind, label=label, description=description,
                  t_stop=t_stop)


def capture_initial_values(populations: Iterable[Any]) -> InitialValues:
    """Read, from NEST, the initial value of every analog variable recorded in ``populations``.

    Call it after ``record()`` and before the first ``run()``; pass the result
    to :func:`collect`. Only cells recorded for that variable are read.
    """
    captured: InitialValues = {}
    for population in populations:
        members = list(population.populations) if hasattr(population, "populations") \
            else [population]
        for member in members:
            root = _root(member)
            recorder = member.recorder
            for variable, id_set in recorder.recorded.items():
                if variable.name == "spikes" or not id_set:
                    continue
                ids = np.sort(np.fromiter((int(i) for i in id_set), dtype=np.int64))
                index = ids - int(root.first_id)
                nest_name, scale = _nest_variable(root.celltype, variable.name)
                try:
                    values = np.atleast_1d(np.asarray(
                        root.node_collection[index.tolist()].get(nest_name), dtype=float))
                except KeyError:
                    # recordable but not a status entry in NEST (hh_cond_exp_traub's g_ex):
                    # the t_start sample comes from PyNN's initial value instead
                    continue
                store = captured.setdefault(variable.name, {})
                store.update(zip(ids.tolist(), (values * scale).tolist(), strict=True))
    return captured


# ----------------------------------------------------------------------------- internals


def _root(member: Any) -> Any:
    return member.grandparent if hasattr(member, "parent") else member


def _ms(value: Any) -> float:
    """PyNN keeps times as quantities in ms or as floats in ms."""
    if hasattr(value, "rescale"):
        return float(value.rescale("ms").magnitude)
    return float(value)


def _nest_variable(celltype: Any, name: str) -> tuple[str, float]:
    nest_name = celltype.variable_map.get(name, name) if hasattr(celltype, "variable_map") \
        else name
    scale = celltype.scale_factors.get(name, 1) if hasattr(celltype, "scale_factors") else 1
    return nest_name, float(scale)


def _ids(cells: Any) -> np.ndarray:
    return np.fromiter((int(c) for c in cells), dtype=np.int64, count=len(cells))


def _recorded_ids(recorder: Any, variable_name: str, member_ids_sorted: np.ndarray) -> np.ndarray:
    """Sorted ids of the member's cells that are recorded for ``variable_name``."""
    for variable, id_set in recorder.recorded.items():
        if variable.name == variable_name:
            recorded = np.fromiter((int(i) for i in id_set), dtype=np.int64, count=len(id_set))
            return np.intersect1d(recorded, member_ids_sorted)
    return np.empty(0, dtype=np.int64)


def _is_nest_fast_path(recorder: Any) -> bool:
    return (hasattr(recorder, "_spike_detector") and hasattr(recorder, "_multimeter")
            and not list(recorder.cache) and bool(getattr(recorder._multimeter, "_clean", False))
            and not any(getattr(recorder._multimeter, "_initial_values", {}).values()))


def _collect_member(member: Any, wanted: set[str] | None, t_stop: float,
                    initial_values: InitialValues | None) -> RecordedData:
    """One Population or PopulationView (a member of an Assembly or the target itself)."""
    recorder = member.recorder
    root = _root(member)
    ids = _ids(member.all_cells)
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    source_index = ids - int(root.first_id)
    recorded_names = [v.name for v in recorder.recorded if recorder.recorded[v]]
    names = [n for n in dict.fromkeys(recorded_names) if wanted is None or n in wanted]
    label = str(recorder.population.label)
    data = RecordedData(
        name=str(member.label), size=len(ids), t_start=_ms(recorder._recording_start_time),
        t_stop=float(t_stop), label=label, description=str(recorder.population.describe()),
        annotations=dict(recorder.metadata), cell_ids=ids, source_index=source_index,
        source_population=np.full(len(ids), label),
        kind="view" if hasattr(member, "parent") else "population",
    )

    def to_index(node_ids: np.ndarray) -> np.ndarray:
        return order[np.searchsorted(ids_sorted, node_ids)]

    if not _is_nest_fast_path(recorder):
        _fill_from_block(data, member, names, to_index, ids_sorted, t_stop)
        return data

    sids = (_recorded_ids(recorder, "spikes", ids_sorted) if "spikes" in names
            else np.empty(0, dtype=np.int64))
    if sids.size:  # spikes recorded on at least one neuron of this member
        senders, times = recorder._get_spiketimes(sids)
        senders = np.asarray(senders, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        keep = times <= t_stop
        data.spike_channels = np.sort(to_index(sids))
        _set_spikes(data, times[keep], to_index(senders[keep]))
    for var_name in names:
        if var_name != "spikes":
            signal = _nest_signal(recorder, root, var_name, ids_sorted, to_index, initial_values)
            if signal is not None:
                data.signals[var_name] = signal
    return data


def _set_spikes(data: RecordedData, times: np.ndarray, index: np.ndarray) -> None:
    sort = np.lexsort((index, times))
    data.spike_times = np.ascontiguousarray(times[sort], dtype=np.float64)
    data.spike_ids = np.ascontiguousarray(index[sort], dtype=np.int64)


def _nest_signal(recorder: Any, root: Any, var_name: str, ids_sorted: np.ndarray,
                 to_index: Any, initial_values: InitialValues | None) -> Signal | None:
    from pyNN.nest import simulator

    wanted_ids = _recorded_ids(recorder, var_name, ids_sorted)
    if wanted_ids.size == 0:
        return None
    nest_name, scale = _nest_variable(root.celltype, var_name)
    events = recorder._multimeter.device.get("events")
    senders = np.asarray(events["senders"], dtype=np.int64)
    times = np.asarray(events["times"], dtype=np.float64) - simulator.state._time_offset
    keep = (times <= simulator.state.t) & np.isin(senders, wanted_ids)
    senders, times = senders[keep], times[keep]
    values = np.asarray(events[nest_name], dtype=np.float64)[keep]
    if scale != 1:
        values = values * scale
    n_channels = wanted_ids.size
    if senders.size % n_channels:
        raise OutputError(f"NEST recorded an unequal number of samples of {var_name!r} "
                          f"per cell in population {root.label!r}")
    sort = np.lexsort((times, senders))
    samples = values[sort].reshape(n_channels, senders.size // n_channels).T
    first = _initial_row(root, var_name, wanted_ids, initial_values)
    units = root.find_units(_Variable(var_name))
    return Signal(
        name=var_name, t_start=_ms(recorder._recording_start_time),
        sampling_period=float(recorder.sampling_interval),
        values=np.vstack((first[np.newaxis, :], samples)),
        channel_ids=to_index(wanted_ids).astype(np.int64),
        units="dimensionless" if units == "unknown" else str(units),
    )


@dataclass(frozen=True)
class _Variable:
    """Stands for pyNN.recording.Variable where only ``.name`` is read."""

    name: str
    location: None = None
    label: None = None


def _initial_row(root: Any, var_name: str, ids: np.ndarray,
                 initial_values: InitialValues | None) -> np.ndarray:
    known = (initial_values or {}).get(var_name, {})
    if all(int(i) in known for i in ids):
        return np.array([known[int(i)] for i in ids], dtype=np.float64)
    # not captured (NEST does not expose it as a status entry): PyNN's initial value
    row = _evaluated_initial_row(root, var_name, ids)
    for j, i in enumerate(ids):
        row[j] = known.get(int(i), row[j])
    return row


def _evaluated_initial_row(root: Any, var_name: str, ids: np.ndarray) -> np.ndarray:
    lazy = root.initial_values.get(var_name)
    if lazy is None:
        return np.zeros(ids.size)
    from pyNN.random import RandomDistribution

    if isinstance(getattr(lazy, "base_value", None), RandomDistribution):
        return np.full(ids.size, np.nan)
    full = np.broadcast_to(np.asarray(lazy.evaluate(simplify=True), dtype=np.float64),
                           (root.size,))
    return np.array(full[ids - int(root.first_id)], dtype=np.float64)


def _fill_from_block(data: RecordedData, member: Any, names: list[str], to_index: Any,
                     ids_sorted: np.ndarray, t_stop: float) -> None:
    """Slow but general path: PyNN's ``get_data()`` (any backend, any recorder state)."""
    if not names:
        return
    state = getattr(getattr(member, "_simulator", None), "state", None)
    # on several MPI processes each reads its own cells (merged by netspec.export.gather);
    # sPyNNaker warns about any gather=False, so it is only passed where it matters
    local = {"gather": False} if getattr(state, "num_processes", 1) > 1 else {}
    segment = member.get_data(names, **local).segments[-1]
    if "spikes" in names:
        trains = segment.spiketrains
        channels: list[int] = []
        times_parts: list[np.ndarray] = []
        index_parts: list[np.ndarray] = []
        for train in trains:
            node_id = _node_id_of(train, data, ids_sorted)
            if node_id is None:
                continue
            idx = int(to_index(np.array([node_id]))[0])
            channels.append(idx)
            t = np.asarray(train.rescale("ms").magnitude, dtype=np.float64)
            t = t[t <= t_stop]
            times_parts.append(t)
            index_parts.append(np.full(t.size, idx, dtype=np.int64))
        if channels:  # spikes recorded on at least one neuron of this member
            data.spike_channels = np.array(sorted(channels), dtype=np.int64)
            _set_spikes(data, np.concatenate(times_parts), np.concatenate(index_parts))
    for signal in segment.analogsignals:
        if signal.name not in names or signal.name == "spikes":
            continue
        node_ids = np.asarray(signal.annotations.get("channel_ids", []), dtype=np.int64)
        if node_ids.size != signal.shape[1]:
            continue
        data.signals[signal.name] = Signal(
            name=str(signal.name), t_start=_ms(signal.t_start),
            sampling_period=_ms(signal.sampling_period),
            values=np.asarray(signal.magnitude, dtype=np.float64),
            channel_ids=to_index(node_ids).astype(np.int64),
            units=str(signal.units.dimensionality),
        )


def _node_id_of(train: Any, data: RecordedData, ids_sorted: np.ndarray) -> int | None:
    ann = train.annotations
    if "channel_id" in ann:
        node_id = int(ann["channel_id"])
    elif "source_index" in ann:
        node_id = int(data.annotations.get("first_id", 0)) + int(ann["source_index"])
    else:
        return None
    pos = int(np.searchsorted(ids_sorted, node_id))
    return node_id if pos < ids_sorted.size and ids_sorted[pos] == node_id else None


def _merge(parts: list[RecordedData], *, name: str, kind: str, label: str, description: str,
           t_stop: float) -> RecordedData:
    """Concatenate the members of an Assembly (or rename a single part)."""
    if len(parts) == 1:
        part = parts[0]
        part.name, part.kind, part.label, part.description = name, kind, label, description
        return part
    offsets = np.cumsum([0] + [p.size for p in parts[:-1]])
    merged = RecordedData(
        name=name, size=sum(p.size for p in parts), t_start=min(p.t_start for p in parts),
        t_stop=float(t_stop), kind=kind, label=label, description=description,
        annotations=dict(parts[0].annotations),
        cell_ids=np.concatenate([p.cell_ids for p in parts]),
        source_index=np.concatenate([p.source_index for p in parts]),
        source_population=np.concatenate([p.source_population for p in parts]),
    )
    spiking = [(p.spikes(), off) for p, off in zip(parts, offsets, strict=True)
               if p.spike_times is not None]
    if spiking:
        merged.spike_channels = np.concatenate([ch + off for (_, _, ch), off in spiking])
        _set_spikes(merged, np.concatenate([t for (t, _, _), _ in spiking]),
                    np.concatenate([i + off for (_, i, _), off in spiking]))
    names = dict.fromkeys(n for p in parts for n in p.signals)
    for var_name in names:
        pieces = [(p.signals[var_name], off)
                  for p, off in zip(parts, offsets, strict=True) if var_name in p.signals]
        first = pieces[0][0]
        for sig, _ in pieces[1:]:
            if (sig.t_start, sig.sampling_period, sig.values.shape[0], sig.units) != (
                    first.t_start, first.sampling_period, first.values.shape[0], first.units):
                raise OutputError(
                    f"cannot export {var_name!r} of assembly {name!r} as one signal: its "
                    "populations were recorded with different sampling or duration")
        merged.signals[var_name] = Signal(
            name=var_name, t_start=first.t_start, sampling_period=first.sampling_period,
            values=np.hstack([s.values for s, _ in pieces]),
            channel_ids=np.concatenate([s.channel_ids + off for s, off in pieces]),
            units=first.units,
        )
    return merged
