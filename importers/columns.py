"""Rows of one label (or relationship type) as columns: how a parser process hands rows over.

A parser yields ``NodeRow`` and ``RelRow`` objects, each with its own props dict. Moving a million of
them through a pipe and the pipeline costs per row: pickling each object and dict in the parser
process, unpickling and dispatching each one in the importing process, and building the writer's
columns out of the dicts again (~9 us a row in all on the 1M-row HubSpot bench). ``to_batches``
turns a chunk of rows into ``NodeColumns``/``RelColumns`` (one list per id, end and property), which
pickle as a few long lists, and ``run_import`` hands them to a writer that takes columns
(``StoreRowWriter``) as they are; any other writer gets the rows back (``rows()``).

A column holds ``None`` where a row did not have the property. Parsers leave unset props out rather
than set them to None (``common.without_none``); a chunk with a row that does set a None is sent as
rows, so that "absent" and "None" never have to be told apart here.

Order: within a chunk, ``to_batches`` puts notes and rejects first, then the node batches (per label
in first-seen order, rows in their order), then the relationship batches. The pipeline writes every
node before any relationship of the same flush, and a parser yields a node before the relationships
that need it (``importers.rows``), so moving a chunk's nodes ahead of its relationships changes no
outcome; the rows of one label keep their order, so later props of an id still win.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from importers.rows import NodeRow, RelRow, Row

Columns = dict[str, list[Any]]


def _take(values: list[Any], at: Sequence[int]) -> list[Any]:
    return [values[i] for i in at]


def _columns_of(props: Sequence[dict[str, Any]]) -> Columns:
    """One column per key any of ``props`` has, None where a row lacks it."""
    names: set[str] = set().union(*props)
    return {name: [p.get(name) for p in props] for name in sorted(names)}


def _props_at(columns: Columns, at: int) -> dict[str, Any]:
    return {name: value for name, values in columns.items() if (value := values[at]) is not None}


def _concat(parts: Sequence[Columns], sizes: Sequence[int]) -> Columns:
    """Columns of several batches one after the other (None where a batch lacks a column)."""
    names = sorted({name for part in parts for name in part})
    out: Columns = {name: [] for name in names}
    for part, size in zip(parts, sizes, strict=True):
        for name in names:
            values = part.get(name)
            out[name] += values if values is not None else [None] * size
    return out


@dataclass(slots=True)
class NodeColumns:
    """Nodes of one label: ``ids[i]`` with ``props[name][i]`` (None: not given)."""

    label: str
    ids: list[str]
    props: Columns = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self) -> tuple[Any, ...]:
        return (NodeColumns, (self.label, self.ids, self.props))

    @classmethod
    def of(cls, label: str, rows: Sequence[NodeRow]) -> NodeColumns:
        """The columns of ``rows`` (all of ``label``; props without None values)."""
        return cls(label, [r.id for r in rows], _columns_of([r.props for r in rows]))

    @classmethod
    def concat(cls, label: str, parts: Sequence[NodeColumns | NodeRow]) -> NodeColumns:
        """Batches and loose rows of ``label`` one after the other, as one batch."""
        batches = [p if isinstance(p, NodeColumns) else cls.of(label, [p]) for p in parts]
        if len(batches) == 1:
            return batches[0]
        ids = [i for b in batches for i in b.ids]
        return cls(label, ids, _concat([b.props for b in batches], [len(b) for b in batches]))

    def props_at(self, at: int) -> dict[str, Any]:
        return _props_at(self.props, at)

    def row(self, at: int) -> NodeRow:
        return NodeRow(self.label, self.ids[at], self.props_at(at))

    def rows(self) -> list[NodeRow]:
        return [self.row(at) for at in range(len(self.ids))]

    def take(self, at: Sequence[int]) -> NodeColumns:
        """The rows at positions ``at``, in that order."""
        return NodeColumns(self.label, _take(self.ids, at), {n: _take(v, at) for n, v in self.props.items()})

    def unique(self) -> NodeColumns:
        """One row per id (``pipeline.coalesce``: later props win, custom merged key by key)."""
        if len(set(self.ids)) == len(self.ids):
            return self
        from importers.pipeline import coalesce  # the one definition of merging rows of an id

        return NodeColumns.of(self.label, coalesce(self.rows()))


@dataclass(slots=True)
class RelColumns:
    """Relationships of one (type, source label, target label): ``src_ids[i] -> dst_ids[i]``."""

    type: str
    src_label: str
    dst_label: str
    src_ids: list[str]
    dst_ids: list[str]
    props: Columns = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.src_ids)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RelColumns, (self.type, self.src_label, self.dst_label, self.src_ids, self.dst_ids, self.props))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type, self.src_label, self.dst_label)

    @classmethod
    def of(cls, key: tuple[str, str, str], rows: Sequence[RelRow]) -> RelColumns:
        return cls(*key, [r.src_id for r in rows], [r.dst_id for r in rows], _columns_of([r.props for r in rows]))

    @classmethod
    def concat(cls, key: tuple[str, str, str], parts: Sequence[RelColumns | RelRow]) -> RelColumns:
        batches = [p if isinstance(p, RelColumns) else cls.of(key, [p]) for p in parts]
        if len(batches) == 1:
            return batches[0]
        srcs = [i for b in batches for i in b.src_ids]
        dsts = [i for b in batches for i in b.dst_ids]
        return cls(*key, srcs, dsts, _concat([b.props for b in batches], [len(b) for b in batches]))

    def props_at(self, at: int) -> dict[str, Any]:
        return _props_at(self.props, at)

    def row(self, at: int) -> RelRow:
        return RelRow(self.type, self.src_label, self.src_ids[at], self.dst_label, self.dst_ids[at], self.props_at(at))

    def rows(self) -> list[RelRow]:
        return [self.row(at) for at in range(len(self.src_ids))]

    def take(self, at: Sequence[int]) -> RelColumns:
        props = {n: _take(v, at) for n, v in self.props.items()}
        return RelColumns(*self.key, _take(self.src_ids, at), _take(self.dst_ids, at), props)


Batch = NodeColumns | RelColumns
Item = Row | Batch
"""What ``run_import`` takes: rows, and batches of rows as columns."""


def to_batches(chunk: Iterable[Row]) -> list[Item]:
    """The rows of ``chunk`` as notes and rejects, then node batches, then relationship batches
    (module docstring); as they came when a node or relationship sets a prop to None."""
    rows = list(chunk)
    other: list[Row] = []
    nodes: dict[str, list[NodeRow]] = {}
    rels: dict[tuple[str, str, str], list[RelRow]] = {}
    for row in rows:
        if isinstance(row, NodeRow):
            if None in row.props.values():
                return list(rows)
            nodes.setdefault(row.label, []).append(row)
        elif isinstance(row, RelRow):
            if None in row.props.values():
                return list(rows)
            rels.setdefault((row.type, row.src_label, row.dst_label), []).append(row)
        else:
            other.append(row)
    out: list[Item] = list(other)
    out += [NodeColumns.of(label, group) for label, group in nodes.items()]
    out += [RelColumns.of(key, group) for key, group in rels.items()]
    return out


def expand(items: Iterable[Item]) -> list[Row]:
    """Rows again, batches unpacked (for consumers that take rows)."""
    out: list[Row] = []
    for item in items:
        if isinstance(item, NodeColumns | RelColumns):
            out += item.rows()
        else:
            out.append(item)
    return out
