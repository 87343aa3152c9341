"""The seed bar: netspec's run of the seed Vogels-Abbott spec (specs/) gives the same spike times,
neuron by neuron, as the hand-written PyNN script with the documented RNG policy
(tests/reference/va_coba_pynn.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, VA, needs_nest, netspec_cli, run_python

HAND = """
import sys, numpy as np
sys.path.insert(0, {ref!r})
import pyNN.nest as sim
import va_coba_pynn as va
result = va.build_and_run(sim, n=1000, duration=1000.0)
trains = result['cells'].get_data('spikes').segments[0].spiketrains
order = sorted(trains, key=lambda t: t.annotations['source_index'])
np.savez({out!r}, *[np.asarray(t.rescale('ms').magnitude) for t in order])
sim.end()
"""

READ = """
import json, sys, numpy as np, netspec
out = {{}}
for name in ('exc', 'inh'):
    block = netspec.read({folder!r} + '/' + name + '.h5')
    trains = block.segments[0].spiketrains
    out[name] = [np.asarray(t.rescale('ms').magnitude).tolist() for t in trains]
print(json.dumps(out))
"""


@needs_nest
def test_seed_spec_reproduces_hand_written_pynn(tmp_path: Path) -> None:
    hand = tmp_path / "hand.npz"
    run_python(HAND.format(ref=str(ROOT / "tests" / "reference"), out=str(hand)))
    expected = [a for _, a in sorted(np.load(hand).items(), key=lambda kv: int(kv[0][4:]))]
    assert len(expected) == 1000
    assert sum(len(t) for t in expected) > 500, "the reference network should be active"

    out = tmp_path / "run"
    done = netspec_cli("run", str(VA), "--out", str(out))
    assert done.returncode == 0, done.stderr
    got = json.loads(run_python(READ.format(folder=str(out))))
    assert len(got["exc"]) == 800 and len(got["inh"]) == 200
    for index, train in enumerate(got["exc"] + got["inh"]):
        np.testing.assert_array_equal(np.asarray(train), expected[index],
                                      err_msg=f"neuron {index} differs")
    summary = json.loads((out / "summary.json").read_text())
    total = sum(len(t) for t in expected)
    assert summary["populations"]["cells"]["spike_count"] == total
    assert summary["seed"] == 98765 and summary["backend"] == "nest"
