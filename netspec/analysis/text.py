"""Text renderings of a statistics document and of a comparison (the CLI prints them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netspec.analysis.compare import Check, Comparison

_NAMES = {"mean_rate_hz": "rate", "cv_isi": "CV ISI", "spike_count": "spike count",
          "present": "present"}
_UNITS = {"mean_rate_hz": " Hz"}


def stats_table(document: Mapping[str, Any]) -> str:
    """A table: one line per target, undefined values shown as ``—``."""
    start, stop = document["window_ms"]
    head = (f"{document.get('network')} on {document.get('backend')}, seed "
            f"{document.get('seed')}, {start:g}–{stop:g} ms ({document.get('run')})")
    columns = ("target", "kind", "neurons", "spikes", "rate (Hz)", "CV ISI", "Fano", "synchrony")
    rows = [columns]
    for name, s in document["populations"].items():
        neurons = (f"{s['recorded']}" if s["recorded"] == s["size"]
                   else f"{s['recorded']}/{s['size']}")
        rows.append((name, s["kind"], neurons, str(s["spike_count"]),
                     _fmt(s["mean_rate_hz"], 3), _fmt(s["cv_isi"], 3),
                     _fmt(s["fano_factor"], 3), _fmt(s["synchrony"], 3)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = [head] + ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                      for r in rows]
    for name, why in document.get("unavailable", {}).items():
        lines.append(f"{name}: not available: {why}")
    return "\n".join(lines)


def comparison_text(comparison: Comparison, a: str, b: str) -> str:
    """One line per check (disagreements marked), then the verdict."""
    lines = [f"A: {a}", f"B: {b}"]
    for check in comparison.checks:
        lines.append(("  ok   " if check.agree else "  DIFF ") + _line(check))
    bad = comparison.disagreements
    if bad:
        lines.append(f"the runs disagree ({len(bad)} of {len(comparison.checks)} checks): "
                     + "; ".join(f"{c.target} {_NAMES[c.statistic]}" for c in bad))
    else:
        lines.append(f"the runs agree ({len(comparison.checks)} checks, within "
                     f"{comparison.tolerances.sigmas:g} standard errors plus floors)")
    return "\n".join(lines)


def comparison_document(comparison: Comparison, a: Mapping[str, Any],
                        b: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready: both runs, the window, the tolerances, every check and the verdict."""
    return {
        "agree": comparison.agree,
        "a": dict(a), "b": dict(b),
        "window_ms": [comparison.window.start, comparison.window.stop],
        "tolerances": comparison.tolerances.as_dict(),
        "checks": [c.as_dict() for c in comparison.checks],
        "disagreements": [c.as_dict() for c in comparison.disagreements],
    }


def _line(check: Check) -> str:
    name = _NAMES[check.statistic]
    unit = _UNITS.get(check.statistic, "")
    if check.statistic == "present":
        return f"{check.target}: {check.note}"
    counts = check.statistic == "spike_count"
    text = f"{check.target} {name}: A {_fmt(check.a, 4)}{unit}, B {_fmt(check.b, 4)}{unit}"
    if check.tolerance is not None and check.difference is not None:
        size = f"{abs(check.difference):.0f}" if counts else f"{abs(check.difference):.4g}"
        tol = f"{check.tolerance:.0f}" if counts else f"{check.tolerance:.4g}"
        text += f", |B−A| {size}{unit} {'≤' if check.agree else '>'} tolerance {tol}{unit}"
    if check.note:
        text += f" ({check.note})"
    return text


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and abs(value) >= 1000):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.{digits + 1}g}"
