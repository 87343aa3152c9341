"""Templates: entries with ``for_each`` (and optionally ``name`` and ``when``) unrolled
into ordinary entries, in loop order, where the template stands.

A section's entries are turned into :class:`Entry` records before any of them is
resolved: a written entry gives one, a template one per combination of its loop
variables that ``when`` keeps. The other section resolvers then see only entries;
an entry made by a template carries the loop variables (bound while its values
are evaluated) and its :class:`~netspec.model.TemplateOrigin`, and its
diagnostics point at the template's keys and name the combination.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netspec.diagnostics import SpecPath, describe_value
from netspec.model import TemplateOrigin
from netspec.resolve.context import Invalid
from netspec.resolve.values import Values

#: The keys that make an entry a template.
TEMPLATE_KEYS = ("for_each", "name", "when")
#: Most entries one template may generate (combinations of its loop variables).
MAX_TEMPLATE_ENTRIES = 10_000
#: Most entries all templates of a spec may generate together.
MAX_GENERATED_ENTRIES = 50_000
#: The sections whose entries may be templates (``export`` is a list, the others
#: mappings of name → entry).
SECTIONS = ("populations", "views", "projections", "stimuli", "recordings", "export")

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Entry:
    """One entry of a section as the section's rules see it: written, or generated.

    ``path`` is where its diagnostics point (the template's path for a generated
    entry); ``bindings`` are the loop variables its expressions may use.
    """

    name: str
    raw: dict[str, Any]
    path: SpecPath
    template: TemplateOrigin | None = None
    bindings: Mapping[str, Any] = field(default_factory=dict)
    #: How many entries its template generated (for "in all N combinations of …").
    siblings: int = 1


class Templates(Values):
    """Unrolls the templates of every section into :class:`Entry` records."""

    generated = 0  # entries generated so far by all templates (bounded)

    def entries_of(self, section: str) -> list[Entry]:
        """The entries of ``section`` in spec order, templates unrolled in place.

        Entries the schema refused are listed too (``skipped(entry.path)`` tells),
        so that their names are known; a template whose loop cannot be unrolled
        gives no entry.
        """
        raw = self.data.get(section)
        if section == "export":
            items: list[tuple[str | int, Any]] = (
                list(enumerate(raw)) if isinstance(raw, list) else [])
        else:
            items = list(raw.items()) if isinstance(raw, dict) else []
        if (section,) in self.skip:
            return []
        out: list[Entry] = []
        for key, value in items:
            path: SpecPath = (section, key)
            if not isinstance(value, dict):
                continue
            if "for_each" not in value:
                out.append(Entry(str(key), value, path))
                continue
            reported = len(self.diagnostics)
            try:
                out.extend(self.unroll(section, key, value, path))
            except Invalid:
                pass
            if self.skipped(path):
                # refused by the schema, reported there: unrolled only to learn the names
                # it defines, so that references to them are not reported as unknown
                del self.diagnostics[reported:]
                self.repeated = {k: v for k, v in self.repeated.items() if v.index < reported}
        return out

    def unroll(self, section: str, key: str | int, raw: Mapping[str, Any],
               path: SpecPath) -> list[Entry]:
        """The entries template ``raw`` generates, in loop order."""
        combinations = self.combinations(raw["for_each"], (*path, "for_each"))
        body = {k: v for k, v in raw.items() if k not in TEMPLATE_KEYS}
        kept: list[tuple[dict[str, Any], str]] = []
        for number, bindings in enumerate(combinations):
            where = TemplateOrigin(path, tuple(bindings.items()), number)
            with self.bound(bindings, (where, len(combinations))):
                try:
                    if "when" in raw and not self.condition(raw["when"], (*path, "when")):
                        continue
                    name = f"{key}_{len(kept)}" if section != "export" else str(key)
                    if "name" in raw:
                        name = self.entry_name(raw["name"], (*path, "name"))
                except Invalid:  # reported; the other combinations still stand, so
                    continue     # that what refers to them is checked
            kept.append((bindings, name))
        self.generated += len(kept)
        return [Entry(name, body, path, TemplateOrigin(path, tuple(bindings.items()), index),
                      bindings, len(kept))
                for index, (bindings, name) in enumerate(kept)]

    def combinations(self, raw: Any, path: SpecPath) -> list[dict[str, Any]]:
        """``for_each`` as the list of loop-variable bindings, in loop order."""
        value = self.generic(raw, path) if not isinstance(raw, dict) else None
        if isinstance(raw, dict):
            loops: dict[str, list[Any]] = {}
            bad = False
            for name, values in raw.items():
                where = (*path, name)
                try:
                    self.loop_variable(name, where)
                    items = self.generic(values, where)
                except Invalid:
                    bad = True
                    continue
                if not isinstance(items, list):
                    self.report(where, "NS214", f"for_each: '{name}' must be a list of the "
                                                f"values it takes, not {describe_value(items)}")
                    bad = True
                    continue
                loops[name] = items
            if bad:
                raise Invalid
            total = math.prod(len(v) for v in loops.values())
            self.check_count(total, path)
            names = list(loops)
            return [dict(zip(names, combo, strict=True))
                    for combo in itertools.product(*loops.values())]
        if not isinstance(value, list):
            self.report(path, "NS214", "for_each must be a mapping of lists (every "
                                       "combination) or a list of mappings (one entry each), "
                                       f"not {describe_value(value)}")
            raise Invalid
        self.check_count(len(value), path)
        out: list[dict[str, Any]] = []
        for i, item in enumerate(value):
            where = (*path, i) if isinstance(raw, list) else path
            if not isinstance(item, dict) or not item:
                self.report(where, "NS214", f"for_each item {i} must be a mapping of loop "
                                            f"variables to values, not {describe_value(item)}")
                raise Invalid
            if out and item.keys() != out[0].keys():
                self.report(where, "NS214", f"for_each item {i} sets "
                                            f"{', '.join(map(str, item))}, item 0 sets "
                                            f"{', '.join(out[0])}; every item sets the same "
                                            "loop variables")
                raise Invalid
            for name in item:
                self.loop_variable(name, (*where, name) if isinstance(raw, list) else where)
            out.append(dict(item))
        return out

    def check_count(self, count: int, path: SpecPath) -> None:
        """Refuse a template of more than :data:`MAX_TEMPLATE_ENTRIES` combinations."""
        if count > MAX_TEMPLATE_ENTRIES:
            self.report(path, "NS215", f"for_each makes {count} combinations; at most "
                                       f"{MAX_TEMPLATE_ENTRIES} are allowed per template")
            raise Invalid
        if self.generated + count > MAX_GENERATED_ENTRIES:
            self.report(path, "NS215", f"templates would generate more than "
                                       f"{MAX_GENERATED_ENTRIES} entries in all")
            raise Invalid

    def loop_variable(self, name: Any, path: SpecPath) -> None:
        """Refuse a loop variable that is no identifier or that shadows a parameter."""
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            self.report(path, "NS105", f"loop variable '{name}' is not an identifier: use "
                                       "letters, digits and '_', not starting with a digit",
                        key=True)
            raise Invalid
        if name in self.raw_parameters or name == "name":
            what = ("the parameter of that name" if name in self.raw_parameters
                    else "'name', the spec's name in expressions")
            self.report(path, "NS216", f"loop variable '{name}' would hide {what}; rename "
                                       "the loop variable", key=True)
            raise Invalid

    def condition(self, raw: Any, path: SpecPath) -> bool:
        """``when`` for the bound combination."""
        value = self.generic(raw, path)
        if not isinstance(value, bool):
            kind = "a number" if isinstance(value, int | float) else describe_value(value)
            self.report(path, "NS211", f"when must be true or false, not {kind}; write a "
                                       "comparison, e.g. \"${p[pre] > 0}\"")
            raise Invalid
        return value

    def entry_name(self, raw: Any, path: SpecPath) -> str:
        """``name`` for the bound combination: a slug."""
        name = self.text(raw, path, "name")
        if not _SLUG.match(name):
            self.report(path, "NS105", f"generated name '{name}' is not a slug: use lowercase "
                                       "letters, digits, '_' and '-', starting with a letter "
                                       "or a digit")
            raise Invalid
        return name

    @contextmanager
    def entry(self, entry: Entry) -> Iterator[None]:
        """Resolve ``entry`` with its loop variables bound and its diagnostics naming its
        combination of them."""
        combination = None if entry.template is None else (entry.template, entry.siblings)
        with self.bound(entry.bindings, combination):
            yield
