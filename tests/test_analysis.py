"""netspec stats / plot / compare on run folders, without a simulator.

Run folders are made the way the runner makes them (the spec resolved by
netspec, exports written by netspec's writers, summary and manifest), from
spikes drawn here; the statistics are checked against Elephant itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import netspec
from netspec.export.recorded import RecordedData, Signal

pytest.importorskip("neo")
pytest.importorskip("nixio")
pytest.importorskip("h5py")
elephant = pytest.importorskip("elephant")
pytest.importorskip("matplotlib")

from elephant.spike_train_synchrony import spike_contrast as elephant_spike_contrast  # noqa: E402
from elephant.statistics import cv as elephant_cv  # noqa: E402
from elephant.statistics import fanofactor as elephant_fanofactor  # noqa: E402
from elephant.statistics import isi as elephant_isi  # noqa: E402

from netspec.analysis import api, statistics  # noqa: E402
from netspec.analysis.compare import Tolerances, parse_tolerance  # noqa: E402
from netspec.analysis.figure import figure, raster_marks  # noqa: E402
from netspec.analysis.runfolder import read_run  # noqa: E402
from netspec.analysis.statistics import Window, spike_contrast  # noqa: E402


def netspec_cli(*args: str) -> Any:
    """The command line, in this process (a subprocess would import Elephant every time)."""
    from click.testing import CliRunner

    from netspec.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    result.returncode = result.exit_code
    return result

SPEC = """\
netspec: "1"
name: synth
simulation: {timestep: 0.1 ms, duration: 1000 ms, seed: 1}
populations:
  a: {size: 50, cell_type: IF_curr_exp}
  b: {size: 20, cell_type: IF_curr_exp}
views:
  a_first: {population: a, slice: [0, 30]}
  a_rest: {population: a, slice: [30, 50]}
recordings:
  spikes: {target: a, variables: [spikes]}
  bspikes: {target: b, variables: [spikes]}
  volts: {target: a_first, indices: [0, 1, 2], variables: [v], sampling_interval: 1 ms}
export:
  - {format: nix, target: a_first, path: a_first.h5}
  - {format: nix, target: a_rest, path: a_rest.h5}
  - {format: sonata, target: b, path: b.sonata.h5}
  - {format: summary, path: summary.json}
  - {format: stats, path: stats.json}
  - {format: plot, path: figure.png}
"""


def poisson(rng: np.random.Generator, size: int, rate: float, t_stop: float,
            silent: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Multiplexed Poisson spikes (times in ms, neuron index), sorted by time; the last
    ``silent`` neurons never spike."""
    times, ids = [], []
    for i in range(size - silent):
        n = rng.poisson(rate * t_stop / 1000.0)
        t = np.unique(np.round(rng.uniform(0.1, t_stop, n), 1))
        times.append(t)
        ids.append(np.full(t.size, i))
    t_all, i_all = np.concatenate(times), np.concatenate(ids).astype(np.int64)
    order = np.lexsort((i_all, t_all))
    return t_all[order], i_all[order]


def recorded(name: str, size: int, times: np.ndarray, ids: np.ndarray, *, kind: str,
             population: str, first: int = 0) -> RecordedData:
    """RecordedData of a target of ``size`` cells starting at ``first`` in ``population``."""
    return RecordedData(name=name, size=size, t_start=0.0, t_stop=1000.0, spike_times=times,
                        spike_ids=ids, kind=kind, label=population,
                        source_index=np.arange(first, first + size),
                        source_population=np.full(size, population))


def make_run(folder: Path, tmp: Path, *, rate_a: float = 20.0, rate_b: float = 8.0,
             seed: int = 0, spec: str = SPEC) -> Path:
    """A run folder of ``spec`` with Poisson spikes, written as the runner writes it."""
    from netspec import export
    from netspec.checks import rated_targets
    from netspec.model import as_data
    from netspec.runner import _export_targets

    spec_file = tmp / f"synth-{seed}-{rate_a}-{rate_b}.yaml"
    spec_file.write_text(spec)
    network = netspec.load(spec_file)
    rng = np.random.default_rng(seed)
    ta, ia = poisson(rng, 50, rate_a, 1000.0, silent=2)
    tb, ib = poisson(rng, 20, rate_b, 1000.0)
    first = ia < 30
    data = {
        "a": recorded("a", 50, ta, ia, kind="population", population="a"),
        "a_first": recorded("a_first", 30, ta[first], ia[first], kind="view", population="a"),
        "a_rest": recorded("a_rest", 20, ta[~first], ia[~first] - 30, kind="view",
                           population="a", first=30),
        "b": recorded("b", 20, tb, ib, kind="population", population="b"),
    }
    v = -65.0 + rng.normal(0, 1, (1001, 3))
    data["a_first"].signals["v"] = Signal("v", 0.0, 1.0, v, np.array([0, 1, 2]), "mV")
    summary = {"network": network.name, "backend": "nest", "seed": seed,
               "duration_ms": 1000.0, "recorded_data": True,
               "populations": export.summarise({n: data[n] for n in rated_targets(network)},
                                               1000.0),
               "times_s": {}}
    manifest = {"resolved": as_data(network), "backend": "nest"}
    with export.prepare(network.exports, folder, force=False) as plan:
        export.write_exports(plan, network.exports, data, summary, manifest,
                             targets={e.path: _export_targets(network, e)
                                      for e in network.exports})
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("analysis")
    return make_run(tmp / "run", tmp)


