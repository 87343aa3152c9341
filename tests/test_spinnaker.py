"""The SpiNNaker backend: capability checks, machine configuration, virtual-board runs.

Three layers, cheapest first:

* checks and configuration without sPyNNaker (``validate --backend spinnaker``
  never imports it; the machine settings and ``spynnaker.cfg`` are plain files);
* the capability table against the installed sPyNNaker (regenerated and
  compared; the hand-written facts checked by behaviour on a virtual board);
* every spec under ``specs/`` either maps on a virtual board or is refused by
  ``validate`` with located NS6xx diagnostics, each run from a fresh HOME, cwd
  and TMPDIR that must stay empty.

Everything that imports sPyNNaker runs in a subprocess (sPyNNaker keeps
process-global state) and skips, with the reason, when sPyNNaker is absent.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from netspec.backends import profile as get_profile
from netspec.backends.spinnaker import capabilities_data as caps
from netspec.backends.spinnaker import configuration, failures, partitioning
from netspec.backends.spinnaker import machine as machines
from netspec.backends.spinnaker.profile import population_seed
from netspec.diagnostics import CODES
from netspec.emit import compile_file, emit
from netspec.errors import BackendConfigError, UsageError
from netspec.pipeline import check, load
from netspec.plan import build_plan
from tests.conftest import HAS_SPINNAKER, ROOT, SPECS, VA, quick, quick_args

GENERATOR = ROOT / "tools" / "generate_spinnaker_capabilities.py"
CAPS_FILE = ROOT / "netspec" / "backends" / "spinnaker" / "capabilities_data.py"


@functools.cache
def spinnaker_problem() -> str | None:
    """Why sPyNNaker cannot be used here (None if it can): imported in a subprocess."""
    if not HAS_SPINNAKER:
        return "sPyNNaker is not installed (pip install '.[spinnaker]' in the checkout)"
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        done = subprocess.run([sys.executable, "-c", "import pyNN.spiNNaker"],
                              capture_output=True, text=True, env=clean_env(home),
                              cwd=tmp, timeout=300, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return f"pyNN.spiNNaker cannot be imported: {lines[-1] if lines else done.returncode}"
    return None


def needs_spinnaker() -> None:
    """Skip the calling test, with the reason, unless pyNN.spiNNaker imports."""
    problem = spinnaker_problem()
    if problem:
        pytest.skip(problem)


def clean_env(home: Path, tmpdir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a user with an empty HOME and no netspec/sPyNNaker settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NETSPEC_SPINNAKER_", "XDG_")) and k != "MPLCONFIGDIR"}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return env


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


class Sandbox:
    """A fresh HOME, current directory and TMPDIR; ``out`` is the only place to write."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home, self.cwd, self.tmp = root / "home", root / "cwd", root / "tmp"
        for folder in (self.home, self.cwd, self.tmp):
            folder.mkdir(parents=True)
        self.out = root / "out"

    def netspec(self, *args: str, timeout: float = 900,
                **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "netspec", *args], capture_output=True,
                              text=True, cwd=self.cwd, env=clean_env(self.home, self.tmp, **env),
                              timeout=timeout, check=False)

    def python(self, code: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=self.cwd, env=clean_env(self.home, self.tmp),
                              timeout=timeout, check=False)

    def assert_untouched(self) -> None:
        """Nothing was written to HOME, the current directory or TMPDIR."""
        assert listing(self.home) == [], f"written to HOME: {listing(self.home)}"
        assert listing(self.cwd) == [], f"written to the current directory: {listing(self.cwd)}"
        assert listing(self.tmp) == [], f"left in TMPDIR: {listing(self.tmp)}"
        assert {p.name for p in self.root.iterdir()} <= {"cwd", "home", "out", "tmp"}


