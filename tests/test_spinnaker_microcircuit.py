"""The cortical microcircuit (Potjans & Diesmann 2014) at 10 % maps on a virtual board
with the SpiNNaker team's settings (SpiNNakerManchester/microcircuit_model: 64 neurons
per core for IF_curr_exp and SpikeSourcePoisson), or ``validate`` says why not.

The network is written out here from the model's published tables (8 populations, 55
connected pairs of the 64, Poisson background), unrolled, as a user would write it without
templates: 7 717 cells, about 3 million synapses at 10 % of the cells with the
full-scale connection probabilities.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from netspec.pipeline import check
from tests.test_spinnaker import Sandbox, needs_spinnaker

POPULATIONS = ("l23e", "l23i", "l4e", "l4i", "l5e", "l5i", "l6e", "l6i")
FULL_SIZE = {"l23e": 20683, "l23i": 5834, "l4e": 21915, "l4i": 5479,
             "l5e": 4850, "l5i": 1065, "l6e": 14395, "l6i": 2948}
#: Connection probabilities, [post][pre] in the order of POPULATIONS.
P = [[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
     [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
     [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
     [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
     [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
     [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
     [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
     [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]]
#: External (background) in-degree of each population; 8 Hz each.
K_EXT = {"l23e": 1600, "l23i": 1500, "l4e": 2100, "l4i": 1900,
         "l5e": 2000, "l5i": 1900, "l6e": 2900, "l6i": 2100}
W = 0.0878      # nA, excitatory
G = -4.0        # inhibitory / excitatory
CELL = {"cm": "0.25 nF", "tau_m": "10 ms", "v_rest": "-65 mV", "v_reset": "-65 mV",
        "v_thresh": "-50 mV", "tau_refrac": "2 ms", "tau_syn_E": "0.5 ms",
        "tau_syn_I": "0.5 ms", "i_offset": 0.0}


def microcircuit(scale: float = 0.1) -> dict[str, Any]:
    """The microcircuit at ``scale`` of its cells, unrolled."""
    sizes = {p: max(1, round(FULL_SIZE[p] * scale)) for p in POPULATIONS}
    populations: dict[str, Any] = {}
    projections: dict[str, Any] = {}
    for name in POPULATIONS:
        populations[name] = {
            "size": sizes[name], "cell_type": "IF_curr_exp", "parameters": CELL,
            "initial_values": {"v": {"distribution": "normal", "mu": -58.0, "sigma": 10.0}}}
        populations[f"{name}-bg"] = {
            "size": sizes[name], "cell_type": "SpikeSourcePoisson",
            "parameters": {"rate": f"{8.0 * K_EXT[name]} Hz"}}
    for j, pre in enumerate(POPULATIONS):
        excitatory = pre.endswith("e")
        for i, post in enumerate(POPULATIONS):
            if P[i][j] == 0:
                continue
            w = W * (2.0 if (pre, post) == ("l4e", "l23e") else 1.0) * (1 if excitatory else G)
            mean_delay = 1.5 if excitatory else 0.75
            weight = ({"distribution": "normal_clipped", "mu": w, "sigma": abs(w) * 0.1,
                       "low": 0.0, "high": 10 * w} if excitatory else
                      {"distribution": "normal_clipped", "mu": w, "sigma": abs(w) * 0.1,
                       "low": 10 * w, "high": 0.0})
            projections[f"{pre}-{post}"] = {
                "pre": pre, "post": post,
                "connector": {"type": "FixedProbabilityConnector", "p_connect": P[i][j]},
                "synapse": {"type": "StaticSynapse", "weight": weight,
                            "delay": {"distribution": "normal_clipped", "mu": mean_delay,
                                      "sigma": mean_delay / 2, "low": 0.1, "high": 10.0}},
                "receptor_type": "excitatory" if excitatory else "inhibitory"}
        projections[f"bg-to-{pre}"] = {
            "pre": f"{pre}-bg", "post": pre, "connector": {"type": "OneToOneConnector"},
            "synapse": {"type": "StaticSynapse", "weight": W, "delay": 0.1}}
    return {
        "netspec": "1", "name": "microcircuit",
        "simulation": {"timestep": "0.1 ms", "duration": "100 ms", "seed": 55,
                       "backends": {"spinnaker": {
                           "neurons_per_core": {"IF_curr_exp": 64, "SpikeSourcePoisson": 64}}}},
        "populations": populations, "projections": projections,
        "recordings": {f"spikes-{p}": {"target": p, "variables": ["spikes"]}
                       for p in POPULATIONS},
        "export": [{"format": "summary", "path": "summary.json"}],
    }


def test_microcircuit_tables_are_the_published_ones() -> None:
    assert sum(FULL_SIZE.values()) == 77169
    spec = microcircuit()
    assert sum(p["size"] for n, p in spec["populations"].items()
               if not n.endswith("-bg")) == 7717
    assert len([n for n in spec["projections"] if not n.startswith("bg-")]) == 55  # p > 0


@pytest.mark.spinnaker
@pytest.mark.slow
def test_microcircuit_at_ten_percent_maps_with_64_neurons_per_core(tmp_path: Path) -> None:
    path = tmp_path / "microcircuit.yaml"
    path.write_text(yaml.safe_dump(microcircuit(0.1), sort_keys=False), encoding="utf-8")
    checked = check(path, backend="spinnaker")
    assert checked.ok, "\n".join(d.render() for d in checked.errors)
    needs_spinnaker()
    box = Sandbox(tmp_path / "box")
    done = box.netspec("run", str(path), "--backend", "spinnaker", "--virtual-board",
                       "--out", str(box.out), "--no-progress", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    mapping = json.loads((box.out / "summary.json").read_text(encoding="utf-8"))["mapping"]
    for name in POPULATIONS:
        share = mapping["populations"][name]
        assert share["neurons_per_core"] == 64, (name, share)
        assert share["cores"] >= math.ceil(share["size"] / 64)
        assert mapping["populations"][f"{name}-bg"]["neurons_per_core"] == 64
    assert mapping["chips_used"] <= 48
