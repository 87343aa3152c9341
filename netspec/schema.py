"""Stage 2 — check the shape of a spec against the JSON Schema of the language.

The schema (``schema/netspec.schema.json`` in the repository, shipped as
``netspec/data/netspec.schema.json`` in the wheel) is the one description of
which keys exist and what kind of value each holds; editors use the same file
for completion and hover help. :func:`check` runs it over a loaded spec and
turns every schema error into a located :class:`~netspec.diagnostics.Diagnostic`
with a stable code:

========  =====================================================================
NS101     unknown key (``additionalProperties``), one per key, at the key
NS102     required key missing (``required``; a ``oneOf`` with no shape chosen)
NS103     wrong type (``type``; a ``oneOf``/``anyOf`` that no branch's type fits)
NS104     value not allowed (``enum``, ``const``)
NS105     a name that is not a slug or a parameter name that is not an identifier
NS106     out of range (``minimum``, ``maximum``, ``minItems``, ``uniqueItems``, …)
NS501     an export path that is not relative
NS100     anything else the schema refuses
========  =====================================================================

For ``oneOf``/``anyOf`` the branch the user meant is chosen (by the type of the
value, then by the key only one branch requires, such as a view's ``slice``)
and only that branch's errors are reported. Whether values make sense
(expressions, units, references) is for later stages.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    Draft202012Validator,
    validators,
)
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]
from referencing import Registry

from netspec.diagnostics import (
    Diagnostic,
    SpecPath,
    allowed,
    describe_value,
    did_you_mean,
    format_path,
)
from netspec.loader import SourceMap

#: The ``$id`` of the schema; editors and ``$schema`` references may use it.
SCHEMA_ID = "urn:netspec:schema:1"

_REPO_SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "netspec.schema.json"

_ALTERNATIVES = ("oneOf", "anyOf")

#: How type errors describe a `$defs` entry whose structure alone reads badly.
_PHRASES: dict[str, str] = {
    "value": "a number, a quantity, an expression, true/false, a list, "
             "a random value {distribution: …} or a file {file: …}",
    "parameter": "a number, a quantity, an expression, true/false, or a list or a "
                 "mapping of these",
    "quantity": "a number, a quantity or an expression",
    "random": "a random value {distribution: …}",
    "file": "a file {file: …}",
}

#: What a name in each section names, for messages about bad names.
_NAME_KINDS: dict[str, str] = {
    "populations": "population name",
    "views": "view name",
    "projections": "projection name",
    "stimuli": "stimulus name",
    "recordings": "recording name",
    "parameters": "parameter name",
    "for_each": "loop variable",
}


def schema_text() -> str:
    """The JSON text of the schema, exactly as shipped.

    Read from the installed package (``netspec/data/netspec.schema.json``)
    when present, else from ``schema/netspec.schema.json`` beside the package
    in a source checkout.
    """
    try:
        packaged = resources.files("netspec") / "data" / "netspec.schema.json"
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        pass
    return _REPO_SCHEMA.read_text(encoding="utf-8")


@functools.cache
def load_schema() -> dict[str, Any]:
    """The schema as a dict, parsed once and shared: treat it as read-only."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


def check(data: Mapping[str, Any], source: SourceMap) -> list[Diagnostic]:
    """Every way ``data`` departs from the schema, as diagnostics sorted by position.

    ``source`` is the source map of the file ``data`` was loaded from. Never
    raises on odd input: any shape of data gives diagnostics, not an exception.
    """
    found: dict[tuple[SpecPath, str, str], Diagnostic] = {}
    for diagnostic in _translate_all(_validator().iter_errors(data), source):
        found.setdefault((diagnostic.path, diagnostic.code, diagnostic.message), diagnostic)
    return sorted(found.values())