def write_spec(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def codes_at(path: Path) -> list[tuple[str, int, str]]:
    checked = check(path, backend="spinnaker")
    return [(d.code, d.line, d.severity) for d in checked.diagnostics]


# =============================================================== without sPyNNaker
def test_capability_module_is_plain_literals() -> None:
    tree = ast.parse(CAPS_FILE.read_text(encoding="utf-8"))
    for node in tree.body:
        assert not isinstance(node, ast.Import | ast.ImportFrom), "the table imports"
        if isinstance(node, ast.Assign):
            ast.literal_eval(node.value)
        else:
            assert isinstance(node, ast.Expr)


def test_capabilities_use_pynn_names_only() -> None:
    from netspec import pynn_catalogue as catalogue
    assert set(caps.CELL_TYPES) <= set(catalogue.cell_types())
    assert set(caps.SYNAPSE_TYPES) <= set(catalogue.synapse_types())
    assert set(caps.CONNECTORS) <= set(catalogue.connectors())
    assert set(caps.CURRENT_SOURCES) <= set(catalogue.current_sources())
    assert {"IF_cond_exp", "IF_curr_exp", "SpikeSourcePoisson"} <= set(caps.CELL_TYPES)
    assert "TsodyksMarkramSynapse" not in caps.SYNAPSE_TYPES


def test_new_codes_are_registered() -> None:
    for code in ("NS601", "NS602", "NS603", "NS605", "NS606"):
        assert code in CODES


@pytest.mark.parametrize(("neurons", "types", "steps"), [
    (256, 2, 288), (10, 2, 4608), (64, 2, 1152), (128, 2, 576), (1, 2, 9 * 2 ** 12)])
def test_longest_delay_formula(neurons: int, types: int, steps: int) -> None:
    assert partitioning.max_delay_steps(neurons, types) == steps


def test_grids_get_neurons_per_core_in_every_dimension() -> None:
    """sPyNNaker needs each side of the box to divide its dimension."""
    assert partitioning.split_grid((10, 10), 256) == (10, 10)
    assert partitioning.split_grid((100, 100), 256) == (10, 25)
    assert partitioning.split_grid((20, 20, 20), 256) == (5, 5, 10)
    assert partitioning.split_grid((3, 1000), 64) == (3, 20)
    assert partitioning.split_grid((6, 6), 16) == (2, 6)
    assert partitioning.split_grid((7, 11), 8) == (7, 1)


BAD = """
    netspec: "1"
    name: bad
    simulation: {timestep: 0.1 ms, duration: 100 ms, max_delay: 50 ms, seed: 1}
    populations:
      cells: {size: 300, cell_type: IF_cond_exp, initial_values: {gsyn_exc: 0.0}}
      odd: {size: 10, cell_type: EIF_cond_exp_isfa_ista}
      izh: {size: 10, cell_type: Izhikevich}
      src: {size: 10, cell_type: SpikeSourcePoisson, parameters: {rate: 5 Hz}}
    views:
      evens: {population: cells, slice: [0, 300, 2]}
      both: {assembly: [cells, izh]}
    projections:
      far:
        pre: src
        post: cells
        connector: {type: FixedProbabilityConnector, p_connect: 0.1}
        synapse: {type: StaticSynapse, weight: 0.01, delay: 40 ms}
      gamma:
        pre: evens
        post: cells
        connector: {type: FixedProbabilityConnector, p_connect: 0.1}
        synapse: {type: StaticSynapse, weight: {distribution: gamma, k: 2, theta: 0.01},
                  delay: 1 ms}
      stp:
        pre: src
        post: izh
        connector: {type: OneToOneConnector}
        synapse: {type: TsodyksMarkramSynapse, U: 0.5}
    recordings:
      u: {target: izh, variables: [u]}
      v1: {target: cells, indices: [0, 1], variables: [v], sampling_interval: 0.3 ms}
"""


def test_validate_reports_each_problem_at_its_line(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, BAD)
    assert check(spec).ok  # valid for NEST
    found = codes_at(spec)
    assert ("NS603", 3, "warning") in found        # max_delay ignored
    assert ("NS601", 5, "error") in found          # initial value gsyn_exc
    assert ("NS601", 6, "error") in found          # unsupported cell type
    assert ("NS606", 7, "warning") in found        # Izhikevich differs
    assert ("NS601", 11, "error") in found         # assembly
    assert ("NS602", 17, "error") in found         # delay too long
    assert ("NS601", 19, "error") in found         # non-contiguous view as pre
    assert ("NS606", 22, "warning") in found       # gamma weights drawn unseeded
    assert ("NS601", 28, "error") in found         # TsodyksMarkramSynapse
    assert ("NS601", 30, "error") in found         # Izhikevich 'u' not recordable
    assert ("NS601", 31, "error") in found         # sampling interval 0.3 / 0.1
    messages = {d.code + str(d.line): d.message
                for d in check(spec, backend="spinnaker").diagnostics}
    assert "EIF_cond_exp_isfa_ista" in messages["NS6016"] and "IF_cond_exp" in messages["NS6016"]
    assert "288 timesteps" in messages["NS60217"] and "neurons_per_core.IF_cond_exp: 128" \
        in messages["NS60217"]
    assert "TsodyksMarkramSynapse" in messages["NS60128"]


def test_what_spynnaker_cannot_map_is_refused_at_its_line(tmp_path: Path) -> None:
    """Found by mapping everything validate accepted (tests/test_spinnaker_maps.py):
    random values where sPyNNaker does arithmetic on the host, and two STDP rules onto
    one population (a rule written with its defaults is the same rule)."""
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: refused
        simulation: {timestep: 0.1 ms, duration: 10 ms}
        populations:
          src:
            size: 4
            cell_type: SpikeSourcePoisson
            parameters: {rate: {distribution: uniform, low: 1, high: 5}, start: [0, 1, 2, 3]}
          cells: {size: 4, cell_type: IF_curr_exp}
        views:
          half: {population: cells, slice: [0, 2]}
        projections:
          a:
            pre: src
            post: cells
            connector: {type: AllToAllConnector}
            synapse:
              type: STDPMechanism
              timing_dependence: {type: SpikePairRule}
              weight_dependence: {type: AdditiveWeightDependence, w_max: 1}
          same:
            pre: src
            post: cells
            connector: {type: AllToAllConnector}
            synapse:
              type: STDPMechanism
              timing_dependence: {type: SpikePairRule, tau_plus: 20 ms}
              weight_dependence: {type: AdditiveWeightDependence, w_min: 0, w_max: 1}
          other:
            pre: src
            post: half
            connector: {type: AllToAllConnector}
            synapse:
              type: STDPMechanism
              timing_dependence: {type: SpikePairRule, tau_plus: 10 ms}
              weight_dependence: {type: AdditiveWeightDependence, w_max: 1}
          static:
            pre: src
            post: cells
            connector: {type: AllToAllConnector}
            synapse: {type: StaticSynapse}
    """)
    errors = [d for d in check(spec, backend="spinnaker").diagnostics if d.severity == "error"]
    assert [(d.code, d.line, d.path_text) for d in errors] == [
        ("NS601", 8, "populations.src.parameters.rate"),
        ("NS601", 34, "projections.other.synapse")]
    assert "'a'" in errors[1].message and "tau_plus=10" in errors[1].message


def test_validate_cli_reports_and_fails(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, BAD)
    done = subprocess.run([sys.executable, "-m", "netspec", "validate", "--backend",
                           "spinnaker", str(spec)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 1
    assert f"{spec}:17:" in done.stdout and "error[NS602]" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    ok = subprocess.run([sys.executable, "-m", "netspec", "validate", str(spec)],
                        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert ok.returncode == 0, ok.stdout


def test_options_are_checked(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: opts
        simulation:
          timestep: 0.0125 ms
          duration: 10 ms
          backends:
            spinnaker:
              neurons_per_core: {IF_cond_exx: 10, IF_curr_exp: 300}
              machine: {virtual_board: true, board_address: 10.0.0.1}
        populations:
          cells: {size: 10, cell_type: IF_curr_exp}
    """)
    found = codes_at(spec)
    assert ("NS601", 4, "error") in found      # 12.5 µs timestep
    assert ("NS601", 8, "error") in found      # unknown cell type, and 300 > 256
    assert ("NS605", 9, "error") in found      # two machines


