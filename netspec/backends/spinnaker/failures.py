"""Errors sPyNNaker raises while mapping or running: located at the spec object they
concern, with sPyNNaker's own message; or, for a machine that cannot be reached
(board, spalloc server, network), an environment error that is no fault of the spec."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from netspec.diagnostics import Diagnostic
from netspec.errors import MachineError
from netspec.model import Network, Origin, Population, Projection

#: Packages whose exceptions mean that the machine, not the spec, failed: SpiNNaker's
#: network layer (``spinnman``), spalloc clients, and the HTTP stack under them.
MACHINE_PACKAGES = ("spinnman", "spalloc", "spalloc_client", "requests", "urllib3",
                    "websocket")

def is_machine_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is about reaching the machine:
    an ``OSError`` (sockets, DNS, refused connections) or an exception of
    :data:`MACHINE_PACKAGES`."""
    for error in _chain(exc):
        if isinstance(error, OSError):
            return True
        module = type(error).__module__.split(".")[0]
        if module in MACHINE_PACKAGES:
            return True
    return False


def machine_error(exc: BaseException, machine: str, log: Path | None) -> MachineError:
    """The environment error for ``exc``: the machine, sPyNNaker's message, the log."""
    where = f"; the full report is in {log}" if log is not None else ""
    return MachineError(f"the SpiNNaker machine ({machine}) could not be reached or failed; "
                        f"the spec is not at fault: {_reason(exc)}{where}")


def run_diagnostic(network: Network | None, exc: BaseException,
                   objects: Mapping[str, Any] | None = None,
                   log: Path | None = None) -> Diagnostic:
    """NS701 for an error sPyNNaker raised while mapping or running, with its message,
    at the spec object it concerns: one of the run's PyNN ``objects`` (spec name →
    object) or a label met in sPyNNaker's frames (innermost first), else the population
    or projection whose label the message names, else the top of the spec."""
    text = _reason(exc)
    if log is not None:
        text += f" (full report in {log})"
    if network is None:
        return Diagnostic("<run>", 0, 0, "NS701", f"sPyNNaker could not run the network: {text}")
    origin = _from_frames(network, exc, objects or {}) or _from_message(network, str(exc))
    if origin is not None:
        what = ".".join(str(p) for p in origin.path)
        return Diagnostic(origin.file, origin.line, origin.column, "NS701",
                          f"sPyNNaker could not map {what}: {text}", origin.path)
    return Diagnostic(network.file, 1, 1, "NS701", f"sPyNNaker could not map the network: {text}")


def write_traceback(log: Path, exc: BaseException) -> None:
    """Append the full traceback of ``exc`` to the run's log file (best effort)."""
    try:
        with open(log, "a", encoding="utf-8") as f:
            f.write("\nnetspec: sPyNNaker failed:\n")
            f.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _reason(exc: BaseException) -> str:
    """sPyNNaker's message; for a bare exception (an ``assert``), the failing line and
    where it is."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    if lines:
        return f"{type(exc).__name__}: {lines[-1].strip()}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        code = f" `{last.line.strip()}`" if last.line else ""
        return (f"{type(exc).__name__}{code} in sPyNNaker's {last.name} "
                f"({Path(last.filename).name}:{last.lineno})")
    return type(exc).__name__


def _frames(tb: TracebackType | None) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames[::-1]  # innermost first


def _from_frames(network: Network, exc: BaseException,
                 objects: Mapping[str, Any]) -> Origin | None:
    """The spec object of the innermost sPyNNaker frame that holds one of the run's
    objects (stimuli first, then projections, then populations), or an object labelled
    like a population or projection."""
    by_id = {id(obj): name for name, obj in objects.items()}
    labelled: list[Population | Projection] = [*network.projections.values(),
                                               *network.populations.values()]
    labels: dict[str, Origin] = {o.label: o.origin for o in labelled}
    rank = {**{n: 0 for n in network.stimuli}, **{n: 1 for n in network.projections},
            **{n: 2 for n in network.populations}}
    origins: dict[str, Origin] = {
        **{n: s.origin for n, s in network.stimuli.items()},
        **{n: p.origin for n, p in network.projections.items()},
        **{n: p.origin for n, p in network.populations.items()},
        **{n: v.origin for n, v in network.views.items()}}
    for error in _chain(exc):
        for frame in _frames(error.__traceback__):
            found: list[tuple[int, Origin]] = []
            for value in frame.f_locals.values():
                for candidate in _related(value):
                    name = by_id.get(id(candidate))
                    if name is not None and name in origins:
                        found.append((rank.get(name, 3), origins[name]))
                        continue
                    label = getattr(candidate, "label", None)
                    if isinstance(label, str) and label in labels:
                        found.append((3, labels[label]))
            if found:
                return min(found, key=lambda pair: pair[0])[1]
    return None


def _related(value: Any) -> Iterator[Any]:
    """``value`` and the sPyNNaker objects it names (its application vertex, pre and post
    vertices), without calling anything that could fail."""
    yield value
    for attribute in ("_pop_vertex", "app_vertex", "pre_vertex", "post_vertex",
                      "_PopulationMachineNeurons__pop_vertex"):
        try:
            related = getattr(value, attribute, None)
        except Exception:  # a property that fails in a half-built object
            related = None
        if related is not None:
            yield related


def _from_message(network: Network, message: str) -> Origin | None:
    objects: list[Population | Projection] = [*network.populations.values(),
                                              *network.projections.values()]
    named = [o for o in objects
             if re.search(rf"(?<![\w-]){re.escape(o.label)}(?![\w-])", message)]
    if named:
        return max(named, key=lambda o: len(o.label)).origin
    return None
