"""The ``views`` section: slices, index lists and masks of populations or of other
views, and assemblies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netspec.diagnostics import SpecPath
from netspec.model import Assembly, View
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations
from netspec.resolve.templates import Entry


class Views(Populations):
    """Resolves ``views`` (in dependency order, cycles reported)."""

    def view(self, entry: Entry, pending: dict[str, Entry],
             visiting: list[str]) -> View | Assembly:
        """The view or assembly of ``entry``, resolving the views it is made of first
        (``pending``: the views not resolved yet; ``visiting``: the chain being resolved,
        to report a cycle)."""
        name = entry.name
        if name in self.views:
            return self.views[name]
        with self.entry(entry):
            return self._view(entry, pending, visiting)

    def _view(self, entry: Entry, pending: dict[str, Entry],
              visiting: list[str]) -> View | Assembly:
        name, raw, path = entry.name, entry.raw, entry.path
        if name in self.cyclic:
            raise Invalid  # reported once, for the whole cycle
        if name in visiting:
            cycle = [*visiting[visiting.index(name):], name]
            self.cyclic.update(cycle)
            self.report(path, "NS318", "views refer to each other in a cycle: "
                                       + " → ".join(cycle))
            raise Invalid
        visiting.append(name)
        try:
            label = self.text(raw.get("label", name), (*path, "label"), "label")
            if "assembly" in raw:
                members = [self.reference(member, (*path, "assembly", i))
                           for i, member in enumerate(raw.get("assembly") or [])]
                size = 0
                for i, member in enumerate(members):
                    size += self.target_size(member, (*path, "assembly", i), pending, visiting,
                                             allow_assembly=True)
                leaves = [leaf for member in members for leaf in self.leaves(member)]
                repeated = sorted({leaf for leaf in leaves if leaves.count(leaf) > 1})
                if repeated:
                    self.report((*path, "assembly"), "NS309",
                                f"assembly '{name}' lists {', '.join(map(repr, repeated))} "
                                "more than once (directly or through a nested assembly); "
                                "PyNN keeps one copy, so the assembly would not hold the "
                                f"{size} cells it lists: name each member once")
                    raise Invalid
                result: View | Assembly = Assembly(name, tuple(members), size, label,
                                                   self.origin(path), entry.template)
            else:
                parent = self.reference(raw.get("population"), (*path, "population"))
                parent_size = self.target_size(parent, (*path, "population"), pending, visiting)
                parent_indices = self.indices_of(str(parent))
                kind, selector, chosen = self.selection(raw, path, parent_size, str(parent))
                population = self.root_name(str(parent))
                # a slice of a range is a range: slices of populations and of slices stay
                # lazy; an index list or a mask picks no more cells than the spec wrote
                cells: Sequence[int] = (parent_indices[chosen.start:chosen.stop:chosen.step]
                                        if isinstance(chosen, range) else
                                        tuple(parent_indices[i] for i in chosen))
                result = View(name, str(parent), population, kind, selector, cells, label,
                              self.origin(path), entry.template)
        finally:
            visiting.pop()
        if result.size == 0:
            self.report(path, "NS311", f"view '{name}' selects no cells; PyNN needs at least one")
            raise Invalid
        self.views[name] = result
        return result

    def leaves(self, name: str) -> list[str]:
        """The populations and views ``name`` stands for in an assembly (an assembly
        member that is itself an assembly stands for its members, as PyNN flattens it)."""
        target = self.views.get(name)
        if isinstance(target, Assembly):
            return [leaf for member in target.members for leaf in self.leaves(member)]
        return [name]

    def target_size(self, name: Any, path: SpecPath, pending: dict[str, Entry],
                    visiting: list[str], *, allow_assembly: bool = False) -> int:
        if not isinstance(name, str):
            self.report(path, "NS211", f"expected the name of a population or view, "
                                       f"not {name!r}")
            raise Invalid
        if name in self.populations:
            return self.populations[name].size
        if name in pending:
            target = self.view(pending[name], pending, visiting)
            if isinstance(target, Assembly) and not allow_assembly:
                self.report(path, "NS301", f"'{name}' is an assembly; a view needs a "
                                           "population or a view")
                raise Invalid
            return target.size
        self.unknown_reference(name, path, ("populations", "views"))
        raise Invalid

    def selection(self, raw: dict[str, Any], path: SpecPath,
                  size: int, parent: str) -> tuple[str, tuple[Any, ...], Sequence[int]]:
        if "slice" in raw:
            items = raw["slice"]
            numbers = [self.number(v, (*path, "slice", i), None, "slice bound", integer=True)
                       for i, v in enumerate(items)]
            start, stop = int(numbers[0]), int(numbers[1])
            step = int(numbers[2]) if len(numbers) > 2 else 1
            if step <= 0:
                self.report((*path, "slice", 2), "NS311", "slice step must be positive")
                raise Invalid
            if not 0 <= start <= stop <= size:
                self.report((*path, "slice"), "NS311",
                            f"slice [{start}, {stop}] is outside the {size} cells of "
                            f"'{parent}' (need 0 ≤ start ≤ stop ≤ {size})")
                raise Invalid
            return "slice", (start, stop, step), range(start, stop, step)
        if "indices" in raw:
            chosen = [int(self.number(v, (*path, "indices", i), None, "index", integer=True))
                      for i, v in enumerate(raw["indices"])]
            for i, index in enumerate(chosen):
                if not 0 <= index < size:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} is outside the {size} cells of "
                                f"'{parent}' (0 to {size - 1})")
                    raise Invalid
            if len(set(chosen)) != len(chosen):
                self.report((*path, "indices"), "NS311", "indices repeat a cell")
                raise Invalid
            # PyNN keeps a view's cells in population order: an index list is sorted
            return "indices", tuple(chosen), sorted(chosen)
        mask = self.generic(raw.get("mask", []), (*path, "mask"))
        if not isinstance(mask, list) or len(mask) != size \
                or not all(isinstance(m, bool) for m in mask):
            self.report((*path, "mask"), "NS311",
                        f"mask must hold {size} true/false values, one per cell of "
                        f"'{parent}' (has {len(mask) if isinstance(mask, list) else 1})")
            raise Invalid
        return "mask", tuple(mask), [i for i, m in enumerate(mask) if m]