def test_validate_never_imports_a_simulator() -> None:
    code = ("import sys; from netspec.pipeline import check\n"
            f"check({str(VA)!r}, backend='spinnaker')\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pyNN', 'spynnaker', 'spinn_utilities', 'nest', 'neo')]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_plan_seeds_populations_and_keeps_host_rngs_off() -> None:
    network = load(VA, backend="spinnaker")
    profile = get_profile("spinnaker")
    plan = build_plan(network, profile)
    setup = plan.setup[0].expr
    kwargs = dict(setup.kwargs)
    assert "max_delay" not in kwargs and kwargs["time_scale_factor"].value == 10
    assert not any(s.target == "rng" for s in plan.setup)
    seeds = [dict(s.expr.kwargs)["seed"].value for s in plan.build
             if s.target in ("cells", "stim")]
    assert len(set(seeds)) == 2
    assert seeds == [population_seed(network.simulation.seed, i) for i in range(2)]
    again = build_plan(load(VA, backend="spinnaker"), get_profile("spinnaker"))
    assert emit(again) == emit(plan)


def test_host_only_connectors_get_the_seeded_rng(tmp_path: Path) -> None:
    from netspec.emit import compile_file
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: ddpc
        simulation: {timestep: 1 ms, duration: 10 ms, seed: 5}
        populations:
          src: {size: 4, cell_type: SpikeSourceArray,
                parameters: {spike_times: [[1], [2], [3], [4]]}}
          cells: {size: 10, cell_type: IF_curr_exp}
        projections:
          near:
            pre: src
            post: cells
            connector: {type: DistanceDependentProbabilityConnector, d_expression: "d < 3"}
            synapse: {type: StaticSynapse, weight: {distribution: uniform, low: 0.1, high: 0.2}}
          fixed:
            pre: src
            post: cells
            connector: {type: FixedProbabilityConnector, p_connect: 0.5}
            synapse: {type: StaticSynapse, weight: {distribution: uniform, low: 0.1, high: 0.2}}
    """)
    script = compile_file(spec, backend="spinnaker")
    assert "rng = NumpyRNG(seed=5, parallel_safe=True)" in script
    assert "DistanceDependentProbabilityConnector(d_expression='d < 3', rng=rng)" in script
    assert "FixedProbabilityConnector(p_connect=0.5)" in script
    assert script.count("rng=rng") == 2  # the connector and the weights of 'near'
    assert "Sequence(" not in script  # sPyNNaker takes spike trains as plain arrays
    assert compile_file(spec, backend="spinnaker") == script


# ------------------------------------------------------------------ machine settings
def test_precedence_command_line_environment_spec() -> None:
    spec = {"board_address": "10.0.0.9", "board_version": 5, "spalloc_group": "g"}
    env = {"spalloc_server": "https://spalloc.example", "spalloc_user": "me"}
    # the spec alone: its board
    machine = machines.resolve_machine({}, {}, spec)
    assert machine is not None and machine.kind == "board"
    assert machine.settings == {"board_address": "10.0.0.9", "board_version": 5}
    # the environment beats the spec; settings of its kind still come from the spec
    machine = machines.resolve_machine({}, env, spec)
    assert machine is not None and machine.kind == "spalloc"
    assert machine.settings == {"spalloc_server": "https://spalloc.example",
                                "spalloc_user": "me", "spalloc_group": "g"}
    assert machine.sources["spalloc_server"] == "environment (NETSPEC_SPINNAKER_SPALLOC_SERVER)"
    assert machine.sources["spalloc_group"] == "spec"
    # the command line beats both
    machine = machines.resolve_machine({"virtual_board": True}, env, spec)
    assert machine is not None and machine.kind == "virtual" and machine.virtual
    assert "command line" in machine.describe()
    assert machines.resolve_machine({}, {"virtual_board": False}, {}) is None


def test_environment_settings_are_parsed() -> None:
    env = {"NETSPEC_SPINNAKER_VIRTUAL_BOARD": "yes", "NETSPEC_SPINNAKER_BOARD_VERSION": "3",
           "UNRELATED": "x"}
    assert machines.environment_settings(env) == {"virtual_board": True, "board_version": 3}
    with pytest.raises(UsageError, match="yes/no"):
        machines.environment_settings({"NETSPEC_SPINNAKER_VIRTUAL_BOARD": "perhaps"})
    with pytest.raises(UsageError, match=r"3 .* or 5"):
        machines.environment_settings({"NETSPEC_SPINNAKER_BOARD_VERSION": "7"})


def test_boards_and_spalloc_machine_from_every_source() -> None:
    """A number of boards and a spalloc machine name, from the spec, the environment or
    the command line; the boards reach sim.setup as n_boards_required."""
    spec = {"spalloc_server": "https://s", "boards": 2, "spalloc_machine": "spin2"}
    machine = machines.resolve_machine({"boards": 5}, {}, spec)
    assert machine is not None and machine.settings["boards"] == 5
    assert machine.sources["boards"] == "command line"
    assert machine.settings["spalloc_machine"] == "spin2"
    assert "5 boards of machine 'spin2'" in machine.describe()
    env = machines.environment_settings({"NETSPEC_SPINNAKER_BOARDS": "4",
                                         "NETSPEC_SPINNAKER_SPALLOC_MACHINE": "m"})
    assert env == {"boards": 4, "spalloc_machine": "m"}
    with pytest.raises(UsageError):
        machines.environment_settings({"NETSPEC_SPINNAKER_BOARDS": "0"})
    with pytest.raises(BackendConfigError):
        machines.resolve_machine({"virtual_board": True, "boards": 2}, {},
                                 {"width": 8, "height": 8})
    with pytest.raises(BackendConfigError):
        machines.resolve_machine({"virtual_board": True, "boards": 2, "board_version": 3},
                                 {}, {})
    profile = get_profile("spinnaker", {"spalloc_server": "https://s", "boards": 3})
    network = load(VA)
    assert profile.setup_kwargs(network)["n_boards_required"] == 3
    assert "n_boards_required" not in get_profile("spinnaker").setup_kwargs(network)


def test_conflicts_and_incomplete_machines() -> None:
    with pytest.raises(UsageError, match="two SpiNNaker machines"):
        machines.resolve_machine({"virtual_board": True, "board_address": "h"}, {}, {})
    with pytest.raises(BackendConfigError, match="--board-version"):
        machines.resolve_machine({"board_address": "10.0.0.1"}, {}, {})
    with pytest.raises(UsageError, match="unknown SpiNNaker option"):
        get_profile("spinnaker", {"virtual_bord": True})


@pytest.mark.parametrize(("machine", "expected"), [
    (machines.Machine("virtual", {"virtual_board": True}, virtual=True),
     {"virtualboard": "True", "version": "5"}),
    (machines.Machine("virtual", {"virtual_board": True, "width": 2, "height": 2}, virtual=True),
     {"virtualboard": "True", "width": "2", "height": "2"}),
    (machines.Machine("board", {"board_address": "10.0.0.1", "board_version": 5}),
     {"machinename": "10.0.0.1", "version": "5"}),
    (machines.Machine("spalloc", {"spalloc_server": "https://s", "spalloc_user": "me"}),
     {"spallocserver": "https://s", "spallocuser": "me", "version": "5"}),
    (machines.Machine("spalloc", {"spalloc_server": "https://s", "spalloc_machine": "big",
                                  "boards": 4}),
     {"spallocserver": "https://s", "spallocmachine": "big", "version": "5"}),
    (machines.Machine("virtual", {"virtual_board": True, "boards": 3}, virtual=True),
     {"virtualboard": "True", "version": "5"}),
])
def test_config_file(tmp_path: Path, machine: machines.Machine, expected: dict[str, str]) -> None:
    import configparser
    path = configuration.write_config(tmp_path / "spinnaker", machine)
    assert path == tmp_path / "spinnaker" / "spynnaker.cfg"
    config = configparser.ConfigParser()
    config.read(path)
    assert dict(config["Machine"]) == expected
    # option names as sPyNNaker normalises them (machineName = machine_name = machinename)
    assert config["Reports"]["defaultreportfilepath"] == str((tmp_path / "spinnaker").resolve())
    # INFO for the run's log (sPyNNaker filters every root handler at this level)
    assert config["Logging"]["default"] == "info"


def test_user_configuration_is_honoured_and_left_alone(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    for name in ("XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(BackendConfigError, match=r"no SpiNNaker machine is configured.*"
                                                 r"--virtual-board"):
        machines.read_user_machine(cwd)
    user = home / ".spynnaker.cfg"
    user.write_text("[Machine]\nmachineName = 10.1.1.1\nversion = 5\n"
                    "[Reports]\ndefault_report_file_path = /somewhere/else\n"
                    "[Logging]\ndefault = debug\n", encoding="utf-8")
    before = user.read_bytes()
    machine = machines.read_user_machine(cwd)
    assert machine.kind == "user" and not machine.virtual and machine.user_files == (user,)
    path = configuration.write_config(tmp_path / "out" / "spinnaker", machine)
    text = path.read_text(encoding="utf-8")
    assert "machinename = 10.1.1.1" in text and "default = debug" in text
    assert "/somewhere/else" not in text  # reports always go under the output folder
    assert user.read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == [".spynnaker.cfg"]
    user.write_text("[Mode]\nmode = Debug\n", encoding="utf-8")
    with pytest.raises(BackendConfigError, match="names no machine"):
        machines.read_user_machine(cwd)


def test_run_without_a_machine_says_how_and_writes_nothing(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    done = box.netspec("run", str(VA), "--backend", "spinnaker", "--out", str(box.out))
    assert done.returncode == 3, done.stderr
    assert "no SpiNNaker machine is configured" in done.stderr
    assert "--virtual-board" in done.stderr and "NETSPEC_SPINNAKER_" in done.stderr
    assert "Traceback" not in done.stderr
    assert not box.out.exists()
    box.assert_untouched()


# ================================================================= with sPyNNaker
@pytest.mark.spinnaker
@pytest.mark.slow
def test_capability_table_is_current(tmp_path: Path) -> None:
    needs_spinnaker()
    box = Sandbox(tmp_path)
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True,
                          text=True, cwd=box.cwd, env=clean_env(box.home, box.tmp),
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    box.assert_untouched()


FACTS = r"""
import json, logging
from pathlib import Path
from netspec.backends.spinnaker.configuration import install_config, write_config
from netspec.backends.spinnaker.machine import Machine
import pyNN.spiNNaker as sim

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())

