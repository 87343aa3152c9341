"""Generate ``netspec/backends/spinnaker/capabilities_data.py`` from the installed sPyNNaker.

``netspec validate --backend spinnaker`` must say what sPyNNaker cannot run
without importing it, so the profile reads a generated, committed module of
plain literals. This script is the only place that introspects sPyNNaker for it::

    /work/venv/bin/python tools/generate_spinnaker_capabilities.py          # (re)write
    /work/venv/bin/python tools/generate_spinnaker_capabilities.py --check  # exit 1 if stale

What comes from where:

* the names ``pyNN.spiNNaker`` exports, intersected with PyNN's standard
  catalogue (:mod:`netspec.pynn_catalogue`): cell types, synapse types, STDP
  timing and weight dependences, connectors and current sources. Only names at
  the top of ``pyNN.spiNNaker`` count, because a plan calls ``sim.<Name>``;
  ``pyNN.spiNNaker.extra_models`` is not PyNN's vocabulary.
* their constructor signatures (connectors, synapses, STDP rules, current
  sources) and ``default_parameters`` / ``default_initial_values`` /
  ``default_population_parameters`` (cell types);
* a population of each cell type built on a virtual board (configured by
  netspec into a temporary folder, exactly as ``netspec run`` does): the
  variables it records, its receptor (synapse) types and neurons per core;
  and whether ``sim.Assembly`` can be created at all;
* sPyNNaker's constants for the longest delay
  (``spynnaker.pyNN.utilities.constants.MAX_RING_BUFFER_BITS``,
  ``DelayExtensionVertex.MAX_SLOTS``), which connectors generate on the machine
  (``AbstractGenerateConnectorOnMachine``) and which distributions it can draw
  on the machine (``param_generator_data.PARAM_TYPE_BY_NAME``).

What sPyNNaker does not say in machine-readable form is in the hand-written
tables below; ``tests/test_spinnaker.py`` checks each of them against the
installed sPyNNaker's behaviour on a virtual board.
"""

from __future__ import annotations

import argparse
import atexit
import inspect
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "netspec" / "backends" / "spinnaker" / "capabilities_data.py"
WIDTH = 100

# ---------------------------------------------------------------------------
# Hand-written tables (checked by tests/test_spinnaker.py)
# ---------------------------------------------------------------------------

#: Settings sPyNNaker accepts and ignores, with what happens instead.
IGNORED = {
    "max_delay": "sPyNNaker has no global max_delay (sim.setup logs that it ignores it); the "
    "longest delay onto each population depends on its neurons per core (see NS602)",
    "threads": "sPyNNaker runs on the machine's cores; setup(threads=…) is logged and ignored "
    "(netspec passes it to NEST only)",
}

#: Parameters of sPyNNaker's synapse types that only take one value.
FIXED_SYNAPSE_PARAMETERS = {
    "STDPMechanism": {"dendritic_delay_fraction": 1.0},
}

#: What a projection may start or end at (``spynnaker.pyNN.models.projection``).
VIEWS_AS_PROJECTION_ENDS = (
    "only from and to populations and views of one contiguous run of cells "
    "(a slice with step 1); an index list or mask is fine if its cells are contiguous"
)

#: Cell parameters sPyNNaker takes as numbers or per-cell lists only, never as random
#: values (``SpikeSourcePoissonVertex`` does arithmetic on them on the host).
NOT_RANDOM = {
    "SpikeSourcePoisson": ("duration", "rate", "start"),
}

#: Cell types that exist on SpiNNaker under PyNN's name but behave differently.
DIFFERENCES = {
    "Izhikevich": "sPyNNaker's Izhikevich has current-based exponential synapses "
    "(tau_syn_E, tau_syn_I, default 5 ms; weights in nA) where PyNN's makes the membrane "
    "potential jump (weights in mV)",
}


# ---------------------------------------------------------------------------
# Introspection
# ---------------------------------------------------------------------------

def _arguments(cls: type, skip: Iterable[str] = ()) -> tuple[str, ...]:
    skipped = {"self", *skip}
    signature = inspect.signature(cls.__init__)
    return tuple(sorted(name for name, p in signature.parameters.items()
                        if name not in skipped
                        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)))


def introspect() -> dict[str, Any]:
    """Every table of the capability module, from the installed sPyNNaker; nothing is
    written outside a temporary folder (sPyNNaker's configuration and reports, and
    matplotlib's caches where the user has none)."""
    from netspec.backends.spinnaker.configuration import keep_home_clean

    tmp = Path(tempfile.mkdtemp(prefix="netspec-caps-"))
    # Removed at exit, after sPyNNaker's own exit handlers (registered later, run earlier),
    # which still write to its report folder.
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    keep_home_clean(tmp)
    return _introspect(tmp)


