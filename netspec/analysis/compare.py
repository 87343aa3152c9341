"""Do two runs agree? Per population and view: mean rate, CV of ISIs and spike count.

Two runs of one network (two seeds, two backends, two versions of a model)
never give the same spikes; the question is whether their statistics differ by
more than sampling noise. For each statistic of each target in both runs::

    agree  ⇔  |a − b| ≤ sigmas · √(se_a² + se_b²) + max(atol, rtol · (|a| + |b|) / 2)

* ``se`` is the standard error of the statistic within its run, from the
  spread across neurons: for the mean rate, √(s² / n) / T with s² the sample
  variance (ddof 1) of the n recorded neurons' spike counts in the window of
  T seconds — but never less than the Poisson value √(mean count / n) / T; for
  the CV, the sample standard deviation of the neurons' CVs over √(neurons with
  a CV); for the spike count, n · T times the rate's. The first term is a
  test of two independent means at ``sigmas`` standard errors (3: a false
  alarm in about 0.3 % of agreeing statistics under normality).
* The second term is a floor for what a within-run estimate cannot see: a new
  seed draws a new connectivity, and the network's rate moves with it as a whole
  (in the seed network at n=4000, seeds gave 20.2 to 22.5 Hz for ``exc``, where
  the within-run standard error is 0.47 Hz), and backends differ slightly in
  numerics. Defaults: ``rtol`` 0.05, ``atol`` 0.1 Hz (rate), 0.02 (CV), 0 (count).

A statistic undefined in one run and defined in the other disagrees; undefined
in both agrees. Spike counts are compared only when both runs recorded the
same number of neurons over windows of the same length (else they measure
different things; the rate is still compared). A target present in one run
only disagrees.

Tolerances come, in increasing precedence, from the defaults above, the
``compare`` section of the first run's spec (recorded in its manifest) and
the caller (``netspec compare --sigmas/--rtol/--atol``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from netspec.analysis.statistics import Window, cv_per_neuron, neurons
from netspec.errors import UsageError
from netspec.export.recorded import RecordedData

#: The statistics compared, in report order.
STATISTICS = ("mean_rate_hz", "cv_isi", "spike_count")
#: Short names accepted on the command line and in specs.
ALIASES = {"rate": "mean_rate_hz", "mean_rate_hz": "mean_rate_hz", "cv": "cv_isi",
           "cv_isi": "cv_isi", "count": "spike_count", "spike_count": "spike_count"}


@dataclass(frozen=True)
class Tolerances:
    """How far apart two values may be: ``sigmas`` standard errors plus
    ``max(atol, rtol · mean of |values|)``, per statistic."""

    sigmas: float = 3.0
    rtol: Mapping[str, float] = field(default_factory=lambda: {
        "mean_rate_hz": 0.05, "cv_isi": 0.15, "spike_count": 0.05})
    atol: Mapping[str, float] = field(default_factory=lambda: {
        "mean_rate_hz": 0.1, "cv_isi": 0.02, "spike_count": 0.0})

    def updated(self, sigmas: float | None = None, rtol: Mapping[str, float] | None = None,
                atol: Mapping[str, float] | None = None) -> Tolerances:
        """A copy with the given values replacing these (per statistic)."""
        return replace(self, sigmas=self.sigmas if sigmas is None else float(sigmas),
                       rtol={**self.rtol, **(rtol or {})}, atol={**self.atol, **(atol or {})})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"sigmas": self.sigmas, "rtol": dict(self.rtol), "atol": dict(self.atol)}


def parse_tolerance(items: tuple[str, ...] | list[str], option: str) -> dict[str, float]:
    """``["0.1"]`` (every statistic) or ``["rate=0.1", "cv=0.2"]`` → per statistic.
    Raises :class:`~netspec.errors.UsageError` for an unknown statistic or a bad number."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        stats = [ALIASES[name.strip()]] if sep and name.strip() in ALIASES else (
            list(STATISTICS) if not sep else None)
        if stats is None:
            raise UsageError(f"{option} {item}: unknown statistic {name.strip()!r} (known: "
                             f"{', '.join(sorted(set(ALIASES) - set(STATISTICS)))})")
        number = _number(value, f"{option} {item}")
        for stat in stats:
            out[stat] = number
    return out