folder = Path("..") / "out" / "spinnaker"
install_config(write_config(folder, Machine("virtual", {"virtual_board": True}, virtual=True)))
logging.getLogger().addHandler(Keep(level=logging.WARNING))
sim.setup(timestep=1.0, max_delay=10.0, threads=4)
facts = {}
facts["max_delay_warned"] = any("max_delay" in m for m in records)
facts["threads_warned"] = any("threads" in m for m in records)
a = sim.Population(10, sim.IF_curr_exp(), label="a")
b = sim.Population(10, sim.IF_curr_exp(), label="b")
def tries(f):
    try:
        f()
        return True
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
static = lambda: sim.StaticSynapse(weight=0.1, delay=1.0)
facts["contiguous_indices"] = tries(lambda: sim.Projection(
    sim.PopulationView(a, [2, 3, 4]), b, sim.OneToOneConnector(), static()))
facts["strided_slice"] = tries(lambda: sim.Projection(a[0:10:2], b, sim.OneToOneConnector(),
                                                      static()))
facts["view_as_post"] = tries(lambda: sim.Projection(a, b[5:8], sim.OneToOneConnector(),
                                                     static()))
facts["dendritic_delay_fraction"] = tries(lambda: sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(),
    dendritic_delay_fraction=0.5))
facts["assembly"] = tries(lambda: sim.Assembly(a, b))
facts["izhikevich_tau_syn"] = "tau_syn_E" in sim.Izhikevich.default_parameters
sim.end()
print("FACTS" + json.dumps(facts))
"""


@pytest.mark.spinnaker
@pytest.mark.slow
def test_hand_written_facts_match_spynnaker(tmp_path: Path) -> None:
    needs_spinnaker()
    box = Sandbox(tmp_path)
    done = box.python(FACTS)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.split("FACTS", 1)[1])
    # IGNORED: sPyNNaker logs that it ignores max_delay and extra setup arguments
    assert facts["max_delay_warned"] and facts["threads_warned"]
    assert set(caps.IGNORED) == {"max_delay", "threads"}
    # VIEWS_AS_PROJECTION_ENDS: contiguous views only
    assert facts["contiguous_indices"] is True and facts["view_as_post"] is True
    assert "contiguous" in str(facts["strided_slice"])
    # FIXED_SYNAPSE_PARAMETERS
    assert facts["dendritic_delay_fraction"] is not True
    assert caps.FIXED_SYNAPSE_PARAMETERS == {"STDPMechanism": {"dendritic_delay_fraction": 1.0}}
    # ASSEMBLIES (generated) and DIFFERENCES (hand-written)
    assert (facts["assembly"] is True) == caps.ASSEMBLIES
    assert facts["izhikevich_tau_syn"] and "Izhikevich" in caps.DIFFERENCES


DELAY = r"""
import sys
from pathlib import Path
from netspec.backends.spinnaker.configuration import install_config, write_config
from netspec.backends.spinnaker.machine import Machine
import pyNN.spiNNaker as sim
size, per_core, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
folder = Path("..") / "out" / "spinnaker"
install_config(write_config(folder, Machine("virtual", {"virtual_board": True}, virtual=True)))
sim.setup(timestep=1.0)
src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]), label="src")
post = sim.Population(size, sim.IF_curr_exp(), label="post", neurons_per_core=per_core)
sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=delay))
try:
    sim.run(5)
    print("MAPPED")
