"""Any CSV + a JSON mapping file -> rows of one label, with relationships.

For the exports no dedicated parser knows. The mapping (JSON, so no YAML dependency) says which
label the rows are, which column holds the id, which columns fill which schema properties (values
converted by the schema's property type), which go to ``custom``, and which columns point at other
records::

    {
      "label": "Contact",
      "namespace": "acme-erp:person",
      "id_column": "Person No",
      "properties": {"name": "Full Name", "email": "E-mail", "title": "Role", "phone": "Tel"},
      "custom": {"segment": "Segment"},
      "relationships": [
        {"type": "WORKS_AT", "column": "Company No", "target_label": "Account",
         "namespace": "acme-erp:company", "props": {"title": "Role"}},
        {"type": "REPORTS_TO", "column": "Manager No", "target_label": "Contact",
         "namespace": "acme-erp:person", "constant_props": {"source": "explicit"}},
        {"type": "WORKS_AT", "column": "Company Name", "target_label": "Account",
         "namespace": "acme-erp:company-name", "key": "name", "create": true}
      ]
    }

``key`` turns a cell into an id: ``external`` (escaped verbatim, the default), ``name`` (slug: case
and punctuation ignored), ``email`` (normalised address). ``direction: "in"`` makes this row's node
the *target* (``OWNS`` read from a deals file's owner column). ``create`` yields a minimal target node
named after the cell. ``multiple`` splits a cell into several targets. The mapping is checked
against ``graph.schema`` before any row is read: a bad mapping is ``InvalidInput``.

Rows are read twice (streaming): every node first, then every relationship, so a relationship to a
row further down the same file never precedes its node.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graph.errors import InvalidInput
from graph.schema import NODES, RELS, PType
from importers.common import emit_node, require_file, without_none
from importers.csvio import CsvRecord, iter_csv
from importers.rows import NodeRow, Reject, RelRow, Row, ext_id, name_id
from importers.values import (
    normalise_email,
    optional,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
    split_list,
)

KeyKind = Literal["external", "name", "email"]


class RelMapping(BaseModel):
    """One column that points at another record."""

    model_config = ConfigDict(extra="forbid")

    type: str
    column: str
    target_label: str
    namespace: str = Field(min_length=1)
    direction: Literal["out", "in"] = "out"
    key: KeyKind = "external"
    create: bool = False
    multiple: str | None = None
    props: dict[str, str] = Field(default_factory=dict)
    constant_props: dict[str, Any] = Field(default_factory=dict)


class CsvMapping(BaseModel):
    """The whole mapping file (see module docstring)."""

    model_config = ConfigDict(extra="forbid")

    label: str
    namespace: str = Field(min_length=1)
    id_column: str
    id_key: KeyKind = "external"
    properties: dict[str, str]
    custom: dict[str, str] = Field(default_factory=dict)
    relationships: list[RelMapping] = Field(default_factory=list)
    delimiter: str | None = None
    dayfirst: bool = False

    @model_validator(mode="after")
    def _check_schema(self) -> CsvMapping:
        spec = NODES.get(self.label)
        if spec is None:
            raise ValueError(f"unknown label {self.label!r}; one of {sorted(NODES)}")
        unknown = set(self.properties) - set(spec.props)
        if unknown:
            raise ValueError(f"{self.label} has no properties {sorted(unknown)}")
        for rel in self.relationships:
            _check_rel(self.label, rel)
        return self


def _check_rel(label: str, rel: RelMapping) -> None:
    spec = RELS.get(rel.type)
    if spec is None:
        raise ValueError(f"unknown relationship type {rel.type!r}")
    pair = (label, rel.target_label) if rel.direction == "out" else (rel.target_label, label)
    if pair not in spec.pairs:
        raise ValueError(f"{rel.type} cannot join {pair[0]} -> {pair[1]}")
    unknown = (set(rel.props) | set(rel.constant_props)) - set(spec.props)
    if unknown:
        raise ValueError(f"{rel.type} has no properties {sorted(unknown)}")
    if rel.create and rel.target_label not in NODES:
        raise ValueError(f"cannot create {rel.target_label!r}")


def load_mapping(path: Path) -> CsvMapping:
    """Read and check a mapping file; ``InvalidInput`` says what is wrong with it."""
    try:
        data = json.loads(require_file(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"mapping {path.name} is not readable JSON: {exc}") from exc
    try:
        return CsvMapping.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"mapping {path.name} is invalid: {exc.errors()[0]['msg']}", detail=exc.errors()) from exc


def _converter(ptype: PType, dayfirst: bool) -> Callable[[str], Any]:
    converters: dict[PType, Callable[[str], Any]] = {
        PType.STRING: str,
        PType.INT: parse_int,
        PType.FLOAT: parse_float,
        PType.BOOL: parse_bool,
        PType.DATE: lambda v: parse_date(v, dayfirst=dayfirst),
        PType.TIMESTAMP: lambda v: parse_datetime(v, dayfirst=dayfirst),
        PType.STRINGS: lambda v: split_list(v),
    }
    return converters[ptype]


def make_key(kind: KeyKind, namespace: str, value: str) -> str | None:
    """The id for a cell, or None when the cell cannot be a key (an unusable address)."""
    if kind == "name":
        return name_id(namespace, value)
    if kind == "email":
        address = normalise_email(value)
        return ext_id(namespace, address) if address else None
    return ext_id(namespace, value)


def parse_csv_mapped(path: Path, *, mapping: CsvMapping | Path) -> Iterator[Row]:
    """Parse ``path`` with ``mapping`` (a ``CsvMapping`` or a path to its JSON file)."""
    spec = mapping if isinstance(mapping, CsvMapping) else load_mapping(mapping)
    file = require_file(path)
    for nodes in (True, False):
        created: set[str] = set()
        for rec in iter_csv(file, label=spec.label, delimiter=spec.delimiter):
            if isinstance(rec, Reject):
                if nodes:
                    yield rec
                continue
            yield from _record(rec, spec, file.name, nodes=nodes, created=created)


def _record(rec: CsvRecord, spec: CsvMapping, source: str, *, nodes: bool, created: set[str]) -> Iterator[Row]:
    raw_id = rec.get(spec.id_column)
    own_id = make_key(spec.id_key, spec.namespace, raw_id) if raw_id else None
    if own_id is None:
        if nodes:
            yield Reject(source, rec.location, f"no usable id in column {spec.id_column!r}", rec.raw, spec.label)
        return
    problems: list[str] = []
    props = _props(rec, spec, problems)
    checked = list(emit_node(NodeRow(spec.label, own_id, props), source, rec.location, rec.raw, problems))
    if nodes:
        yield from checked
    elif any(isinstance(r, NodeRow) for r in checked):
        for rel in spec.relationships:
            yield from _links(rec, spec, rel, own_id, source, created)


def _props(rec: CsvRecord, spec: CsvMapping, problems: list[str]) -> dict[str, Any]:
    types = NODES[spec.label].props
    props: dict[str, Any] = {}
    for prop, column in spec.properties.items():
        value = rec.get(column)
        if value is not None and prop in ("email",):
            value = normalise_email(value) or value
        props[prop] = optional(_converter(types[prop], spec.dayfirst), value, column, problems)
    props["custom"] = without_none({key: rec.get(column) for key, column in spec.custom.items()})
    return without_none(props)


def _links(
    rec: CsvRecord, spec: CsvMapping, rel: RelMapping, own_id: str, source: str, created: set[str]
) -> Iterator[Row]:
    cell = rec.get(rel.column)
    if not cell:
        return
    values = split_list(cell, rel.multiple) if rel.multiple else [cell]
    rel_props = without_none({**rel.constant_props, **{k: rec.get(c) for k, c in rel.props.items()}})
    for value in values:
        other = make_key(rel.key, rel.namespace, value)
        if other is None:
            yield Reject(source, rec.location, f"{rel.column}: {value[:80]!r} is not a usable key", rec.raw, rel.type)
            continue
        if rel.create and other not in created:
            created.add(other)
            yield from emit_node(NodeRow(rel.target_label, other, {"name": value}), source, rec.location, rec.raw)
        if rel.direction == "out":
            yield RelRow(rel.type, spec.label, own_id, rel.target_label, other, rel_props)
        else:
            yield RelRow(rel.type, rel.target_label, other, spec.label, own_id, rel_props)
