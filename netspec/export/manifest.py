"""The manifest written beside every run's outputs (``manifest.json``).

The caller gives the document (resolved spec, its sha256, the command line,
…); :func:`versions` supplies the software versions without importing a
simulator, and :func:`netspec.export.write_exports` adds the list of files
written with their sizes and sha256.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from netspec.export.summaryfile import write_json

#: The distribution that provides each backend's simulator.
SIMULATOR_DISTRIBUTIONS: dict[str, str] = {
    "nest": "nest-simulator",
    "spinnaker": "sPyNNaker",
}

NOT_INSTALLED = "not installed"


def versions(backend: str) -> dict[str, str]:
    """Versions of Python, netspec, PyNN, the ``backend``'s simulator, Neo and the file libraries.

    Read from installed distributions' metadata (importlib.metadata): nothing is
    imported. A missing distribution reads ``"not installed"``.
    """
    names = ["netspec", "PyNN", SIMULATOR_DISTRIBUTIONS.get(backend, backend), "neo",
             "nixio", "h5py", "numpy"]
    found: dict[str, str] = {"python": platform.python_version()}
    for name in names:
        found[name] = _version(name)
    if found["netspec"] == NOT_INSTALLED:  # running from a checkout
        from netspec import __version__

        found["netspec"] = f"{__version__} (source checkout)"
    return found


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write(path: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest`` to ``path`` as JSON."""
    write_json(path, manifest)
