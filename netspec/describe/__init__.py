"""``netspec describe``: the network as a methods section describes it, and as a picture.

The Nordlie-Gewaltig-Plesser (2009) tables are built from the resolved network
(:mod:`~netspec.describe.tables`, :mod:`~netspec.describe.document`) and laid out as
Markdown, HTML or JSON (:mod:`~netspec.describe.render`); the diagram
(:mod:`~netspec.describe.diagram`) needs matplotlib (``pip install '.[diagram]'`` from
the checkout).
Nothing here imports PyNN or a simulator.

>>> import netspec
>>> from netspec.describe import describe
>>> text = describe(netspec.load("specs/vogels_abbott_coba.yaml"), "markdown")
>>> "IF_cond_exp" in text
True
"""

from __future__ import annotations

from netspec.describe.document import document
from netspec.describe.render import html_page, json_text, markdown
from netspec.describe.tables import tables
from netspec.errors import UsageError
from netspec.expected import expected_counts
from netspec.model import Network

#: The formats :func:`describe` writes.
FORMATS = ("markdown", "html", "json")


def describe(network: Network, fmt: str = "markdown") -> str:
    """The description of ``network`` in ``fmt`` (``markdown``, ``html`` or ``json``).

    Raises :class:`~netspec.errors.UsageError` for another format.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown description format '{fmt}'; formats: {', '.join(FORMATS)}")
    counts = expected_counts(network)
    if fmt == "json":
        return json_text(document(network, counts))
    sections = tables(network, counts)
    return markdown(network.name, sections) if fmt == "markdown" else \
        html_page(network.name, sections)


__all__ = ["FORMATS", "describe", "document", "tables"]
