"""Errors sPyNNaker raises while mapping or running, as diagnostics located at the spec
object they concern."""

from __future__ import annotations

import re

from netspec.diagnostics import Diagnostic
from netspec.model import Network, Population, Projection


def run_diagnostic(network: Network | None, exc: Exception) -> Diagnostic:
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