# ----------------------------------------------------------------------- statistics


def _trains(rng: np.random.Generator, n: int, t_stop: float) -> list[np.ndarray]:
    return [np.unique(np.round(rng.uniform(0, t_stop, rng.integers(0, 40)), 1))
            for _ in range(n)]


def _as_data(trains: list[np.ndarray], t_stop: float) -> RecordedData:
    ids = np.concatenate([np.full(len(t), i) for i, t in enumerate(trains)]).astype(np.int64)
    times = np.concatenate(trains)
    order = np.lexsort((ids, times))
    return RecordedData(name="x", size=len(trains), t_start=0.0, t_stop=t_stop,
                        spike_times=times[order], spike_ids=ids[order])


@pytest.mark.parametrize("seed", range(12))
def test_statistics_equal_elephants(seed: int) -> None:
    import neo
    import quantities as pq

    rng = np.random.default_rng(seed)
    t_stop = float(rng.integers(50, 3000))
    trains = _trains(rng, int(rng.integers(2, 40)), t_stop)
    stats = statistics.target_statistics(_as_data(trains, t_stop), Window(0.0, t_stop))
    expected_cv = [elephant_cv(elephant_isi(t)) for t in trains if len(t) >= 3]
    if expected_cv:
        assert stats.cv_isi == pytest.approx(float(np.mean(expected_cv)), rel=1e-12)
        assert stats.cv_neurons == len(expected_cv)
    else:
        assert stats.cv_isi is None
    if any(len(t) for t in trains):
        assert stats.fano_factor == pytest.approx(elephant_fanofactor(trains), rel=1e-12)
    sts = [neo.SpikeTrain(t, units="ms", t_start=0.0, t_stop=t_stop) for t in trains]
    try:
        expected = elephant_spike_contrast(sts, t_start=0.0 * pq.ms, t_stop=t_stop * pq.ms)
    except ValueError:
        assert stats.synchrony is None
    else:
        assert stats.synchrony == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert stats.mean_rate_hz == sum(len(t) for t in trains) / len(trains) / (t_stop / 1000)


def test_spike_contrast_of_synchronous_trains_is_high() -> None:
    together = [np.arange(5.0, 1000.0, 50.0) for _ in range(20)]
    rng = np.random.default_rng(3)
    apart = [np.sort(rng.uniform(0, 1000, 20)) for _ in range(20)]
    assert spike_contrast(together, 0.0, 1000.0) > 0.9 > 0.5 > spike_contrast(apart, 0, 1000.0)


def test_undefined_statistics_are_none_never_nan() -> None:
    one = RecordedData(name="one", size=1, t_start=0.0, t_stop=100.0,
                       spike_times=np.array([10.0, 20.0]), spike_ids=np.array([0, 0]))
    stats = statistics.target_statistics(one, Window(0.0, 100.0))
    assert (stats.cv_isi, stats.fano_factor, stats.synchrony) == (None, None, None)
    assert stats.mean_rate_hz == 20.0
    silent = RecordedData(name="silent", size=5, t_start=0.0, t_stop=100.0,
                          spike_times=np.empty(0), spike_ids=np.empty(0, dtype=np.int64))
    stats = statistics.target_statistics(silent, Window(0.0, 100.0))
    assert stats.mean_rate_hz == 0.0 and stats.spike_count == 0
    assert (stats.cv_isi, stats.fano_factor, stats.synchrony) == (None, None, None)
    text = json.dumps(statistics.document({"silent": stats}, Window(0.0, 100.0), {}),
                      allow_nan=False)
    assert "NaN" not in text


def test_window_is_half_open_and_closed_at_the_end_of_the_run() -> None:
    data = RecordedData(name="x", size=1, t_start=0.0, t_stop=100.0,
                        spike_times=np.array([0.0, 50.0, 100.0]), spike_ids=np.zeros(3, int))
    first = statistics.window(0.0, 100.0, None, 50.0)
    last = statistics.window(0.0, 100.0, 50.0, None)
    assert statistics.target_statistics(data, first).spike_count == 1
    assert statistics.target_statistics(data, last).spike_count == 2
    with pytest.raises(netspec.UsageError, match="empty"):
        statistics.window(0.0, 100.0, 60.0, 50.0)
    with pytest.raises(netspec.UsageError, match="leaves the run"):
        statistics.window(0.0, 100.0, 0.0, 200.0)


