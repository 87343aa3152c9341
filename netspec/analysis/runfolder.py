"""Read a run folder back for analysis: its manifest, its summary and its data exports.

A run folder is what ``netspec run`` wrote: ``manifest.json`` (always; it
holds the resolved spec and lists every output with its format) beside the
exports. :func:`read_run` rebuilds, from the ``nix`` and ``sonata`` exports,
the spikes of every population and view whose spikes were recorded — the
targets the summary rates — even when they were not exported themselves: the
spikes are gathered per population (by each exported neuron's index in its
population) and each target takes its own cells from there. The seed network
exports its views ``exc`` and ``inh``; its population ``cells`` is their union.

A target is analysed only if every one of its neurons whose spikes were
recorded is in some export; otherwise it is listed in ``unavailable`` with the
reason. Which neurons were recorded comes from the resolved ``recordings`` of
the manifest (SONATA files do not list silent neurons; NIX files do, and must
agree). Pickled exports are not read (a pickle can run code when it is
loaded, and run folders are handed around); analog signals for figures come
from ``nix`` exports.

A run on a SpiNNaker virtual board records nothing: :func:`read_run` raises
:class:`~netspec.errors.RunFolderError` saying so, as for any folder it
cannot use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netspec.errors import AnalysisUnavailableError, RunFolderError
from netspec.export.recorded import RecordedData

MANIFEST = "manifest.json"
#: Export formats read back, in order of preference.
READABLE = ("nix", "sonata")


@dataclass
class Run:
    """What :func:`read_run` found in a run folder.

    ``spikes`` maps every population and view whose spikes were recorded (and
    could be rebuilt) to its data, in spec order; ``signals`` maps exported
    targets that hold analog signals to their data; ``unavailable`` maps the
    other recorded targets to the reason.
    """

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any] | None
    t_start: float
    t_stop: float
    spikes: dict[str, RecordedData] = field(default_factory=dict)
    signals: dict[str, RecordedData] = field(default_factory=dict)
    exported: list[str] = field(default_factory=list)  # spike targets of the exports, in order
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def about(self) -> dict[str, Any]:
        """Network, backend and seed of the run, and its folder."""
        resolved = self.manifest.get("resolved", {})
        summary = self.summary or {}
        return {
            "run": str(self.path),
            "network": summary.get("network", resolved.get("name")),
            "backend": summary.get("backend", self.manifest.get("backend")),
            "seed": summary.get("seed", resolved.get("simulation", {}).get("seed")),
        }


def read_run(path: str | Path) -> Run:
    """Read the run folder at ``path``; see the module docstring.

    Raises :class:`~netspec.errors.RunFolderError` when ``path`` is not a run
    folder, its manifest or a listed export cannot be read, or the run recorded
    no data.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise RunFolderError(f"{folder} is not a folder (give the output folder of a "
                             "netspec run)")
    manifest = _json(folder / MANIFEST, f"{folder} is not a netspec run folder: "
                     f"it has no {MANIFEST}")
    resolved = manifest.get("resolved")
    outputs = manifest.get("outputs")
    if not isinstance(resolved, dict) or not isinstance(outputs, dict):
        raise RunFolderError(f"{folder / MANIFEST} is not a netspec manifest "
                             "(no 'resolved' spec or 'outputs')")
    summary = None
    for rel, info in outputs.items():
        if isinstance(info, dict) and info.get("format") == "summary":
            summary = _json(_inside(folder, rel), f"{folder}: cannot read the summary {rel}")
            break
    backend = manifest.get("backend", "?")
    if manifest.get("recorded_data") is False or (
            summary is not None and summary.get("recorded_data") is False):
        raise RunFolderError(
            f"{folder}: the run on {backend} recorded no data (a SpiNNaker virtual board maps "
            "the network but records nothing); only runs that recorded spikes can be analysed")
    model = _Model(resolved)
    run = Run(folder, manifest, summary, 0.0, model.duration)
    store = _Store(model)
    # the export's own file (a sonata export also lists its nodes and edges files)
    primary = {str(e.get("path")) for e in resolved.get("export", []) if isinstance(e, dict)}
    data_outputs = [(rel, info["format"]) for rel, info in outputs.items()
                    if isinstance(info, dict) and info.get("format") in READABLE
                    and rel in primary]
    data_outputs.sort(key=lambda item: READABLE.index(item[1]))
    for rel, fmt in data_outputs:
        file = _inside(folder, rel)
        if not file.is_file():
            raise RunFolderError(f"{folder}: export {rel} listed in {MANIFEST} is missing")
        try:
            if fmt == "nix":
                _add_nix(run, store, model, file)
            else:
                _add_sonata(run, store, model, file)
        except (AnalysisUnavailableError, RunFolderError):
            raise
        except ImportError as exc:
            from netspec.backends import install_command
            raise AnalysisUnavailableError(
                f"reading {rel} needs Neo, nixio and h5py: {install_command('analysis')} "
                f"({exc})") from exc
        except Exception as exc:
            raise RunFolderError(f"{folder}: cannot read export {rel}: {exc}") from exc
    order = [str(e.get("target")) for e in resolved.get("export", []) if isinstance(e, dict)]
    run.exported.sort(key=lambda n: order.index(n) if n in order else len(order))
    for name in model.rated():
        data, why = store.target(name)
        if data is not None:
            run.spikes[name] = data
        else:
            run.unavailable[name] = why
    if summary is None and not run.spikes and not run.unavailable:
        raise RunFolderError(f"{folder}: the run recorded no spikes")
    return run