except Exception as exc:
    print("REFUSED", type(exc).__name__, exc)
sim.end()
"""


@pytest.mark.spinnaker
@pytest.mark.slow
@pytest.mark.parametrize(("size", "per_core"), [(256, 256), (100, 64)])
def test_longest_delay_is_what_spynnaker_maps(tmp_path: Path, size: int, per_core: int) -> None:
    needs_spinnaker()
    steps = partitioning.max_delay_steps(min(size, per_core), 2)
    for delay, outcome in ((steps, "MAPPED"), (steps + 1, "REFUSED")):
        box = Sandbox(tmp_path / f"d{delay}")
        code = f"import sys; sys.argv[1:] = ['{size}', '{per_core}', '{delay}']\n" + DELAY
        done = box.python(code)
        assert done.returncode == 0, done.stderr[-3000:]
        assert outcome in done.stdout, (delay, done.stdout[-2000:])


REPRODUCE = r"""
import json, sys
from pathlib import Path
from netspec.backends import profile
from netspec.execute import build, objects
from netspec.pipeline import load
from netspec.emit import compile_file, emit
from netspec.plan import build_plan
network = load(sys.argv[1], backend="spinnaker")
prof = profile("spinnaker", {"virtual_board": True})
plan = build_plan(network, prof)
prof.prepare(network, Path(sys.argv[2]))
sim = prof.import_sim()
env = build(plan, sim)
prof.advance(sim, 5.0, first=True)
pynn = objects(plan, env)
conns = pynn["near"].get(["weight"], "list")
print("CONNS" + json.dumps(sorted([int(c[0]), int(c[1]), round(float(c[2]), 9)] for c in conns)))
sim.end()
"""


@pytest.mark.spinnaker
@pytest.mark.slow
def test_host_drawn_connections_are_the_same_on_every_run(tmp_path: Path) -> None:
    needs_spinnaker()
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: repro
        simulation: {timestep: 1 ms, duration: 10 ms, seed: 11}
        populations:
          src: {size: 20, cell_type: SpikeSourcePoisson, parameters: {rate: 10 Hz},
                structure: {type: Line, dx: 1}}
          cells: {size: 30, cell_type: IF_curr_exp, structure: {type: Line, dx: 1}}
        projections:
          near:
            pre: src
            post: cells
            connector: {type: DistanceDependentProbabilityConnector,
                        d_expression: "0.5 * exp(-d / 10)"}
            synapse: {type: StaticSynapse, weight: {distribution: uniform, low: 0.1, high: 0.2},
                      delay: 1 ms}
    """)
    runs = []
    for i in range(2):
        box = Sandbox(tmp_path / f"run{i}")
        done = box.python(f"import sys; sys.argv[1:] = [{str(spec)!r}, {str(box.out)!r}]\n"
                          + REPRODUCE)
        assert done.returncode == 0, done.stderr[-3000:]
        runs.append(json.loads(done.stdout.split("CONNS", 1)[1]))
        box.assert_untouched()
    assert runs[0] == runs[1] and 100 < len(runs[0]) < 500


