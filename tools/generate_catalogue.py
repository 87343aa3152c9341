"""Generate ``netspec/pynn_catalogue_data.py`` from the installed PyNN.

netspec validates specs without importing PyNN, a simulator or Neo, so it reads
PyNN's model catalogue from a generated, committed module of plain literals.
This script is the only place that introspects PyNN for it::

    /work/venv/bin/python tools/generate_catalogue.py          # (re)write the data module
    /work/venv/bin/python tools/generate_catalogue.py --check  # exit 1 if the file is stale

It reads the simulator-independent modules only: ``pyNN.standardmodels.cells``,
``.synapses`` and ``.electrodes``, ``pyNN.connectors``, ``pyNN.random`` and
``pyNN.space``. The output is deterministic (names sorted, constructor
arguments in signature order), so regenerating from the same PyNN gives
identical bytes; ``tests/test_catalogue.py`` checks exactly that.

Where PyNN has no ``units`` attribute (synapse types, STDP components, current
sources) the units come from the hand-written tables below, which follow PyNN's
documented unit convention (``doc/units.txt`` in the PyNN repository: time ms,
voltage mV, current nA, conductance µS, capacitance nF, firing rate /s, phase
deg; "synaptic weights are in microsiemens or nanoamps, depending on whether the
post-synaptic mechanism implements a change in conductance or current") and the
docstrings of the classes concerned. A parameter missing from both PyNN and the
tables stops the generator, so a new PyNN release cannot slip in unitless.
"""

from __future__ import annotations

import argparse
import inspect
import math
import numbers
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "netspec" / "pynn_catalogue_data.py"
WIDTH = 100  # the repository's line length (pyproject.toml, [tool.ruff])

# The unit marker for synaptic weights and for quantities "in the same units as
# the weight": µS onto conductance-based receptors, nA onto current-based ones.
WEIGHT = "weight"

# ---------------------------------------------------------------------------
# Hand-written tables (everything PyNN does not say in machine-readable form)
# ---------------------------------------------------------------------------

# StandardCellType subclasses in pyNN.standardmodels.cells that are not plain
# parameterised cell types, with the reason each is left out.
SKIPPED_CELL_TYPES = {
    "PointNeuron": "composite: built from a neuron component and post-synaptic receptor "
    "objects passed to its constructor, not from parameter values",
    "MultiCompartmentNeuron": "base class for multi-compartment models, which are defined "
    "by subclassing with a morphology and ion channels",
}

# Units of synapse-type parameters (StandardSynapseType has no ``units``).
# weight: PyNN doc/units.txt ("microsiemens or nanoamps, depending on [...] the
# post-synaptic mechanism"); delay: ms (time, doc/units.txt); U, p, n and
# dendritic_delay_fraction are a fraction, a probability, a count and a fraction
# (pyNN/standardmodels/synapses.py docstrings); tau_rec, tau_facil: "(ms)" in
# the TsodyksMarkramSynapse docstring.
SYNAPSE_UNITS: dict[str, str | None] = {
    "weight": WEIGHT,
    "delay": "ms",
    "dendritic_delay_fraction": None,
    "U": None,
    "tau_rec": "ms",
    "tau_facil": "ms",
    "p": None,
    "n": None,
}
# Per-type overrides: ElectricalSynapse's weight is "the (bidirectional)
# conductance of the gap junction (uS)" (pyNN/standardmodels/synapses.py), so
# it does not depend on the post-synaptic receptor.
SYNAPSE_UNIT_OVERRIDES: dict[tuple[str, str], str | None] = {
    ("ElectricalSynapse", "weight"): "uS",
}

# STDP timing dependences. tau_plus, tau_minus: "in milliseconds" (SpikePairRule
# docstring); A_plus, A_minus: amplitudes of the STDP curve, dimensionless (NEST
# maps A_plus to stdp_synapse's dimensionless ``lambda``); Vogels2011Rule: tau is
# a time constant (ms), eta a dimensionless learning rate and rho the target
# rate, whose default 3.0 is the 3 Hz of Vogels et al. (2011).
TIMING_UNITS: dict[str, str | None] = {
    "tau_plus": "ms",
    "tau_minus": "ms",
    "A_plus": None,
    "A_minus": None,
    "tau": "ms",
    "eta": None,
    "rho": "Hz",
}

