"""The SpiNNaker profile: ``pyNN.spiNNaker`` (sPyNNaker 7.4) on a board, a spalloc machine
or a virtual board.

What this profile adds to the common translator (:mod:`netspec.plan`):

* **Seeds.** sPyNNaker refuses seeded host RNGs in the connectors and random
  distributions it can generate on the machine, so no ``NumpyRNG`` is handed to
  them; each ``Population`` gets ``seed=`` instead (the ``index``-th child of
  ``numpy.random.SeedSequence(simulation.seed)``, 31 bits), which sPyNNaker uses
  for the population's random parameters and for the connections generated on
  its cores. Connectors that sPyNNaker only ever draws on the host
  (:data:`HOST_ONLY_RNG_CONNECTORS`) get ``NumpyRNG(seed)`` as on NEST, so they
  too give the same network on every run.
* **Options** (``simulation.backends.spinnaker``): ``time_scale_factor`` (to
  ``sim.setup``), ``neurons_per_core`` (cell type → most neurons on one core,
  passed as each Population's ``neurons_per_core=``) and ``machine``.
* **Capability checks** (:meth:`SpinnakerProfile.check`) from the generated
  table :mod:`netspec.backends.spinnaker_capabilities`: every cell type,
  parameter, connector, synapse type, STDP rule, current source, recordable,
  view and delay that sPyNNaker cannot run is reported at its YAML line (NS601
  unsupported, NS602 delay too long, NS603 ignored, NS605 machine settings,
  NS606 behaves differently), before sPyNNaker is imported.
* **Machine configuration without touching the user's home.** The machine is
  taken from, highest precedence first:

  1. the command line / ``backend_options`` (``--virtual-board``,
     ``--board-address``, ``--spalloc-server``; the API takes every key of
     :data:`MACHINE_KEYS`),
  2. environment variables ``NETSPEC_SPINNAKER_<KEY>`` (``…_VIRTUAL_BOARD=1``,
     ``…_BOARD_ADDRESS``, ``…_BOARD_VERSION``, ``…_SPALLOC_SERVER``, …),
  3. the spec's ``simulation.backends.spinnaker.machine``.

  The highest source that names a machine (``virtual_board: true``,
  ``board_address`` or ``spalloc_server``) decides which kind it is; each
  setting of that kind then comes from the highest source that gives it, and
  settings of other kinds are ignored. :meth:`SpinnakerProfile.prepare` settles
  the machine (before outputs are staged); :meth:`SpinnakerProfile.import_sim`
  writes it to ``<out>/spinnaker/spynnaker.cfg`` and makes sPyNNaker read that
  file (after its own defaults) *instead of* looking for ``~/.spynnaker.cfg``
  (:func:`install_config`), without changing directory. ``~/.spynnaker.cfg`` is
  never created or changed, and read only when netspec is given no machine at
  all: then the user's existing configuration is honoured, with the report
  folder and log level set on top of it. sPyNNaker's reports always go to
  ``<out>/spinnaker/reports/``.
* **Mapping report** (:meth:`SpinnakerProfile.mapping_report`): chips and cores
  used, per population, after the run; a virtual board records no data
  (:attr:`SpinnakerProfile.records_data`).
"""

from __future__ import annotations

import configparser
import math
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from netspec import pynn_catalogue as catalogue
from netspec.backends import BackendProfile
from netspec.backends import spinnaker_capabilities as caps
from netspec.diagnostics import Diagnostic, SpecPath, allowed, did_you_mean
from netspec.errors import (
    BackendConfigError,
    BackendUnavailableError,
    SimulationError,
    UsageError,
)
from netspec.loader import SourceMap
from netspec.model import (
    ArrayValue,
    Assembly,
    Component,
    Network,
    Population,
    Projection,
    RandomValue,
    View,
)

# The capability tables (generated: netspec/backends/spinnaker_capabilities.py), typed.
SPYNNAKER_VERSION: str = caps.SPYNNAKER_VERSION
CELL_TYPES: Mapping[str, Mapping[str, Any]] = caps.CELL_TYPES
SYNAPSE_TYPES: Mapping[str, tuple[str, ...]] = caps.SYNAPSE_TYPES
TIMING_DEPENDENCES: Mapping[str, tuple[str, ...]] = caps.TIMING_DEPENDENCES
WEIGHT_DEPENDENCES: Mapping[str, tuple[str, ...]] = caps.WEIGHT_DEPENDENCES
CONNECTORS: Mapping[str, Mapping[str, Any]] = caps.CONNECTORS
CURRENT_SOURCES: Mapping[str, tuple[str, ...]] = caps.CURRENT_SOURCES
ON_CHIP_DISTRIBUTIONS: tuple[str, ...] = caps.ON_CHIP_DISTRIBUTIONS
DELAYS: Mapping[str, int] = caps.DELAYS
IGNORED: Mapping[str, str] = caps.IGNORED
FIXED_SYNAPSE_PARAMETERS: Mapping[str, Mapping[str, Any]] = caps.FIXED_SYNAPSE_PARAMETERS
DIFFERENCES: Mapping[str, str] = caps.DIFFERENCES
VIEWS_AS_PROJECTION_ENDS: str = caps.VIEWS_AS_PROJECTION_ENDS
ASSEMBLIES: bool = caps.ASSEMBLIES

#: Every machine setting, in the spec (``machine:``), the API and the environment.
MACHINE_KEYS: tuple[str, ...] = (
    "virtual_board", "width", "height", "board_address", "board_version",
    "spalloc_server", "spalloc_port", "spalloc_user", "spalloc_group",
)
#: Prefix of the environment variables that give machine settings.
ENV_PREFIX = "NETSPEC_SPINNAKER_"
#: The setting that selects each kind of machine.
SELECTORS: dict[str, str] = {"virtual_board": "virtual", "board_address": "board",
                             "spalloc_server": "spalloc"}