def spec_files() -> list[Path]:
    """Every spec under specs/ at collection time (another helper writes them)."""
    return sorted(SPECS.glob("*.yaml"))


@pytest.mark.spinnaker
@pytest.mark.slow
@pytest.mark.parametrize("spec", spec_files(), ids=lambda p: p.stem)
def test_every_spec_maps_or_is_refused_with_its_line(tmp_path: Path, spec: Path) -> None:
    checked = check(spec, backend="spinnaker", overrides=quick(spec))
    box = Sandbox(tmp_path)
    if not checked.ok:
        for diagnostic in checked.errors:
            assert diagnostic.code.startswith("NS6"), diagnostic.render()
            assert diagnostic.line > 0 and diagnostic.path, diagnostic.render()
        done = box.netspec("run", str(spec), "--backend", "spinnaker", "--virtual-board",
                           "--out", str(box.out), *quick_args(spec))
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        for diagnostic in checked.errors:
            assert diagnostic.render() in done.stderr
        assert not box.out.exists()
        box.assert_untouched()
        return
    needs_spinnaker()
    done = box.netspec("run", str(spec), "--backend", "spinnaker", "--virtual-board",
                       "--out", str(box.out), "--no-progress", *quick_args(spec))
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr
    # sPyNNaker's progress bars and INFO lines go to the run's log, not the terminal
    assert "|0%" not in done.stderr and "INFO" not in done.stderr, done.stderr[-2000:]
    assert "Placing Vertices" in (box.out / "spinnaker" / "spinnaker.log").read_text()
    assert "a virtual board records no data" in done.stdout
    assert "Cores used" in done.stdout and "Cores of " in done.stdout
    box.assert_untouched()
    written = listing(box.out)
    data = [f for f in written if f.endswith((".h5", ".pkl", ".nix"))
            and not f.startswith("spinnaker/")]
    assert data == [], f"data files from a virtual board: {data}"
    top = sorted({f.split("/")[0] for f in written})
    summaries = [e.path for e in load(spec, overrides=quick(spec)).exports if e.format == "summary"]
    assert top == sorted(["manifest.json", "spinnaker", *summaries])
    assert (box.out / "spinnaker" / "spynnaker.cfg").is_file()
    assert any(f.startswith("spinnaker/reports/") for f in written)
    for path in summaries:
        summary = json.loads((box.out / path).read_text(encoding="utf-8"))
        assert summary["recorded_data"] is False
        mapping = summary["mapping"]
        assert mapping["cores_used"] > 0 and mapping["chips_used"] > 0
        assert set(mapping["populations"]) == set(load(spec, overrides=quick(spec)).populations)
    for command in (["stats", str(box.out)], ["compare", str(box.out), str(box.out)]):
        refused = box.netspec(*command)  # nothing to analyse, said plainly
        assert refused.returncode == 2, refused.stderr
        assert "recorded no data" in refused.stderr and "virtual board" in refused.stderr