# STDP weight dependences. w_min, w_max: "in the same units as the weight, i.e.
# µS or nA" (AdditiveWeightDependence docstring); mu_plus, mu_minus: exponents.
WEIGHT_DEPENDENCE_UNITS: dict[str, str | None] = {
    "w_min": WEIGHT,
    "w_max": WEIGHT,
    "mu_plus": None,
    "mu_minus": None,
}

# Current sources (pyNN/standardmodels/electrodes.py docstrings): start, stop in
# ms; amplitude, offset, mean, stdev in nA; frequency in Hz; phase in degrees;
# StepCurrentSource times (ms) and amplitudes (nA); NoisyCurrentSource dt is an
# interval (ms, a multiple of the time step).
CURRENT_SOURCE_UNITS: dict[str, str | None] = {
    "amplitude": "nA",
    "start": "ms",
    "stop": "ms",
    "frequency": "Hz",
    "offset": "nA",
    "phase": "deg",
    "amplitudes": "nA",
    "times": "ms",
    "mean": "nA",
    "stdev": "nA",
    "dt": "ms",
}

# The type of a parameter whose PyNN default is None (delay=None means "the
# simulator's minimum delay"; StandardSynapseType.get_schema forces it to float).
NONE_DEFAULT_KINDS = {"delay": "float"}

# STDPMechanism's constructor arguments that are components, not parameters.
STDP_COMPONENTS = ("timing_dependence", "weight_dependence", "voltage_dependence")

# Connector base classes that PyNN does not mean to be instantiated.
ABSTRACT_CONNECTORS = ("Connector", "MapConnector", "FixedNumberConnector")

# Constructor arguments a YAML spec cannot give: RNG objects, progress callbacks,
# the weight/delay safety switch and, for connectors, the multi-compartment
# ``location_selector`` (netspec's cell types are point neurons).
EXCLUDED_ARGS = ("rng", "callback", "safe", "verbose", "location_selector")

# Kinds of connector and structure arguments, from their docstrings.
ARG_KINDS = {
    # connectors
    "allow_self_connections": "bool",
    "p_connect": "float",
    "d_expression": "expression",  # a Python expression in the distance d, e.g. "exp(-d)"
    "index_expression": "any",  # a pyNN.core.IndexBasedExpression object
    "disp_function": "expression",  # an expression in the displacement d[0], d[1], d[2]
    "conn_list": "list",
    "column_names": "list",
    "file": "str",
    "distributed": "bool",
    "n": "int",  # or a RandomDistribution yielding non-negative integers
    "with_replacement": "bool",
    "degree": "float",
    "rewiring": "float",
    "n_connections": "int",
    "cset": "any",  # a Connection Set Algebra object
    "reference_projection": "any",  # another Projection
    "array": "list",  # a boolean (n_pre, n_post) matrix
    # structures and shapes
    "aspect_ratio": "float",
    "aspect_ratioXY": "float",
    "aspect_ratioXZ": "float",
    "dx": "float",
    "dy": "float",
    "dz": "float",
    "x0": "float",
    "y0": "float",
    "z0": "float",
    "y": "float",
    "z": "float",
    "fill_order": "str",  # 'sequential' or 'random'
    "boundary": "any",  # a Sphere or Cuboid
    "origin": "list",  # (x, y, z)
    "radius": "float",
    "width": "float",
    "height": "float",
    "depth": "float",
}

# Distribution parameters that take integers; every other one is a float.
INT_DISTRIBUTION_ARGS = {("binomial", "n"), ("uniform_int", "low"), ("uniform_int", "high")}

# ---------------------------------------------------------------------------
# Introspection
# ---------------------------------------------------------------------------