def _introspect(tmp: Path) -> dict[str, Any]:
    from importlib import metadata

    import pyNN.spiNNaker as sim
    from pyNN.random import available_distributions
    from spynnaker.pyNN.models.common.param_generator_data import PARAM_TYPE_BY_NAME
    from spynnaker.pyNN.models.neural_projections.connectors import (
        AbstractGenerateConnectorOnMachine,
    )
    from spynnaker.pyNN.models.utility_models.delays import DelayExtensionVertex
    from spynnaker.pyNN.utilities import constants

    from netspec import pynn_catalogue as catalogue
    from netspec.backends.spinnaker.configuration import install_config, write_config
    from netspec.backends.spinnaker.machine import Machine

    exported = {name: getattr(sim, name) for name in dir(sim) if not name.startswith("_")}

    def standard(names: Iterable[str]) -> list[str]:
        return sorted(n for n in names if isinstance(exported.get(n), type))

    tables: dict[str, Any] = {"SPYNNAKER_VERSION": metadata.version("sPyNNaker")}
    cell_types: dict[str, Any] = {}
    machine = Machine("virtual", {"virtual_board": True}, virtual=True)
    install_config(write_config(tmp / "spinnaker", machine))
    sim.setup(timestep=1.0)
    try:
        for name in standard(catalogue.cell_types()):
            cls = exported[name]
            population = sim.Population(2, cls(), label=name)
            vertex = population._vertex
            impl = getattr(vertex, "neuron_impl", None)
            cell_types[name] = {
                "parameters": tuple(sorted(cls.default_parameters)),
                "initial_values": tuple(sorted(cls.default_initial_values)),
                "recordables": tuple(sorted(vertex.get_recordable_variables())),
                "receptor_types": tuple(impl.get_synapse_targets()) if impl else (),
                "n_synapse_types": int(impl.get_n_synapse_types()) if impl else 0,
                "population_options": tuple(sorted(cls.default_population_parameters)),
                "max_neurons_per_core": int(vertex.get_max_atoms_per_core()),
            }
        try:
            sim.Assembly(population)
            assemblies = True
        except Exception:  # any refusal means: no assemblies
            assemblies = False
    finally:
        sim.end()
    tables["CELL_TYPES"] = cell_types
    tables["ASSEMBLIES"] = assemblies
    rules = ("timing_dependence", "weight_dependence", "voltage_dependence")
    tables["SYNAPSE_TYPES"] = {n: _arguments(exported[n], rules)
                               for n in standard(catalogue.synapse_types())}
    tables["TIMING_DEPENDENCES"] = {n: _arguments(exported[n])
                                    for n in standard(catalogue.timing_dependences())}
    tables["WEIGHT_DEPENDENCES"] = {n: _arguments(exported[n])
                                    for n in standard(catalogue.weight_dependences())}
    connectors = {}
    for name in standard(catalogue.connectors()):
        cls = exported[name]
        arguments = _arguments(cls)
        connectors[name] = {
            "arguments": arguments,
            "on_machine": issubclass(cls, AbstractGenerateConnectorOnMachine),
            "takes_rng": "rng" in arguments,
        }
    tables["CONNECTORS"] = connectors
    tables["CURRENT_SOURCES"] = {n: _arguments(exported[n])
                                 for n in standard(catalogue.current_sources())}
    tables["PYNN_DEFAULTS"] = _differing_defaults(exported, catalogue)
    tables["DISTRIBUTIONS"] = tuple(sorted(available_distributions))
    tables["ON_CHIP_DISTRIBUTIONS"] = tuple(sorted(PARAM_TYPE_BY_NAME))
    tables["DELAYS"] = {"ring_buffer_bits": int(constants.MAX_RING_BUFFER_BITS),
                        "delay_extension_stages": int(DelayExtensionVertex.MAX_SLOTS)}
    tables["IGNORED"] = IGNORED
    tables["FIXED_SYNAPSE_PARAMETERS"] = FIXED_SYNAPSE_PARAMETERS
    tables["VIEWS_AS_PROJECTION_ENDS"] = VIEWS_AS_PROJECTION_ENDS
    tables["DIFFERENCES"] = DIFFERENCES
    tables["NOT_RANDOM"] = NOT_RANDOM
    return tables