def test_the_seed_spec_maps_on_spinnaker() -> None:
    """The bar: at least the seed spec is valid for SpiNNaker (it is then mapped above)."""
    seed = SPECS / "vogels_abbott_coba.yaml"
    assert check(seed if seed.is_file() else VA, backend="spinnaker").ok


@pytest.mark.spinnaker
@pytest.mark.slow
def test_existing_user_configuration_runs(tmp_path: Path) -> None:
    needs_spinnaker()
    box = Sandbox(tmp_path)
    user = box.home / ".spynnaker.cfg"
    user.write_text("[Machine]\nvirtual_board = True\nversion = 5\n", encoding="utf-8")
    before = user.read_bytes()
    spec = tmp_path / "small.yaml"
    spec.write_text(VA.read_text(encoding="utf-8").replace("n: 1000 ", "n: 100 "),
                    encoding="utf-8")
    done = box.netspec("run", str(spec), "--backend", "spinnaker", "--out", str(box.out),
                       "--verbose")
    assert done.returncode == 0, done.stderr[-3000:]
    assert user.read_bytes() == before
    assert listing(box.home) == [".spynnaker.cfg"]
    assert listing(box.cwd) == [] and listing(box.tmp) == []
    assert "a virtual board records no data" in done.stdout
    # --verbose: sPyNNaker's own log and progress bars on the terminal too
    assert "INFO" in done.stderr and "|0%" in done.stderr
    assert "Placing Vertices" in (box.out / "spinnaker" / "spinnaker.log").read_text()


def test_errors_while_mapping_point_at_the_object_named(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: located
        simulation: {timestep: 1 ms, duration: 10 ms, seed: 3}
        populations:
          src: {size: 2, cell_type: SpikeSourceArray, parameters: {spike_times: [1]}}
          cells: {size: 10, cell_type: IF_curr_exp}
        projections:
          to_cells:
            pre: src
            post: cells
            connector: {type: AllToAllConnector}
    """)
    network = load(spec)
    found = failures.run_diagnostic(network, RuntimeError("Edge:to_cells has a max delay of 9.0"))
    assert (found.code, found.line, found.path) == ("NS701", 9, ("projections", "to_cells"))
    found = failures.run_diagnostic(network, ValueError("something else\nentirely"))
    assert (found.code, found.line) == ("NS701", 1) and "entirely" in found.message


def test_errors_inside_spynnaker_point_at_the_object_in_its_frames(tmp_path: Path) -> None:
    """A bare exception deep inside sPyNNaker (an ``assert`` on a current source) is
    reported at the spec object whose PyNN object one of its frames holds, with the
    failing line, never as a bare name at 1:1."""
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: located
        simulation: {timestep: 1 ms, duration: 10 ms, seed: 3}
        populations:
          cells: {size: 10, cell_type: IF_curr_exp}
        stimuli:
          steps: {type: StepCurrentSource, times: [1, 2], amplitudes: [0.1, 0], target: cells}
    """)
    network = load(spec)
    source, vertex = object(), type("Vertex", (), {"label": "cells"})()

    namespace: dict[str, Any] = {}  # compiled here: pytest would rewrite a bare assert
    exec(compile("def _write_current_source_parameters(current_source, pop):\n"
                 "    assert isinstance(current_source, list)\n",
                 "population_machine_neurons.py", "exec"), namespace)
    _write_current_source_parameters = namespace["_write_current_source_parameters"]
    try:
        _write_current_source_parameters(source, vertex)
    except AssertionError as exc:
        found = failures.run_diagnostic(network, exc, {"steps": source},
                                        tmp_path / "spinnaker.log")
    assert (found.line, found.path) == (7, ("stimuli", "steps")), found.render()
    assert ("AssertionError in sPyNNaker's _write_current_source_parameters "
            "(population_machine_neurons.py:2)") in found.message
    assert "spinnaker.log" in found.message
    try:  # no run object in the frames: the labelled vertex names the population
        _write_current_source_parameters(object(), vertex)
    except AssertionError as exc:
        found = failures.run_diagnostic(network, exc, {"steps": source})
    assert found.path == ("populations", "cells"), found.render()


