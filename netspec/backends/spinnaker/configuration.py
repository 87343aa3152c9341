"""The run's own sPyNNaker configuration: written into the output folder and read by
sPyNNaker instead of ``~/.spynnaker.cfg``.

:func:`write_config` writes ``<out>/spinnaker/spynnaker.cfg`` (the machine, reports
under that folder, warnings-only logging); :func:`install_config` makes the next
``sim.setup`` read that file after sPyNNaker's defaults and *instead of* the user's
files, without changing directory; :func:`keep_home_clean` keeps matplotlib (imported
by PyNN) out of the user's home. ``~/.spynnaker.cfg`` is never created or changed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from netspec.backends.spinnaker.machine import Machine, cfg_parser, read_cfg_files
from netspec.errors import BackendUnavailableError

#: The folder, under the run's output folder, that holds sPyNNaker's configuration and reports.
RUN_FOLDER = "spinnaker"
#: Name of the configuration file netspec writes there.
CONFIG_NAME = "spynnaker.cfg"


def write_config(folder: Path, machine: Machine) -> Path:
    """Write the sPyNNaker configuration of a run, ``folder/spynnaker.cfg`` (``folder``
    is created), and return its path: the machine, reports under ``folder`` and
    logging at INFO (into the run's log; see :mod:`.output`). For a ``"user"`` machine
    the user's files are merged in first (they may change the log level, not the report
    folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = cfg_parser()
    # sPyNNaker filters every root handler at this level: INFO reaches the run's log
    # (output.RunLog); what reaches a terminal is up to the caller's handlers.
    config["Logging"] = {"default": "info"}
    if machine.kind == "user":
        user = read_cfg_files(machine.user_files)
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
            section["version"] = "5"  # spalloc allocates 48-chip boards
            for key in ("spalloc_port", "spalloc_user", "spalloc_group", "spalloc_machine"):
                if key in settings:
                    section[key] = str(settings[key])
        config["Machine"] = section
    if not config.has_section("Reports"):
        config.add_section("Reports")
    config.set("Reports", "default_report_file_path", str(folder.resolve()))
    path = folder / CONFIG_NAME
    header = ("# Written by netspec for this run: sPyNNaker reads it after its own defaults\n"
              "# and instead of ~/.spynnaker.cfg. Machine: " + machine.describe() + "\n")
    if "boards" in machine.settings:  # not a configuration option of sPyNNaker 7.4
        header += (f"# Boards: {machine.settings['boards']}, requested by netspec as "
                   f"sim.setup(n_boards_required={machine.settings['boards']})\n")
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
    # the generated table itself: the capability generator calls this while it builds it
    from netspec.backends.spinnaker.capabilities_data import SPYNNAKER_VERSION

    try:
        import spynnaker.pyNN.spinnaker as front
        from spinn_utilities import config_holder
    except ImportError as exc:  # pragma: no cover - import_sim imported them already
        raise BackendUnavailableError(f"sPyNNaker cannot be imported ({exc})") from exc
    original = getattr(front, "setup_configs", None)
    original = getattr(original, "__wrapped__", original)
    if original is None or not hasattr(config_holder, "set_cfg_files"):
        raise BackendUnavailableError(
            f"this sPyNNaker ({installed_version()}) does not configure itself the way "
            f"sPyNNaker {SPYNNAKER_VERSION} does; install sPyNNaker==1!7.4.*")
    path = str(config_file)

    def setup_configs() -> None:
        setattr(front, "setup_configs", original)  # noqa: B010 - one run only
        original()
        config_holder.set_cfg_files(None, path)

    setup_configs.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(front, "setup_configs", setup_configs)  # noqa: B010 - not exported by sPyNNaker


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


def installed_version() -> str:
    """The installed sPyNNaker version, or ``'not installed'`` (without importing it)."""
    from importlib import metadata
    try:
        return metadata.version("sPyNNaker")
    except metadata.PackageNotFoundError:
        return "not installed"
