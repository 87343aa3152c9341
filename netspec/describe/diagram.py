"""The network as a picture: populations and views as nodes, projections as arrows
labelled with their rule and weight, excitatory and inhibitory told apart by colour,
line style and arrowhead (a bar for inhibition, as in circuit diagrams).

Drawn with matplotlib alone (no graphviz binary): ``pip install '.[diagram]'`` from the
netspec checkout.
Nodes sit on a circle in spec order (a view next to the population it is part of, tied
to it by a dotted line); arrows curve so that the two directions between a pair stay
apart, and a projection onto its own source is a loop outside the circle. A spike
source that drives most populations (a background input) stands outside the circle;
current sources are small boxes with an arrow into their target. Line width grows with
the logarithm of the expected synapse count. The SVG is deterministic: the same network
gives the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from netspec.describe import facts, values
from netspec.errors import BackendUnavailableError, UsageError
from netspec.expected import Expected, expected_counts
from netspec.model import Assembly, Component, Network, Projection, View

#: File suffixes the diagram can be written as.
FORMATS = {".svg": "svg", ".png": "png"}
#: Most projections whose arrows are labelled (beyond, labels would only hide each other).
MAX_LABELLED = 150
#: Install hint when matplotlib is absent.
INSTALL_HINT = "pip install '.[diagram]' from the netspec checkout"

_COLOURS = {"excitatory": "#c0392b", "inhibitory": "#2471a3", "other": "#555555"}
_STYLES: dict[str, Any] = {"excitatory": "solid", "inhibitory": "dashed", "other": "dotted"}
_HEADS = {"excitatory": "-|>,head_length=0.6,head_width=0.3",
          "inhibitory": "-[,widthB=0.8,lengthB=0.25", "other": "->"}


def diagram_format(path: Path) -> str:
    """``'svg'`` or ``'png'`` from the file name; a :class:`UsageError` otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"the diagram is written as SVG or PNG: name the file *.svg or "
                         f"*.png, not '{path.name}'")
    return fmt


def draw(network: Network, fmt: str = "svg",
         counts: dict[str, Expected] | None = None) -> bytes:
    """The diagram of ``network`` as ``svg`` or ``png`` bytes.

    Raises :class:`~netspec.errors.BackendUnavailableError` with an install hint when
    matplotlib is not installed.
    """
    if fmt not in FORMATS.values():
        raise UsageError(f"unknown diagram format '{fmt}'; formats: svg, png")
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise BackendUnavailableError(
            f"the diagram needs matplotlib, which is not installed: {INSTALL_HINT}") from None
    import io

    counts = expected_counts(network) if counts is None else counts
    nodes = _nodes(network)
    n = len(nodes)
    many = len(network.projections) > 16
    unlabelled = len(network.projections) > MAX_LABELLED
    side = 7.0 if n <= 6 else min(18.0, 6.0 + 1.1 * n)
    places, on_ring, satellites = _layout(network, nodes)
    with matplotlib.rc_context({"svg.hashsalt": "netspec", "svg.fonttype": "path",
                                "font.family": "DejaVu Sans"}):
        figure = Figure(figsize=(side, side))
        ax = figure.add_axes((0.02, 0.02, 0.96, 0.96))
        ax.set_xlim(-1.75, 1.75)
        ax.set_ylim(-1.75, 1.75)
        ax.set_aspect("equal")
        ax.axis("off")
        node_radius = min(0.26, 1.6 / max(on_ring, 1))

        def radius(name: str) -> float:
            return node_radius * (0.6 if name in satellites else 1.0)

        font = 9 if n <= 8 else 7
        edge_font = 5.5 if many else 8
        for name, view in network.views.items():
            parents = view.members if isinstance(view, Assembly) else (view.parent,)
            for parent in parents:
                if parent in places:
                    (x0, y0), (x1, y1) = places[parent], places[name]
                    ax.plot([x0, x1], [y0, y1], color="#999999", linestyle=":", lw=1,
                            zorder=1)
        biggest = max((c.synapses or 0.0 for c in counts.values()), default=1.0) or 1.0
        seen: dict[tuple[str, str], int] = {}
        for projection in network.projections.values():
            pair = (projection.pre, projection.post)
            seen[pair] = seen.get(pair, -1) + 1  # parallel projections bend further apart
            kind = facts.sign(network, projection)
            count = counts[projection.name].synapses
            width = 0.6 + 2.4 * (math.log1p(count) / math.log1p(biggest) if count else 0.0)
            label = "" if unlabelled else \
                f"{_rule(projection.connector)}\n{_weight(network, projection)}"
            _edge(ax, places[projection.pre], places[projection.post],
                  (radius(projection.pre), radius(projection.post)),
                  kind, width, label, edge_font, side * 0.96 / 3.5 * 72,
                  0.18 + 0.4 * seen[pair])
        for name in nodes:
            _node(ax, network, name, places[name], radius(name), font)
        _stimuli(ax, network, places, node_radius, font)
        _legend(ax, font, bool(network.stimuli))
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata, dpi=150)
    return buffer.getvalue()


