"""The bars of ``netspec compare`` on the seed network at n=4000 (about 22 Hz, self-sustained).

Two seeds agree under the default tolerances; doubled inhibition (Ginh = 102 nS,
about 18 Hz) is refused, naming the population and the rate. Three runs of
4000 neurons for 1 s: about a minute of simulation on a quiet machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import VA, needs_nest, netspec_cli

pytestmark = [needs_nest, pytest.mark.slow]

OTHER_SEED = 12345


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("elephant")
    tmp = tmp_path_factory.mktemp("compare")
    text = VA.read_text(encoding="utf-8")
    assert "seed: 98765" in text
    reseeded = tmp / "vogels_abbott_coba_reseeded.yaml"
    reseeded.write_text(text.replace("seed: 98765", f"seed: {OTHER_SEED}"), encoding="utf-8")
    out: dict[str, Path] = {}
    for name, spec, sets in (("seed", VA, []), ("other_seed", reseeded, []),
                             ("ginh", VA, ["--set", "Ginh=102nS"])):
        out[name] = tmp / name
        done = netspec_cli("run", str(spec), "--set", "n=4000", *sets, "--out", str(out[name]),
                           "--no-progress", timeout=1800)
        assert done.returncode == 0, done.stderr
    return out


def test_stats_json_rates_equal_the_summary(runs: dict[str, Path]) -> None:
    for folder in runs.values():
        done = netspec_cli("stats", str(folder), "--format", "json")
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        summary = json.loads((folder / "summary.json").read_text())["populations"]
        assert list(document["populations"]) == ["cells", "exc", "inh"]
        for name, entry in summary.items():
            got = document["populations"][name]
            assert got["mean_rate_hz"] == entry["mean_rate_hz"]
            assert got["recorded"] == entry["size"]
            assert 1.0 < got["cv_isi"] < 2.0  # irregular, bursty: the balanced regime
            assert got["fano_factor"] > 1 and 0 < got["synchrony"] < 0.5
    seed = json.loads((runs["seed"] / "summary.json").read_text())["populations"]
    assert 20 < seed["cells"]["mean_rate_hz"] < 25  # self-sustained at about 22 Hz


def test_two_seeds_agree(runs: dict[str, Path]) -> None:
    done = netspec_cli("compare", str(runs["seed"]), str(runs["other_seed"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the runs agree" in done.stdout


def test_doubled_inhibition_is_refused_naming_population_and_rate(
        runs: dict[str, Path]) -> None:
    done = netspec_cli("compare", str(runs["seed"]), str(runs["ginh"]))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DIFF exc rate" in done.stdout
    as_json = netspec_cli("compare", str(runs["seed"]), str(runs["ginh"]), "--format", "json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    rate = next(d for d in report["disagreements"]
                if d["target"] == "exc" and d["statistic"] == "mean_rate_hz")
    assert 21 < rate["a"] < 24 and 16 < rate["b"] < 20
    assert rate["tolerance"] < rate["a"] - rate["b"]
