"""Diagnostics are values: a frozen record with a stable code, a message,
the spec path of the offending value and its file:line:column.

Every check yields these; nothing stops at the first problem. The table
:data:`CODES` is the one place where codes are defined; docs/diagnostics.md
lists them for users.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
SpecPath = tuple[str | int, ...]

#: Every diagnostic code with a one-line summary. Codes are stable: never reuse one.
CODES: dict[str, str] = {
    # NS0xx: reading the file
    "NS001": "the file is not valid UTF-8",
    "NS002": "the file contains a control character",
    "NS003": "the file is larger than the size limit (bytes or values)",
    "NS004": "the file is empty",
    "NS010": "YAML syntax error",
    "NS011": "a mapping has the same key twice",
    "NS012": "YAML tags are not allowed",
    "NS013": "too many YAML aliases",
    "NS014": "more than one YAML document",
    "NS015": "the top level is not a mapping",
    "NS016": "nesting deeper than the limit",
    "NS017": "a mapping key is not a string",
    # NS1xx: schema
    "NS100": "value does not match the schema",
    "NS101": "unknown key",
    "NS102": "a required key is missing",
    "NS103": "wrong type",
    "NS104": "value not among those allowed",
    "NS105": "name is not a slug",
    "NS106": "value out of range",
    # NS2xx: values, expressions and units
    "NS201": "expression syntax error",
    "NS202": "unknown name in an expression",
    "NS203": "parameters refer to each other in a cycle",
    "NS204": "division by zero",
    "NS205": "result is not a finite number",
    "NS206": "unknown unit",
    "NS207": "quantity has the wrong dimension",
    "NS208": "function or construct not allowed in expressions",
    "NS209": "expression or value too large",
    "NS210": "bad override of a parameter (--set, or overrides= of the API)",
    "NS211": "wrong type of value",
    "NS212": "integer expected",
    "NS213": "no such key or index in a table",
    "NS214": "for_each is not a mapping of lists or a list of mappings",
    "NS215": "a template generates too many entries",
    "NS216": "a loop variable has the name of a parameter",
    # NS3xx: the network
    "NS301": "reference to an unknown population, view or projection",
    "NS302": "unknown cell type",
    "NS303": "unknown parameter for this model",
    "NS304": "unknown connector",
    "NS305": "unknown synapse type or STDP rule",
    "NS306": "variable cannot be recorded from this cell type",
    "NS307": "unknown receptor type",
    "NS308": "unknown random distribution or distribution parameter",
    "NS309": "a name is used twice",
    "NS310": "probability outside [0, 1]",
    "NS311": "slice, index or mask outside the population",
    "NS312": "spike times must be non-negative and increasing",
    "NS313": "external data file cannot be read",
    "NS314": "missing parameter",
    "NS315": "unknown current source or structure",
    "NS316": "invalid value for this parameter",
    "NS317": "current injected into a spike source",
    "NS318": "views refer to each other in a cycle",
    # NS4xx: simulation timing
    "NS401": "delay shorter than the timestep or min_delay",
    "NS402": "delay longer than max_delay",
    "NS403": "value is not a multiple of the timestep",
    "NS404": "timestep, duration or delay range invalid",
    "NS405": "recordings of one population use different sampling intervals",
    # NS5xx: exports
    "NS501": "export path is absolute or leaves the output folder",
    "NS502": "two exports write the same path",
    "NS503": "export target records nothing this format can write",
    "NS504": "export format does not take this option",
    "NS505": "population labels cannot name SONATA populations",
    "NS506": "export path does not name a file type its format writes",
    # NS6xx: backends
    "NS600": "unknown backend",
    "NS601": "not supported on SpiNNaker",
    "NS602": "delay too long for SpiNNaker",
    "NS603": "ignored on SpiNNaker",
    "NS604": "not available on NEST",
    "NS605": "SpiNNaker machine settings conflict",
    "NS606": "behaves differently on SpiNNaker (warning)",
    "NS607": "more connections on one NEST virtual process than NEST can hold",
    "NS608": "the network will not fit in this machine's memory",
    # NS7xx: running
    "NS701": "the simulator refused this object",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a spec, located in its file.

    ``line`` and ``column`` are 1-based; 0 means the position is unknown
    (for instance a problem with the file as a whole).
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    path: SpecPath = field(default=(), compare=False)
    severity: Severity = field(default="error", compare=False)

    @property
    def path_text(self) -> str:
        """The spec path in dotted form (``projections.e2i.pre``)."""
        return format_path(self.path)

    def render(self) -> str:
        """``file:line:column: error[CODE]: message (at path)``."""
        where = f" (at {self.path_text})" if self.path else ""
        return (
            f"{self.file}:{self.line}:{self.column}: "
            f"{self.severity}[{self.code}]: {self.message}{where}"
        )

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form, used by ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": self.path_text,
        }


def format_path(path: Sequence[str | int]) -> str:
    """``('projections', 'e2i', 'pre')`` → ``projections.e2i.pre``; indices as ``[3]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss among ``choices``, else ``''``."""
    choices = sorted(choices)
    match = [c for c in choices if c.lower() == word.lower()][:1]  # a wrong case first
    if not match:
        match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def allowed(choices: Iterable[str], limit: int = 40) -> str:
    """A sorted, quoted list of what is allowed, shortened past ``limit`` items."""
    items = sorted(set(choices))
    if not items:
        return "none"
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


def unknown(kind: str, word: str, choices: Iterable[str], owner: str = "") -> str:
    """The standard message for a name that is not among ``choices``
    (``unknown parameter 'tau_mm' for IF_cond_exp (did you mean 'tau_m'?); allowed: …``)."""
    choices = list(choices)
    where = f" for {owner}" if owner else ""
    return (f"unknown {kind} '{word}'{where}{did_you_mean(word, choices)}; "
            f"allowed: {allowed(choices)}")


#: Physical quantity of each of PyNN's units, for messages.
UNIT_NAMES = {"ms": "a time", "s": "a time", "mV": "a voltage", "nA": "a current",
              "nF": "a capacitance", "uS": "a conductance", "nS": "a conductance",
              "Hz": "a frequency", "um": "a length", "1/ms": "a rate", "deg": "an angle",
              "MOhm": "a resistance", "pA": "a current", "mV/ms": "a voltage rate"}


def describe_value(value: object) -> str:
    """A value as a message names it: YAML's spelling of booleans and null, numbers and
    (shortened) strings quoted, lists and mappings by kind, quantities by their unit."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    dimensionality = getattr(value, "dimensionality", None)
    if dimensionality is not None:  # a quantities.Quantity (not imported here)
        text = str(getattr(dimensionality, "string", dimensionality))
        return "a plain number" if text == "dimensionless" else f"a quantity in {text}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value if len(value) <= 40 else value[:39] + '…'!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