def _nodes(network: Network) -> list[str]:
    """Populations in spec order, each followed by the views of it (and their views)."""
    out: list[str] = []
    children: dict[str, list[str]] = {}
    for name, view in network.views.items():
        parent = view.parent if isinstance(view, View) else None
        children.setdefault(parent or "", []).append(name)

    def add(name: str) -> None:
        out.append(name)
        for child in children.get(name, []):
            add(child)

    for name in network.populations:
        add(name)
    for name in children.get("", []):  # assemblies
        add(name)
    return out


def _layout(network: Network,
            nodes: list[str]) -> tuple[dict[str, tuple[float, float]], int, set[str]]:
    """Where each node sits, how many share the circle, and which are satellites.

    Nodes sit on a unit circle in order. A spike source that drives more than half of
    the others (a background or thalamic input) sits in the top left corner, outside the
    circle; in a larger network (more than six nodes), a spike source that drives one
    population only (a per-population background) sits just outside the circle beside
    that population: their arrows stay apart from the recurrent ones inside."""
    targets: dict[str, set[str]] = {}
    driven: set[str] = set()
    for projection in network.projections.values():
        targets.setdefault(projection.pre, set()).add(projection.post)
        driven.add(projection.post)
    sources = [name for name in nodes if name in network.populations
               and _is_source(network.populations[name].cell_type) and name not in driven]
    hubs = [name for name in sources
            if len(targets.get(name, set())) > (len(nodes) - 1) / 2 and len(nodes) > 4]
    ring = [name for name in nodes if name not in hubs]
    satellites = {name: next(iter(targets[name])) for name in sources
                  if name not in hubs and len(targets.get(name, set())) == 1
                  and next(iter(targets[name])) in ring and len(nodes) > 6}
    ring = [name for name in ring if name not in satellites]
    places = {name: _on_circle(i, len(ring), 1.0) for i, name in enumerate(ring)}
    for i, name in enumerate(hubs):
        places[name] = (-1.5, 1.45 - 0.45 * i)
    around: dict[str, list[str]] = {}
    for name, target in satellites.items():
        around.setdefault(target, []).append(name)
    for target, names in around.items():
        x, y = places[target]
        base = math.atan2(y, x)
        for i, name in enumerate(names):  # beside the outward self-loop, not on it
            angle = base + 0.45 + 0.3 * i
            places[name] = (x + 0.55 * math.cos(angle), y + 0.55 * math.sin(angle))
    return places, len(ring), set(satellites)


def _on_circle(i: int, n: int, radius: float) -> tuple[float, float]:
    angle = math.pi / 2 - 2 * math.pi * i / max(n, 1)
    return radius * math.cos(angle), radius * math.sin(angle)


def _edge(ax: Any, start: tuple[float, float], end: tuple[float, float],
          radii: tuple[float, float], kind: str, width: float, label: str, font: float,
          points: float, rad: float = 0.18) -> None:
    """One arrow between nodes of these radii; ``points`` is one data unit in points."""
    node = radii[0]
    from matplotlib.patches import FancyArrowPatch

    colour = _COLOURS[kind]
    if start == end:
        x, y = start
        norm = math.hypot(x, y) or 1.0
        ux, uy = x / norm, y / norm
        a = (x + node * (ux - 0.5 * uy), y + node * (uy + 0.5 * ux))
        b = (x + node * (ux + 0.5 * uy), y + node * (uy - 0.5 * ux))
        patch = FancyArrowPatch(a, b, connectionstyle="arc3,rad=-1.8", arrowstyle=_HEADS[kind],
                                color=colour, lw=width, linestyle=_STYLES[kind],
                                mutation_scale=10, zorder=2)
        ax.add_patch(patch)
        if not label:
            return
        ax.text(x + ux * node * 2.3, y + uy * node * 2.3, label, fontsize=font,
                color=colour, ha="center", va="center", zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.8})
        return
    patch = FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad:g}",
                            arrowstyle=_HEADS[kind], color=colour, lw=width,
                            linestyle=_STYLES[kind], mutation_scale=10,
                            shrinkA=radii[0] * points, shrinkB=radii[1] * points * 1.05,
                            zorder=2)
    ax.add_patch(patch)
    if not label:
        return
    # the label sits on the middle of the curve (a quadratic Bézier through arc3's
    # control point), on the side the arc bends to: the two directions of a pair apart
    (x0, y0), (x1, y1) = start, end
    t = 0.5
    mx, my = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    dx, dy = x1 - x0, y1 - y0
    bend = rad * 2 * t * (1 - t)
    ax.text(mx + bend * dy, my - bend * dx, label, fontsize=font, color=colour,
            ha="center", va="center", zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})