# ----------------------------------------------------------------------------- internals


def _json(path: Path, message: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunFolderError(message) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"{message} ({exc})") from exc
    if not isinstance(value, dict):
        raise RunFolderError(f"{message} (not a JSON object)")
    return value


def _inside(folder: Path, rel: str) -> Path:
    """``folder/rel``, refusing a manifest entry that would leave the folder."""
    parts = Path(str(rel).replace("\\", "/")).parts
    if not parts or Path(str(rel)).is_absolute() or ".." in parts:
        raise RunFolderError(f"{folder}: manifest lists an output outside the folder: {rel!r}")
    return folder.joinpath(*parts)


class _Model:
    """The parts of the resolved spec (from the manifest) that say which cells are where."""

    def __init__(self, resolved: Mapping[str, Any]) -> None:
        try:
            self.populations: dict[str, int] = {
                str(k): int(v["size"]) for k, v in resolved.get("populations", {}).items()}
            self.labels: dict[str, str] = {
                str(v.get("label") or k): str(k)
                for k, v in resolved.get("populations", {}).items()}
            self.views: dict[str, dict[str, Any]] = dict(resolved.get("views", {}))
            self.recordings: list[dict[str, Any]] = list(resolved.get("recordings", {}).values())
            self.duration = float(resolved["simulation"]["duration"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RunFolderError(f"the manifest's resolved spec is incomplete ({exc})") from exc
        self._runs: dict[str, list[tuple[str, np.ndarray]]] = {}

    def kind(self, name: str) -> str:
        if name in self.populations:
            return "population"
        return "assembly" if "members" in self.views.get(name, {}) else "view"

    def knows(self, name: str) -> bool:
        return name in self.populations or name in self.views

    def runs(self, name: str) -> list[tuple[str, np.ndarray]]:
        """The cells of a target in PyNN's order, as (population, indices) runs."""
        if name not in self._runs:
            if name in self.populations:
                runs = [(name, np.arange(self.populations[name], dtype=np.int64))]
            else:
                view = self.views[name]
                if "members" in view:
                    runs = [r for member in view["members"] for r in self.runs(str(member))]
                else:
                    runs = [(str(view["population"]),
                             np.asarray(view["indices"], dtype=np.int64))]
            self._runs[name] = runs
        return self._runs[name]

    def size(self, name: str) -> int:
        return sum(len(cells) for _, cells in self.runs(name))

    def cells(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(population number, index) of every cell of ``name``, in order."""
        names = list(self.populations)
        runs = self.runs(name)
        empty = np.empty(0, dtype=np.int64)
        pops = np.concatenate([np.full(len(c), names.index(p), dtype=np.int64)
                               for p, c in runs] or [empty])
        return pops, np.concatenate([c for _, c in runs] or [empty]).astype(np.int64)

    def recorded_spikes(self) -> dict[str, np.ndarray]:
        """Per population, a mask of the cells whose spikes were recorded."""
        masks = {p: np.zeros(n, dtype=bool) for p, n in self.populations.items()}
        for recording in self.recordings:
            if "spikes" not in recording.get("variables", ()):
                continue
            target = str(recording["target"])
            if not self.knows(target):
                continue
            pops, index = self.cells(target)
            chosen = recording.get("indices")
            if chosen is not None:
                chosen = np.asarray([i for i in chosen if 0 <= i < pops.size], dtype=np.int64)
                pops, index = pops[chosen], index[chosen]
            names = list(self.populations)
            for k in np.unique(pops):
                masks[names[k]][index[pops == k]] = True
        return masks

    def rated(self) -> list[str]:
        """Populations, views and assemblies with spike-recorded cells, in spec order
        (populations first), as the summary rates them."""
        masks = self.recorded_spikes()
        names = [*self.populations, *self.views]
        out = []
        for name in names:
            if any(masks[p][cells].any() for p, cells in self.runs(name)):
                out.append(name)
        return out


class _Store:
    """Spikes per population (index within the population, time), gathered from exports."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.recorded = model.recorded_spikes()
        self.covered = {p: np.zeros(n, dtype=bool) for p, n in model.populations.items()}
        self._index: dict[str, list[np.ndarray]] = {p: [] for p in model.populations}
        self._times: dict[str, list[np.ndarray]] = {p: [] for p in model.populations}
        self._final: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def add(self, population: str, cells: np.ndarray, index: np.ndarray,
            times: np.ndarray) -> None:
        """Spikes (``index`` within ``population``, ``times``) of the recorded ``cells``;
        cells already added by an earlier export are skipped."""
        new = ~self.covered[population][index]
        self._index[population].append(index[new])
        self._times[population].append(times[new])
        self.covered[population][cells] = True
        self._final.pop(population, None)

    def _arrays(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        if population not in self._final:
            index = np.concatenate(self._index[population] or [np.empty(0, np.int64)])
            times = np.concatenate(self._times[population] or [np.empty(0)])
            self._final[population] = (index.astype(np.int64), times.astype(np.float64))
        return self._final[population]

    def target(self, name: str) -> tuple[RecordedData | None, str]:
        """The spikes of target ``name`` from the store, or None and why not."""
        runs = self.model.runs(name)
        missing = recorded = 0
        for population, cells in runs:
            wanted = self.recorded[population][cells]
            recorded += int(wanted.sum())
            missing += int((wanted & ~self.covered[population][cells]).sum())
        if missing:
            return None, (f"the spikes of {missing} of its {recorded} recorded neurons are in "
                          f"no {' or '.join(READABLE)} export")
        times_parts, ids_parts, channel_parts = [], [], []
        offset = 0
        for population, cells in runs:
            index, times = self._arrays(population)
            position = np.full(self.model.populations[population], -1, dtype=np.int64)
            position[cells] = offset + np.arange(cells.size)
            where = position[index]
            keep = where >= 0
            times_parts.append(times[keep])
            ids_parts.append(where[keep])
            channel_parts.append(offset + np.flatnonzero(self.recorded[population][cells]))
            offset += cells.size
        times = np.concatenate(times_parts)
        ids = np.concatenate(ids_parts)
        order = np.lexsort((ids, times))
        return RecordedData(
            name=name, size=offset, t_start=0.0, t_stop=self.model.duration,
            spike_times=times[order], spike_ids=ids[order],
            spike_channels=np.concatenate(channel_parts), kind=self.model.kind(name)), ""


def _add_spikes(store: _Store, model: _Model, name: str, size: int, channels: np.ndarray,
                ids: np.ndarray, times: np.ndarray, source: Path) -> None:
    if size != model.size(name):
        raise RunFolderError(f"{source}: target {name!r} has {size} neurons in the file but "
                             f"{model.size(name)} in the manifest")
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        raise RunFolderError(f"{source}: spikes of {name!r} name neurons outside it")
    pops, index = model.cells(name)
    names = list(model.populations)
    for k in np.unique(pops):
        population = names[k]
        in_pop = pops == k
        chosen = channels[in_pop[channels]]
        spikes = in_pop[ids]
        store.add(population, index[chosen], index[ids[spikes]], times[spikes])


def _add_nix(run: Run, store: _Store, model: _Model, file: Path) -> None:
    from netspec.reader import read_targets

    for name, data in read_targets(file).items():
        if not model.knows(name):
            continue
        if data.spike_times is not None:
            times, ids, channels = data.spikes()
            _add_spikes(store, model, name, data.size, channels, ids, times, file)
            if name not in run.exported:
                run.exported.append(name)
        if data.signals and name not in run.signals:
            data.size = model.size(name)
            data.kind = model.kind(name)
            run.signals[name] = data


def _add_sonata(run: Run, store: _Store, model: _Model, file: Path) -> None:
    from netspec.reader import read_sonata

    for group, (times, ids) in read_sonata(file).items():
        # SONATA populations are PyNN Populations, named by their label
        name = model.labels.get(group, group)
        if not model.knows(name):
            continue
        size = model.size(name)
        pops, index = model.cells(name)
        names = list(model.populations)
        recorded = np.zeros(size, dtype=bool)
        for k in np.unique(pops):
            in_pop = pops == k
            recorded[in_pop] = store.recorded[names[k]][index[in_pop]]
        _add_spikes(store, model, name, size, np.flatnonzero(recorded), ids, times, file)
        if name not in run.exported:
            run.exported.append(name)
