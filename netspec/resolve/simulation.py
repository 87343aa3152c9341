"""The ``simulation`` section: timestep, duration, delays, seed and backend options."""

from __future__ import annotations

import math
import secrets
from typing import Any

import quantities as pq

from netspec import units
from netspec.diagnostics import SpecPath, describe_value
from netspec.model import Simulation
from netspec.resolve.context import Invalid
from netspec.resolve.values import Values

#: PyNN's default max_delay (ms), used when the spec gives none.
DEFAULT_MAX_DELAY = 10.0

#: The NEST options with a fixed set of values that an expression may give (so that a
#: parameter, and --set, can choose), and those values; the schema checks literal values.
NEST_CHOICES: dict[str, tuple[Any, ...]] = {
    "native_connectors": (True, False),
}
#: SpiNNaker machine settings that are names (the only ones an expression may give).
MACHINE_TEXT = ("board_address", "spalloc_server", "spalloc_user", "spalloc_group",
                "spalloc_machine")


class SimulationSection(Values):
    """Resolves ``simulation``."""

    def simulation(self) -> Simulation:
        raw = self.data.get("simulation")
        raw = raw if isinstance(raw, dict) else {}
        path: SpecPath = ("simulation",)
        values: dict[str, float] = {}
        for key, default in (("timestep", 0.1), ("duration", 1000.0), ("min_delay", None),
                             ("max_delay", None)):
            if key not in raw or self.skipped((*path, key)):
                if default is not None:
                    values[key] = default
                continue
            try:
                values[key] = self.number(raw[key], (*path, key), "ms", key)
            except Invalid:
                if default is not None:
                    values[key] = default
        timestep = values["timestep"]
        self.timestep = timestep
        if timestep <= 0:
            self.report((*path, "timestep"), "NS404", "timestep must be positive")
        if values["duration"] <= 0:
            self.report((*path, "duration"), "NS404", "duration must be positive")
        elif timestep > 0 and not units.is_multiple(values["duration"], timestep):
            self.report((*path, "duration"), "NS403",
                        f"duration ({values['duration']} ms) is not a multiple of the timestep "
                        f"({timestep} ms)")
        min_delay = values.get("min_delay", timestep)
        max_delay = values.get("max_delay", max(DEFAULT_MAX_DELAY, min_delay))
        if "min_delay" in values and timestep > 0:
            if min_delay < timestep - 1e-12:
                self.report((*path, "min_delay"), "NS404",
                            f"min_delay ({min_delay} ms) is shorter than the timestep "
                            f"({timestep} ms)")
            elif not units.is_multiple(min_delay, timestep):
                self.report((*path, "min_delay"), "NS403",
                            f"min_delay ({min_delay} ms) is not a multiple of the timestep "
                            f"({timestep} ms)")
        if "max_delay" in values:
            if max_delay < min_delay:
                self.report((*path, "max_delay"), "NS404",
                            f"max_delay ({max_delay} ms) is below min_delay ({min_delay} ms)")
            elif timestep > 0 and not units.is_multiple(max_delay, timestep):
                self.report((*path, "max_delay"), "NS403",
                            f"max_delay ({max_delay} ms) is not a multiple of the timestep "
                            f"({timestep} ms)")
        seed_given = "seed" in raw
        seed = secrets.randbelow(2**31 - 1) + 1
        if seed_given and not self.skipped((*path, "seed")):
            try:
                seed = int(self.number(raw["seed"], (*path, "seed"), None, "seed", integer=True))
                if not 1 <= seed < 2**31:
                    self.report((*path, "seed"), "NS106",
                                f"seed must be a whole number from 1 to 2**31 - 1, not {seed} "
                                "(NEST refuses 0)")
            except Invalid:
                pass
        backends: dict[str, Any] = raw["backends"] if isinstance(raw.get("backends"),
                                                                 dict) else {}
        nest = self.backend_options(backends.get("nest"), (*path, "backends", "nest"))
        self.check_nest_options(nest, (*path, "backends", "nest"))
        spinnaker = self.backend_options(backends.get("spinnaker"),
                                         (*path, "backends", "spinnaker"))
        self.check_spinnaker_options(spinnaker, (*path, "backends", "spinnaker"))
        return Simulation(timestep, values["duration"], min_delay, max_delay, seed,
                          seed_given, nest, spinnaker,
                          self.origin(path) if "simulation" in self.data else None)

    def backend_options(self, raw: Any, path: SpecPath) -> dict[str, Any]:
        if not isinstance(raw, dict) or self.skipped(path):
            return {}
        out: dict[str, Any] = {}
        for key, item in raw.items():
            try:
                if isinstance(item, dict):
                    out[key] = {k: self.generic(v, (*path, key, k)) for k, v in item.items()}
                else:
                    value = self.generic(item, (*path, key))
                    out[key] = units.plain(value) if isinstance(value, pq.Quantity) else value
            except Invalid:
                pass
        return out

    def whole_option(self, options: dict[str, Any], key: str, path: SpecPath,
                     name: str) -> None:
        """``options[key]``, when given, must be a whole number of at least 1 (an expression
        may give one as 2.0); otherwise it is reported at ``path`` and dropped."""
        value = options.get(key)
        if isinstance(value, float) and value.is_integer():
            value = options[key] = int(value)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            self.report(path, "NS106", f"{name} must be a whole number of at least 1, not "
                                       f"{describe_value(value)}")
            options.pop(key)

    def check_spinnaker_options(self, options: dict[str, Any], path: SpecPath) -> None:
        """What expressions gave SpiNNaker's options must be values they take (the schema
        checks literal values only)."""
        factor = options.get("time_scale_factor")
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, int | float)
                                   or not math.isfinite(factor) or factor <= 0):
            self.report((*path, "time_scale_factor"), "NS106",
                        f"time_scale_factor must be a number above 0, not "
                        f"{describe_value(factor)}")
            options.pop("time_scale_factor")
        per_core = options.get("neurons_per_core")
        if isinstance(per_core, dict):
            for cell in list(per_core):
                self.whole_option(per_core, cell, (*path, "neurons_per_core", cell),
                                  f"neurons_per_core of {cell}")
        machine = options.get("machine")
        if isinstance(machine, dict):
            for key in MACHINE_TEXT:
                value = machine.get(key)
                if value is not None and not (isinstance(value, str) and value.strip()
                                              and value.isprintable() and len(value) <= 255):
                    self.report((*path, "machine", key), "NS103",
                                f"{key} must be a name of at most 255 printable characters, "
                                f"not {describe_value(value)}")
                    machine.pop(key)

    def check_nest_options(self, options: dict[str, Any], path: SpecPath) -> None:
        """What an expression gave a NEST option must be a value the option takes."""
        self.whole_option(options, "threads", (*path, "threads"), "threads")
        for key, allowed in NEST_CHOICES.items():
            value = options.get(key)
            if value is None:
                continue
            if not any(value is choice if isinstance(choice, bool) else
                       (isinstance(value, str) and value == choice) for choice in allowed):
                shown = " or ".join(repr(c).lower() if isinstance(c, bool) else repr(c)
                                    for c in allowed)
                self.report((*path, key), "NS103",
                            f"{key} must be {shown}, not {describe_value(value)}")
                options.pop(key)