def _node(ax: Any, network: Network, name: str, where: tuple[float, float], radius: float,
          font: float) -> None:
    from matplotlib.patches import Circle

    target = network.target(name)
    is_view = name in network.views
    kinds = network.cell_types_of(name)
    source = all(_is_source(k) for k in kinds)
    face = "#f5f5f5" if source else ("#fff8e1" if is_view else "#fdebd0")
    ax.add_patch(Circle(where, radius, facecolor=face, edgecolor="#333333",
                        linestyle="--" if is_view else "-", lw=1.2, zorder=3))
    kind = "+".join(kinds)
    ax.text(where[0], where[1] + radius * 0.22, name, fontsize=font * 1.15,
            fontweight="bold", ha="center", va="center", zorder=5)
    ax.text(where[0], where[1] - radius * 0.25, f"{target.size}\n{kind}",
            fontsize=font * (0.85 if len(kind) > 14 else 1.0), ha="center", va="center",
            zorder=5, linespacing=1.1)


def _stimuli(ax: Any, network: Network, places: dict[str, tuple[float, float]],
             radius: float, font: float) -> None:
    """Current sources as small squares outside the circle, each with a grey arrow into
    its target; several on one target fan out."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    by_target: dict[str, list[str]] = {}
    for name, stimulus in network.stimuli.items():
        by_target.setdefault(stimulus.target, []).append(name)
    for target, names in by_target.items():
        if target not in places:
            continue
        x, y = places[target]
        base = math.atan2(y, x) if (x, y) != (0.0, 0.0) else math.pi / 2
        for i, name in enumerate(names):
            angle = base + (i - (len(names) - 1) / 2) * 0.35
            sx = x + (radius + 0.32) * math.cos(angle)
            sy = y + (radius + 0.32) * math.sin(angle)
            ax.add_patch(FancyBboxPatch((sx - 0.13, sy - 0.05), 0.26, 0.1,
                                        boxstyle="square,pad=0.01", facecolor="#eeeeee",
                                        edgecolor="#666666", lw=0.8, zorder=3))
            ax.text(sx, sy, f"{name}\n{network.stimuli[name].type}", fontsize=font * 0.75,
                    ha="center", va="center", zorder=5, linespacing=1.0)
            ax.add_patch(FancyArrowPatch(
                (sx - 0.06 * math.cos(angle), sy - 0.06 * math.sin(angle)),
                (x + radius * math.cos(angle), y + radius * math.sin(angle)),
                arrowstyle="-|>,head_length=0.4,head_width=0.2", color="#777777", lw=1,
                mutation_scale=10, zorder=2))


def _legend(ax: Any, font: float, stimuli: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([0], [0], color=_COLOURS[k], linestyle=_STYLES[k], lw=2,
                      label=k) for k in ("excitatory", "inhibitory")]
    handles.append(Line2D([0], [0], color="#999999", linestyle=":", lw=1,
                          label="view of / member of"))
    if stimuli:
        handles.append(Line2D([0], [0], color="#777777", lw=1, label="current source"))
    ax.legend(handles=handles, loc="lower left", fontsize=font, frameon=False)


def _rule(connector: Component) -> str:
    args = connector.parameters
    kind = connector.type
    short = {"FixedProbabilityConnector": ("p", "p_connect"),
             "FixedTotalNumberConnector": ("total", "n"),
             "FixedNumberPreConnector": ("in", "n"),
             "FixedNumberPostConnector": ("out", "n")}
    if kind in short:
        label, key = short[kind]
        return f"{label}={values.text(args[key], None)}"
    if kind == "DistanceDependentProbabilityConnector":
        return f"p(d)={args['d_expression']!s}"
    return kind.removesuffix("Connector")


def _weight(network: Network, projection: Projection) -> str:
    """The weight, short: a drawn weight as its mean (``≈277.7 pA``), a list as its range."""
    weight = facts.weight(network, projection)
    if weight.value is None:
        return ""
    if isinstance(weight.value, int | float) and not isinstance(weight.value, bool):
        return values.with_unit(float(f"{weight.value:.4g}"), weight.unit)
    mean = facts.mean_of(weight.value)
    if mean is None:
        return values.text(weight.value, weight.unit)
    return "≈" + values.with_unit(float(f"{mean:.4g}"), weight.unit)


def _is_source(cell_type: str) -> bool:
    from netspec import pynn_catalogue as catalogue
    model = catalogue.cell_type(cell_type)
    return bool(model and model.spike_source)