def from_spec(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments for :meth:`Tolerances.updated` from a resolved ``compare``
    section (``{sigmas, rtol, atol}``, ``rtol``/``atol`` a number or per statistic)."""
    if not section:
        return {}
    out: dict[str, Any] = {}
    if section.get("sigmas") is not None:
        out["sigmas"] = float(section["sigmas"])
    for key in ("rtol", "atol"):
        value = section.get(key)
        if isinstance(value, int | float):
            out[key] = dict.fromkeys(STATISTICS, float(value))
        elif isinstance(value, Mapping):
            out[key] = {ALIASES[str(k)]: float(v) for k, v in value.items() if str(k) in ALIASES}
    return out


@dataclass(frozen=True)
class Estimate:
    """A statistic of one target in one run, with its standard error (None: undefined)."""

    value: float | None
    se: float


@dataclass(frozen=True)
class TargetEstimates:
    """Everything compare needs of one target in one run."""

    recorded: int
    seconds: float
    estimates: Mapping[str, Estimate]


def estimates(data: RecordedData, win: Window) -> TargetEstimates:
    """Rate, CV and spike count of ``data`` in ``win`` with their standard errors."""
    cells = neurons(data, win)
    n, seconds = cells.recorded, win.seconds
    counts = cells.counts.astype(np.float64)
    total = float(counts.sum())
    if n == 0 or seconds <= 0:
        undefined = Estimate(None, 0.0)
        return TargetEstimates(n, seconds, {"mean_rate_hz": undefined, "cv_isi": undefined,
                                            "spike_count": Estimate(total, 0.0)})
    spread = float(np.var(counts, ddof=1)) if n > 1 else 0.0
    count_se = math.sqrt(max(spread, float(counts.mean())) / n)  # of the mean count
    cvs = cv_per_neuron(cells)
    cv = Estimate(float(np.mean(cvs)) if cvs.size else None,
                  float(np.std(cvs, ddof=1) / math.sqrt(cvs.size)) if cvs.size > 1 else 0.0)
    return TargetEstimates(n, seconds, {
        "mean_rate_hz": Estimate(total / n / seconds, count_se / seconds),
        "cv_isi": cv,
        "spike_count": Estimate(total, count_se * n),
    })


@dataclass(frozen=True)
class Check:
    """One statistic of one target compared."""

    target: str
    statistic: str
    a: float | None
    b: float | None
    tolerance: float | None
    agree: bool
    note: str = ""

    @property
    def difference(self) -> float | None:
        """``b - a``, when both are defined."""
        return None if self.a is None or self.b is None else self.b - self.a

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"target": self.target, "statistic": self.statistic, "a": self.a, "b": self.b,
                "difference": self.difference, "tolerance": self.tolerance,
                "agree": self.agree, "note": self.note}


@dataclass(frozen=True)
class Comparison:
    """Every check; the runs agree when every check does."""

    checks: tuple[Check, ...]
    tolerances: Tolerances
    window: Window

    @property
    def agree(self) -> bool:
        """Whether every check agrees."""
        return all(c.agree for c in self.checks)

    @property
    def disagreements(self) -> tuple[Check, ...]:
        """The checks that failed, in report order."""
        return tuple(c for c in self.checks if not c.agree)


def compare(a: Mapping[str, RecordedData], b: Mapping[str, RecordedData], win: Window,
            tolerances: Tolerances, *, only_in_a: Mapping[str, str] | None = None,
            only_in_b: Mapping[str, str] | None = None) -> Comparison:
    """Compare every target of ``a`` and ``b`` (recorded data of two runs) in ``win``.

    Targets in one mapping only disagree (``only_in_*`` give a reason for a
    target missing from the other run, e.g. "not exported").
    """
    checks: list[Check] = []
    names = [*a, *(n for n in b if n not in a)]
    for name in names:
        if name not in a or name not in b:
            side = "the first" if name in a else "the second"
            why = (only_in_b if name in a else only_in_a) or {}
            checks.append(Check(name, "present", None, None, None, False,
                                f"only in {side} run" + (f" ({why[name]})" if name in why
                                                          else "")))
            continue
        ea, eb = estimates(a[name], win), estimates(b[name], win)
        for stat in STATISTICS:
            checks.append(_check(name, stat, ea, eb, tolerances))
    return Comparison(tuple(checks), tolerances, win)


def _check(name: str, stat: str, ea: TargetEstimates, eb: TargetEstimates,
           tol: Tolerances) -> Check:
    x, y = ea.estimates[stat], eb.estimates[stat]
    if stat == "spike_count" and (ea.recorded != eb.recorded
                                  or abs(ea.seconds - eb.seconds) > 1e-9):
        return Check(name, stat, x.value, y.value, None, True,
                     f"not compared: {ea.recorded} vs {eb.recorded} neurons over "
                     f"{ea.seconds:g} vs {eb.seconds:g} s (compare the rates)")
    if x.value is None or y.value is None:
        both = x.value is None and y.value is None
        return Check(name, stat, x.value, y.value, None, both,
                     "undefined in both runs" if both else "undefined in one run only")
    allowed = tol.sigmas * math.hypot(x.se, y.se) + max(
        tol.atol.get(stat, 0.0), tol.rtol.get(stat, 0.0) * (abs(x.value) + abs(y.value)) / 2)
    return Check(name, stat, x.value, y.value, allowed,
                 abs(x.value - y.value) <= allowed)


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{where}: tolerances are finite and not negative")
    return value