# --- the validator ------------------------------------------------------------------------


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262: an unanchored-multiline '$' matches only at the very
    # end, while Python's also matches before a final newline ('exc\n' would pass as a slug).
    return re.compile(re.sub(r"(?<!\\)\$\Z", r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator: Any = validators.extend(  # type: ignore[no-untyped-call, unused-ignore]
    Draft202012Validator, {"pattern": _pattern})


@functools.cache
def _validator() -> Any:
    # An empty registry: every $ref is local, and nothing is ever fetched from the network.
    # No format checker either: 'format' stays an annotation.
    return _Validator(load_schema(), registry=Registry())


def _def_name(schema: object) -> str | None:
    """The `$defs` name of ``schema`` when it is one of the schema's definitions."""
    for name, definition in load_schema()["$defs"].items():
        if definition is schema:
            return str(name)
    return None


def _resolve(schema: Any) -> Mapping[str, Any]:
    """Follow local ``$ref``s to the schema they name."""
    for _ in range(16):
        if not isinstance(schema, Mapping):
            return {}
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = load_schema()
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        schema = target
    return {}  # pragma: no cover - the schema has no $ref cycles


# --- errors → diagnostics -----------------------------------------------------------------


def _translate_all(errors: Iterable[Any], source: SourceMap) -> Iterator[Diagnostic]:
    errors = list(errors)
    # A value of the wrong type fails other keywords at the same place too; report the type.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        yield from _translate(error, source)


def _translate(error: Any, source: SourceMap) -> Iterator[Diagnostic]:
    keyword = str(error.validator)
    path: SpecPath = tuple(error.absolute_path)
    where = _where(path)
    instance = error.instance
    value = error.validator_value
    schema = error.schema if isinstance(error.schema, Mapping) else {}

    if "propertyNames" in error.absolute_schema_path:
        yield _bad_name(source, (*path, str(instance)), str(instance), _resolve(schema),
                        key=True)
    elif keyword in _ALTERNATIVES:
        yield from _alternatives(error, source)
    elif keyword == "additionalProperties":
        known = schema.get("properties", {})
        for name in instance:
            if name not in known:
                yield source.diagnostic(
                    (*path, name), "NS101",
                    f"unknown key '{name}' in {where}{did_you_mean(name, known)}; "
                    f"allowed: {allowed(known)}",
                    key=True)
    elif keyword == "required":
        yield from _missing(source, path, instance, value, schema)
    elif keyword == "type":
        yield source.diagnostic(path, "NS103",
                                f"{where} must be {_describe(schema)}, "
                                f"not {describe_value(instance)}")
    elif keyword == "enum":
        choices = [str(choice) for choice in value]
        hint = did_you_mean(instance, choices) if isinstance(instance, str) else ""
        yield source.diagnostic(path, "NS104",
                                f"unknown value {_shown(instance)} for {where}{hint}; "
                                f"allowed: {allowed(choices)}")
    elif keyword == "const":
        hint = ""
        if (isinstance(value, str) and isinstance(instance, int | float)
                and not isinstance(instance, bool) and str(instance) == value):
            hint = f"; quote it: {path[-1]}: \"{value}\"" if path else ""
        yield source.diagnostic(path, "NS104", f"{where} must be {json.dumps(value)}, "
                                               f"not {describe_value(instance)}{hint}")
    elif keyword == "pattern":
        yield _bad_name(source, path, str(instance), schema, key=False)
    elif keyword == "uniqueItems":
        index = _first_repeat(instance)
        yield source.diagnostic((*path, index), "NS106",
                                f"{where} lists {_shown(instance[index])} twice")
    elif keyword in _RANGES:
        yield source.diagnostic(path, "NS106", _RANGES[keyword](where, value, instance))
    else:
        yield source.diagnostic(path, "NS100", f"{where}: {error.message}")


def _missing(source: SourceMap, path: SpecPath, instance: Mapping[str, Any],
             required: Sequence[str], schema: Mapping[str, Any]) -> Iterator[Diagnostic]:
    """Required keys that are missing; a misspelt one is left to its 'unknown key' message."""
    known = schema.get("properties", {})
    extra = [name for name in instance if name not in known]
    missing: list[str] = []
    hints: list[str] = []
    for name in required:
        if name in instance:
            continue
        typo = next((other for other in extra if did_you_mean(other, [name])), None)
        if typo is None:
            missing.append(name)
        elif schema.get("additionalProperties", True) is not False:
            # Other keys are free here, so no NS101 names the typo: say it with the NS102.
            missing.append(name)
            hints.append(f"is '{typo}' meant to be '{name}'?")
    if missing:
        hint = f" ({'; '.join(hints)})" if hints else ""
        yield source.diagnostic(path, "NS102", f"{_where(path)} needs "
                                               f"{_listing(missing, 'and')}{hint}", key=True)


def _alternatives(error: Any, source: SourceMap) -> Iterator[Diagnostic]:
    """A failed ``oneOf``/``anyOf``: report the errors of the branch the user meant."""
    path: SpecPath = tuple(error.absolute_path)
    where = _where(path)
    instance = error.instance
    branches: Sequence[Any] = error.validator_value
    if not error.context:  # oneOf: more than one branch fits
        yield source.diagnostic(path, "NS100", f"{where} fits more than one of the shapes "
                                               "allowed here; make it unambiguous")
        return
    groups = _branches(error)
    fitting = [i for i in sorted(groups) if not any(map(_mistyped, groups[i]))]
    if not fitting:
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        yield source.diagnostic(path, "NS103",
                                f"{where} must be {_describe(schema)}, "
                                f"not {describe_value(instance)}")
        return
    if len(fitting) > 1 and isinstance(instance, dict):
        required = {i: set(_resolve(branches[i]).get("required", ())) for i in fitting}
        own = {i: required[i].difference(*(required[j] for j in fitting if j != i))
               for i in fitting}
        keys = sorted(set().union(*own.values()))
        chosen = [i for i in fitting if own[i] & instance.keys()]
        if len(chosen) > 1:
            first, second = [name for name in instance if name in keys][:2]
            yield source.diagnostic(
                (*path, second), "NS100",
                f"{where} has both '{first}' and '{second}'; use one of {_listing(keys, 'or')}",
                key=True)
            return
        if not chosen and keys:
            yield from _no_shape(source, path, instance, [_resolve(branches[i]) for i in fitting],
                                 keys)
            return
        fitting = chosen or fitting
    if len(fitting) > 1:  # no key tells them apart: take the branch whose errors go deepest
        fitting = [max(fitting, key=lambda i: (max(len(e.path) for e in groups[i]),
                                               -len(groups[i])))]
    yield from _translate_all(groups[fitting[0]], source)


def _no_shape(source: SourceMap, path: SpecPath, instance: Mapping[str, Any],
              shapes: list[Mapping[str, Any]], keys: list[str]) -> Iterator[Diagnostic]:
    """A mapping with none of the keys that pick a shape (a view with no slice/indices/…)."""
    where = _where(path)
    known = set(keys).union(*(shape.get("properties", {}) for shape in shapes))
    near = [(name, did_you_mean(name, keys)) for name in instance if name not in known]
    near = [(name, hint) for name, hint in near if hint]
    for name, hint in near:
        yield source.diagnostic((*path, name), "NS101",
                                f"unknown key '{name}' in {where}{hint}; {where} needs one of "
                                f"{_listing(keys, 'or')}", key=True)
    if not near:
        forms = [_shape(shape) for shape in shapes]
        yield source.diagnostic(path, "NS102", f"{where} needs one of {_listing(keys, 'or')} "
                                               f"({_joined(forms, 'or')})", key=True)


def _mistyped(error: Any) -> bool:
    """Whether ``error`` says that a branch does not take values of this type at all."""
    if error.relative_path:
        return False
    if error.validator == "type":
        return True
    if error.validator in _ALTERNATIVES and error.context:
        return all(any(map(_mistyped, group)) for group in _branches(error).values())
    return False


def _branches(error: Any) -> dict[int, list[Any]]:
    """The errors of a failed ``oneOf``/``anyOf``, by the index of the branch they come from."""
    groups: dict[int, list[Any]] = {}
    for sub in error.context:
        groups.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return groups


def _bad_name(source: SourceMap, path: SpecPath, name: str, schema: Mapping[str, Any],
              *, key: bool) -> Diagnostic:
    kind = _NAME_KINDS.get(str(path[-2]), "name") if len(path) >= 2 else "name"
    definition = _def_name(schema)
    if definition == "slug":
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
        return source.diagnostic(
            path, "NS105",
            f"{kind} '{name}' is not a slug: use lowercase letters, digits, '_' and '-', "
            f"starting with a letter or a digit{_suggest(suggestion, name, schema)}",
            key=key)
    if definition == "identifier":
        suggestion = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
        suggestion = f"_{suggestion}" if suggestion[:1].isdigit() else suggestion
        return source.diagnostic(
            path, "NS105",
            f"{kind} '{name}' is not an identifier: use letters, digits and '_', "
            f"not starting with a digit{_suggest(suggestion, name, schema)}",
            key=key)
    if definition == "relative_path":
        return source.diagnostic(path, "NS501", f"{_where(path)} '{name}' must be a path "
                                                "relative to the output folder", key=key)
    pattern = schema.get("pattern", "")
    return source.diagnostic(path, "NS100", f"{_where(path)} '{name}' does not match the "
                                            f"pattern {pattern}", key=key)


def _suggest(suggestion: str, name: str, schema: Mapping[str, Any]) -> str:
    pattern = schema.get("pattern")
    if suggestion and suggestion != name and isinstance(pattern, str) \
            and _regex(pattern).search(suggestion):
        return f" (did you mean '{suggestion}'?)"
    return ""


# --- wording ------------------------------------------------------------------------------


_Wording = Callable[[str, Any, Any], str]


def _range(relation: str) -> _Wording:
    return lambda where, limit, value: f"{where} must be {relation} {limit}, not {value}"


def _count(relation: str, one: str, many: str) -> _Wording:
    return lambda where, limit, value: (
        f"{where} must have {relation} {limit} {one if limit == 1 else many}, not {len(value)}")


_RANGES: dict[str, _Wording] = {
    "minimum": _range("≥"),
    "maximum": _range("≤"),
    "exclusiveMinimum": _range(">"),
    "exclusiveMaximum": _range("<"),
    "minItems": _count("at least", "item", "items"),
    "maxItems": _count("at most", "item", "items"),
    "minProperties": _count("at least", "entry", "entries"),
    "maxProperties": _count("at most", "entry", "entries"),
    "minLength": _count("at least", "character", "characters"),
    "maxLength": _count("at most", "character", "characters"),
}


def _where(path: SpecPath) -> str:
    return format_path(path) or "the spec"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:39] + "…")
    return json.dumps(value) if isinstance(value, bool | None) else str(value)


