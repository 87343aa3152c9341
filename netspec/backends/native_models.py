"""Which NEST synapse model each native projection connects with.

NEST stores the connections of each synapse model apart, and refuses more than
:data:`NEST_MAX_CONNECTIONS_PER_VP` connections of one model on one virtual process.
Giving every projection a model of its own keeps far below that limit, but costs memory:
measured here on NEST 3.10 (the cortical microcircuit at 10 % and 30 %, 3 M and 27 M
synapses, one ``nest.CopyModel`` of ``static_synapse`` per projection against one model
for all), about 8 bytes more per synapse, 17 % at full scale. So native projections with
the same synapse model and the same fixed parameters share one copy of it, as plain
PyNEST shares ``static_synapse``, and a new copy is opened only when the busiest virtual
process would hold more than :data:`SHARE_LIMIT` connections of it (half NEST's limit,
so that the random counts of ``pairwise_bernoulli`` and friends stay clear of it), or
when a projection already on the copy connects the same cells (their connections would
then be indistinguishable to PyNN's ``Projection.get``).

This module is pure Python: :mod:`netspec.backends.nest_native` uses it while it
connects and :mod:`netspec.estimate` to name the models before anything is built.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Final

#: NEST refuses more connections than this per virtual process and synapse model.
NEST_MAX_CONNECTIONS_PER_VP: Final = 134_217_726
#: Most connections per virtual process one shared copy takes on.
SHARE_LIMIT: Final = NEST_MAX_CONNECTIONS_PER_VP // 2

#: Node ids a projection connects from or to, as an inclusive (first, last) span.
Span = tuple[int, int]


def busiest_vp_share(connections: float, post_size: int, virtual_processes: int) -> float:
    """Connections on the busiest virtual process: NEST places the target cells on the
    virtual processes in turn, and keeps each connection with its target."""
    post = max(1, post_size)
    return connections * math.ceil(post / max(1, virtual_processes)) / post


@dataclass
class _Copy:
    number: int
    load: float = 0.0
    spans: list[tuple[Span, Span]] = field(default_factory=list)


def _overlap(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


class ModelPacker:
    """Hands out copies of synapse models to projections in the order they connect.

    ``assign(key, per_vp, pre, post)`` returns ``(number, new)``: the projection joins
    copy ``number`` (numbered from 0 in the order copies are opened, whatever their key)
    of the model and fixed parameters ``key`` stands for, and ``new`` says that this copy
    must be created first.
    """

    def __init__(self, limit: float = SHARE_LIMIT) -> None:
        self.limit = limit
        self.copies: dict[Hashable, list[_Copy]] = {}
        self.count = 0

    def assign(self, key: Hashable, per_vp: float, pre: Span | None = None,
               post: Span | None = None) -> tuple[int, bool]:
        """The copy a projection with ``per_vp`` connections on the busiest virtual
        process, from the cells ``pre`` to ``post``, connects with."""
        copies = self.copies.setdefault(key, [])
        for copy in copies:
            if copy.load + per_vp > self.limit and copy.load > 0:
                continue
            if pre is not None and post is not None and any(
                    _overlap(pre, a) and _overlap(post, b) for a, b in copy.spans):
                continue
            self._add(copy, per_vp, pre, post)
            return copy.number, False
        copies.append(_Copy(self.count))
        self.count += 1
        self._add(copies[-1], per_vp, pre, post)
        return copies[-1].number, True

    def retire(self, number: int) -> None:
        """Copy ``number`` could not be made: no projection joins it."""
        for copies in self.copies.values():
            for copy in copies:
                if copy.number == number:
                    copy.load = math.inf

    @staticmethod
    def _add(copy: _Copy, per_vp: float, pre: Span | None, post: Span | None) -> None:
        copy.load += per_vp
        if pre is not None and post is not None:
            copy.spans.append((pre, post))