def _classes(module: Any, base: type, skip: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """Public subclasses of ``base`` defined in ``module``, sorted by name."""
    skipped = set(skip)
    found = []
    for name, obj in vars(module).items():
        if (
            inspect.isclass(obj)
            and issubclass(obj, base)
            and obj is not base
            and obj.__module__ == module.__name__
            and not name.startswith("_")
            and name not in skipped
        ):
            found.append((name, obj))
    return sorted(found)


def _normalise_unit(unit: str | None) -> str | None:
    """PyNN's unit string as one ``quantities`` parses; None when dimensionless."""
    if unit is None or unit in ("", "dimensionless"):
        return None
    if unit.startswith("/"):  # Izhikevich's '/ms'
        unit = "1" + unit
    return unit


def _check_unit(owner: str, name: str, unit: str | None) -> None:
    import quantities as pq

    if unit is None or unit == WEIGHT:
        return
    try:
        pq.Quantity(1.0, unit)
    except Exception as err:  # quantities raises assorted errors on bad units
        raise SystemExit(
            f"{owner}.{name}: unit {unit!r} is not understood by quantities: {err}"
        ) from err


def _param(owner: str, name: str, value: object, unit: str | None) -> tuple[object, ...]:
    """A parameter as the literal ``(default, unit, kind)``."""
    from pyNN.parameters import ArrayParameter, Sequence

    _check_unit(owner, name, unit)
    if isinstance(value, bool):
        return (value, unit, "bool")
    if isinstance(value, numbers.Integral):
        return (int(value), unit, "int")
    if isinstance(value, numbers.Real):
        return (float(value), unit, "float")
    if isinstance(value, ArrayParameter):  # Sequence is a subclass
        kind = "spike_times" if isinstance(value, Sequence) and name == "spike_times" else "array"
        return (tuple(float(x) for x in value.value), unit, kind)
    if value is None and name in NONE_DEFAULT_KINDS:
        return (None, unit, NONE_DEFAULT_KINDS[name])
    raise SystemExit(f"{owner}.{name}: cannot represent the default {value!r}")


def _model(
    *,
    parameters: Mapping[str, tuple[object, ...]],
    initial_values: Mapping[str, tuple[object, ...]] | None = None,
    recordables: Iterable[str] = (),
    receptor_types: Iterable[str] = (),
    conductance_based: bool | None = None,
    spike_source: bool = False,
    weight_unit: str | None = None,
) -> dict[str, object]:
    return {
        "parameters": dict(sorted(parameters.items())),
        "initial_values": dict(sorted((initial_values or {}).items())),
        "recordables": tuple(recordables),
        "receptor_types": tuple(receptor_types),
        "conductance_based": conductance_based,
        "spike_source": spike_source,
        "weight_unit": weight_unit,
    }


def _cell_types() -> dict[str, object]:
    from pyNN.standardmodels import StandardCellType, cells

    out: dict[str, object] = {}
    for name, cls in _classes(cells, StandardCellType, SKIPPED_CELL_TYPES):
        units = dict(cls.units)

        def unit_of(var: str, name: str = name, units: dict[str, str] = units) -> str | None:
            if var not in units:
                raise SystemExit(f"{name}.{var}: PyNN gives no unit")
            return _normalise_unit(units[var])

        spike_source = not cls.injectable
        conductance_based = None if spike_source else bool(cls.conductance_based)
        out[name] = _model(
            parameters={
                p: _param(name, p, v, unit_of(p)) for p, v in cls.default_parameters.items()
            },
            initial_values={
                s: _param(name, s, v, unit_of(s)) for s, v in cls.default_initial_values.items()
            },
            recordables=cls.recordable,
            receptor_types=cls.receptor_types,
            # PyNN's spike sources inherit conductance_based = True, which means nothing
            # for a cell that receives no synapses.
            conductance_based=conductance_based,
            spike_source=spike_source,
            weight_unit=_weight_unit(cls, conductance_based),
        )
        if spike_source and tuple(cls.receptor_types):
            raise SystemExit(f"{name}: a spike source with receptor types")
    return out


def _weight_unit(cls: Any, conductance_based: bool | None) -> str | None:
    """The unit of a synaptic weight onto cells of type ``cls``.

    µS onto conductance-based and nA onto current-based cells (doc/units.txt),
    except for cell types flagged ``voltage_based_synapses`` (IF_curr_delta,
    Izhikevich), whose synapses make the membrane potential jump: their weights
    are in mV (pyNN/brian2/projections.py uses mV for them, and pyNN.nest sets
    ``receptor_scale = 1e-3`` because "synaptic weight is in mV").
    """
    if conductance_based is None:
        return None
    if getattr(cls, "voltage_based_synapses", False):
        return "mV"
    return "uS" if conductance_based else "nA"


def _unit_lookup(
    table: Mapping[str, str | None],
    overrides: Mapping[tuple[str, str], str | None] | None = None,
) -> Callable[[str, str], str | None]:
    def lookup(model: str, param: str) -> str | None:
        if overrides and (model, param) in overrides:
            return overrides[(model, param)]
        if param not in table:
            raise SystemExit(
                f"{model}.{param}: no unit known; add it to the tables in {Path(__file__).name}"
            )
        return table[param]

    return lookup


def _synapse_types() -> dict[str, object]:
    from pyNN.standardmodels import StandardSynapseType, synapses

    unit = _unit_lookup(SYNAPSE_UNITS, SYNAPSE_UNIT_OVERRIDES)
    out: dict[str, object] = {}
    for name, cls in _classes(synapses, StandardSynapseType):
        if issubclass(cls, synapses.STDPMechanism):
            # Its parameters are constructor arguments, not default_parameters.
            defaults = {
                p.name: p.default
                for p in inspect.signature(cls).parameters.values()
                if p.name not in STDP_COMPONENTS
            }
        else:
            defaults = dict(cls.default_parameters)
        out[name] = _model(
            parameters={p: _param(name, p, v, unit(name, p)) for p, v in defaults.items()}
        )
    return out


def _component_types(base_name: str, table: Mapping[str, str | None]) -> dict[str, object]:
    from pyNN import standardmodels
    from pyNN.standardmodels import synapses

    unit = _unit_lookup(table)
    base = getattr(standardmodels, base_name)
    return {
        name: _model(
            parameters={
                p: _param(name, p, v, unit(name, p)) for p, v in cls.default_parameters.items()
            }
        )
        for name, cls in _classes(synapses, base)
    }


def _current_sources() -> dict[str, object]:
    from pyNN.standardmodels import StandardCurrentSource, electrodes

    unit = _unit_lookup(CURRENT_SOURCE_UNITS)
    out: dict[str, object] = {}
    for name, cls in _classes(electrodes, StandardCurrentSource):
        own = {p: _normalise_unit(u) for p, u in getattr(cls, "units", {}).items()}

        def unit_of(p: str, name: str = name, own: dict[str, str | None] = own) -> str | None:
            return own[p] if p in own else unit(name, p)

        out[name] = _model(
            parameters={
                p: _param(name, p, v, unit_of(p)) for p, v in cls.default_parameters.items()
            }
        )
    return out


def _json_literal(owner: str, value: object) -> object:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (tuple, list)):
        return tuple(_json_literal(owner, v) for v in value)
    raise SystemExit(f"{owner}: default {value!r} is not a JSON-able literal")


