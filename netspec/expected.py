"""How many synapses each projection will create, from its connector rule alone.

No simulator is imported: the counts follow from the resolved network. A rule that
fixes the count (FixedTotalNumberConnector, FixedNumberPre/PostConnector,
OneToOneConnector, AllToAllConnector, FromList/FromFileConnector, ArrayConnector)
gives it exactly; a probabilistic rule gives the expectation and the variance of the
count (each pair is an independent Bernoulli draw, so the variance is
``Σ p(1 - p)`` over the candidate pairs), which is what a tolerance against a real
build is derived from.

Self-connections follow PyNN: with ``allow_self_connections: false`` a pair is left
out when its pre- and postsynaptic cell are the same cell (same population, same
index), whatever views or assemblies the projection names.

>>> from netspec import load
>>> from netspec.expected import expected_counts
>>> counts = expected_counts(load("specs/vogels_abbott_coba.yaml"))
>>> round(counts["exc_to_all"].synapses)
8000
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netspec.cells import Run, cell_runs, shared, window
from netspec.model import Component, Network, Projection, RandomValue

#: Most (pre, post) pairs a distance expression is evaluated over.
MAX_PAIRS = 20_000_000
#: Pairs evaluated at once (bounds memory: about 8 bytes x 3 per pair).
_CHUNK_PAIRS = 1_000_000
#: Largest connection file whose rows are counted (bytes).
MAX_LIST_FILE_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Expected:
    """The expected number of synapses of one projection.

    ``synapses`` is ``None`` when it cannot be computed without a simulator; ``why``
    then says why. ``exact`` is true when the rule fixes the count (``variance`` 0).
    """

    synapses: float | None
    variance: float
    exact: bool
    pre_size: int
    post_size: int
    #: How the number follows from the rule, e.g. ``"p · (N_pre · N_post - self pairs)"``.
    how: str
    why: str = ""

    @property
    def computed(self) -> bool:
        """Whether a number is known."""
        return self.synapses is not None

    @property
    def std(self) -> float:
        """Standard deviation of the count around :attr:`synapses`."""
        return math.sqrt(self.variance)

    @property
    def in_degree(self) -> float | None:
        """Mean number of synapses onto one postsynaptic cell."""
        return None if self.synapses is None else self.synapses / self.post_size

    @property
    def out_degree(self) -> float | None:
        """Mean number of synapses from one presynaptic cell."""
        return None if self.synapses is None else self.synapses / self.pre_size


def expected_counts(network: Network) -> dict[str, Expected]:
    """The expected synapse count of every projection, in spec order."""
    out: dict[str, Expected] = {}
    for name, projection in network.projections.items():
        out[name] = expected_synapses(network, projection, out)
    return out


def expected_synapses(network: Network, projection: Projection,
                      earlier: Mapping[str, Expected] | None = None) -> Expected:
    """The expected synapse count of ``projection`` in ``network``.

    ``earlier`` holds the counts of projections listed before it (a CloneConnector
    copies its reference's); they are computed when not given.
    """
    pre, post = network.size_of(projection.pre), network.size_of(projection.post)
    connector = projection.connector
    args = connector.parameters
    allow_self = bool(args.get("allow_self_connections", True))

    def exact(count: float, how: str) -> Expected:
        return Expected(float(count), 0.0, True, pre, post, how)

    def unknown(why: str, how: str = "") -> Expected:
        return Expected(None, 0.0, False, pre, post, how, why)

    kind = connector.type
    if kind == "AllToAllConnector":
        if allow_self:
            return exact(pre * post, "N_pre · N_post")
        return exact(pre * post - _shared_cells(network, projection),
                     "N_pre · N_post - self pairs")
    if kind == "OneToOneConnector":
        return exact(min(pre, post), "N (one each)")
    if kind == "FixedTotalNumberConnector":
        return _random_count(args["n"], 1, pre, post, "n (total)")
    if kind == "FixedNumberPreConnector":
        return _random_count(args["n"], post, pre, post, "n · N_post")
    if kind == "FixedNumberPostConnector":
        return _random_count(args["n"], pre, pre, post, "n · N_pre")
    if kind == "FixedProbabilityConnector":
        if isinstance(args["p_connect"], RandomValue):
            return unknown(f"p_connect is drawn from a {args['p_connect'].distribution} "
                           "distribution", "p · N_pre · N_post")
        p = float(args["p_connect"])
        pairs = pre * post - (0 if allow_self else _shared_cells(network, projection))
        how = "p · N_pre · N_post" if allow_self else "p · (N_pre · N_post - self pairs)"
        return Expected(p * pairs, pairs * p * (1.0 - p), p in (0.0, 1.0), pre, post, how)
    if kind == "FromListConnector":
        return exact(len(args["conn_list"].data), "rows of conn_list")
    if kind == "FromFileConnector":
        rows = _file_rows(Path(str(args["file"])))
        if isinstance(rows, str):
            return unknown(rows, "rows of the file")
        return exact(rows, "rows of the file")
    if kind == "ArrayConnector":
        return exact(int(np.count_nonzero(args["array"].data)), "true entries of the array")
    if kind == "CloneConnector":
        reference = str(args["reference_projection"])
        found = dict(earlier or {})
        if reference not in found:
            found[reference] = expected_synapses(network, network.projections[reference])
        ref = found[reference]
        return Expected(ref.synapses, ref.variance, ref.exact, pre, post,
                        f"as '{reference}'", ref.why)
    if kind == "DistanceDependentProbabilityConnector":
        return _distance_dependent(network, projection, allow_self)
    return unknown(f"no rule for counting {kind}'s synapses without building it")


# ----------------------------------------------------------------- fixed numbers
#: Mean and variance of the integer distributions a connector's ``n`` may be drawn from.
_MOMENTS: dict[str, Callable[[Mapping[str, float]], tuple[float, float]]] = {
    "binomial": lambda a: (a["n"] * a["p"], a["n"] * a["p"] * (1 - a["p"])),
    "poisson": lambda a: (a["lambda_"], a["lambda_"]),
    # numpy's randint: high is excluded
    "uniform_int": lambda a: ((a["low"] + a["high"] - 1) / 2,
                              ((a["high"] - a["low"]) ** 2 - 1) / 12),
}


def _random_count(n: Any, times: int, pre: int, post: int, how: str) -> Expected:
    """``times`` draws of ``n`` (a number, or a distribution drawn once per cell)."""
    if isinstance(n, RandomValue):
        moments = _MOMENTS.get(n.distribution)
        if moments is None:
            return Expected(None, 0.0, False, pre, post, how,
                            f"n is drawn from a {n.distribution} distribution")
        mean, variance = moments(n.parameters)
        return Expected(times * mean, times * variance, False, pre, post, how)
    return Expected(float(times * int(n)), 0.0, True, pre, post, how)


# ------------------------------------------------------------------------ cells
def _shared_cells(network: Network, projection: Projection) -> int:
    """(pre, post) pairs of one and the same cell: the self pairs PyNN leaves out
    (counted from the runs of cells, never cell by cell)."""
    return shared(cell_runs(network, projection.pre), cell_runs(network, projection.post))


def _file_rows(file: Path) -> int | str:
    """Connections in a FromFileConnector file (lines that are neither blank nor
    ``#`` comments, as PyNN's StandardTextFile reads it), or why they cannot be counted."""
    try:
        if file.stat().st_size > MAX_LIST_FILE_BYTES:
            return f"{file.name} is larger than {MAX_LIST_FILE_BYTES // 1024**2} MiB"
        rows = 0
        with file.open("rb") as handle:
            for line in handle:
                text = line.strip()
                if text and not text.startswith(b"#"):
                    rows += 1
        return rows
    except OSError as exc:
        return f"cannot read {file.name}: {exc.strerror or exc}"


# --------------------------------------------------------------------- distance
def _distance_dependent(network: Network, projection: Projection,
                        allow_self: bool) -> Expected:
    """``Σ clip(f(d), 0, 1)`` over the candidate pairs, with PyNN's positions."""
    pre, post = network.size_of(projection.pre), network.size_of(projection.post)
    how = "Σ p(d) over pairs"
    if pre * post > MAX_PAIRS:
        return Expected(None, 0.0, False, pre, post, how,
                        f"{pre * post:,} pairs are too many to evaluate the distance "
                        f"expression over (at most {MAX_PAIRS:,})")
    try:
        function = distance_function(str(projection.connector.parameters["d_expression"]))
    except ValueError as exc:
        return Expected(None, 0.0, False, pre, post, how, str(exc))
    why = _placement(network, projection.pre) or _placement(network, projection.post)
    if why:
        return Expected(None, 0.0, False, pre, post, how, why)
    pre_runs, post_runs = cell_runs(network, projection.pre), cell_runs(network, projection.post)
    # blocks of at most _CHUNK_PAIRS pairs; positions and identities are made per block,
    # so memory stays that of one block, whatever the sizes
    rows = max(1, _CHUNK_PAIRS // max(post, 1))
    columns = min(post, _CHUNK_PAIRS)
    blocks = [window(post_runs, begin, begin + columns) for begin in range(0, post, columns)]
    fixed = (_positions(network, blocks[0]), _identities(network, blocks[0])) \
        if len(blocks) == 1 else None
    total = variance = 0.0
    with np.errstate(all="ignore"):
        for begin in range(0, pre, rows):
            cells = window(pre_runs, begin, begin + rows)
            a, a_id = _positions(network, cells), _identities(network, cells)
            for block in blocks:
                b, b_id = fixed or (_positions(network, block), _identities(network, block))
                d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
                try:
                    p = np.asarray(function(d), dtype=float)
                except (ValueError, TypeError, ArithmeticError) as exc:
                    return Expected(None, 0.0, False, pre, post, how,
                                    f"d_expression cannot be evaluated: {exc}")
                p = np.broadcast_to(np.nan_to_num(p, nan=0.0), d.shape)
                p = np.clip(p, 0.0, 1.0)
                if not allow_self:
                    p = np.where(a_id[:, None] == b_id[None, :], 0.0, p)
                total += float(p.sum())
                variance += float((p * (1.0 - p)).sum())
    return Expected(total, variance, variance == 0.0, pre, post, how)


def _identities(network: Network, runs: list[Run]) -> np.ndarray:
    """One integer per cell of ``runs``, equal for the same cell of the same population."""
    offsets: dict[str, int] = {}
    start = 0
    for population, item in network.populations.items():
        offsets[population] = start
        start += item.size
    return np.concatenate([offsets[p] + np.asarray(cells, dtype=np.int64)
                           for p, cells in runs])


def _placement(network: Network, name: str) -> str:
    """Why the positions of the cells of ``name`` are known only once it is built, or
    ``""`` when PyNN's structures give them (nothing is placed to find out)."""
    for population, cells in cell_runs(network, name):
        item = network.populations[population]
        structure = item.structure or Component("Line", {})
        if structure.parameters.get("fill_order") == "random" and len(cells) != item.size:
            return (f"'{population}' is filled in random order, so the positions of "
                    f"the cells of '{name}' are known only when it is built")
        found = structure_positions(structure, item.size, np.zeros(0, dtype=np.int64))
        if isinstance(found, str):
            return f"'{population}': {found}"
    return ""


def _positions(network: Network, runs: list[Run]) -> np.ndarray:
    """The (n, 3) positions of the cells of ``runs`` as PyNN places them (their
    :func:`_placement` is known)."""
    parts = []
    for population, cells in runs:
        item = network.populations[population]
        xyz = structure_positions(item.structure or Component("Line", {}), item.size,
                                  np.asarray(cells, dtype=np.int64))
        if isinstance(xyz, str):
            raise ValueError(xyz)  # ruled out by _placement
        parts.append(xyz)
    return np.concatenate(parts)


def structure_positions(structure: Component, n: int,
                        cells: np.ndarray | None = None) -> np.ndarray | str:
    """The (len(cells), 3) positions PyNN's ``structure`` gives the cells at ``cells``
    (default: all ``n``) of a population of ``n`` cells in sequential fill order, or why
    they are not known before the network is built. Only the cells asked for are
    placed, so a few cells of a huge population cost a few positions."""
    a = {k: float(v) if isinstance(v, int | float) else v
         for k, v in structure.parameters.items()}
    index = np.arange(n, dtype=np.int64) if cells is None else cells
    kind = structure.type
    if kind == "Line":
        x = a.get("dx", 1.0) * index.astype(float) + a.get("x0", 0.0)
        count = len(index)
        return np.column_stack((x, np.full(count, a.get("y", 0.0)),
                                np.full(count, a.get("z", 0.0))))
    if kind == "Grid2D":
        nx_float = math.sqrt(n * a.get("aspect_ratio", 1.0))
        if not math.isclose(n % nx_float, 0, rel_tol=1e-12, abs_tol=1e-12):
            return f"{n} cells do not fill a Grid2D with aspect_ratio {a.get('aspect_ratio')}"
        nx = round(nx_float)
        if nx * (n // nx) != n:
            return f"{n} cells do not fill a Grid2D with aspect_ratio {a.get('aspect_ratio')}"
        # PyNN: np.indices((nx, n // nx, 1)) raveled, i.e. C order over that shape
        x, y, z = (c.astype(float) for c in np.unravel_index(index, (nx, n // nx, 1)))
        return np.column_stack((a.get("x0", 0.0) + a.get("dx", 1.0) * x,
                                a.get("y0", 0.0) + a.get("dy", 1.0) * y,
                                a.get("z", 0.0) + z))
    if kind == "Grid3D":
        ra, rb = a.get("aspect_ratioXY", 1.0), a.get("aspect_ratioXZ", 1.0)
        nx = round(math.pow(n * ra * rb, 1 / 3.0))
        ny, nz = round(nx / ra), round(nx / rb)
        if nx * ny * nz != n:
            return f"{n} cells do not fill a Grid3D with these aspect ratios"
        x, y, z = (c.astype(float) for c in np.unravel_index(index, (nx, ny, nz)))
        return np.column_stack((a.get("x0", 0.0) + a.get("dx", 1.0) * x,
                                a.get("y0", 0.0) + a.get("dy", 1.0) * y,
                                a.get("z0", 0.0) + a.get("dz", 1.0) * z))
    return f"its cells are placed at random ({kind})"


# ------------------------------------------------------ the distance expression
#: What PyNN's d_expression may call (pyNN.connectors imports these for its eval).
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs,
    "fabs": np.fabs, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "arctan2": np.arctan2, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "ceil": np.ceil, "floor": np.floor, "fmod": np.fmod,
    "hypot": np.hypot, "ldexp": np.ldexp, "power": np.power, "maximum": np.maximum,
    "minimum": np.minimum,
}
_CONSTANTS = {"e": math.e, "pi": math.pi}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide, ast.Mod: np.mod, ast.Pow: np.power,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Eq: np.equal, ast.NotEq: np.not_equal,
}
_MAX_EXPRESSION_CHARS = 1000
_MAX_NODES = 200


def distance_function(text: str) -> Callable[[np.ndarray], Any]:
    """A vectorised ``d ↦ p`` for a DistanceDependentProbabilityConnector's
    ``d_expression``, never handed to ``eval``: numbers, ``d``, ``e``, ``pi``, arithmetic,
    comparisons and the functions PyNN's expression may call. Raises ``ValueError``
    naming what is not allowed."""
    if len(text) > _MAX_EXPRESSION_CHARS:
        raise ValueError("d_expression is too long to evaluate")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"d_expression is not an expression: {exc.msg}") from None
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        raise ValueError("d_expression is too large to evaluate")
    _check(tree.body)
    body = tree.body
    return lambda d: _evaluate(body, d)


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return
    if isinstance(node, ast.Name):
        if node.id != "d" and node.id not in _CONSTANTS:
            raise ValueError(f"d_expression uses '{node.id}', which is not 'd', 'e' or 'pi'")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left)
        _check(node.right)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand)
        return
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        for item in (node.left, *node.comparators):
            _check(item)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _FUNCTIONS and not node.keywords:
        for item in node.args:
            _check(item)
        return
    raise ValueError(f"d_expression holds {type(node).__name__.lower()} syntax, which netspec "
                     "does not evaluate")


def _evaluate(node: ast.AST, d: np.ndarray) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return d if node.id == "d" else _CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, d), _evaluate(node.right, d))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, d)
        return np.negative(value) if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, d)
        result: Any = True
        for op, item in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(item, d)
            result = np.logical_and(result, _COMPARE[type(op)](left, right))
            left = right
        return result
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _FUNCTIONS[node.func.id](*(_evaluate(a, d) for a in node.args))
