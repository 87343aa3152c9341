"""The ``projections`` section: pre/post, receptor types, connectors (with their
connection lists and matrices) and synapse types."""

from __future__ import annotations

from typing import Any

import numpy as np

from netspec import datafiles
from netspec import pynn_catalogue as catalogue
from netspec.diagnostics import SpecPath, unknown
from netspec.expressions import has_interpolation
from netspec.model import ArrayValue, Component, Projection, Synapse
from netspec.resolve.context import Invalid
from netspec.resolve.populations import Populations
from netspec.resolve.templates import Entry

#: Connectors whose arguments are Python objects, which a spec cannot write.
NOT_EXPRESSIBLE = {
    "CSAConnector": "its cset is a CSA connection-set object",
    "IndexBasedProbabilityConnector": "its index_expression is an IndexBasedExpression object",
    "DisplacementDependentProbabilityConnector": "its disp_function is a Python function",
}


class Projections(Populations):
    """Resolves ``projections``."""

    def projection(self, entry: Entry) -> Projection:
        """The projection of ``entry``."""
        name, raw, path = entry.name, entry.raw, entry.path
        bad = False
        pre = post = ""
        try:
            pre = self.target_name(raw.get("pre"), (*path, "pre"))
        except Invalid:
            bad = True
        try:
            post = self.target_name(raw.get("post"), (*path, "post"))
        except Invalid:
            raise Invalid from None  # the receptor type and weights depend on it
        post_models = self.cell_models(post)
        receptor = raw.get("receptor_type", "excitatory")
        receptor = self.text(receptor, (*path, "receptor_type"), "receptor_type")
        for model in post_models:
            if model.spike_source:
                self.report((*path, "post"), "NS316",
                            f"'{post}' holds {model.name} cells, which cannot receive "
                            "connections")
                raise Invalid
            if receptor not in model.receptor_types:
                self.report((*path, "receptor_type"), "NS307",
                            unknown("receptor type", receptor, model.receptor_types, model.name))
                bad = True
        kinds = {m.weight_unit for m in post_models}
        weight_unit = next(iter(kinds)) if len(kinds) == 1 else None
        if len(kinds) > 1:
            self.report((*path, "post"), "NS316",
                        f"'{post}' mixes cell types whose weights have different units "
                        f"({', '.join(sorted(str(k) for k in kinds))}); use one projection each")
            bad = True
        connector = Component("", {})
        if pre:  # a connector's arguments may depend on the size of pre
            try:
                connector = self.connector(raw.get("connector", {}), (*path, "connector"), pre,
                                           post, name)
            except Invalid:
                bad = True
        try:
            synapse = self.synapse(raw.get("synapse", {"type": "StaticSynapse"}),
                                   (*path, "synapse"), weight_unit)
        except Invalid:
            bad, synapse = True, Synapse("", {})
        if bad:
            raise Invalid
        label = self.text(raw.get("label", name), (*path, "label"), "label")
        return Projection(name, pre, post, connector, synapse, receptor, label,
                          self.origin(path), entry.template)

    def connector(self, raw: dict[str, Any], path: SpecPath, pre: str, post: str,
                  here: str) -> Component:
        kind, info = self.typed(raw, path, catalogue.connector, catalogue.connectors,
                                "NS304", "connector")
        if kind in NOT_EXPRESSIBLE:
            self.report((*path, "type"), "NS304",
                        f"{kind} cannot be written in a spec: {NOT_EXPRESSIBLE[kind]}; "
                        "list the connections with FromListConnector or FromFileConnector, "
                        "or give a boolean matrix to ArrayConnector")
            raise Invalid

        def convert(key: str, item: Any) -> Any:
            where = (*path, key)
            if key == "conn_list":
                return self.conn_list(item, where, pre, post, raw.get("column_names"))
            if kind == "ArrayConnector" and key == "array":
                return self.connection_matrix(item, where, pre, post)
            if kind == "CloneConnector" and key == "reference_projection":
                return self.reference_projection(item, where, pre, post, here)
            if key == "file":
                name = self.text(item, where, "file")
                try:  # PyNN reads it when it builds the projection
                    return str(datafiles.check_file(self.loaded.folder, name))
                except datafiles.DataFileError as exc:
                    self.report(where, "NS313", str(exc))
                    raise Invalid from None
            if key == "column_names":
                if not isinstance(item, list) or not all(isinstance(c, str) for c in item):
                    self.report(where, "NS211", "column_names must be a list of parameter "
                                                "names")
                    raise Invalid
                return tuple(item)
            value = self.argument(item, where, info.args[key], f"{key} of {kind}")
            if key == "p_connect" and isinstance(value, float) and not 0.0 <= value <= 1.0:
                self.report(where, "NS310", f"p_connect must be a probability in [0, 1], not "
                                            f"{value}")
                raise Invalid
            if key == "n" and isinstance(value, int) and value < 0:
                self.report(where, "NS106", "n must not be negative")
                raise Invalid
            return value

        return Component(kind, self.arguments(raw, path, info.args, kind, convert,
                                              skip=("type",)))

    def connection_matrix(self, raw: Any, path: SpecPath, pre: str, post: str) -> ArrayValue:
        """ArrayConnector's ``array``: one row per cell of ``pre``, one true/false (or 1/0)
        per cell of ``post``; or ``{file: …}`` with the same rows."""
        shape = (self.size(pre), self.size(post))
        file: str | None = None
        if isinstance(raw, dict) and "file" in raw:
            file, rows = self.read_file(raw["file"], (*path, "file"))
            data = np.vstack(rows) if rows else np.zeros((0, shape[1]))
        elif isinstance(raw, list) and all(isinstance(r, list) for r in raw):
            if len({len(r) for r in raw}) > 1:
                self.report(path, "NS316", "array rows have different lengths")
                raise Invalid
            if not all(isinstance(v, bool) or v in (0, 1) for r in raw for v in r):
                self.report(path, "NS211", "array must hold true/false (or 1/0) values")
                raise Invalid
            data = np.asarray(raw, dtype=float).reshape(len(raw), -1)
        else:
            self.report(path, "NS211", "array must be a list of rows, one per cell of "
                                       f"'{pre}', each with one true/false per cell of "
                                       f"'{post}'; or {{file: …}}")
            raise Invalid
        if data.shape != shape:
            self.report(path, "NS316", f"array is {data.shape[0]}×"
                                       f"{data.shape[1] if data.ndim > 1 else 0}, but "
                                       f"'{pre}' × '{post}' is {shape[0]}×{shape[1]}")
            raise Invalid
        if not np.all((data == 0) | (data == 1)):
            self.report(path, "NS211", "array must hold true/false (or 1/0) values")
            raise Invalid
        return ArrayValue(data.astype(bool), file)

    def reference_projection(self, raw: Any, path: SpecPath, pre: str, post: str,
                             here: str) -> str:
        """CloneConnector's ``reference_projection``: an earlier projection between the same
        ``pre`` and ``post`` (``here`` is the projection being resolved)."""
        name = self.text(raw, path, "reference_projection")
        projections = [entry.name for entry in self.entries.get("projections", [])]
        if name not in projections:
            self.unknown_reference(name, path, ("projections",))
            raise Invalid
        if here in projections and projections.index(name) >= projections.index(here):
            self.report(path, "NS301", f"reference_projection '{name}' must be defined before "
                                       f"projection '{here}'")
            raise Invalid
        built = self.projections.get(name)
        if built is not None:
            ends: tuple[Any, Any] = (built.pre, built.post)
        else:  # invalid itself (reported there): compare the names as written
            written = next(e for e in self.entries["projections"] if e.name == name).raw
            ends = (written.get("pre"), written.get("post"))
            if any(not isinstance(end, str) or has_interpolation(end) for end in ends):
                raise Invalid
        if ends != (pre, post):
            self.report(path, "NS316", f"reference_projection '{name}' connects "
                                       f"'{ends[0]}' to '{ends[1]}'; "
                                       f"CloneConnector needs the same pre ('{pre}') and post "
                                       f"('{post}')")
            raise Invalid
        return name

    def conn_list(self, raw: Any, path: SpecPath, pre: str, post: str,
                  columns: Any) -> ArrayValue:
        if isinstance(raw, dict) and "file" in raw:
            found, rows = self.read_file(raw["file"], (*path, "file"))
            file: str | None = found
            data = np.vstack(rows) if rows else np.zeros((0, 2))
        else:
            file = None
            if not isinstance(raw, list) or not all(isinstance(r, list) for r in raw):
                self.report(path, "NS211", "conn_list must be a list of [pre, post, …] rows")
                raise Invalid
            rows_out = []
            for i, row in enumerate(raw):
                rows_out.append([self.number(v, (*path, i, j), None, "conn_list entry")
                                 for j, v in enumerate(row)])
            widths = {len(r) for r in rows_out}
            if len(widths) > 1:
                self.report(path, "NS316", "conn_list rows have different lengths")
                raise Invalid
            data = np.asarray(rows_out, dtype=float).reshape(len(rows_out), -1 if rows_out
                                                             else 2)
        width = 2 + (len(columns) if isinstance(columns, list) else 0)
        if data.size and data.shape[1] != width:
            names = ", ".join(["pre", "post", *(str(c) for c in columns or [])])
            hint = "" if columns else ("; name the extra columns with column_names, "
                                       "e.g. [weight, delay]")
            self.report(path, "NS316", f"conn_list rows have {data.shape[1]} values, but rows "
                                       f"here are [{names}] ({width} values){hint}")
            raise Invalid
        for column, target in ((0, pre), (1, post)):
            if data.size:
                column_values = data[:, column]
                if np.any(column_values != np.round(column_values)) or \
                        column_values.min() < 0 or column_values.max() >= self.size(target):
                    row = int(np.argmax((column_values < 0)
                                        | (column_values >= self.size(target))
                                        | (column_values != np.round(column_values))))
                    self.report((*path, row, column) if file is None else path, "NS311",
                                f"conn_list row {row}: {'pre' if column == 0 else 'post'} index "
                                f"{column_values[row]:g} is not a cell of '{target}' "
                                f"(0 to {self.size(target) - 1})")
                    raise Invalid
        return ArrayValue(data, file)

    def synapse(self, raw: Any, path: SpecPath, weight_unit: str | None) -> Synapse:
        """The synapse of a projection whose weights are in ``weight_unit``; ``None`` when
        the post cells mix weight units (refused already, NS316): weights and values in
        their unit are then not checked, so the refusal is the only message."""
        if not isinstance(raw, dict):
            raise Invalid
        kind = self.reference(raw.get("type"), (*path, "type"))
        model = catalogue.synapse_type(kind) if isinstance(kind, str) else None
        if model is None:
            self.report((*path, "type"), "NS305",
                        unknown("synapse type", str(kind), catalogue.synapse_types()))
            raise Invalid
        rules = ("timing_dependence", "weight_dependence", "voltage_dependence")
        bad = False
        try:
            params = self.parameters_of(raw, path, model, model.parameters, "parameter",
                                        weight_unit=weight_unit,
                                        exclude=("type", *rules,
                                                 *_in_weight_units(model, weight_unit)))
        except Invalid:
            bad, params = True, {}
        found: dict[str, Component | None] = {"timing_dependence": None,
                                              "weight_dependence": None}
        if model.name == "STDPMechanism":
            for rule, finder, names in (
                    ("timing_dependence", catalogue.timing_dependence,
                     catalogue.timing_dependences),
                    ("weight_dependence", catalogue.weight_dependence,
                     catalogue.weight_dependences)):
                item = raw.get(rule)
                if not isinstance(item, dict):
                    self.report(path, "NS314", f"STDPMechanism needs {rule}")
                    bad = True
                    continue
                rule_type = self.reference(item.get("type"), (*path, rule, "type"))
                rule_model = finder(rule_type) if isinstance(rule_type, str) else None
                if rule_model is None:
                    self.report((*path, rule, "type"), "NS305",
                                unknown(rule.replace("_", " "), str(rule_type), names()))
                    bad = True
                    continue
                try:
                    found[rule] = Component(rule_model.name, self.parameters_of(
                        item, (*path, rule), rule_model, rule_model.parameters, "parameter",
                        weight_unit=weight_unit,
                        exclude=("type", *_in_weight_units(rule_model, weight_unit))))
                except Invalid:
                    bad = True
        else:
            for rule in rules:
                if rule in raw:
                    self.report((*path, rule), "NS303", f"{rule} belongs to STDPMechanism, "
                                                        f"not {model.name}", key=True)
                    bad = True
        if bad:
            raise Invalid
        return Synapse(model.name, params, found["timing_dependence"],
                       found["weight_dependence"])


def _in_weight_units(model: catalogue.ModelInfo, weight_unit: str | None) -> tuple[str, ...]:
    """The parameters of ``model`` in the unit of weights, when that unit is unknown."""
    if weight_unit is not None:
        return ()
    return tuple(name for name, info in model.parameters.items()
                 if info.unit == catalogue.WEIGHT_UNIT)