def _arg_kind(owner: str, name: str, default: object) -> str:
    if name in ARG_KINDS:
        return ARG_KINDS[name]
    for type_, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(default, type_):
            return kind
    raise SystemExit(
        f"{owner}({name}): no kind known; add it to ARG_KINDS in {Path(__file__).name}"
    )


def _signature(cls: Any) -> dict[str, tuple[object, ...]]:
    """Constructor arguments as ``{name: (required, default, kind)}``, in signature order."""
    args: dict[str, tuple[object, ...]] = {}
    for p in inspect.signature(cls).parameters.values():
        if p.name in EXCLUDED_ARGS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is p.empty
        default = None if required else _json_literal(f"{cls.__name__}({p.name})", p.default)
        kind = _arg_kind(cls.__name__, p.name, default)
        if kind == "float" and isinstance(default, int) and not isinstance(default, bool):
            default = float(default)  # Grid2D(z=0), Grid3D(z0=0): coordinates, written as ints
        args[p.name] = (required, default, kind)
    return args


def _connectors() -> dict[str, object]:
    from pyNN import connectors

    return {
        name: _signature(cls)
        for name, cls in _classes(connectors, connectors.Connector, ABSTRACT_CONNECTORS)
    }


def _distributions() -> dict[str, object]:
    from pyNN.random import available_distributions

    return {
        name: {
            arg: (True, None, "int" if (name, arg) in INT_DISTRIBUTION_ARGS else "float")
            for arg in args  # PyNN's positional order
        }
        for name, args in sorted(available_distributions.items())
    }