def _describe(schema: Mapping[str, Any]) -> str:
    """What a schema accepts, in words (``an integer or an expression``)."""
    name = _def_name(schema)
    if name in _PHRASES:
        return _PHRASES[name]
    if "type" in schema:
        types = schema["type"]
        types = [types] if isinstance(types, str) else list(types)
        words = []
        for kind in types:
            if kind == "string" and "integer" in types:
                words.append("an expression")
            elif kind == "string" and "number" in types:
                words += ["a quantity", "an expression"]
            else:
                words.append(_TYPE_WORDS.get(kind, kind))
        return _joined(words, "or")
    for keyword in _ALTERNATIVES:
        if keyword in schema:
            phrases = [_describe(_resolve(branch)) for branch in schema[keyword]]
            return _joined(list(dict.fromkeys(phrases)), "or")
    if "$ref" in schema:
        return _describe(_resolve(schema))
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return f"one of {allowed(str(choice) for choice in schema['enum'])}"
    return "a value"


_TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "a string",
               "boolean": "true or false", "array": "a list", "object": "a mapping",
               "null": "empty"}


def _listing(names: Sequence[str], conjunction: str) -> str:
    """``'a', 'b' and 'c'``."""
    return _joined([f"'{name}'" for name in names], conjunction)


def _joined(words: Sequence[str], conjunction: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _shape(schema: Mapping[str, Any]) -> str:
    """``{population, slice}``; ``…`` when other keys are free."""
    keys = list(schema.get("required", ()))
    if schema.get("additionalProperties", True) is not False:
        keys.append("…")
    return "{" + ", ".join(keys) + "}"


def _first_repeat(items: Sequence[Any]) -> int:
    for index, item in enumerate(items):
        for earlier in items[:index]:
            if item == earlier and type(item) is type(earlier):
                return index
    return 0  # pragma: no cover - only called when uniqueItems failed
