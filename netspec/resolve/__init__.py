"""Stage 3 — resolve: schema-valid data → :class:`netspec.model.Network`.

Evaluates parameters and expressions, converts every quantity to PyNN's unit
for its parameter (from the generated PyNN catalogue), checks names against
that catalogue and references against the spec, reads external array files,
and reports every problem as a located :class:`Diagnostic`. Objects that
already failed the schema are skipped, so each problem is reported once.

One module per part of the spec: :mod:`.values` (parameters, expressions,
values and data files), :mod:`.simulation`, :mod:`.templates` (entries with
``for_each`` unrolled into ordinary entries), :mod:`.populations` (and the
references to them), :mod:`.views`, :mod:`.projections`, :mod:`.stimuli`,
:mod:`.outputs` (recordings and exports), :mod:`.compare` (tolerances of
``netspec compare``); :mod:`.network` runs them in order.
"""

from netspec.resolve.network import resolve
from netspec.resolve.projections import NOT_EXPRESSIBLE
from netspec.resolve.simulation import DEFAULT_MAX_DELAY

__all__ = ["DEFAULT_MAX_DELAY", "NOT_EXPRESSIBLE", "resolve"]
