"""Render diagnostics for people (text), programs (JSON) and GitHub Actions annotations.

Pure functions from diagnostics to text; the CLI decides where it goes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from netspec.diagnostics import Diagnostic

#: The formats :func:`render` writes (``netspec validate --format``).
FORMATS = ("text", "json", "github")


def render(results: Sequence[tuple[str, Sequence[Diagnostic] | str]], fmt: str) -> str:
    """``results`` pairs each spec path with its diagnostics, or with the text of the
    error that kept it from being read."""
    if fmt == "json":
        return _json(results)
    if fmt == "github":
        return _github(results)
    return _text(results)


def _text(results: Sequence[tuple[str, Sequence[Diagnostic] | str]]) -> str:
    lines: list[str] = []
    invalid = unreadable = count = 0
    for file, outcome in results:
        if isinstance(outcome, str):
            lines.append(f"{file}: error: {outcome}")
            unreadable += 1
            continue
        errors = [d for d in outcome if d.severity == "error"]
        count += len(errors)
        invalid += bool(errors)
        lines.extend(d.render() for d in outcome)
        if not outcome:
            lines.append(f"{file}: ok")
    total = len(results)
    parts = []
    if invalid:
        parts.append(f"{count} error{'s' * (count != 1)} in {invalid} of {total} "
                     f"spec{'s' * (total != 1)}")
    if unreadable:
        parts.append(f"{unreadable} of {total} spec{'s' * (total != 1)} could not be read")
    if parts:
        lines.append("; ".join(parts))
    return "\n".join(lines)


def _json(results: Sequence[tuple[str, Sequence[Diagnostic] | str]]) -> str:
    files = []
    for file, outcome in results:
        if isinstance(outcome, str):
            files.append({"file": file, "valid": False, "readable": False, "error": outcome,
                          "diagnostics": []})
        else:
            files.append({"file": file, "valid": not any(d.severity == "error" for d in outcome),
                          "readable": True, "diagnostics": [d.as_dict() for d in outcome]})
    return json.dumps({"valid": all(f["valid"] for f in files), "files": files}, indent=2)


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(results: Sequence[tuple[str, Sequence[Diagnostic] | str]]) -> str:
    lines = []
    for file, outcome in results:
        if isinstance(outcome, str):
            lines.append(f"::error file={_escape(file, prop=True)}::{_escape(outcome)}")
            continue
        for d in outcome:
            lines.append(
                f"::{d.severity} file={_escape(d.file, prop=True)},line={d.line},col={d.column},"
                f"title={d.code}::"
                + _escape(d.message + (f" (at {d.path_text})" if d.path else "")))
    return "\n".join(lines)


def _cells(info: dict[str, Any]) -> str:
    """``N cells``, or ``R of N cells recorded`` when only some cells record spikes."""
    recorded, size = info.get("recorded"), info.get("size")
    if isinstance(recorded, int) and recorded != size:
        return f"{recorded} of {size} cells recorded"
    return f"{size} cells"


def summary_table(summary: dict[str, object]) -> str:
    """The seed notebook's closing table, for any network."""
    times = summary.get("times_s", {})
    assert isinstance(times, dict)
    parallel = summary.get("parallel")  # MPI processes: PyNN's VAbenchmarks "Nodes"
    rows = [
        ("Network", str(summary.get("network"))),
        ("Backend", str(summary.get("backend"))),
        ("Nodes", str(parallel.get("processes", 1) if isinstance(parallel, dict) else 1)),
        ("Number of Neurons", str(summary.get("neurons"))),
        *_synapse_rows(summary.get("projections")),
        ("Seed", str(summary.get("seed"))),
    ]
    populations = summary.get("populations") or {}
    assert isinstance(populations, dict)
    for name, info in populations.items():
        if info.get("mean_rate_hz") is not None:
            rows.append((f"Rate of {name}",
                         f"{info['mean_rate_hz']:g} Hz ({info['spike_count']} spikes, "
                         f"{_cells(info)})"))
    mapping = summary.get("mapping")
    if isinstance(mapping, dict):
        rows += _mapping_rows(mapping)
    virtual = summary.get("recorded_data") is False
    rows += [
        ("Build time", f"{times.get('build', 0.0):g} s"),
        ("Mapping time (virtual board)" if virtual else "Simulation time",
         f"{times.get('simulate', 0.0):g} s"),
        ("Writing time", f"{times.get('write', 0.0):g} s"),
    ]
    width = max(22, *(len(k) for k, _ in rows))
    title = f"--- {summary.get('network')} on {summary.get('backend')} ---"
    return "\n".join([title, *(f"{k:<{width}} : {v}" for k, v in rows)])


def _synapse_rows(projections: Any) -> list[tuple[str, str]]:
    """"Number of Synapses" (the seed notebook's row), where every projection was counted."""
    if not isinstance(projections, dict) or not projections:
        return []
    counts = [info.get("connections") if isinstance(info, dict) else None
              for info in projections.values()]
    numbers = [c for c in counts if isinstance(c, int)]
    if len(numbers) != len(counts):
        return []
    return [("Number of Synapses", str(sum(numbers)))]


def _mapping_rows(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for what a backend's mapping used (SpiNNaker: machine, chips, cores)."""
    rows: list[tuple[str, str]] = []
    known = {"machine": "Machine", "chips_used": "Chips used"}
    for key, label in known.items():
        if key in mapping:
            rows.append((label, str(mapping[key])))
    if "cores_used" in mapping:
        system = mapping.get("system_cores")
        rows.append(("Cores used", f"{mapping['cores_used']}"
                                   + (f" (+ {system} system cores)" if system else "")))
    for name, info in (mapping.get("populations") or {}).items():
        delay = info.get("delay_extension_cores") or 0
        chips = info.get("chips", 0)
        rows.append((f"Cores of {name}",
                     f"{info.get('cores')} on {chips} chip{'s' * (chips != 1)} "
                     f"({info.get('neurons_per_core')} neurons per core"
                     + (f", {delay} delay extension cores" if delay else "") + ")"))
    if "mapping_s" in mapping:
        rows.append(("Mapping stage", f"{mapping['mapping_s']:.3g} s"))
    if "loading_s" in mapping:
        rows.append(("Loading stage", f"{mapping['loading_s']:.3g} s"))
    shown = {*known, "cores_used", "system_cores", "populations", "mapping_s", "loading_s"}
    for key, value in mapping.items():
        if key not in shown and not isinstance(value, dict):
            rows.append((key.replace("_", " ").capitalize(), str(value)))
    return rows
