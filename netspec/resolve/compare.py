"""The ``compare`` section: the tolerances ``netspec compare`` uses when a run of this
spec is the first (reference) run."""

from __future__ import annotations

from typing import Any

from netspec.diagnostics import SpecPath
from netspec.model import CompareTolerances
from netspec.resolve.context import Invalid
from netspec.resolve.values import Values

#: The statistics a tolerance may name, with their key in the model and their unit.
STATISTICS = {"rate": ("mean_rate_hz", "Hz"), "cv": ("cv_isi", None),
              "count": ("spike_count", None)}


class CompareSection(Values):
    """Resolves ``compare``."""

    def compare_tolerances(self) -> CompareTolerances | None:
        raw = self.data.get("compare")
        path: SpecPath = ("compare",)
        if not isinstance(raw, dict) or self.skipped(path):
            return None
        sigmas = None
        if "sigmas" in raw and not self.skipped((*path, "sigmas")):
            try:
                sigmas = self._tolerance(raw["sigmas"], (*path, "sigmas"), None,
                                         "compare.sigmas")
            except Invalid:
                pass
        floors: dict[str, dict[str, float]] = {"rtol": {}, "atol": {}}
        for key, found in floors.items():
            value = raw.get(key)
            if value is None or self.skipped((*path, key)):
                continue
            if isinstance(value, dict):
                items = [(name, item, (*path, key, name), f"compare.{key}.{name}")
                         for name, item in value.items() if name in STATISTICS]
            else:  # one plain number for every statistic
                items = [(name, value, (*path, key), f"compare.{key}") for name in STATISTICS]
            for name, item, where, what in items:
                statistic, unit = STATISTICS[name]
                try:
                    found[statistic] = self._tolerance(
                        item, where, unit if key == "atol" and isinstance(value, dict)
                        else None, what)
                except Invalid:
                    pass
        return CompareTolerances(sigmas, floors["rtol"], floors["atol"], self.origin(path))

    def _tolerance(self, raw: Any, path: SpecPath, unit: str | None, what: str) -> float:
        value = float(self.number(raw, path, unit, what))
        if value < 0:
            self.report(path, "NS106", f"{what} must not be negative, not {value:g}")
            raise Invalid
        return value