# ----------------------------------------------------------------------- run folders


def test_stats_of_a_run_folder_rebuild_populations_from_exported_views(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    document = api.stats(run_dir)
    assert list(document["populations"]) == list(summary["populations"])  # a, b, a_first, a_rest
    for name, entry in summary["populations"].items():
        got = document["populations"][name]
        assert got["mean_rate_hz"] == entry["mean_rate_hz"]
        assert got["spike_count"] == entry["spike_count"]
    assert document["populations"]["a"]["recorded"] == 50  # two silent neurons count
    assert document["populations"]["b"]["recorded"] == 20  # from the SONATA file
    assert document["unavailable"] == {}


def test_stats_and_plot_exports_are_what_the_commands_give(run_dir: Path) -> None:
    exported = json.loads((run_dir / "stats.json").read_text())
    document = api.stats(run_dir)
    assert exported == {k: v for k, v in document.items() if k != "run"}
    assert (run_dir / "figure.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["outputs"]["stats.json"]["format"] == "stats"
    assert manifest["outputs"]["figure.png"]["format"] == "plot"


def test_stats_cli_json_and_text(run_dir: Path) -> None:
    done = netspec_cli("stats", str(run_dir), "--format", "json", "--from", "0.25 s",
                       "--to", "750")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["window_ms"] == [250.0, 750.0]
    assert set(document["populations"]["a"]) >= {"mean_rate_hz", "cv_isi", "fano_factor",
                                                 "synchrony", "spike_count"}
    text = netspec_cli("stats", str(run_dir))
    assert text.returncode == 0 and "a_first" in text.stdout and "synchrony" in text.stdout


def test_a_target_missing_from_the_exports_is_reported_unavailable(tmp_path: Path) -> None:
    spec = SPEC.replace("  - {format: nix, target: a_rest, path: a_rest.h5}\n", "").replace(
        "  - {format: stats, path: stats.json}\n", "")
    folder = make_run(tmp_path / "run", tmp_path, spec=spec)
    document = api.stats(folder)
    assert set(document["populations"]) == {"b", "a_first"}
    assert "20 of its 50 recorded neurons" in document["unavailable"]["a"]
    assert "a_rest" in document["unavailable"]


@pytest.mark.parametrize("case", ["no folder", "no manifest", "bad manifest", "virtual board",
                                  "missing export"])
def test_unusable_run_folders_are_refused_clearly(case: str, run_dir: Path,
                                                  tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "run"
    if case != "no folder":
        shutil.copytree(run_dir, folder)
    expected = {"no folder": "is not a folder", "no manifest": "not a netspec run folder",
                "bad manifest": "not a netspec run folder", "virtual board": "recorded no data",
                "missing export": "is missing"}[case]
    if case == "no manifest":
        (folder / "manifest.json").unlink()
    elif case == "bad manifest":
        (folder / "manifest.json").write_text("{not json")
    elif case == "virtual board":
        summary = json.loads((folder / "summary.json").read_text())
        summary["recorded_data"] = False
        summary["backend"] = "spinnaker"
        (folder / "summary.json").write_text(json.dumps(summary))
    elif case == "missing export":
        (folder / "a_rest.h5").unlink()
    for command in (["stats", str(folder)], ["plot", str(folder), "-o", str(tmp_path / "f.png")],
                    ["compare", str(run_dir), str(folder)]):
        done = netspec_cli(*command)
        assert done.returncode == 2, (command, done.stderr)
        assert expected in done.stderr and "Traceback" not in done.stderr


# ----------------------------------------------------------------------- figures


def test_raster_holds_one_mark_per_recorded_spike(run_dir: Path) -> None:
    run = read_run(run_dir)
    fig = figure(api.rasters(run), run.signals, Window(0.0, 1000.0))
    marks = raster_marks(fig)
    assert marks == {name: int(run.spikes[name].spike_times.size)  # type: ignore[union-attr]
                     for name in ("a_first", "a_rest", "b")}
    summary = json.loads((run_dir / "summary.json").read_text())["populations"]
    assert sum(marks.values()) == summary["a"]["spike_count"] + summary["b"]["spike_count"]


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_writes_a_real_figure(run_dir: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"figure.{suffix}"
    done = netspec_cli("plot", str(run_dir), "-o", str(out), "--from", "100", "--to", "600")
    assert done.returncode == 0, done.stderr
    head = out.read_bytes()[:200]
    assert head.startswith(b"\x89PNG\r\n\x1a\n") if suffix == "png" else b"<svg" in out.read_bytes()
    again = netspec_cli("plot", str(run_dir), "-o", str(out))
    assert again.returncode == 3 and "--force" in again.stderr
    assert netspec_cli("plot", str(run_dir), "-o", str(out), "--force").returncode == 0
    bad = netspec_cli("plot", str(run_dir), "-o", str(tmp_path / "figure.gif"))
    assert bad.returncode == 2 and ".png" in bad.stderr


def test_plot_does_not_touch_the_callers_matplotlib_backend(run_dir: Path,
                                                            tmp_path: Path) -> None:
    import matplotlib

    before = matplotlib.get_backend()
    api.plot(run_dir, tmp_path / "f.png")
    assert matplotlib.get_backend() == before


# ----------------------------------------------------------------------- compare


def test_two_samples_of_one_network_agree(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", tmp_path, seed=1)
    b = make_run(tmp_path / "b", tmp_path, seed=2)
    done = netspec_cli("compare", str(a), str(b))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the runs agree" in done.stdout


def test_a_different_rate_is_refused_naming_population_statistic_values(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", tmp_path, seed=1)
    b = make_run(tmp_path / "b", tmp_path, seed=2, rate_b=16.0)
    done = netspec_cli("compare", str(a), str(b), "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["agree"] is False
    bad = {(d["target"], d["statistic"]) for d in report["disagreements"]}
    assert ("b", "mean_rate_hz") in bad
    assert not any(t.startswith("a") for t, _ in bad)
    rate = next(d for d in report["disagreements"] if d["statistic"] == "mean_rate_hz")
    assert rate["a"] == pytest.approx(8.0, rel=0.2) and rate["b"] == pytest.approx(16, rel=0.2)
    assert 0 < rate["tolerance"] < abs(rate["b"] - rate["a"])
    text = netspec_cli("compare", str(a), str(b))
    assert text.returncode == 1 and "DIFF b rate" in text.stdout and "tolerance" in text.stdout
    loose = netspec_cli("compare", str(a), str(b), "--rtol", "rate=2", "--rtol", "count=2")
    assert loose.returncode == 0, loose.stdout


def test_tolerances_from_the_command_line() -> None:
    assert parse_tolerance(["0.2"], "--rtol") == dict.fromkeys(
        ("mean_rate_hz", "cv_isi", "spike_count"), 0.2)
    assert parse_tolerance(["rate=0.5", "cv=0.1"], "--atol") == {"mean_rate_hz": 0.5,
                                                                  "cv_isi": 0.1}
    for bad in (["fano=1"], ["rate=x"], ["-1"], ["rate=nan"]):
        with pytest.raises(netspec.UsageError):
            parse_tolerance(bad, "--rtol")
    assert Tolerances().updated(sigmas=0).sigmas == 0


def test_tolerances_from_the_first_runs_spec_and_the_command_line(tmp_path: Path) -> None:
    loose = SPEC + "compare: {sigmas: 0, rtol: {rate: 1.5, count: 1.5}, atol: {cv: 1}}\n"
    a = make_run(tmp_path / "a", tmp_path, seed=1, spec=loose)
    b = make_run(tmp_path / "b", tmp_path, seed=2, rate_b=16.0)
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["resolved"]["compare"]["rtol"] == {"mean_rate_hz": 1.5, "spike_count": 1.5}
    done = netspec_cli("compare", str(a), str(b), "--format", "json")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["tolerances"]["sigmas"] == 0
    assert report["tolerances"]["rtol"]["cv_isi"] == 0.15  # the default where the spec is silent
    assert netspec_cli("compare", str(a), str(b), "--rtol", "rate=0.05").returncode == 1
    # the first run's spec decides: b's spec has no compare section
    assert netspec_cli("compare", str(b), str(a)).returncode == 1


def test_identical_runs_agree_even_with_zero_tolerance(run_dir: Path) -> None:
    done = netspec_cli("compare", str(run_dir), str(run_dir), "--sigmas", "0", "--rtol", "0",
                       "--atol", "0", "--format", "json")
    assert done.returncode == 0, done.stdout
    assert all(c["difference"] in (0, 0.0, None) for c in json.loads(done.stdout)["checks"])


def test_analysis_imports_no_simulator(run_dir: Path) -> None:
    from tests.conftest import run_python

    out = run_python(
        "import sys\n"
        "from netspec.analysis import api\n"
        f"api.stats({str(run_dir)!r})\n"
        f"api.compare({str(run_dir)!r}, {str(run_dir)!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pyNN', 'nest', 'spynnaker', 'pyNN.nest')))\n")
    assert out.strip() == "[]"


