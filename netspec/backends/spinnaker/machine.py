"""Which SpiNNaker machine a run uses: a virtual board, a board at an address, a spalloc
allocation, or the user's own sPyNNaker configuration.

The settings come from, highest precedence first:

1. the command line / ``backend_options`` (``--virtual-board``, ``--board-address``,
   ``--spalloc-server``, …; the API takes every key of :data:`MACHINE_KEYS`),
2. environment variables ``NETSPEC_SPINNAKER_<KEY>``,
3. the spec's ``simulation.backends.spinnaker.machine``.

The highest source that names a machine (``virtual_board: true``, ``board_address``
or ``spalloc_server``) decides which kind it is; each setting of that kind then comes
from the highest source that gives it, and settings of other kinds are ignored
(:func:`resolve_machine`). With no source naming one, the user's own sPyNNaker
configuration files decide (:func:`read_user_machine`); they are only read.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netspec.errors import BackendConfigError, UsageError

#: Every machine setting, in the spec (``machine:``), the API and the environment.
MACHINE_KEYS: tuple[str, ...] = (
    "virtual_board", "width", "height", "boards", "board_address", "board_version",
    "spalloc_server", "spalloc_port", "spalloc_user", "spalloc_group", "spalloc_machine",
)
#: Prefix of the environment variables that give machine settings.
ENV_PREFIX = "NETSPEC_SPINNAKER_"
#: The setting that selects each kind of machine.
SELECTORS: dict[str, str] = {"virtual_board": "virtual", "board_address": "board",
                             "spalloc_server": "spalloc"}
#: The settings each kind of machine takes.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "virtual": ("virtual_board", "width", "height", "boards", "board_version"),
    "board": ("board_address", "board_version"),
    "spalloc": ("spalloc_server", "spalloc_port", "spalloc_user", "spalloc_group",
                "spalloc_machine", "boards"),
}
_INT_KEYS = frozenset({"width", "height", "boards", "board_version", "spalloc_port"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

#: Where sPyNNaker looks for a user configuration (besides ``./spynnaker.cfg``).
USER_CONFIG_NAME = ".spynnaker.cfg"

HOW_TO_CONFIGURE = (
    "give netspec a machine: --virtual-board (maps the network without hardware; records no "
    "data), --board-address HOST --board-version 5 (or 3), or --spalloc-server URL; or the "
    "environment variables NETSPEC_SPINNAKER_VIRTUAL_BOARD=1, NETSPEC_SPINNAKER_BOARD_ADDRESS "
    "with NETSPEC_SPINNAKER_BOARD_VERSION, NETSPEC_SPINNAKER_SPALLOC_SERVER (with "
    "NETSPEC_SPINNAKER_SPALLOC_USER, …_BOARDS, …_SPALLOC_MACHINE); or "
    "simulation.backends.spinnaker.machine in the spec. "
    "An existing ~/.spynnaker.cfg is used when none of these is given (netspec never writes "
    "one). See docs/spinnaker.md")



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
        boards = self.settings.get("boards")
        if boards is not None:
            what += f", {boards} board{'s' if boards != 1 else ''}"
        if self.settings.get("spalloc_machine"):
            what += f" of machine {self.settings['spalloc_machine']!r}"
        return f"{what} (from {self.sources.get(selector, 'spec')})"


def environment_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Machine settings from ``NETSPEC_SPINNAKER_<KEY>`` variables; :class:`UsageError`
    for a value of the wrong kind."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key in MACHINE_KEYS:
        name = ENV_PREFIX + key.upper()
        if name in environ:
            out[key] = coerce_setting(key, environ[name], name)
    return out


def coerce_setting(key: str, value: Any, where: str) -> Any:
    """``value`` of machine setting ``key`` as netspec uses it (bool, int or text);
    :class:`UsageError`, naming ``where`` it was given, for a value of the wrong kind."""
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


def named_kinds(layer: Mapping[str, Any]) -> list[str]:
    """The kinds of machine one source of settings names (more than one is an error)."""
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
        kinds = named_kinds(layer)
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
    if kind == "virtual" and "boards" in settings and "width" in settings:
        raise BackendConfigError("give a virtual machine's size as width and height, or as a "
                                 "number of boards, not both")
    if "boards" in settings and settings.get("board_version", 5) != 5:
        raise BackendConfigError("a machine of several boards is made of version 5 boards "
                                 "(48 chips each); leave out board_version 3")
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


def cfg_parser() -> configparser.ConfigParser:
    """A parser that reads sPyNNaker configuration files as sPyNNaker does (no
    interpolation, option names compared without case or underscores)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = _optionxform  # type: ignore[assignment,method-assign]
    return parser


def read_cfg_files(files: list[Path] | tuple[Path, ...]) -> configparser.ConfigParser:
    """The merged contents of sPyNNaker configuration files (and the machine spec file
    one of them names); :class:`BackendConfigError` when one cannot be read."""
    config = cfg_parser()
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
    config = read_cfg_files(files)
    named = [k for k in ("machine_name", "spalloc_server", "remote_spinnaker_url")
             if config.get("Machine", k, fallback="None").strip() not in ("None", "")]
    virtual = config.get("Machine", "virtual_board", fallback="False").strip().lower() in _TRUE
    if not files or not (named or virtual):
        what = (f"{', '.join(map(str, files))} names no machine" if files
                else "no SpiNNaker machine is configured")
        raise BackendConfigError(f"{what}; {HOW_TO_CONFIGURE}")
    return Machine("user", user_files=tuple(files), virtual=virtual and not named)

