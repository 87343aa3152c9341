"""The ``views`` section: slices, index lists and masks of populations or of other
views, and assemblies."""

from __future__ import annotations

from typing import Any

from netspec.diagnostics import SpecPath
from netspec.model import Assembly, View
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations


class Views(Populations):
    """Resolves ``views`` (in dependency order, cycles reported)."""

    def view(self, name: str, raw: dict[str, Any], pending: dict[str, dict[str, Any]],
             visiting: list[str]) -> View | Assembly:
        if name in self.views:
            return self.views[name]
        path: SpecPath = ("views", name)
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
                members = raw.get("assembly") or []
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
                                                   self.origin(path))
            else:
                parent = raw.get("population")
                parent_size = self.target_size(parent, (*path, "population"), pending, visiting)
                parent_indices = self.indices_of(str(parent))
                kind, selector, chosen = self.selection(raw, path, parent_size)
                population = self.root_name(str(parent))
                result = View(name, str(parent), population, kind, selector,
                              tuple(parent_indices[i] for i in chosen), label,
                              self.origin(path))
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

    def target_size(self, name: Any, path: SpecPath, pending: dict[str, dict[str, Any]],
                    visiting: list[str], *, allow_assembly: bool = False) -> int:
        if not isinstance(name, str):
            self.report(path, "NS211", f"expected the name of a population or view, "
                                       f"not {name!r}")
            raise Invalid
        if name in self.populations:
            return self.populations[name].size
        if name in pending:
            target = self.view(name, pending[name], pending, visiting)
            if isinstance(target, Assembly) and not allow_assembly:
                self.report(path, "NS301", f"'{name}' is an assembly; a view needs a "
                                           "population or a view")
                raise Invalid
            return target.size
        self.unknown_reference(name, path, ("populations", "views"))
        raise Invalid

    def selection(self, raw: dict[str, Any], path: SpecPath,
                  size: int) -> tuple[str, tuple[Any, ...], list[int]]:
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
                            f"'{raw.get('population')}' (need 0 ≤ start ≤ stop ≤ {size})")
                raise Invalid
            return "slice", (start, stop, step), list(range(start, stop, step))
        if "indices" in raw:
            chosen = [int(self.number(v, (*path, "indices", i), None, "index", integer=True))
                      for i, v in enumerate(raw["indices"])]
            for i, index in enumerate(chosen):
                if not 0 <= index < size:
                    self.report((*path, "indices", i), "NS311",
                                f"index {index} is outside the {size} cells of "
                                f"'{raw.get('population')}' (0 to {size - 1})")
                    raise Invalid
            if len(set(chosen)) != len(chosen):
                self.report((*path, "indices"), "NS311", "indices repeat a cell")
                raise Invalid
            # PyNN keeps a view's cells in population order: an index list is sorted
            return "indices", tuple(chosen), sorted(chosen)
        mask = raw.get("mask", [])
        if len(mask) != size or not all(isinstance(m, bool) for m in mask):
            self.report((*path, "mask"), "NS311",
                        f"mask must hold {size} true/false values, one per cell of "
                        f"'{raw.get('population')}' (has {len(mask)})")
            raise Invalid
        return "mask", tuple(mask), [i for i, m in enumerate(mask) if m]