def _structures() -> dict[str, object]:
    from pyNN import space

    found = _classes(space, space.BaseStructure) + _classes(space, space.Shape)
    return {name: _signature(cls) for name, cls in sorted(found)}


def collect() -> dict[str, object]:
    """Everything the data module holds, as plain literals."""
    import pyNN

    return {
        "PYNN_VERSION": pyNN.__version__,
        "CELL_TYPES": _cell_types(),
        "SYNAPSE_TYPES": _synapse_types(),
        "TIMING_DEPENDENCES": _component_types("STDPTimingDependence", TIMING_UNITS),
        "WEIGHT_DEPENDENCES": _component_types("STDPWeightDependence", WEIGHT_DEPENDENCE_UNITS),
        "CURRENT_SOURCES": _current_sources(),
        "CONNECTORS": _connectors(),
        "DISTRIBUTIONS": _distributions(),
        "STRUCTURES": _structures(),
    }


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _flat(value: object) -> str:
    """``value`` as a one-line Python literal."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_flat(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SystemExit(f"non-finite float {value!r} has no literal")
        return repr(value)
    if isinstance(value, str) and value.isprintable() and not {'"', "\\"} & set(value):
        return f'"{value}"'  # double quotes, as ruff format writes them
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    raise SystemExit(f"{value!r} is not a plain literal")


def _block(value: object, level: int, used: int) -> str:
    """``value`` as a literal, broken one entry per line when it does not fit."""
    flat = _flat(value)
    if used + len(flat) + 1 <= WIDTH or not isinstance(value, (dict, tuple)) or not value:
        return flat
    pad = "    " * (level + 1)
    if isinstance(value, dict):
        lines = [
            f"{pad}{_flat(k)}: {_block(v, level + 1, len(pad) + len(_flat(k)) + 2)},"
            for k, v in value.items()
        ]
        open_, close = "{", "}"
    else:
        lines = [f"{pad}{_block(v, level + 1, len(pad))}," for v in value]
        open_, close = "(", ")"
    return open_ + "\n" + "\n".join(lines) + "\n" + "    " * level + close


_LAYOUT = '''\
"""PyNN {version}'s standard model catalogue as plain literals.

Read it through :mod:`netspec.pynn_catalogue`, which wraps these tables in typed,
documented objects; importing this module imports nothing at all.

Model tables (CELL_TYPES, SYNAPSE_TYPES, TIMING_DEPENDENCES, WEIGHT_DEPENDENCES,
CURRENT_SOURCES) map a model name to::

    {{'parameters': {{name: (default, unit, kind)}},
     'initial_values': {{name: (default, unit, kind)}},
     'recordables': (...), 'receptor_types': (...),
     'conductance_based': bool | None, 'spike_source': bool,
     'weight_unit': 'uS' | 'nA' | 'mV' | None}}

unit is a ``quantities`` unit string, None (dimensionless) or 'weight': the unit of
a synaptic weight onto the target cell, which is that cell type's weight_unit (µS
conductance-based, nA current-based, mV for the voltage-jump synapses of
IF_curr_delta and Izhikevich). kind is 'float', 'int', 'bool', 'spike_times' or
'array'.

Signature tables (CONNECTORS, DISTRIBUTIONS, STRUCTURES) map a name to
``{{argument: (required, default, kind)}}`` in constructor (positional) order.
"""
'''


def render_module() -> str:
    """The text of ``netspec/pynn_catalogue_data.py`` for the installed PyNN."""
    data = collect()
    version = data["PYNN_VERSION"]
    parts = [
        f"# generated by tools/generate_catalogue.py from PyNN {version} — do not edit\n",
        _LAYOUT.format(version=version),
    ]
    for name, value in data.items():
        parts.append(f"\n{name} = {_block(value, 0, len(name) + 3)}\n")
    text = "".join(parts)
    # The text must read back as exactly the data it was made from.
    namespace: dict[str, object] = {}
    exec(compile(text, str(OUTPUT), "exec"), namespace)
    if any(namespace[name] != value for name, value in data.items()):
        raise SystemExit("rendered module does not round-trip")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed file is out of date"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write")
    args = parser.parse_args(argv)
    text = render_module()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