def _differing_defaults(exported: Mapping[str, Any], catalogue: Any) -> dict[str, Any]:
    """Cell types and current sources whose sPyNNaker default differs from PyNN's, with
    PyNN's (``DCSource`` stops at 0 ms on sPyNNaker, never on PyNN). Defaults that are
    ``None`` in sPyNNaker ("no end", "no spikes") mean what PyNN's do and are left out."""
    out: dict[str, Any] = {}
    for kind, names in (("cell", catalogue.cell_types()),
                        ("current_source", catalogue.current_sources())):
        for name in names:
            cls = exported.get(name)
            model = (catalogue.cell_type(name) if kind == "cell"
                     else catalogue.current_source(name))
            if not isinstance(cls, type) or model is None:
                continue
            if kind == "cell":
                theirs = dict(cls.default_parameters)
            else:
                signature = inspect.signature(cls.__init__)
                theirs = {k: p.default for k, p in signature.parameters.items()
                          if p.default is not inspect.Parameter.empty}
            differing = {p: info.default for p, info in sorted(model.parameters.items())
                         if p in theirs and theirs[p] is not None
                         and theirs[p] != info.default}
            if differing:
                out[name] = differing
    return out


# ---------------------------------------------------------------------------
# Rendering: deterministic, line length ≤ WIDTH, plain literals only
# ---------------------------------------------------------------------------

def _literal(value: Any, indent: int, lead: int = 0) -> str:
    """``value`` as Python source; ``lead`` is the width of what precedes it on its line."""
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = []
        for key, item in value.items():
            head = f"{pad}    {key!r}: "
            inner.append(f"{head}{_literal(item, indent + 4, len(head))},")
        return "{\n" + "\n".join(inner) + f"\n{pad}}}"
    if isinstance(value, tuple):
        flat = "(" + ", ".join(repr(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        if lead + len(flat) + 1 <= WIDTH:
            return flat
        return "(\n" + "\n".join(f"{pad}    {v!r}," for v in value) + f"\n{pad})"
    if isinstance(value, str) and lead + len(repr(value)) + 1 > WIDTH:
        lines, line = [], ""
        for word in value.split(" "):
            if line and indent + 4 + len(repr(line + " " + word)) > WIDTH:
                lines.append(line + " ")
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        return "(\n" + "\n".join(f"{pad}    {part!r}" for part in lines) + f"\n{pad})"
    return repr(value)


HEADER = '''"""What sPyNNaker {version} (``pyNN.spiNNaker``) runs, as plain literals.

Generated from the installed sPyNNaker by ``tools/generate_spinnaker_capabilities.py``
(``tests/test_spinnaker.py`` checks it is current and checks the hand-written
tables against sPyNNaker's behaviour on a virtual board). Read by
:mod:`netspec.backends.spinnaker.capabilities`; importing this module imports nothing.

Only PyNN's standard names appear, and only those ``pyNN.spiNNaker`` exports:
a name missing here is not supported on SpiNNaker.

CELL_TYPES: name → parameters, initial_values, recordables, receptor_types,
    n_synapse_types, population_options (keyword arguments of ``sim.Population``
    for this cell type, e.g. ``seed``, ``neurons_per_core``) and
    max_neurons_per_core (sPyNNaker's default and ceiling).
SYNAPSE_TYPES, TIMING_DEPENDENCES, WEIGHT_DEPENDENCES, CURRENT_SOURCES:
    name → the keyword arguments sPyNNaker's class takes.
CONNECTORS: name → arguments, on_machine (sPyNNaker can generate it on the
    machine, seeded from the post population's seed), takes_rng.
DISTRIBUTIONS / ON_CHIP_DISTRIBUTIONS: random distributions sPyNNaker draws
    on the host / on the machine (from each population's seed).
DELAYS: the longest delay onto a population, in timesteps, is
    (1 + delay_extension_stages) * 2 ** (ring_buffer_bits - bits(neurons per core)
    - bits(n_synapse_types)), bits(n) = ceil(log2(n)).
PYNN_DEFAULTS: cell types and current sources whose sPyNNaker default differs
    from PyNN's, with PyNN's default (which netspec passes explicitly).
ASSEMBLIES: whether sPyNNaker can create a PyNN Assembly.
IGNORED: settings sPyNNaker ignores, and why. FIXED_SYNAPSE_PARAMETERS: synapse
    parameters with one allowed value. DIFFERENCES: cell types that behave
    differently from PyNN's. VIEWS_AS_PROJECTION_ENDS: what a projection may
    start or end at. NOT_RANDOM: cell parameters that cannot be random values.
"""
'''


def render_module(tables: Mapping[str, Any] | None = None) -> str:
    """The text of the capability module."""
    tables = introspect() if tables is None else tables
    version = tables["SPYNNAKER_VERSION"]
    out = [f"# generated by tools/generate_spinnaker_capabilities.py from sPyNNaker {version}"
           " — do not edit", HEADER.format(version=version)]
    for name, value in tables.items():
        out.append(f"{name} = {_literal(value, 0, len(name) + 3)}\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write the module, or with ``--check`` report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render_module()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(REPO)} is stale: run {Path(__file__).name}",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