def test_machine_failures_are_environment_errors() -> None:
    import socket
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except OSError as inner:
            raise RuntimeError("IO Error: Error getting IP address") from inner
    except RuntimeError as exc:
        assert failures.is_machine_failure(exc)
    assert not failures.is_machine_failure(ValueError("delay too long"))
    error = failures.machine_error(ConnectionRefusedError(111, "refused"), "spalloc x", None)
    assert isinstance(error, ConnectionError) and "not at fault" in str(error)


@pytest.mark.spinnaker
@pytest.mark.slow
def test_a_network_too_big_for_the_board_is_refused_without_traceback(tmp_path: Path) -> None:
    """What only mapping finds out (here: too few cores) is still an NS701, not a crash."""
    needs_spinnaker()
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: too-big
        simulation:
          timestep: 1 ms
          duration: 10 ms
          seed: 3
          backends:
            spinnaker:
              neurons_per_core: {IF_curr_exp: 1}
              machine: {virtual_board: true, width: 2, height: 2}
        populations:
          cells: {size: 200, cell_type: IF_curr_exp}
        recordings:
          spikes: {target: cells, variables: [spikes]}
        export:
          - {format: summary, path: summary.json}
    """)
    assert check(spec, backend="spinnaker").ok
    box = Sandbox(tmp_path / "box")
    done = box.netspec("run", str(spec), "--backend", "spinnaker", "--out", str(box.out),
                       "--progress")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "error[NS701]" in done.stderr and "Traceback" not in done.stderr
    # the progress bar shows sPyNNaker's mapping stages, not sPyNNaker's own bars
    assert "mapping: " in done.stderr and "|0%" not in done.stderr
    assert not (box.out / "summary.json").exists()
    box.assert_untouched()


@pytest.mark.spinnaker
@pytest.mark.slow
def test_unreachable_spalloc_server_is_an_environment_error(tmp_path: Path) -> None:
    """No hardware here: a spalloc server that refuses connections. The run's own
    configuration names the server, the machine and (as sim.setup's n_boards_required)
    the boards; the failure is exit 3 with sPyNNaker's message, the traceback in the
    run's log, none on the terminal."""
    needs_spinnaker()
    spec = write_spec(tmp_path, """
        netspec: "1"
        name: spalloc
        simulation:
          timestep: 1 ms
          duration: 10 ms
          seed: 3
          backends:
            spinnaker:
              machine: {spalloc_server: "http://127.0.0.1:9", spalloc_machine: spin2, boards: 2}
        populations:
          cells: {size: 10, cell_type: IF_curr_exp}
        export:
          - {format: summary, path: summary.json}
    """)
    assert "n_boards_required=2" in compile_file(spec, backend="spinnaker")
    box = Sandbox(tmp_path / "box")
    done = box.netspec("run", str(spec), "--backend", "spinnaker", "--out", str(box.out),
                       "--boards", "3")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "could not be reached" in done.stderr and "Traceback" not in done.stderr
    assert "127.0.0.1" in done.stderr
    config = (box.out / "spinnaker" / "spynnaker.cfg").read_text(encoding="utf-8")
    assert "spallocserver = http://127.0.0.1:9" in config
    assert "spallocmachine = spin2" in config
    assert "n_boards_required=3" in config  # the command line beats the spec
    log = (box.out / "spinnaker" / "spinnaker.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "ConnectionError" in log
    assert not (box.out / "summary.json").exists()


@pytest.mark.spinnaker
@pytest.mark.slow
def test_compiled_script_maps_on_a_virtual_board(tmp_path: Path) -> None:
    """``compile --backend spinnaker`` writes a script that, with a virtual board in the
    user's sPyNNaker configuration (as any sPyNNaker script uses), maps the network and
    stops without data (a virtual board records none)."""
    needs_spinnaker()
    box = Sandbox(tmp_path)
    (box.home / ".spynnaker.cfg").write_text("[Machine]\nvirtual_board = True\nversion = 5\n",
                                             encoding="utf-8")
    script = tmp_path / "va.py"
    spec = tmp_path / "small.yaml"
    spec.write_text(VA.read_text(encoding="utf-8").replace("n: 1000 ", "n: 100 "),
                    encoding="utf-8")
    script.write_text(compile_file(spec, backend="spinnaker"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(box.out)], capture_output=True,
                          text=True, cwd=box.cwd, env=clean_env(box.home, box.tmp),
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the network was mapped" in done.stdout