#: The settings each kind of machine takes.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "virtual": ("virtual_board", "width", "height", "board_version"),
    "board": ("board_address", "board_version"),
    "spalloc": ("spalloc_server", "spalloc_port", "spalloc_user", "spalloc_group"),
}
_INT_KEYS = frozenset({"width", "height", "board_version", "spalloc_port"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

#: The folder, under the run's output folder, that holds sPyNNaker's configuration and reports.
RUN_FOLDER = "spinnaker"
#: Name of the configuration file netspec writes there.
CONFIG_NAME = "spynnaker.cfg"
#: Where sPyNNaker looks for a user configuration (besides ``./spynnaker.cfg``).
USER_CONFIG_NAME = ".spynnaker.cfg"

#: Connectors sPyNNaker draws only on the host, which accept a seeded ``rng=``.
HOST_ONLY_RNG_CONNECTORS: frozenset[str] = frozenset(
    name for name, info in CONNECTORS.items()
    if info["takes_rng"] and not info["on_machine"])

HOW_TO_CONFIGURE = (
    "give netspec a machine: --virtual-board (maps the network without hardware; records no "
    "data), --board-address HOST --board-version 5 (or 3), or --spalloc-server URL; or the "
    "environment variables NETSPEC_SPINNAKER_VIRTUAL_BOARD=1, NETSPEC_SPINNAKER_BOARD_ADDRESS "
    "with NETSPEC_SPINNAKER_BOARD_VERSION, NETSPEC_SPINNAKER_SPALLOC_SERVER (with "
    "NETSPEC_SPINNAKER_SPALLOC_USER); or simulation.backends.spinnaker.machine in the spec. "
    "An existing ~/.spynnaker.cfg is used when none of these is given (netspec never writes "
    "one). See docs/spinnaker.md")


# ------------------------------------------------------------------ machine settings
@dataclass(frozen=True)
class Machine:
    """The SpiNNaker machine a run uses.

    ``kind`` is ``"virtual"``, ``"board"``, ``"spalloc"`` or ``"user"`` (the
    user's own sPyNNaker configuration files, listed in ``user_files``, decide).
    ``settings`` holds the netspec settings of that kind; ``sources`` says where
    each came from (``"command line"``, ``"environment (NETSPEC_SPINNAKER_…)"``,
    ``"spec"``).
    """

    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    user_files: tuple[Path, ...] = ()
    virtual: bool = False

    def describe(self) -> str:
        """One line for people: what machine, from where."""
        if self.kind == "user":
            where = ", ".join(str(f) for f in self.user_files)
            return f"{'virtual board' if self.virtual else 'machine'} from {where}"
        selector = next(k for k, v in SELECTORS.items() if v == self.kind)
        what = {"virtual": "virtual board", "board": f"board {self.settings.get('board_address')}",
                "spalloc": f"spalloc server {self.settings.get('spalloc_server')}"}[self.kind]
        return f"{what} (from {self.sources.get(selector, 'spec')})"


def environment_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Machine settings from ``NETSPEC_SPINNAKER_<KEY>`` variables; :class:`UsageError`
    for a value of the wrong kind."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key in MACHINE_KEYS:
        name = ENV_PREFIX + key.upper()
        if name in environ:
            out[key] = _coerce(key, environ[name], name)
    return out


def _coerce(key: str, value: Any, where: str) -> Any:
    if key == "virtual_board":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise UsageError(f"{where}: '{value}' is not a yes/no value (use 1 or 0)")
    if key in _INT_KEYS:
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            raise UsageError(f"{where}: '{value}' is not a whole number") from None
        if key == "board_version" and number not in (3, 5):
            raise UsageError(f"{where}: board_version must be 3 (4 chips) or 5 (48 chips), "
                             f"not {number}")
        if number < 1:
            raise UsageError(f"{where}: must be positive, not {number}")
        return number
    text = str(value).strip()
    if not text:
        raise UsageError(f"{where}: empty value")
    return text


def _selected(layer: Mapping[str, Any]) -> list[str]:
    """The kinds of machine one source names."""
    return [kind for key, kind in SELECTORS.items()
            if (layer.get(key) is True if key == "virtual_board" else layer.get(key))]


def resolve_machine(command_line: Mapping[str, Any], environment: Mapping[str, Any],
                    spec: Mapping[str, Any]) -> Machine | None:
    """The machine given to netspec (command line > environment > spec), or ``None``
    when no source names one. :class:`UsageError` when one source names two."""
    layers = [("command line", dict(command_line)),
              ("environment", dict(environment)), ("spec", dict(spec))]
    kind = source = None
    for name, layer in layers:
        kinds = _selected(layer)
        if len(kinds) > 1:
            keys = [k for k in SELECTORS if SELECTORS[k] in kinds]
            raise UsageError(f"the {name} names two SpiNNaker machines "
                             f"({', '.join(keys)}); give only one")
        if kinds:
            kind, source = kinds[0], name
            break
    if kind is None or source is None:
        return None
    settings: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KIND_KEYS[kind]:
        for name, layer in layers:
            if layer.get(key) is not None and not (key == "virtual_board" and not layer[key]):
                settings[key] = layer[key]
                sources[key] = (f"environment ({ENV_PREFIX}{key.upper()})"
                                if name == "environment" else name)
                break
    if kind == "board" and "board_version" not in settings:
        raise BackendConfigError(
            f"board {settings['board_address']} needs its version: give --board-version 5 "
            "(48 chips) or 3 (4 chips), board_version in simulation.backends.spinnaker.machine, "
            f"or {ENV_PREFIX}BOARD_VERSION")
    if kind == "virtual" and ("width" in settings) != ("height" in settings):
        raise BackendConfigError("a virtual board needs both width and height, or neither")
    return Machine(kind, settings, sources, virtual=kind == "virtual")


def user_config_files(cwd: Path | None = None) -> list[Path]:
    """The sPyNNaker configuration files that sPyNNaker itself would read, in its order:
    one of the site, user-config and home ``.spynnaker.cfg``, then ``./spynnaker.cfg``."""
    home = Path(os.path.expanduser("~"))
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    site = [Path(p) for p in (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if p]
    candidates = [*(s / USER_CONFIG_NAME for s in site[:1]), config_home / USER_CONFIG_NAME,
                  home / USER_CONFIG_NAME]
    found = [p for p in candidates if p.is_file()]
    if len(found) > 1:
        raise BackendConfigError(
            f"sPyNNaker finds two user configurations ({', '.join(map(str, found))}) and "
            "refuses both; remove one, or give netspec a machine")
    local = (cwd or Path.cwd()) / "spynnaker.cfg"
    if local.is_file():
        found.append(local)
    return found


def _optionxform(option: str) -> str:
    """sPyNNaker's spelling-insensitive option names (``machineName`` = ``machine_name``)."""
    return option.lower().replace("_", "")


def _parser() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = _optionxform  # type: ignore[assignment,method-assign]
    return parser


def _read_user_files(files: list[Path] | tuple[Path, ...]) -> configparser.ConfigParser:
    config = _parser()
    for file in files:
        try:
            config.read(file, encoding="utf-8")
            spec_file = config.get("Machine", "machine_spec_file", fallback="None")
            if spec_file not in ("None", ""):
                config.read(spec_file, encoding="utf-8")
                config.remove_option("Machine", "machine_spec_file")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:
            raise BackendConfigError(f"cannot read the SpiNNaker configuration {file}: "
                                     f"{exc}") from exc
    return config


def read_user_machine(cwd: Path | None = None) -> Machine:
    """The machine of the user's own sPyNNaker configuration (:func:`user_config_files`);
    :class:`BackendConfigError`, saying how to configure one, if none names a machine."""
    files = user_config_files(cwd)
    config = _read_user_files(files)
    named = [k for k in ("machine_name", "spalloc_server", "remote_spinnaker_url")
             if config.get("Machine", k, fallback="None").strip() not in ("None", "")]
    virtual = config.get("Machine", "virtual_board", fallback="False").strip().lower() in _TRUE
    if not files or not (named or virtual):
        what = (f"{', '.join(map(str, files))} names no machine" if files
                else "no SpiNNaker machine is configured")
        raise BackendConfigError(f"{what}; {HOW_TO_CONFIGURE}")
    return Machine("user", user_files=tuple(files), virtual=virtual and not named)


def write_config(folder: Path, machine: Machine) -> Path:
    """Write the sPyNNaker configuration of a run, ``folder/spynnaker.cfg`` (``folder``
    is created), and return its path: the machine, reports under ``folder`` and
    warnings-only logging. For a ``"user"`` machine the user's files are merged in
    first (they may change the log level, not the report folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = _parser()
    config["Logging"] = {"default": "warning"}
    if machine.kind == "user":
        user = _read_user_files(machine.user_files)
        for name in user.sections():
            if not config.has_section(name):
                config.add_section(name)
            for option, value in user.items(name, raw=True):
                config.set(name, option, value)
    else:
        section: dict[str, str] = {}
        settings = machine.settings
        if machine.kind == "virtual":
            section["virtual_board"] = "True"
            if "width" in settings:
                section["width"], section["height"] = (str(settings["width"]),
                                                       str(settings["height"]))
                if "board_version" in settings:
                    section["version"] = str(settings["board_version"])
            else:
                section["version"] = str(settings.get("board_version", 5))
        elif machine.kind == "board":
            section["machine_name"] = str(settings["board_address"])
            section["version"] = str(settings["board_version"])
        else:
            section["spalloc_server"] = str(settings["spalloc_server"])
            for key in ("spalloc_port", "spalloc_user", "spalloc_group"):
                if key in settings:
                    section[key] = str(settings[key])
        config["Machine"] = section
    if not config.has_section("Reports"):
        config.add_section("Reports")
    config.set("Reports", "default_report_file_path", str(folder.resolve()))
    path = folder / CONFIG_NAME
    header = ("# Written by netspec for this run: sPyNNaker reads it after its own defaults\n"
              "# and instead of ~/.spynnaker.cfg. Machine: " + machine.describe() + "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        config.write(f)
    return path


def install_config(config_file: Path) -> None:
    """Make the next ``sim.setup`` of ``pyNN.spiNNaker`` read ``config_file`` after
    sPyNNaker's defaults, and no user or local configuration file.

    sPyNNaker resets its configuration in ``setup`` (``setup_configs``) and then
    looks for ``~/.spynnaker.cfg``, creating one when there is none. The hook
    below runs once, right after that reset, and replaces the user-file lookup
    with ``config_file`` (``spinn_utilities.config_holder.set_cfg_files``).
    """
    try:
        import spynnaker.pyNN.spinnaker as front
        from spinn_utilities import config_holder
    except ImportError as exc:  # pragma: no cover - import_sim imported them already
        raise BackendUnavailableError(f"sPyNNaker cannot be imported ({exc})") from exc
    original = getattr(front, "setup_configs", None)
    original = getattr(original, "__wrapped__", original)
    if original is None or not hasattr(config_holder, "set_cfg_files"):
        raise BackendUnavailableError(
            f"this sPyNNaker ({caps_version_installed()}) does not configure itself the way "
            f"sPyNNaker {SPYNNAKER_VERSION} does; install sPyNNaker==1!7.4.*")
    path = str(config_file)

    def setup_configs() -> None:
        setattr(front, "setup_configs", original)  # noqa: B010 - one run only
        original()
        config_holder.set_cfg_files(None, path)

    setup_configs.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(front, "setup_configs", setup_configs)  # noqa: B010 - not exported by sPyNNaker


def caps_version_installed() -> str:
    """The installed sPyNNaker version, or ``'not installed'``."""
    from importlib import metadata
    try:
        return metadata.version("sPyNNaker")
    except metadata.PackageNotFoundError:
        return "not installed"


def keep_home_clean(folder: Path) -> None:
    """PyNN imports matplotlib (through csa), which creates ~/.config/matplotlib and
    ~/.cache/matplotlib. Where these do not exist yet, point matplotlib (``MPLCONFIGDIR``)
    into ``folder`` instead; call this before PyNN is imported."""
    if "matplotlib" in sys.modules or "MPLCONFIGDIR" in os.environ:
        return
    home = Path(os.path.expanduser("~"))
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"
    if not (config.is_dir() and cache.is_dir()):
        os.environ["MPLCONFIGDIR"] = str((folder / "matplotlib").resolve())


def population_seed(seed: int, index: int) -> int:
    """The ``seed=`` of the ``index``-th population (spec order): 31 bits of the
    ``index``-th child of ``SeedSequence(seed)``, so populations draw independently."""
    state = np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1)
    return int(state[0]) & 0x7FFF_FFFF


def grid_shape(population: Population) -> tuple[int, ...] | None:
    """The cells per dimension of a population on a ``Grid2D`` or ``Grid3D`` (as PyNN's
    ``calculate_size`` gives them), which sPyNNaker makes a 2-D or 3-D vertex; else None."""
    structure = population.structure
    if structure is None or structure.type not in ("Grid2D", "Grid3D"):
        return None
    n = population.size
    if n < 1:
        return None
    parameters = structure.parameters
    if structure.type == "Grid2D":
        nx = round(math.sqrt(n * float(parameters.get("aspect_ratio", 1.0))))
        return (nx, n // nx) if nx and nx * (n // nx) == n else None
    a = float(parameters.get("aspect_ratioXY", 1.0))
    b = float(parameters.get("aspect_ratioXZ", 1.0))
    nx = round((n * a * b) ** (1 / 3))
    ny, nz = round(nx / a), round(nx / b)
    return (nx, ny, nz) if nx * ny * nz == n else None


def split_grid(shape: tuple[int, ...], limit: int) -> tuple[int, ...]:
    """Neurons per core in each dimension of a grid of ``shape``: the largest box, grown
    by doubling its smallest side, that holds at most ``limit`` cells (sPyNNaker needs
    one number per dimension for a multidimensional population)."""
    box = [1] * len(shape)
    grown = True
    while grown:
        grown = False
        for d in sorted(range(len(shape)), key=lambda i: (box[i], i)):
            if box[d] < shape[d]:
                bigger = min(shape[d], box[d] * 2)
                if math.prod(box) // box[d] * bigger <= limit:
                    box[d] = bigger
                    grown = True
                    break
    return tuple(box)


def n_bits(n_values: int) -> int:
    """Bits to tell ``n_values`` values apart (sPyNNaker's ``get_n_bits``)."""
    if n_values <= 1:
        return n_values
    return math.ceil(math.log2(n_values))


def max_delay_steps(neurons_per_core: int, n_synapse_types: int) -> int:
    """The longest delay, in timesteps, that sPyNNaker delivers to a population with
    ``neurons_per_core`` neurons on each core.

    A core's ring buffer holds ``2 ** (RING_BUFFER_BITS - bits(neurons) -
    bits(synapse types))`` timesteps of input, and one delay extension core adds
    ``DELAY_EXTENSION_STAGES`` more of the same
    (``spynnaker.pyNN.extra_algorithms.delay_support_adder``).
    """
    delays = DELAYS
    slots = 2 ** (delays["ring_buffer_bits"] - n_bits(neurons_per_core)
                  - n_bits(n_synapse_types))
    return int(slots * (1 + delays["delay_extension_stages"]))


# ------------------------------------------------------------------------- profile
class SpinnakerProfile(BackendProfile):
    """Runs on SpiNNaker through ``pyNN.spiNNaker`` (sPyNNaker 7.4); see the module
    docstring for seeds, options, checks and the machine configuration
    (command line > environment > spec; an existing ``~/.spynnaker.cfg`` only when
    none of them names a machine).

    ``options`` are machine settings from the command line (keys of
    :data:`MACHINE_KEYS`); ``environ`` replaces ``os.environ`` (for tests).
    """

    name = "spinnaker"
    pynn_module = "pyNN.spiNNaker"
    host_rng = False
    host_rng_connectors = HOST_ONLY_RNG_CONNECTORS
    spike_times_as_sequence = False
    chunked_run = False
    install_hint = "pip install 'netspec[spinnaker]'"
    simulator_distribution = "sPyNNaker"

    def __init__(self, options: dict[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        unknown_keys = sorted(set(self.options) - set(MACHINE_KEYS))
        if unknown_keys:
            raise UsageError(f"unknown SpiNNaker option {unknown_keys[0]!r}"
                             f"{did_you_mean(unknown_keys[0], MACHINE_KEYS)}; "
                             f"allowed: {allowed(MACHINE_KEYS)}")
        self.options = {k: _coerce(k, v, k.replace("_", "-")) for k, v in self.options.items()}
        self.environ = environ
        self.machine: Machine | None = None
        self.folder: Path | None = None
        self.config_file: Path | None = None
        self.network: Network | None = None

    # ---------------------------------------------------------------- translation
    def setup_kwargs(self, network: Network) -> dict[str, Any]:
        """``timestep``, ``min_delay`` and ``time_scale_factor``; no ``max_delay``, which
        sPyNNaker ignores (each population's own delay limit applies)."""
        sim = network.simulation
        kwargs: dict[str, Any] = {"timestep": sim.timestep, "min_delay": sim.min_delay}
        factor = network.simulation.spinnaker.get("time_scale_factor")
        if factor is not None:
            factor = float(factor)
            kwargs["time_scale_factor"] = int(factor) if factor.is_integer() else factor
        return kwargs

    def population_kwargs(self, network: Network, population: Population,
                          index: int) -> dict[str, Any]:
        """``seed`` (where the cell type takes one) and ``neurons_per_core``."""
        kwargs: dict[str, Any] = {}
        info = CELL_TYPES.get(population.cell_type)
        if info is None:
            return kwargs
        if "seed" in info["population_options"]:
            kwargs["seed"] = population_seed(network.simulation.seed, index)
        per_core = _neurons_per_core_option(network).get(population.cell_type)
        shape = grid_shape(population)
        if shape is not None:
            limit = int(per_core) if per_core is not None else info["max_neurons_per_core"]
            kwargs["neurons_per_core"] = split_grid(shape, limit)
        elif per_core is not None:
            kwargs["neurons_per_core"] = int(per_core)
        return kwargs

    # --------------------------------------------------------------------- checks
    def check(self, network: Network, source: SourceMap) -> list[Diagnostic]:
        """Everything in ``network`` that sPyNNaker cannot run (see the module docstring)."""
        return sorted(_Checker(network, source).run())

    # ---------------------------------------------------------------------- running
    def prepare(self, network: Network, out_dir: Path) -> None:
        """Settle the machine (command line > environment > spec > an existing user
        configuration); :class:`BackendConfigError` says how to configure one when there
        is none. Nothing is written until :meth:`import_sim`."""
        spec_machine = network.simulation.spinnaker.get("machine") or {}
        spec = {k: _coerce(k, v, f"simulation.backends.spinnaker.machine.{k}")
                for k, v in spec_machine.items() if k in MACHINE_KEYS}
        machine = resolve_machine(self.options, environment_settings(self.environ), spec)
        self.folder = Path(out_dir) / RUN_FOLDER
        self.machine = machine if machine is not None else read_user_machine()
        self.network = network

    def import_sim(self) -> ModuleType:
        """``pyNN.spiNNaker``, set to read this run's ``<out>/spinnaker/spynnaker.cfg``
        (written here) at ``sim.setup``; sPyNNaker's reports go beside it."""
        if self.folder is not None and self.machine is not None:
            self.config_file = write_config(self.folder, self.machine)
            keep_home_clean(self.folder)
        sim = super().import_sim()
        if self.config_file is not None:
            install_config(self.config_file)
        return sim

    def advance(self, sim: ModuleType, milliseconds: float, *, first: bool) -> None:
        """``sim.run`` (once: :attr:`chunked_run` is false). What sPyNNaker refuses while
        mapping becomes a :class:`SimulationError` at the spec object it names."""
        try:
            sim.run(milliseconds)
        except Exception as exc:  # any sPyNNaker error is about the network
            raise SimulationError(_run_diagnostic(self.network, exc)) from exc

    @property
    def records_data(self) -> bool:
        """False on a virtual board, which maps the network but runs nothing."""
        return not (self.machine is not None and self.machine.virtual)

    def mapping_report(self, sim: ModuleType) -> dict[str, Any]:
        """The machine, the chips and cores the network used, and each population's share."""
        try:
            return _mapping_report(self.network, self.machine)
        except Exception as exc:
            return {"error": f"could not read sPyNNaker's mapping: {type(exc).__name__}: {exc}"}


def _run_diagnostic(network: Network | None, exc: Exception) -> Diagnostic:
    """NS701 for an error sPyNNaker raised while mapping or running, at the population or
    projection whose label its message names (else at the top of the spec)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[-1] if lines else ''}".rstrip(": ")
    if network is None:
        return Diagnostic("<run>", 0, 0, "NS701", f"sPyNNaker could not run the network: {text}")
    objects: list[Population | Projection] = [*network.populations.values(),
                                              *network.projections.values()]
    named = [o for o in objects
             if re.search(rf"(?<![\w-]){re.escape(o.label)}(?![\w-])", str(exc))]
    if named:
        origin = max(named, key=lambda o: len(o.label)).origin
        what = ".".join(str(p) for p in origin.path)
        return Diagnostic(origin.file, origin.line, origin.column, "NS701",
                          f"sPyNNaker could not map {what}: {text}", origin.path)
    return Diagnostic(network.file, 1, 1, "NS701", f"sPyNNaker could not map the network: {text}")


def _neurons_per_core_option(network: Network) -> dict[str, Any]:
    value = network.simulation.spinnaker.get("neurons_per_core") or {}
    return dict(value) if isinstance(value, Mapping) else {}


def _mapping_report(network: Network | None, machine: Machine | None) -> dict[str, Any]:
    from spinn_front_end_common.interface.provenance import GlobalProvenance, TimerCategory
    from spynnaker.pyNN.data import SpynnakerDataView as view
    from spynnaker.pyNN.models.common.population_application_vertex import (
        PopulationApplicationVertex,
    )
    from spynnaker.pyNN.models.utility_models.delays import DelayExtensionVertex

    vertices = list(view.iterate_vertices())
    populations = [v for v in vertices if isinstance(v, PopulationApplicationVertex)]
    names: list[str] = list(network.populations) if network is not None else []
    if len(names) != len(populations):  # fall back on labels
        names = [str(v.label) for v in populations]
    by_vertex = {id(v): name for v, name in zip(populations, names, strict=True)}

    def placed(vertex: Any) -> list[Any]:
        return [view.get_placement_of_vertex(m) for m in vertex.machine_vertices]

    per_population: dict[str, dict[str, Any]] = {}
    network_chips: set[tuple[int, int]] = set()
    network_cores = 0
    for vertex in populations:
        places = placed(vertex)
        chips = {(p.x, p.y) for p in places}
        per_core = max((m.vertex_slice.n_atoms for m in vertex.machine_vertices
                        if hasattr(m, "vertex_slice")), default=0)
        per_population[by_vertex[id(vertex)]] = {
            "size": int(vertex.n_atoms), "cores": len(places), "chips": len(chips),
            "neurons_per_core": int(per_core), "delay_extension_cores": 0}
        network_chips |= chips
        network_cores += len(places)
    for other in vertices:
        if isinstance(other, DelayExtensionVertex):
            places = placed(other)
            name = by_vertex.get(id(other.source_vertex))
            if name is not None:
                per_population[name]["delay_extension_cores"] += len(places)
            network_chips |= {(p.x, p.y) for p in places}
            network_cores += len(places)
    spinn = view.get_machine()
    described = (f"{'virtual board' if machine is not None and machine.virtual else 'machine'}"
                 f" of {spinn.n_chips} chips ({spinn.width} x {spinn.height})")
    report: dict[str, Any] = {
        "machine": described,
        "chips_used": len(network_chips),
        "cores_used": network_cores,
        "system_cores": view.get_n_placements() - network_cores,
    }
    with GlobalProvenance() as provenance:
        for key, category in (("mapping_s", TimerCategory.MAPPING),
                              ("loading_s", TimerCategory.LOADING)):
            report[key] = provenance.get_category_timer_sum(category) / 1000.0
    report["populations"] = per_population
    return report


# -------------------------------------------------------------------------- checks
class _Checker:
    """Walks a resolved network and yields what sPyNNaker cannot run."""

    def __init__(self, network: Network, source: SourceMap) -> None:
        self.network = network
        self.source = source
        self.dt = network.simulation.timestep

    def say(self, path: SpecPath, code: str, message: str, *, key: bool = False,
            severity: str = "error") -> Diagnostic:
        return self.source.diagnostic(path, code, message, key=key, severity=severity)

    def run(self) -> Iterator[Diagnostic]:
        yield from self.simulation()
        for index, population in enumerate(self.network.populations.values()):
            yield from self.population(population, index)
        for view in self.network.views.values():
            if isinstance(view, Assembly) and not ASSEMBLIES:
                yield self.say(view.origin.path, "NS601",
                               f"assembly '{view.name}' is not supported on SpiNNaker: "
                               f"sPyNNaker {SPYNNAKER_VERSION} cannot create a PyNN Assembly; "
                               "use its members one by one", key=True)
        for projection in self.network.projections.values():
            yield from self.projection(projection)
        for stimulus in self.network.stimuli.values():
            yield from self.component(stimulus.type, stimulus.parameters, CURRENT_SOURCES,
                                      stimulus.origin.path, "current source", "type")
            dt = stimulus.parameters.get("dt", 0.1)  # PyNN's default dt
            if stimulus.type == "NoisyCurrentSource" and isinstance(dt, float) and \
                    abs(dt - self.dt) > 1e-9:
                yield self.say((*stimulus.origin.path, "dt") if "dt" in stimulus.parameters
                               else stimulus.origin.path, "NS601",
                               f"sPyNNaker draws NoisyCurrentSource noise once per timestep "
                               f"only: dt must be the timestep ({self.dt:g} ms), not {dt:g} ms")
        yield from self.recordings()

    # ---------------------------------------------------------------- simulation
    def simulation(self) -> Iterator[Diagnostic]:
        path: SpecPath = ("simulation",)
        micro = self.dt * 1000.0
        if abs(micro - round(micro)) > 1e-6:
            yield self.say((*path, "timestep"), "NS601",
                           f"timestep {self.dt:g} ms is not a whole number of microseconds, "
                           "which sPyNNaker needs")
        if (*path, "max_delay") in self.source.values:
            yield self.say((*path, "max_delay"), "NS603",
                           f"max_delay is ignored on SpiNNaker: {IGNORED['max_delay']}",
                           severity="warning")
        options = self.network.simulation.spinnaker
        opath: SpecPath = (*path, "backends", "spinnaker")
        per_core = options.get("neurons_per_core")
        if isinstance(per_core, Mapping):
            for cell, value in per_core.items():
                where: SpecPath = (*opath, "neurons_per_core", cell)
                info = CELL_TYPES.get(cell)
                if info is None:
                    yield self.say(where, "NS601",
                                   f"neurons_per_core names '{cell}', which is not a cell type "
                                   f"sPyNNaker runs{did_you_mean(cell, CELL_TYPES)}; "
                                   f"allowed: {allowed(CELL_TYPES)}", key=True)
                    continue
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    number = float("nan")
                if not (number >= 1 and number.is_integer()):
                    yield self.say(where, "NS601",
                                   f"neurons_per_core of {cell} must be a whole number ≥ 1")
                elif number > info["max_neurons_per_core"]:
                    yield self.say(where, "NS601",
                                   f"sPyNNaker puts at most {info['max_neurons_per_core']} "
                                   f"{cell} neurons on one core, not {int(number)}")
        machine = options.get("machine")
        if isinstance(machine, Mapping):
            kinds = _selected(machine)
            if len(kinds) > 1:
                keys = [k for k in SELECTORS if SELECTORS[k] in kinds]
                yield self.say((*opath, "machine"), "NS605",
                               f"machine names two SpiNNaker machines ({', '.join(keys)}); "
                               "give only one")

    # --------------------------------------------------------------- populations
    def population(self, population: Population, index: int) -> Iterator[Diagnostic]:
        path = population.origin.path
        info = CELL_TYPES.get(population.cell_type)
        if info is None:
            yield self.say((*path, "cell_type"), "NS601",
                           f"cell type {population.cell_type} is not supported on SpiNNaker "
                           f"(sPyNNaker {SPYNNAKER_VERSION} runs "
                           f"{allowed(CELL_TYPES)})")
            return
        for section, names, what in (("parameters", info["parameters"], "parameter"),
                                     ("initial_values", info["initial_values"],
                                      "state variable")):
            for name, value in getattr(population, section).items():
                if name not in names:
                    yield self.say((*path, section, name), "NS601",
                                   f"{what} '{name}' of {population.cell_type} is not supported "
                                   f"on SpiNNaker; sPyNNaker's {population.cell_type} takes "
                                   f"{allowed(names)}", key=True)
                else:
                    yield from self.unseeded(value, (*path, section, name))
        note = DIFFERENCES.get(population.cell_type)
        if note:
            yield self.say((*path, "cell_type"), "NS606",
                           f"{population.cell_type} behaves differently on SpiNNaker: {note}",
                           severity="warning")

    def unseeded(self, value: Any, path: SpecPath,
                 on_machine: bool = True) -> Iterator[Diagnostic]:
        if (on_machine and isinstance(value, RandomValue)
                and value.distribution not in ON_CHIP_DISTRIBUTIONS):
            yield self.say(path, "NS606",
                           f"sPyNNaker cannot draw '{value.distribution}' values from the "
                           "population's seed, so it draws them on the host without a seed: "
                           "they differ between runs (seeded on SpiNNaker: "
                           f"{allowed(ON_CHIP_DISTRIBUTIONS)})", severity="warning")

    # --------------------------------------------------------------- projections
    def projection(self, projection: Projection) -> Iterator[Diagnostic]:
        path = projection.origin.path
        for end in ("pre", "post"):
            name = getattr(projection, end)
            target = self.network.target(name)
            if isinstance(target, Assembly):
                if not ASSEMBLIES:
                    continue  # reported once, where the assembly is defined
                yield self.say((*path, end), "NS601",
                               f"'{name}' is an assembly; sPyNNaker projects only from and to "
                               "populations and views: use one projection per member")
            elif isinstance(target, View) and not _contiguous(target.indices):
                yield self.say((*path, end), "NS601",
                               f"view '{name}' holds cells that are not one contiguous run of "
                               f"'{target.population}' ({_show(target.indices)}); sPyNNaker "
                               f"projects {VIEWS_AS_PROJECTION_ENDS}")
        connector = projection.connector
        cinfo = CONNECTORS.get(connector.type)
        on_machine = True
        if cinfo is None:
            yield self.say((*path, "connector", "type"), "NS601",
                           f"{connector.type} is not supported on SpiNNaker; sPyNNaker "
                           f"connects with {allowed(CONNECTORS)}")
        else:
            on_machine = bool(cinfo["on_machine"])
            for name in connector.parameters:
                if name not in cinfo["arguments"]:
                    yield self.say((*path, "connector", name), "NS601",
                                   f"argument '{name}' of {connector.type} is not supported on "
                                   f"SpiNNaker; sPyNNaker's takes "
                                   f"{allowed(cinfo['arguments'])}", key=True)
        synapse = projection.synapse
        spath: SpecPath = (*path, "synapse")
        sinfo = SYNAPSE_TYPES.get(synapse.type)
        if sinfo is None:
            yield self.say((*spath, "type"), "NS601",
                           f"synapse type {synapse.type} is not supported on SpiNNaker; "
                           f"sPyNNaker has {allowed(SYNAPSE_TYPES)}")
        else:
            for name, value in synapse.parameters.items():
                if name not in sinfo:
                    yield self.say((*spath, name), "NS601",
                                   f"parameter '{name}' of {synapse.type} is not supported on "
                                   f"SpiNNaker; sPyNNaker's takes {allowed(sinfo)}", key=True)
                elif name in FIXED_SYNAPSE_PARAMETERS.get(synapse.type, {}):
                    fixed = FIXED_SYNAPSE_PARAMETERS[synapse.type][name]
                    if value != fixed:
                        yield self.say((*spath, name), "NS601",
                                       f"sPyNNaker's {synapse.type} needs {name} = {fixed!r}, "
                                       f"not {value!r}")
                else:
                    yield from self.unseeded(value, (*spath, name), on_machine)
            for rule, table, what in (
                    ("timing_dependence", TIMING_DEPENDENCES, "timing dependence"),
                    ("weight_dependence", WEIGHT_DEPENDENCES, "weight dependence")):
                component = getattr(synapse, rule)
                if component is not None:
                    yield from self.component(component.type, component.parameters, table,
                                              (*spath, rule), what, "type")
        post_types = self.network.cell_types_of(projection.post)
        for cell in post_types:
            info = CELL_TYPES.get(cell)
            if info is not None and projection.receptor_type not in info["receptor_types"]:
                yield self.say((*path, "receptor_type"), "NS601",
                               f"receptor type '{projection.receptor_type}' of {cell} is not "
                               f"supported on SpiNNaker; sPyNNaker's {cell} has "
                               f"{allowed(info['receptor_types'])}")
        yield from self.delay(projection)

    def component(self, kind: str, parameters: Mapping[str, Any],
                  table: Mapping[str, tuple[str, ...]], path: SpecPath, what: str,
                  type_key: str) -> Iterator[Diagnostic]:
        names = table.get(kind)
        if names is None:
            yield self.say((*path, type_key), "NS601",
                           f"{what} {kind} is not supported on SpiNNaker; sPyNNaker has "
                           f"{allowed(table)}")
            return
        for name in parameters:
            if name not in names:
                yield self.say((*path, name), "NS601",
                               f"parameter '{name}' of {kind} is not supported on SpiNNaker; "
                               f"sPyNNaker's {kind} takes {allowed(names)}", key=True)

    def delay(self, projection: Projection) -> Iterator[Diagnostic]:
        target = self.network.target(projection.post)
        if isinstance(target, Assembly):
            return
        population = self.network.root_population(projection.post)
        info = CELL_TYPES.get(population.cell_type)
        if info is None or not info["receptor_types"]:
            return
        longest, where = _longest_delay(projection)
        if longest is None:
            return
        configured = _neurons_per_core_option(self.network).get(population.cell_type)
        limit_per_core = min(int(configured) if configured else info["max_neurons_per_core"],
                             info["max_neurons_per_core"])
        shape = grid_shape(population)
        per_core = max(1, min(population.size, math.prod(split_grid(shape, limit_per_core))
                              if shape is not None else limit_per_core))
        n_types = info["n_synapse_types"]
        steps = max_delay_steps(per_core, n_types)
        if longest <= steps * self.dt + 1e-9:
            return
        needed = math.ceil(longest / self.dt - 1e-9)
        hint = " or the neurons per core"
        fits = [2 ** b for b in range(n_bits(per_core) - 1, -1, -1)
                if max_delay_steps(2 ** b, n_types) >= needed]
        if fits:
            hint = (f" or set simulation.backends.spinnaker.neurons_per_core."
                    f"{population.cell_type}: {fits[0]} (which allows "
                    f"{max_delay_steps(fits[0], n_types)} timesteps)")
        yield self.say(where, "NS602",
                       f"delay {longest:g} ms is {needed} timesteps of {self.dt:g} ms; sPyNNaker "
                       f"delivers at most {steps} timesteps ({steps * self.dt:g} ms) to "
                       f"'{population.name}' ({population.cell_type}, {per_core} neurons per "
                       f"core): shorten the delay, lengthen the timestep{hint}")

    # ---------------------------------------------------------------- recordings
    def recordings(self) -> Iterator[Diagnostic]:
        rates: dict[tuple[str, str], tuple[int, set[int], str]] = {}
        for recording in self.network.recordings.values():
            path = recording.origin.path
            cells = _cells(self.network, recording.target)
            if recording.indices is not None:
                flat = [c for pop, ids in cells for c in ((pop, i) for i in ids)]
                chosen = [flat[i] for i in recording.indices]
                cells = [(pop, tuple(i for p, i in chosen if p == pop))
                         for pop in dict.fromkeys(p for p, _ in chosen)]
            for i, variable in enumerate(recording.variables):
                for cell in self.network.cell_types_of(recording.target):
                    info = CELL_TYPES.get(cell)
                    if info is not None and variable not in info["recordables"]:
                        model = catalogue.cell_type(cell)
                        pynn = set(model.recordables) if model is not None else set()
                        yield self.say((*path, "variables", i), "NS601",
                                       f"sPyNNaker cannot record '{variable}' from {cell}; it "
                                       f"records {allowed(set(info['recordables']) & pynn)}")
            rate = 1
            interval = recording.sampling_interval
            if interval is not None:
                rate = int(interval / self.dt)
                if interval != rate * self.dt:
                    yield self.say((*path, "sampling_interval"), "NS601",
                                   f"sPyNNaker refuses sampling_interval {interval:g} ms: "
                                   f"{interval!r} / {self.dt!r} is not a whole number in floating"
                                   f" point; choose another interval")
                    continue
            for variable in recording.variables:
                if variable == "spikes":
                    continue
                for pop, ids in cells:
                    key = (pop, variable)
                    if key not in rates:
                        rates[key] = (rate, set(ids), recording.name)
                        continue
                    previous, covered, by = rates[key]
                    if rate != previous and not covered <= set(ids):
                        yield self.say((*path, "sampling_interval"), "NS601",
                                       f"sPyNNaker samples '{variable}' of '{pop}' at one "
                                       f"interval: recording '{by}' samples it every "
                                       f"{previous * self.dt:g} ms, this one every "
                                       f"{rate * self.dt:g} ms")
                    else:
                        rates[key] = (rate, covered | set(ids), recording.name)


def _contiguous(indices: tuple[int, ...]) -> bool:
    return bool(indices) and indices == tuple(range(indices[0], indices[0] + len(indices)))


def _show(indices: tuple[int, ...], limit: int = 6) -> str:
    head = ", ".join(str(i) for i in indices[:limit])
    return f"cells {head}{', …' if len(indices) > limit else ''}"


def _cells(network: Network, name: str) -> list[tuple[str, tuple[int, ...]]]:
    """The root population cells of a target, in the target's order, by population."""
    target = network.target(name)
    if isinstance(target, Assembly):
        return [pair for member in target.members for pair in _cells(network, member)]
    if isinstance(target, View):
        return [(target.population, target.indices)]
    return [(target.name, tuple(range(target.size)))]


def _longest_delay(projection: Projection) -> tuple[float | None, SpecPath]:
    """The longest delay of a projection (ms) and where it is written."""
    path = projection.origin.path
    connector: Component = projection.connector
    columns = connector.parameters.get("column_names") or ()
    conn_list = connector.parameters.get("conn_list")
    if "delay" in columns and isinstance(conn_list, ArrayValue) and conn_list.data.size:
        column = 2 + list(columns).index("delay")
        return float(np.max(conn_list.data[:, column])), (*path, "connector", "conn_list")
    delay = projection.synapse.parameters.get("delay")
    where: SpecPath = (*path, "synapse", "delay")
    if isinstance(delay, int | float) and not isinstance(delay, bool):
        return float(delay), where
    if isinstance(delay, RandomValue) and "high" in delay.parameters:
        return float(delay.parameters["high"]), where
    return None, where
